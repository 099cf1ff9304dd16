import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import openFile from '../../src/providers/file.js';
import type { SecretStore } from '../../src/core/store.js';
import { tempHome } from '../helpers/cli.js';
import { LeakLedger, canary, encodings } from '../leak/canary.js';
import { ageDecrypt, ageKey, cli, multiStoreEnv, type ArchiveDoc } from './helpers.js';

/** Backup and restore on the embedded file store, end to end through the CLI, with the real age tool. */

let home: string;
let work: string;
beforeAll(() => {
  home = tempHome('vh-backup-');
  work = tempHome('vh-backup-work-');
});
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
  await fs.rm(work, { recursive: true, force: true });
});

function fileStore(alias: string): Promise<SecretStore> | SecretStore {
  return openFile({ path: join(home, `${alias}.vhs`), key_file: join(home, `${alias}.key`) }, { alias, home });
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

test('file -> file round trip (text, binary, JSON, all versions), age CLI decrypts, conflicts, --force, dry-run, no leaks', async () => {
  const ledger = new LeakLedger();
  const env = await multiStoreEnv(home);
  const vh = cli(ledger, env);
  const { keyFile, recipient } = await ageKey(work, 'backup');

  const password = ledger.add(canary('pw'));
  const rotated = ledger.add(canary('pw2'));
  const binaryMarker = ledger.add(canary('bin'));
  const binary = Buffer.concat([Buffer.from([0, 255, 10, 13]), randomBytes(64), Buffer.from(binaryMarker), Buffer.from([0])]);
  const jsonSecret = ledger.add(canary('json'));
  const json = JSON.stringify({ username: 'app', password: jsonSecret, port: 5432 });
  const oldValue = ledger.add(canary('old'));

  // A secret that exists in the target before the backup, with a different, older value: restore updates it.
  expect((await vh('create old in dst', ['create', 'dst:app/older', '--type', 'api_key'], { input: oldValue })).code).toBe(0);
  await new Promise((r) => setTimeout(r, 20));
  const newer = ledger.add(canary('newer'));

  expect((await vh('create text', ['create', 'local:app/db', '--type', 'database_password', '--owner', 'team-db', '--tag', 'env=prod'], { input: password })).code).toBe(0);
  const src = await fileStore('local');
  await src.put('app/db', Buffer.from(rotated), { stage: 'current' });
  expect((await vh('create binary', ['create', 'local:app/blob', '--type', 'encryption_key'], { input: binary })).code).toBe(0);
  expect((await vh('create json', ['create', 'local:app/json'], { input: json })).code).toBe(0);
  expect((await vh('create older', ['create', 'local:app/older', '--type', 'api_key'], { input: newer })).code).toBe(0);

  const archive = join(work, 'local.age');
  const backup = await vh('backup', ['backup', '--store', 'local', '--all-versions', '--recipient', recipient, '--output', archive, '--json']);
  expect(backup.stderr).toBe('');
  expect(backup.code).toBe(0);
  const summary = JSON.parse(backup.out);
  expect(summary).toMatchObject({ output: archive, all_versions: true, stores: ['local'], recipients: 1, total_secrets: 4, total_versions: 5 });
  expect(summary.secrets).toContainEqual({ ref: 'local:app/db', versions: 2, revoked: false });
  expect((await fs.stat(archive)).mode & 0o777).toBe(0o600);

  // The standard age tool opens it, and the plaintext is the documented JSON document.
  const plain = await ageDecrypt(keyFile, archive);
  const doc = JSON.parse(plain.toString('utf8')) as ArchiveDoc;
  expect(doc).toMatchObject({ format: 'vh-secrets-backup', format_version: 1, all_versions: true, stores: [{ alias: 'local', provider: 'file' }] });
  const byName = new Map(doc.secrets.map((s) => [s.name, s]));
  const value = (name: string, i = -1) => Buffer.from(byName.get(name)!.versions.at(i)!.value_base64!, 'base64');
  expect(byName.get('app/db')!.versions.map((v) => Buffer.from(v.value_base64!, 'base64').toString())).toEqual([password, rotated]);
  expect(byName.get('app/db')!.metadata).toMatchObject({ 'vh-type': 'database_password', 'vh-owner': 'team-db', env: 'prod' });
  expect(value('app/blob').equals(binary)).toBe(true);
  expect(value('app/json').toString()).toBe(json);
  // Encrypted: no value in any encoding in the archive's bytes.
  const sealed = (await fs.readFile(archive)).toString('latin1');
  for (const c of ledger.canaries) for (const form of encodings(c)) expect(sealed.includes(form)).toBe(false);

  // Dry run into the target: names and actions only, and nothing changes.
  const dstBefore = await (await fileStore('dst')).describe('app/older');
  const dry = await vh('dry run', ['restore', archive, '--identity', keyFile, '--to-store', 'dst', '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.out).toMatch(/dst:app\/db\s+would be created\s+2/);
  expect(dry.out).toMatch(/dst:app\/older\s+would be updated\s+1/);
  expect(dry.stderr).toMatch(/dry run, nothing was changed/);
  expect((await (await fileStore('dst')).describe('app/older')).versions).toEqual(dstBefore.versions);
  const listed = JSON.parse((await vh('list dst', ['list', '--store', 'dst', '--json'])).out);
  expect(listed.secrets.map((s: { name: string }) => s.name)).toEqual(['app/older']);

  const restored = await vh('restore', ['restore', archive, '--identity', keyFile, '--to-store', 'dst', '--json']);
  expect(restored.code).toBe(0);
  const report = JSON.parse(restored.out);
  const action = (name: string) => report.results.find((r: { secret: string }) => r.secret === `dst:${name}`);
  expect(action('app/db')).toMatchObject({ action: 'created', versions: 2, source: 'local:app/db' });
  expect(action('app/blob')).toMatchObject({ action: 'created', versions: 1 });
  expect(action('app/json')).toMatchObject({ action: 'created' });
  expect(action('app/older')).toMatchObject({ action: 'updated', versions: 1 });
  expect(report.summary).toMatchObject({ total: 4, created: 3, updated: 1, skipped: 0, conflict: 0, failed: 0 });

  expect((await vh('get db', ['get', 'dst:app/db'], { valueOnStdout: true })).out).toBe(rotated);
  expect((await vh('get db previous', ['get', 'dst:app/db@previous'], { valueOnStdout: true })).out).toBe(password);
  expect((await vh('get blob', ['get', 'dst:app/blob'], { valueOnStdout: true })).stdout.equals(binary)).toBe(true);
  expect((await vh('get json key', ['get', 'dst:app/json#password'], { valueOnStdout: true })).out).toBe(jsonSecret);
  expect((await vh('get older', ['get', 'dst:app/older'], { valueOnStdout: true })).out).toBe(newer);
  const described = JSON.parse((await vh('describe', ['describe', 'dst:app/db', '--json'])).out);
  expect(described).toMatchObject({ type: 'database_password', owner: 'team-db', tags: { env: 'prod' } });

  // Again: every value is already there.
  const again = JSON.parse((await vh('restore again', ['restore', archive, '--identity', keyFile, '--to-store', 'dst', '--json'])).out);
  expect(again.summary).toMatchObject({ skipped: 4, created: 0, updated: 0 });
  expect(again.results[0].reason).toMatch(/unchanged/);

  // A newer value in the target is a conflict: left alone (exit 1) until --force.
  const dst = await fileStore('dst');
  const newest = ledger.add(canary('newest'));
  await dst.put('app/db', Buffer.from(newest), { stage: 'current' });
  const conflict = await vh('conflict', ['restore', archive, '--identity', keyFile, '--to-store', 'dst']);
  expect(conflict.code).toBe(1);
  expect(conflict.out).toMatch(/dst:app\/db\s+conflict\s+0\s+the target holds a different, newer value.*--force/);
  expect((await vh('get kept', ['get', 'dst:app/db'], { valueOnStdout: true })).out).toBe(newest);
  const unconfirmed = await vh('force unconfirmed', ['restore', archive, '--identity', keyFile, '--to-store', 'dst', '--force']);
  expect(unconfirmed.code).toBe(64);
  expect(unconfirmed.stderr).toMatch(/needs confirmation/);
  const forced = await vh('force', ['restore', archive, '--identity', keyFile, '--to-store', 'dst', '--force', '--yes', '--json']);
  expect(forced.code).toBe(0);
  expect(JSON.parse(forced.out).results.find((r: { secret: string }) => r.secret === 'dst:app/db')).toMatchObject({ action: 'updated' });
  expect((await vh('get forced', ['get', 'dst:app/db'], { valueOnStdout: true })).out).toBe(rotated);

  // Back into the source store itself (no --to-store): everything is unchanged.
  const home2 = JSON.parse((await vh('restore to source', ['restore', archive, '--identity', keyFile, '--json'])).out);
  expect(home2.summary).toMatchObject({ skipped: 4 });

  // Every backup and restore is audited, without values.
  const audit = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { event: string; secret: string | null; details: Record<string, unknown> });
  expect(audit.filter((e) => e.event === 'backed_up')).toHaveLength(1);
  expect(audit.filter((e) => e.event === 'accessed' && e.details.purpose === 'backup').map((e) => e.secret).sort()).toEqual(['local:app/blob', 'local:app/db', 'local:app/json', 'local:app/older']);
  expect(audit.some((e) => e.event === 'restored' && e.secret === 'dst:app/db' && e.details.action === 'created')).toBe(true);
  expect(audit.some((e) => e.event === 'restored' && e.secret === 'dst:app/db' && e.details.action === 'conflict')).toBe(true);
  expect(audit.some((e) => e.event === 'restored' && e.secret === null && e.details.dry_run === true)).toBe(true);
  expect((await vh('audit verify', ['audit', 'verify'])).code).toBe(0);

  // No value anywhere: outputs, audit log, stores (encrypted), the archive (encrypted), the key files.
  await ledger.recordFiles(home, () => false);
  await ledger.recordFiles(work, () => false);
  expect(ledger.leaks()).toEqual([]);
});

test('errors: wrong identity, loose identity file, bad recipient, missing and damaged archives, unwritable output', async () => {
  const ledger = new LeakLedger();
  const dir = tempHome('vh-backup-err-');
  try {
    const env = await multiStoreEnv(dir);
    const vh = cli(ledger, env);
    const { keyFile, recipient } = await ageKey(dir, 'right');
    const { keyFile: wrongKey } = await ageKey(dir, 'wrong');
    const value = ledger.add(canary('err'));
    expect((await vh('create', ['create', 'app/x'], { input: value })).code).toBe(0);
    const archive = join(dir, 'x.age');
    expect((await vh('backup', ['backup', '--recipient', recipient, '--output', archive])).code).toBe(0);

    const wrong = await vh('wrong identity', ['restore', archive, '--identity', wrongKey, '--to-store', 'dst']);
    expect(wrong.code).toBe(77);
    expect(wrong.stderr).toMatch(/none of the identities can open/);
    noStack(wrong.stderr);
    const wrongJson = await vh('wrong identity json', ['restore', archive, '--identity', wrongKey, '--json']);
    expect(JSON.parse(wrongJson.stderr)).toMatchObject({ error: { code: 'PERMISSION_DENIED', exit_code: 77 } });

    await fs.chmod(keyFile, 0o644);
    const loose = await vh('loose identity', ['restore', archive, '--identity', keyFile]);
    expect(loose.code).toBe(77);
    expect(loose.stderr).toMatch(/readable by others \(mode 0644\); refusing/);
    expect(loose.stderr).toMatch(/chmod 600/);
    await fs.chmod(keyFile, 0o600);

    const notKey = join(dir, 'not-a-key');
    await fs.writeFile(notKey, 'hello\n', { mode: 0o600 });
    expect((await vh('not an identity', ['restore', archive, '--identity', notKey])).code).toBe(65);

    const missing = await vh('missing archive', ['restore', join(dir, 'nope.age'), '--identity', keyFile]);
    expect(missing.code).toBe(66);
    noStack(missing.stderr);
    const garbage = join(dir, 'garbage.age');
    await fs.writeFile(garbage, 'not age at all');
    const damaged = await vh('damaged archive', ['restore', garbage, '--identity', keyFile]);
    expect(damaged.code).toBe(65);
    expect(damaged.stderr).toMatch(/not an age-encrypted file/);

    // An age file that is not a vh-secrets backup.
    const { Encrypter } = await import('age-encryption');
    const e = new Encrypter();
    e.addRecipient(recipient);
    const foreign = join(dir, 'foreign.age');
    await fs.writeFile(foreign, await e.encrypt('{"hello":"world"}'));
    const notBackup = await vh('foreign archive', ['restore', foreign, '--identity', keyFile]);
    expect(notBackup.code).toBe(65);
    expect(notBackup.stderr).toMatch(/not a vh-secrets backup/);

    const badRecipient = await vh('bad recipient', ['backup', '--recipient', 'age1notakey', '--output', join(dir, 'bad.age')]);
    expect(badRecipient.code).toBe(64);
    const pasted = await vh('identity as recipient', ['backup', '--recipient', 'AGE-SECRET-KEY-1QQQQ', '--output', join(dir, 'bad.age')]);
    expect(pasted.code).toBe(64);
    expect(pasted.stderr).toMatch(/private identity/);
    expect(pasted.stderr).not.toMatch(/QQQQ/);
    expect((await vh('no recipient', ['backup', '--output', join(dir, 'bad.age')])).code).toBe(64);
    await expect(fs.stat(join(dir, 'bad.age'))).rejects.toThrow();

    const unwritable = await vh('unwritable output', ['backup', '--recipient', recipient, '--output', join(dir, 'no-such-dir', 'x.age')]);
    expect(unwritable.code).toBe(73);
    noStack(unwritable.stderr);

    // --recipients-file (age's format) works and is used together with --recipient.
    const rfile = join(dir, 'recipients.txt');
    const { keyFile: second, recipient: secondRecipient } = await ageKey(dir, 'second');
    await fs.writeFile(rfile, `# backup operators\n${secondRecipient}\n`);
    const two = join(dir, 'two.age');
    expect((await vh('two recipients', ['backup', '--recipient', recipient, '--recipients-file', rfile, '--output', two])).code).toBe(0);
    for (const k of [keyFile, second]) expect(JSON.parse((await ageDecrypt(k, two)).toString()).secrets[0].name).toBe('app/x');

    await ledger.recordFiles(dir, () => false);
    expect(ledger.leaks()).toEqual([]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('every configured store in one archive, back to each alias; revoked secrets and versions carry no value; newer formats refused', async () => {
  const ledger = new LeakLedger();
  const a = tempHome('vh-backup-a-');
  const b = tempHome('vh-backup-b-');
  try {
    const envA = await multiStoreEnv(a);
    const envB = await multiStoreEnv(b);
    const vhA = cli(ledger, envA);
    const vhB = cli(ledger, envB);
    const { keyFile, recipient } = await ageKey(a, 'k');
    const v1 = ledger.add(canary('v1'));
    const v2 = ledger.add(canary('v2'));
    const gone = ledger.add(canary('gone'));
    const other = ledger.add(canary('other'));
    expect((await vhA('create local', ['create', 'local:svc/token'], { input: v1 })).code).toBe(0);
    const local = await openFile({ path: join(a, 'local.vhs'), key_file: join(a, 'local.key') }, { alias: 'local', home: a });
    await local.put('svc/token', Buffer.from(v2), { stage: 'current' });
    expect((await vhA('revoke old version', ['revoke', 'local:svc/token', '--at', '1', '--yes'])).code).toBe(0);
    expect((await vhA('create revoked', ['create', 'local:svc/old'], { input: gone })).code).toBe(0);
    expect((await vhA('revoke secret', ['revoke', 'local:svc/old', '--yes'])).code).toBe(0);
    expect((await vhA('create dst', ['create', 'dst:svc/other'], { input: other })).code).toBe(0);

    const archive = join(a, 'all.age');
    const backup = JSON.parse((await vhA('backup all', ['backup', '--all-versions', '--recipient', recipient, '--output', archive, '--json'])).out);
    expect(backup.stores).toEqual(['dst', 'empty', 'local']);
    expect(backup.secrets).toEqual([
      { ref: 'dst:svc/other', versions: 1, revoked: false },
      { ref: 'local:svc/old', versions: 0, revoked: true },
      { ref: 'local:svc/token', versions: 1, revoked: false },
    ]);
    const doc = JSON.parse((await ageDecrypt(keyFile, archive)).toString()) as ArchiveDoc;
    const token = doc.secrets.find((s) => s.name === 'svc/token')!;
    expect(token.versions.map((v) => [v.version, v.state, v.value_base64 === null])).toEqual([['1', 'disabled', true], ['2', 'enabled', false]]);
    expect(doc.secrets.find((s) => s.name === 'svc/old')!.versions.every((v) => v.value_base64 === null)).toBe(true);

    // A second "machine" with the same aliases: each secret goes back to the store it came from.
    const restored = await vhB('restore to aliases', ['restore', archive, '--identity', keyFile, '--json']);
    expect(restored.code).toBe(0);
    const report = JSON.parse(restored.out);
    expect(report.results.map((r: { secret: string; action: string }) => `${r.secret} ${r.action}`)).toEqual(['dst:svc/other created', 'local:svc/old skipped', 'local:svc/token created']);
    expect(report.results[1].reason).toMatch(/revoked in the source/);
    expect((await vhB('get token', ['get', 'local:svc/token'], { valueOnStdout: true })).out).toBe(v2);
    expect((await vhB('get other', ['get', 'dst:svc/other'], { valueOnStdout: true })).out).toBe(other);
    expect(JSON.parse((await vhB('describe token', ['describe', 'local:svc/token', '--json'])).out).versions).toHaveLength(1);

    // A store alias the archive names but this config lacks: that secret fails (exit 2), the others go on.
    const lonely = join(b, 'lonely.toml');
    await fs.writeFile(lonely, `default_store = "local"\n[stores.local]\nprovider = "file"\npath = "${join(b, 'l2.vhs')}"\nkey_file = "${join(b, 'l2.key')}"\n`);
    const partial = await vhB('restore missing alias', ['restore', archive, '--identity', keyFile, '--json', '--config', lonely]);
    expect(partial.code).toBe(2);
    const pr = JSON.parse(partial.out);
    expect(pr.results[0]).toMatchObject({ secret: 'dst:svc/other', action: 'failed', error: { code: 'CONFIG' } });
    expect(pr.results[2]).toMatchObject({ secret: 'local:svc/token', action: 'created' });

    // A later format version is refused with exit 65, not half-read.
    const { Encrypter } = await import('age-encryption');
    const e = new Encrypter();
    e.addRecipient(recipient);
    const future = join(a, 'future.age');
    await fs.writeFile(future, await e.encrypt(JSON.stringify({ ...doc, format_version: 2, secrets: [] })));
    const refused = await vhB('future format', ['restore', future, '--identity', keyFile]);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toMatch(/format version 2; this vh-secrets reads up to version 1/);

    await ledger.recordFiles(a, () => false);
    await ledger.recordFiles(b, () => false);
    expect(ledger.leaks()).toEqual([]);
  } finally {
    await fs.rm(a, { recursive: true, force: true });
    await fs.rm(b, { recursive: true, force: true });
  }
});
