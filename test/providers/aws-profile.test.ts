import { randomBytes } from 'node:crypto';
import { mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SecretsManagerClient, DescribeSecretCommand, DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { peerSkip } from './peers.js';

/**
 * The seed's environment file for AWS: `[secrets] provider = "aws"` with `credentials_profile` and `endpoint_url`,
 * against moto. The profile lives only in temporary AWS config and credentials files, and it alone gives the
 * region (us-west-2) and the keys: the secret landing in us-west-2 shows the profile was the one used.
 */
const endpoint = process.env.VH_TEST_AWS_ENDPOINT ?? 'http://127.0.0.1:5055';
const skip = await peerSkip('aws', endpoint, 'scripts/peers.sh start moto');
const block = skip ? describe.skip : describe;

const name = `vh-test/seed-profile-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const direct = (region: string) => new SecretsManagerClient({ region, endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

let home: string;

block('aws: [secrets] credentials_profile selects a profile from AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE', () => {
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = tempHome('vh-aws-profile-');
    mkdirSync(join(home, 'config'), { recursive: true });
    await fs.writeFile(join(home, 'aws-config'), '[default]\nregion = us-east-1\n\n[profile seed-prod]\nregion = us-west-2\n');
    await fs.writeFile(join(home, 'aws-credentials'), '[seed-prod]\naws_access_key_id = AKIASEEDPROFILETEST1\naws_secret_access_key = seed-profile-secret-key\n', { mode: 0o600 });
    await fs.writeFile(join(home, 'config', 'production.toml'), `[secrets]\nprovider = "aws"\ncredentials_profile = "\${AWS_SEED_PROFILE:-seed-prod}"\nendpoint_url = "${endpoint}"\n`);
    env = baseEnv(home, {
      AWS_CONFIG_FILE: join(home, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
  });

  afterAll(async () => {
    await direct('us-west-2').send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
    direct('us-west-2').destroy();
    await fs.rm(home, { recursive: true, force: true });
  });

  test('create and get through the default store "secrets"; the secret is in the profile\'s region', async () => {
    const created = await run(['--env', 'production', 'create', name], { env, cwd: home, input: 'profile-value' });
    expect(created.stderr).not.toContain('error');
    expect(created.code).toBe(0);
    const got = await run(['get', `secrets:${name}`], { env: { ...env, VH_SECRETS_ENV: 'production' }, cwd: home });
    expect(got.code).toBe(0);
    expect(got.out).toBe('profile-value');
    const west = direct('us-west-2');
    expect((await west.send(new DescribeSecretCommand({ SecretId: name }))).Name).toBe(name);
    const east = direct('us-east-1');
    await expect(east.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    east.destroy();
    west.destroy();
    expect(got.stderr + created.stderr).not.toContain('seed-profile-secret-key');
  });

  test('a profile the files do not have: no region from it (78), and with a region no credentials (77), naming the profile', async () => {
    const noRegion = await run(['--env', 'production', 'get', name], { env: { ...env, AWS_SEED_PROFILE: 'no-such-profile' }, cwd: home });
    expect(noRegion.code).toBe(78);
    expect(noRegion.stderr).toContain('no region (profile "no-such-profile" gives none)');
    const r = await run(['--env', 'production', 'get', name], { env: { ...env, AWS_SEED_PROFILE: 'no-such-profile', AWS_REGION: 'us-west-2' }, cwd: home });
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(/\(profile "no-such-profile"\)[\s\S]*hint: check that profile "no-such-profile" is in the AWS config/);
  });
});
