import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, runInProcess, tempHome } from '../helpers/cli.js';

let home: string;
let env: NodeJS.ProcessEnv;
const vh = (args: string[], input?: string | Buffer) => runInProcess(args, { env, ...(input !== undefined ? { input } : {}) });

beforeEach(() => {
  home = tempHome();
  env = baseEnv(home);
});

afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

describe('everyday verbs on the embedded file store', () => {
  test('create from stdin, get, list, describe, revoke — with stable JSON', async () => {
    const created = await vh(['create', 'app/db', '--type', 'database_password', '--tag', 'team=payments', '--owner', 'dba', '--expires-in-days', '30', '--json'], 'pw-one');
    expect(created.code).toBe(0);
    const c = JSON.parse(created.out);
    expect(c).toMatchObject({ ref: 'local:app/db', store: 'local', name: 'app/db', version: '1', type: 'database_password', generated: false });
    expect(Date.parse(c.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const got = await vh(['get', 'app/db']);
    expect(got.code).toBe(0);
    expect(got.out).toBe('pw-one');

    const gotJson = JSON.parse((await vh(['get', 'local:app/db', '--json'])).out);
    expect(gotJson).toEqual({ ref: 'local:app/db', store: 'local', name: 'app/db', key: null, version: '1', encoding: 'utf8', value: 'pw-one' });

    const listed = JSON.parse((await vh(['list', '--json', '--tag', 'team=payments'])).out);
    expect(listed.errors).toEqual([]);
    expect(listed.secrets).toHaveLength(1);
    expect(listed.secrets[0]).toMatchObject({ ref: 'local:app/db', type: 'database_password', owner: 'dba', current_version: '1', tags: { team: 'payments' } });
    expect(JSON.parse((await vh(['list', '--json', '--tag', 'team=other'])).out).secrets).toHaveLength(0);
    expect(JSON.parse((await vh(['list', '--json', '--type', 'api_key'])).out).secrets).toHaveLength(0);

    const desc = JSON.parse((await vh(['describe', 'app/db', '--json'])).out);
    expect(desc).toMatchObject({ ref: 'local:app/db', type: 'database_password', owner: 'dba', current_version: '1', revoked: false, rotation_days: 30 });
    expect(desc.versions).toEqual([expect.objectContaining({ version: '1', state: 'enabled', stages: ['current'] })]);
    expect(JSON.stringify(desc)).not.toContain('pw-one');

    const noConfirm = await vh(['revoke', 'app/db']);
    expect(noConfirm.code).toBe(64);
    expect(noConfirm.stderr).toMatch(/--yes/);
    expect((await vh(['get', 'app/db'])).out).toBe('pw-one');

    const revoked = await vh(['revoke', 'app/db', '--yes', '--json']);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.out)).toEqual({ ref: 'local:app/db', store: 'local', name: 'app/db', revoked_versions: ['1'], whole_secret: true });
    const after = await vh(['get', 'app/db']);
    expect(after.code).toBe(66);
    expect(after.stdout.length).toBe(0);
    expect(JSON.parse((await vh(['describe', 'app/db', '--json'])).out).revoked).toBe(true);
  });

  test('generate, keys and versions', async () => {
    expect((await vh(['create', 'api/key', '--type', 'api_key', '--generate'])).code).toBe(0);
    const value = (await vh(['get', 'api/key'])).out;
    expect(value).toMatch(/^[A-Za-z0-9]{40}$/);
    expect((await vh(['create', 'tls/key', '--type', 'tls_private_key', '--generate'])).code).toBe(0);
    expect((await vh(['get', 'tls/key'])).out).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    expect((await vh(['create', 'svc/creds#password', '--type', 'generic'], 's3cret')).code).toBe(0);
    expect((await vh(['get', 'svc/creds#password'])).out).toBe('s3cret');
    expect(JSON.parse((await vh(['get', 'svc/creds'])).out)).toEqual({ password: 's3cret' });
    const missingKey = await vh(['get', 'svc/creds#user']);
    expect(missingKey.code).toBe(66);

    expect((await vh(['get', 'svc/creds@1'])).code).toBe(0);
    expect((await vh(['get', 'svc/creds', '--at', 'current'])).code).toBe(0);
    const noVersion = await vh(['get', 'svc/creds', '--at', '7']);
    expect(noVersion.code).toBe(66);
    expect(noVersion.stderr).toMatch(/svc\/creds@7/);
    const noPrevious = await vh(['get', 'svc/creds@previous']);
    expect(noPrevious.code).toBe(66);
  });

  test('value from --value-file, binary-safe, 1 MiB', async () => {
    const binary = Buffer.concat([Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]), randomBytes(1024)]);
    const file = join(home, 'bin.dat');
    await fs.writeFile(file, binary);
    expect((await vh(['create', 'blob', '--value-file', file])).code).toBe(0);
    const got = await vh(['get', 'blob']);
    expect(got.stdout.equals(binary)).toBe(true);
    const asJson = JSON.parse((await vh(['get', 'blob', '--json'])).out);
    expect(asJson.encoding).toBe('base64');
    expect(Buffer.from(asJson.value, 'base64').equals(binary)).toBe(true);

    const big = randomBytes(1024 * 1024);
    expect((await vh(['create', 'big', '--value-file', '-'], big)).code).toBe(0);
    expect((await vh(['get', 'big'])).stdout.equals(big)).toBe(true);
  });

  test('an existing name is a conflict (75) and leaves the value alone', async () => {
    expect((await vh(['create', 'dup'], 'first')).code).toBe(0);
    const again = await vh(['create', 'dup'], 'second');
    expect(again.code).toBe(75);
    expect(again.stderr).toMatch(/already exists/);
    expect((await vh(['get', 'dup'])).out).toBe('first');
  });

  test('revoking one old version keeps the current one readable', async () => {
    expect((await vh(['create', 'multi'], 'v1')).code).toBe(0);
    const current = await vh(['revoke', 'multi', '--at', '1', '--yes']);
    expect(current.code).toBe(64);
    expect(current.stderr).toMatch(/current version/);
    const forced = await vh(['revoke', 'multi', '--at', '1', '--yes', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.out).whole_secret).toBe(false);
    expect((await vh(['get', 'multi'])).code).toBe(66);
  });
});

