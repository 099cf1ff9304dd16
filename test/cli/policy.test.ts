import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import openFile from '../../src/providers/file.js';
import { auditEvents } from '../helpers/audit-log.js';
import { baseEnv, runInProcess, tempHome } from '../helpers/cli.js';

let home: string;
let env: NodeJS.ProcessEnv;
let policyFile: string;
const vh = (args: string[], input?: string, e: NodeJS.ProcessEnv = env) => runInProcess(args, { env: e, ...(input !== undefined ? { input } : {}) });

const events = () => auditEvents(home);

const RULES = (mode: string) => `
[[rules]]
name = "prod-db-owner"
mode = "${mode}"
refs = ["local:prod/**"]
required_tags = ["owner"]
rotation_interval_days = 30
`;

beforeEach(async () => {
  home = tempHome('vh-policy-');
  policyFile = join(home, 'policy.toml');
  const config = join(home, 'vh-secrets.toml');
  await fs.writeFile(config, 'policy = "policy.toml"\n');
  env = baseEnv(home, { VH_SECRETS_CONFIG: config });
});

afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

describe('policy rules on the file store', () => {
  test('enforce: create is refused with 77 naming the rule, audited as denied; a compliant create passes', async () => {
    await fs.writeFile(policyFile, RULES('enforce'));
    const refused = await vh(['create', 'prod/db', '--type', 'database_password'], 'pw-value-1');
    expect(refused.code).toBe(77);
    expect(refused.stderr).toContain('policy rule "prod-db-owner" (required_tags: owner) forbids create of local:prod/db: missing required tag "owner"');
    expect(refused.stderr).not.toContain('pw-value-1');
    expect((await vh(['get', 'prod/db'])).code).toBe(66);
    const denied = (await events()).find((e) => e.event === 'created');
    expect(denied).toMatchObject({ secret: 'local:prod/db', success: false, error_code: 'PERMISSION_DENIED', details: { policy_rule: 'prod-db-owner', policy_check: 'required_tags' } });

    const json = await vh(['--json', 'create', 'prod/db', '--type', 'database_password'], 'pw-value-1');
    expect(json.code).toBe(77);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'PERMISSION_DENIED', exit_code: 77 } });

    const ok = await vh(['create', 'prod/db', '--type', 'api_key', '--owner', 'dba'], 'pw-value-1');
    expect(ok.code).toBe(0);
    expect(ok.stderr).not.toMatch(/warning/);
    // Without --rotation-days the policy's interval (30) becomes the secret's, not the type's default (90).
    const desc = JSON.parse((await vh(['describe', 'prod/db', '--json'])).out);
    expect(desc.rotation_days).toBe(30);

    // Outside the rule's refs nothing is required.
    expect((await vh(['create', 'dev/db'], 'x')).code).toBe(0);
    // An explicit interval longer than the policy's is refused.
    const long = await vh(['create', 'prod/api', '--owner', 'x', '--rotation-days', '90'], 'v');
    expect(long.code).toBe(77);
    expect(long.stderr).toContain('policy rule "prod-db-owner" (rotation_interval_days)');
  });

  test('warn: create goes ahead with a warning; health reports the violation in text, JSON and metrics', async () => {
    await fs.writeFile(policyFile, RULES('warn'));
    const created = await vh(['create', 'prod/db', '--type', 'database_password'], 'pw-value-2');
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('vh-secrets: warning: policy rule "prod-db-owner" (required_tags: owner) warns on create of local:prod/db: missing required tag "owner"');
    expect((await events()).find((e) => e.event === 'created')).toMatchObject({ success: true, details: { policy_warnings: 1 } });

    const text = await vh(['health']);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/WARNING\s+local:prod\/db.*policy rule "prod-db-owner" \(required_tags: owner\): missing required tag "owner"/);

    const metrics = join(home, 'metrics.prom');
    const json = await vh(['health', '--json', '--metrics-file', metrics]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out);
    expect(report.policy).toBe(policyFile);
    expect(report.summary.policy_violations).toBe(1);
    const secret = report.secrets.find((s: { secret: string }) => s.secret === 'local:prod/db');
    expect(secret.policy_violations).toEqual([{ rule: 'prod-db-owner', check: 'required_tags', mode: 'warn', message: 'missing required tag "owner" (set --owner or --tag owner=…)' }]);
    expect(secret.checks).toContainEqual(expect.objectContaining({ check: 'policy', status: 'WARNING' }));
    expect(await fs.readFile(metrics, 'utf8')).toContain('voicehive_secrets_policy_violations{store="local",type="database_password",mode="warn"} 1');

    // The same secret under an enforced rule is CRITICAL (the policy came after the secret).
    await fs.writeFile(policyFile, RULES('enforce'));
    const critical = await vh(['health', '--json']);
    expect(critical.code).toBe(2);
    expect(JSON.parse(critical.out).secrets[0].checks).toContainEqual(expect.objectContaining({ check: 'policy', status: 'CRITICAL' }));
    // Rotation is not blocked by a state rule (it never makes one worse), and an old value is a violation.
    const store = await openFile({}, { alias: 'local', home: join(home, 'vh') });
    await store.setMetadata('prod/db', { 'vh-owner': 'dba', 'vh-rotated-at': new Date(Date.now() - 45 * 86_400_000).toISOString() });
    const overdue = JSON.parse((await vh(['health', '--json'])).out);
    expect(overdue.secrets[0].policy_violations).toEqual([expect.objectContaining({ check: 'rotation_interval_days', message: expect.stringMatching(/^current value is 45 days old; the policy rotates every 30 days$/) })]);
    expect((await vh(['rotate', 'prod/db', '--yes'])).code).toBe(0);
    expect(JSON.parse((await vh(['health', '--json'])).out).summary.policy_violations).toBe(0);
  });

  test('access: --actor (over VH_SECRETS_ACTOR) is checked per action and ref, recorded in the audit log', async () => {
    await fs.writeFile(
      policyFile,
      `[access]\nname = "access-rules"\nmode = "enforce"\n[[access.grants]]\nname = "ops"\nactors = ["alice"]\nactions = ["*"]\nrefs = ["local:**"]\n[[access.grants]]\nname = "readers"\nactors = ["svc-*"]\nactions = ["get", "describe"]\nrefs = ["local:app/*"]\n`,
    );
    expect((await vh(['--actor', 'alice', 'create', 'app/db'], 'the-value-3')).code).toBe(0);
    const read = await vh(['get', 'app/db', '--actor', 'svc-web']);
    expect(read.code).toBe(0);
    expect(read.out).toBe('the-value-3');

    const denied = await vh(['get', 'app/db', '--actor', 'bob']);
    expect(denied.code).toBe(77);
    expect(denied.stdout.length).toBe(0);
    expect(denied.stderr).toContain('policy rule "access-rules" (access) forbids get of local:app/db: no grant lets actor "bob" get local:app/db');

    // VH_SECRETS_ACTOR is the actor without --actor; --actor wins over it.
    const asEnv = await vh(['revoke', 'app/db', '--yes'], undefined, { ...env, VH_SECRETS_ACTOR: 'svc-web' });
    expect(asEnv.code).toBe(77);
    expect(asEnv.stderr).toContain('no grant lets actor "svc-web" revoke local:app/db');
    const rotateDenied = await vh(['rotate', 'app/db', '--yes', '--force', '--actor', 'svc-web']);
    expect(rotateDenied.code).toBe(77);
    expect((await vh(['rotate', 'app/db', '--yes', '--force', '--actor', 'alice'], undefined, { ...env, VH_SECRETS_ACTOR: 'svc-web' })).code).toBe(0);

    const log = await events();
    expect(log.find((e) => e.event === 'created')).toMatchObject({ actor: 'alice', success: true });
    expect(log.find((e) => e.event === 'accessed' && e.success)).toMatchObject({ actor: 'svc-web' });
    expect(log.find((e) => e.event === 'accessed' && !e.success)).toMatchObject({ actor: 'bob', error_code: 'PERMISSION_DENIED', details: { policy_rule: 'access-rules', policy_check: 'access' } });
    expect(log.find((e) => e.event === 'revoked')).toMatchObject({ actor: 'svc-web', success: false, error_code: 'PERMISSION_DENIED' });
    expect(log.find((e) => e.event === 'rotation_started' && !e.success)).toMatchObject({ actor: 'svc-web', error_code: 'PERMISSION_DENIED', details: { policy_rule: 'access-rules' } });
    expect(log.find((e) => e.event === 'rotated')).toMatchObject({ actor: 'alice', success: true });
    expect(JSON.stringify(log)).not.toContain('the-value-3');
  });

  test('access in warn mode only warns; rotate-all reports denied secrets as failed; a bad --actor is a usage error', async () => {
    await fs.writeFile(policyFile, `[access]\nmode = "warn"\n[[access.grants]]\nactors = ["alice"]\nactions = ["*"]\n`);
    expect((await vh(['create', 'app/a', '--actor', 'alice'], 'v1')).code).toBe(0);
    const warned = await vh(['get', 'app/a', '--actor', 'bob']);
    expect(warned.code).toBe(0);
    expect(warned.out).toBe('v1');
    expect(warned.stderr).toContain('vh-secrets: warning: policy rule "access" (access) warns on get of local:app/a: no grant lets actor "bob" get local:app/a');

    await fs.writeFile(policyFile, `[access]\n[[access.grants]]\nactors = ["alice"]\nactions = ["*"]\n`);
    const all = await vh(['rotate-all', '--yes', '--include-unmanaged', '--json', '--actor', 'bob']);
    expect(all.code).toBe(2);
    expect(JSON.parse(all.out).results).toEqual([expect.objectContaining({ secret: 'local:app/a', status: 'failed', error: expect.objectContaining({ code: 'PERMISSION_DENIED' }) })]);
    expect((await vh(['rotate-all', '--yes', '--include-unmanaged', '--actor', 'alice'])).code).toBe(0);

    const bad = await vh(['list', '--actor', 'bob smith']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--actor "bob smith"');
  });

  test('rotate: generated values follow the policy; a rule the generator cannot meet blocks the rotation with 77', async () => {
    await fs.writeFile(policyFile, `[[rules]]\nname = "long-keys"\ntypes = ["api_key"]\nmin_length = 64\nrequired_classes = ["symbol"]\n\n[[rules]]\nname = "no-base64"\ntypes = ["jwt_secret"]\nalphabet = ["upper", "lower", "digit"]\n`);
    expect((await vh(['create', 'app/api', '--type', 'api_key', '--generate'])).code).toBe(0);
    const generated = (await vh(['get', 'app/api'])).out;
    expect(generated.length).toBeGreaterThanOrEqual(64);
    expect(generated).toMatch(/[-_.~+=^]/);
    expect((await vh(['rotate', 'app/api', '--yes', '--force'])).code).toBe(0);
    expect((await vh(['get', 'app/api'])).out.length).toBeGreaterThanOrEqual(64);

    // A hand-made value that breaks the rule is refused at create.
    const short = await vh(['create', 'app/api2', '--type', 'api_key'], 'abc');
    expect(short.code).toBe(77);
    expect(short.stderr).toContain('policy rule "long-keys" (min_length) forbids create of local:app/api2: value is 3 characters; the policy requires at least 64');

    // jwt_secret values are base64url: "-" and "_" appear in practice, so a strict alphabet blocks the rotation.
    await fs.writeFile(policyFile, '[[rules]]\nname = "no-base64"\ntypes = ["jwt_secret"]\nalphabet = ["upper", "lower", "digit"]\nmode = "warn"\n');
    expect((await vh(['create', 'app/jwt', '--type', 'jwt_secret'], 'abcDEF123abcDEF123abcDEF123'))).toMatchObject({ code: 0 });
    await fs.writeFile(policyFile, '[[rules]]\nname = "no-base64"\ntypes = ["jwt_secret"]\nalphabet = ["upper", "lower", "digit"]\nmin_length = 4096\n');
    const blocked = await vh(['rotate', 'app/jwt', '--yes']);
    expect(blocked.code).toBe(77);
    expect(blocked.stderr).toMatch(/policy rule "no-base64" \((alphabet|min_length)\) forbids rotate of local:app\/jwt/);
    expect((await vh(['get', 'app/jwt'])).out).toBe('abcDEF123abcDEF123abcDEF123');
    expect(JSON.parse((await vh(['describe', 'app/jwt', '--json'])).out).current_version).toBe('1');
  });

  test('a malformed or missing policy file is a configuration error (78) naming file, line and field', async () => {
    await fs.writeFile(policyFile, '[[rules]]\nname = "a"\nmin_length = 0\n');
    const bad = await vh(['list']);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain(`policy ${policyFile}:3: rules[0].min_length: must be a whole number from 1 to 4096`);
    const missing = await vh(['list', '--policy', join(home, 'nope.toml')]);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain(`policy file ${join(home, 'nope.toml')} does not exist`);
    await fs.writeFile(join(home, 'vh-secrets.toml'), '[policy]\nfiel = "x"\n');
    const badConfig = await vh(['list']);
    expect(badConfig.code).toBe(78);
    expect(badConfig.stderr).toMatch(/vh-secrets\.toml:2: policy\.fiel: unknown setting/);
  });
});
