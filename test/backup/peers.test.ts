import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import openAws from '../../src/providers/aws.js';
import openAzure from '../../src/providers/azure.js';
import openGcp from '../../src/providers/gcp.js';
import openVault from '../../src/providers/vault.js';
import type { SecretStore } from '../../src/core/store.js';
import { tempHome } from '../helpers/cli.js';
import { LeakLedger, canary } from '../leak/canary.js';
import { uniqueName } from '../providers/contract.js';
import { peerSkip } from '../providers/peers.js';
import { azureEnv, gcpDoubleEndpoint } from '../helpers/stores.js';
import { ageDecrypt, ageKey, awsEndpoint, azureUrl, cli, gcpEndpoint, multiStoreEnv, vaultAddr, vaultToken, type ArchiveDoc } from './helpers.js';

/**
 * Backup and restore across providers on the peers: vault -> file, aws -> vault, file -> aws, azure -> vault,
 * file -> azure, gcp (the third-party emulator) -> file, file -> gcp (the Secret Manager double: restoring writes
 * history versions and metadata, which need the UpdateSecret the emulator lacks).
 */

const vaultSkip = await peerSkip('vault', vaultAddr, 'scripts/peers.sh start openbao');
const awsSkip = await peerSkip('aws', awsEndpoint, 'scripts/peers.sh start moto');
const azureSkip = await peerSkip('azure', azureUrl, 'scripts/peers.sh start azure');
const gcpSkip = await peerSkip('gcp', gcpEndpoint, 'scripts/peers.sh start gcp');
const gcpDoubleSkip = await peerSkip('gcp-double', gcpDoubleEndpoint, 'scripts/peers.sh start gcp-double');

let home: string;
const cleanup: { store: () => Promise<SecretStore>; name: string }[] = [];
beforeAll(() => {
  home = tempHome('vh-backup-peers-');
});
afterAll(async () => {
  for (const c of cleanup) await c.store().then((s) => s.destroy(c.name)).catch(() => undefined);
  await fs.rm(home, { recursive: true, force: true });
});

const vaultStore = async () => openVault({ address: vaultAddr, token: vaultToken }, { alias: 'vault', home });
const awsStore = async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  return openAws({ endpoint: awsEndpoint, region: 'us-east-1' }, { alias: 'aws', home });
};
const azureStore = async () => {
  Object.assign(process.env, { IDENTITY_ENDPOINT: azureEnv.IDENTITY_ENDPOINT, IDENTITY_HEADER: azureEnv.IDENTITY_HEADER });
  return openAzure({ vault_url: azureUrl, disable_challenge_resource_verification: true }, { alias: 'azure', home });
};
const gcpStore = async () => openGcp({ endpoint: gcpEndpoint, project: 'test-project' }, { alias: 'gcp', home });
const gcpFullStore = async () => openGcp({ endpoint: gcpDoubleEndpoint, project: 'test-project' }, { alias: 'gcpfull', home });
const opener: Record<string, () => Promise<SecretStore>> = { vault: vaultStore, aws: awsStore, azure: azureStore, gcp: gcpStore, gcpfull: gcpFullStore };

interface Case {
  from: string;
  to: string;
  skip: string | undefined;
}

const cases: Case[] = [
  { from: 'vault', to: 'local', skip: vaultSkip },
  { from: 'aws', to: 'vault', skip: awsSkip ?? vaultSkip },
  { from: 'local', to: 'aws', skip: awsSkip },
  { from: 'azure', to: 'vault', skip: azureSkip ?? vaultSkip },
  { from: 'local', to: 'azure', skip: azureSkip },
  { from: 'gcp', to: 'local', skip: gcpSkip },
  { from: 'local', to: 'gcpfull', skip: gcpDoubleSkip },
];