describe('bad input', () => {
  test('unknown command and flag: 64 with a suggestion, no stack trace', async () => {
    const cmd = await vh(['lsit']);
    expect(cmd.code).toBe(64);
    expect(cmd.stderr).toMatch(/unknown command 'lsit'/);
    expect(cmd.stderr).toMatch(/Did you mean .*list/);
    const flag = await vh(['list', '--tpye', 'api_key']);
    expect(flag.code).toBe(64);
    expect(flag.stderr).toMatch(/Did you mean --type/);
    expect(`${cmd.stderr}${flag.stderr}`).not.toMatch(/\n\s+at /);
    const none = await vh([]);
    expect(none.code).toBe(64);
    expect(none.stderr).toMatch(/Usage: vh-secrets/);
  });

  test('malformed refs and unknown stores', async () => {
    for (const ref of ['', 'a//b', '../etc/passwd', 'bad store:x', 'x@', 'name#', 'app/']) {
      const r = await vh(['get', ref]);
      expect({ ref, code: r.code }).toEqual({ ref, code: 64 });
      expect(r.stderr).toMatch(/vh-secrets: error: /);
    }
    const unknown = await vh(['get', 'nowhere:app/db']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/unknown store "nowhere"/);
    expect(unknown.stderr).toMatch(/configured stores: local/);
  });

  test('values never come from argv, empty values are refused', async () => {
    const empty = await vh(['create', 'e'], '');
    expect(empty.code).toBe(65);
    expect(empty.stderr).toMatch(/empty/);
    const extra = await vh(['create', 'e', 'the-value']);
    expect(extra.code).toBe(64);
    const badType = await vh(['create', 'e', '--type', 'passwd'], 'x');
    expect(badType.code).toBe(64);
    expect(badType.stderr).toMatch(/unknown secret type/);
    const badTag = await vh(['create', 'e', '--tag', 'vh-type=x'], 'x');
    expect(badTag.code).toBe(64);
    expect((await vh(['list', '--json'])).out).toContain('"secrets": []');
  });

  test('corrupted store file: clear error naming it, nothing overwritten', async () => {
    expect((await vh(['create', 'keep'], 'value')).code).toBe(0);
    const storeFile = join(home, 'vh', 'store.vhs');
    const original = await fs.readFile(storeFile, 'utf8');
    const envelope = JSON.parse(original);
    const data = Buffer.from(envelope.data, 'base64');
    data[0] = data[0]! ^ 0xff;
    envelope.data = data.toString('base64');
    const tampered = JSON.stringify(envelope);
    await fs.writeFile(storeFile, tampered);
    for (const args of [['get', 'keep'], ['list'], ['create', 'other']]) {
      const r = await vh(args, 'x');
      expect(r.code).toBe(65);
      expect(r.stderr).toContain(storeFile);
      expect(r.stderr).toMatch(/decryption failed/);
    }
    expect(await fs.readFile(storeFile, 'utf8')).toBe(tampered);

    await fs.writeFile(storeFile, 'garbage{');
    const garbage = await vh(['get', 'keep']);
    expect(garbage.code).toBe(65);
    expect(garbage.stderr).toContain(storeFile);
    expect(await fs.readFile(storeFile, 'utf8')).toBe('garbage{');
  });

  test('unreadable or wrong key: clear error, store untouched', async () => {
    expect((await vh(['create', 'k'], 'value')).code).toBe(0);
    const keyFile = join(home, 'vh', 'store.key');
    const storeFile = join(home, 'vh', 'store.vhs');
    const before = await fs.readFile(storeFile);

    await fs.rm(keyFile);
    await fs.mkdir(keyFile);
    const isDir = await vh(['get', 'k']);
    expect(isDir.code).toBe(65);
    expect(isDir.stderr).toContain(keyFile);
    await fs.rmdir(keyFile);

    const missing = await vh(['get', 'k']);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toMatch(/key file .* is missing/);

    await fs.writeFile(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const wrong = await vh(['get', 'k']);
    expect(wrong.code).toBe(65);
    expect(wrong.stderr).toMatch(/wrong key/);
    expect((await fs.readFile(storeFile)).equals(before)).toBe(true);
  });

  test('VH_SECRETS_FILE_KEY: passphrase or raw key instead of a key file', async () => {
    const withKey = { ...env, VH_SECRETS_FILE_KEY: 'correct horse battery staple' };
    expect((await runInProcess(['create', 'p'], { env: withKey, input: 'pv' })).code).toBe(0);
    expect((await runInProcess(['get', 'p'], { env: withKey })).out).toBe('pv');
    await expect(fs.access(join(home, 'vh', 'store.key'))).rejects.toThrow();
    const wrong = await runInProcess(['get', 'p'], { env: { ...env, VH_SECRETS_FILE_KEY: 'a different passphrase!' } });
    expect(wrong.code).toBe(65);
    const short = await runInProcess(['get', 'p'], { env: { ...env, VH_SECRETS_FILE_KEY: 'short' } });
    expect(short.code).toBe(78);
  });

  test('files are private: 0600 files in a 0700 home', async () => {
    expect((await vh(['create', 'm'], 'value')).code).toBe(0);
    const dir = join(home, 'vh');
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    for (const f of await fs.readdir(dir)) {
      const st = await fs.stat(join(dir, f));
      if (st.isFile()) expect({ f, mode: st.mode & 0o777 }).toEqual({ f, mode: 0o600 });
    }
  });
});

describe('concurrency', () => {
  test('8 processes create the same ref: exactly one wins, the rest get a clear conflict', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => vh(['create', 'race/one'], `value-${i}`)));
    const winners = results.filter((r) => r.code === 0);
    const losers = results.filter((r) => r.code !== 0);
    expect(winners).toHaveLength(1);
    for (const l of losers) {
      expect(l.code).toBe(75);
      expect(l.stderr).toMatch(/already exists/);
    }
    const value = (await vh(['get', 'race/one'])).out;
    expect(value).toMatch(/^value-[0-7]$/);
    const desc = JSON.parse((await vh(['describe', 'race/one', '--json'])).out);
    expect(desc.versions).toHaveLength(1);
  });

  test('8 processes create different refs at once: all land, store intact', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => vh(['create', `many/${i}`], `v${i}`)));
    expect(results.map((r) => r.code)).toEqual(Array(8).fill(0));
    const listed = JSON.parse((await vh(['list', '--json'])).out);
    expect(listed.secrets.map((s: { name: string }) => s.name).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `many/${i}`));
    for (let i = 0; i < 8; i++) expect((await vh(['get', `many/${i}`])).out).toBe(`v${i}`);
  });
});