for (const c of cases) {
  const block = c.skip ? describe.skip : describe;
  block(`${c.from} -> ${c.to}`, () => {
    test('text, binary and JSON values, all versions, conflict and --force, no leaks', async () => {
      const dir = join(home, `${c.from}-${c.to}`);
      const ledger = new LeakLedger();
      const env = await multiStoreEnv(dir, { vault: true, aws: true, azure: c.from === 'azure' || c.to === 'azure', gcp: c.from === 'gcp', gcpFull: c.to === 'gcpfull' });
      const vh = cli(ledger, env);
      const { keyFile, recipient } = await ageKey(dir, 'backup');
      const prefix = `${uniqueName(`backup-${c.from}`)}/`;
      const names = { text: `${prefix}db`, blob: `${prefix}blob`, json: `${prefix}json` };
      for (const store of [c.from, c.to]) if (opener[store]) for (const n of Object.values(names)) cleanup.push({ store: opener[store]!, name: n });

      const first = ledger.add(canary(`${c.from}first`));
      const second = ledger.add(canary(`${c.from}second`));
      const binary = Buffer.concat([Buffer.from([0, 1, 255, 254]), randomBytes(48), Buffer.from(ledger.add(canary('bin')))]);
      const jsonPw = ledger.add(canary('json'));
      const json = JSON.stringify({ user: 'svc', password: jsonPw });

      expect((await vh('create text', ['create', `${c.from}:${names.text}`, '--type', 'api_key', '--owner', 'payments', '--tag', 'env=prod'], { input: first })).code).toBe(0);
      expect((await vh('create blob', ['create', `${c.from}:${names.blob}`, '--type', 'encryption_key'], { input: binary })).code).toBe(0);
      expect((await vh('create json', ['create', `${c.from}:${names.json}`], { input: json })).code).toBe(0);
      // A second version, written as another tool would.
      const src = c.from === 'local' ? undefined : await opener[c.from]!();
      if (src) await src.put(names.text, Buffer.from(second), { stage: 'current' });
      else {
        const { default: openFile } = await import('../../src/providers/file.js');
        const local = await openFile({ path: join(dir, 'local.vhs'), key_file: join(dir, 'local.key') }, { alias: 'local', home: dir });
        await local.put(names.text, Buffer.from(second), { stage: 'current' });
      }

      const archive = join(dir, 'backup.age');
      const backup = await vh('backup', ['backup', '--store', c.from, '--prefix', prefix, '--all-versions', '--recipient', recipient, '--output', archive, '--json']);
      expect(backup.stderr).toBe('');
      expect(backup.code).toBe(0);
      expect(JSON.parse(backup.out)).toMatchObject({ stores: [c.from], total_secrets: 3, total_versions: 4 });
      expect((await fs.stat(archive)).mode & 0o777).toBe(0o600);

      const doc = JSON.parse((await ageDecrypt(keyFile, archive)).toString('utf8')) as ArchiveDoc;
      expect(doc.format).toBe('vh-secrets-backup');
      expect(doc.stores[0]!.provider).toBe(c.from === 'local' ? 'file' : c.from);
      const text = doc.secrets.find((s) => s.name === names.text)!;
      expect(text.versions.map((v) => Buffer.from(v.value_base64!, 'base64').toString())).toEqual([first, second]);
      expect(text.metadata).toMatchObject({ 'vh-type': 'api_key', 'vh-owner': 'payments', env: 'prod' });

      const restore = await vh('restore', ['restore', archive, '--identity', keyFile, '--to-store', c.to, '--json']);
      expect(restore.code).toBe(0);
      const report = JSON.parse(restore.out);
      expect(report.summary).toMatchObject({ total: 3, created: 3, failed: 0 });
      expect(report.results.find((r: { secret: string }) => r.secret === `${c.to}:${names.text}`)).toMatchObject({ action: 'created', versions: 2 });

      expect((await vh('get text', ['get', `${c.to}:${names.text}`], { valueOnStdout: true })).out).toBe(second);
      expect((await vh('get previous', ['get', `${c.to}:${names.text}@previous`], { valueOnStdout: true })).out).toBe(first);
      expect((await vh('get blob', ['get', `${c.to}:${names.blob}`], { valueOnStdout: true })).stdout.equals(binary)).toBe(true);
      expect((await vh('get json', ['get', `${c.to}:${names.json}#password`], { valueOnStdout: true })).out).toBe(jsonPw);
      expect(JSON.parse((await vh('describe', ['describe', `${c.to}:${names.text}`, '--json'])).out)).toMatchObject({ type: 'api_key', owner: 'payments', tags: { env: 'prod' } });

      // Restoring again changes nothing; a newer value in the target is kept until --force.
      const again = JSON.parse((await vh('again', ['restore', archive, '--identity', keyFile, '--to-store', c.to, '--json'])).out);
      expect(again.results.map((r: { action: string; reason: string }) => `${r.action}: ${r.reason}`)).toEqual(Array(3).fill('skipped: unchanged: the target already holds this value'));
      const target = c.to === 'local' ? undefined : await opener[c.to]!();
      const newest = ledger.add(canary('newest'));
      if (target) await target.put(names.text, Buffer.from(newest), { stage: 'current' });
      else {
        const { default: openFile } = await import('../../src/providers/file.js');
        const local = await openFile({ path: join(dir, 'local.vhs'), key_file: join(dir, 'local.key') }, { alias: 'local', home: dir });
        await local.put(names.text, Buffer.from(newest), { stage: 'current' });
      }
      const dry = await vh('dry conflict', ['restore', archive, '--identity', keyFile, '--to-store', c.to, '--dry-run', '--json']);
      expect(dry.code).toBe(1);
      expect(JSON.parse(dry.out).results.find((r: { secret: string }) => r.secret === `${c.to}:${names.text}`).action).toBe('conflict');
      const conflict = await vh('conflict', ['restore', archive, '--identity', keyFile, '--to-store', c.to]);
      expect(conflict.code).toBe(1);
      expect((await vh('get kept', ['get', `${c.to}:${names.text}`], { valueOnStdout: true })).out).toBe(newest);
      expect((await vh('force', ['restore', archive, '--identity', keyFile, '--to-store', c.to, '--force', '--yes'])).code).toBe(0);
      expect((await vh('get forced', ['get', `${c.to}:${names.text}`], { valueOnStdout: true })).out).toBe(second);

      await ledger.recordFiles(dir, () => false);
      expect(ledger.leaks()).toEqual([]);
    });
  });
}
