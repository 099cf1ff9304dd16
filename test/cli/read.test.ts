import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { runInProcess, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';

/**
 * Reading and listing the way scripts need: `get --field`, `get --format raw|json|env|dotenv|yaml`,
 * `list --prefix` and `list GLOB` — on the file store, OpenBao and moto.
 */

const shared = tempHome('vh-read-');
const stores = (await storesUnderTest(shared)).filter((s) => ['file', 'vault', 'aws'].includes(s.provider));
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`${s.provider}: reading for scripts`, () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    const vh = (args: string[], input?: string) => runInProcess(args, { env, ...(input !== undefined ? { input } : {}) });
    const base = `vh-test/read-${randomBytes(5).toString('hex')}`;
    // A value with every character the formats must escape.
    const tricky = `it's "quoted" $HOME \\ back\nsecond line`;
    const credential = { username: 'svc', password: tricky, port: 5432 };

    beforeAll(async () => {
      home = tempHome('vh-read-home-');
      env = await s.env(home);
      expect((await vh(['create', `${base}/app/db-login`], JSON.stringify(credential))).code).toBe(0);
      expect((await vh(['create', `${base}/app/api-key`, '--type', 'api_key'], 'plain-key-1')).code).toBe(0);
      expect((await vh(['create', `${base}/other/x`], 'x')).code).toBe(0);
    });
    afterAll(async () => {
      await fs.rm(home, { recursive: true, force: true });
    });

    test('get --field reads one key; given twice, or missing, it says so', async () => {
      expect((await vh(['get', `${base}/app/db-login`, '--field', 'username'])).out).toBe('svc');
      expect((await vh(['get', `${base}/app/db-login`, '--field', 'password'])).out).toBe(tricky);
      const twice = await vh(['get', `${base}/app/db-login#username`, '--field', 'password']);
      expect(twice.code).toBe(64);
      const missing = await vh(['get', `${base}/app/db-login`, '--field', 'nope']);
      expect(missing.code).toBe(66);
      expect(missing.stdout.length).toBe(0);
    });

    test('--format env, dotenv and yaml round-trip through the shell, a dotenv reader and a YAML/JSON reader', async () => {
      const envOut = (await vh(['get', `${base}/app/db-login`, '--format', 'env'])).out;
      // The shell gives back exactly the value.
      const sh = spawnSync('bash', ['-c', `${envOut}\nprintf '%s' "$PASSWORD"`], { encoding: 'utf8' });
      expect(sh.stdout).toBe(tricky);
      expect(envOut).toMatch(/^export USERNAME='svc'$/m);
      expect(envOut).toMatch(/^export PORT='5432'$/m);

      const dotenv = (await vh(['get', `${base}/app/db-login`, '--format', 'dotenv'])).out;
      expect(dotenv.split('\n').filter(Boolean)).toHaveLength(3);
      const line = dotenv.split('\n').find((l) => l.startsWith('PASSWORD='))!;
      // A double-quoted dotenv value is a JSON string with $ escaped.
      expect(JSON.parse(line.slice('PASSWORD='.length).replace(/\\\$/g, '$'))).toBe(tricky);

      const yaml = (await vh(['get', `${base}/app/db-login`, '--format', 'yaml'])).out;
      const pairs = Object.fromEntries(yaml.trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), JSON.parse(l.slice(l.indexOf(':') + 2)) as string]));
      expect(pairs).toEqual({ USERNAME: 'svc', PASSWORD: tricky, PORT: '5432' });

      // A plain value: one line named after the secret.
      expect((await vh(['get', `${base}/app/api-key`, '--format', 'env'])).out).toBe("export API_KEY='plain-key-1'\n");
      expect(JSON.parse((await vh(['get', `${base}/app/api-key`, '--format', 'json'])).out)).toMatchObject({ value: 'plain-key-1', encoding: 'utf8' });
      expect((await vh(['get', `${base}/app/api-key`, '--format', 'toml'])).code).toBe(64);
    });

    test('export --prefix: a .env file, export lines or JSON of every current value under it, each read audited', async () => {
      const dotenv = await vh(['export', '--store', s.alias, '--prefix', `${base}/app/`]);
      expect(dotenv.code).toBe(0);
      const lines = dotenv.out.trim().split('\n');
      expect(lines.map((l) => l.slice(0, l.indexOf('=')))).toEqual(['API_KEY', 'DB_LOGIN']);
      expect(JSON.parse(lines[0]!.slice('API_KEY='.length))).toBe('plain-key-1');
      const sh = spawnSync('bash', ['-c', `${(await vh(['export', '--store', s.alias, '--prefix', `${base}/app/`, '--format', 'env'])).out}\nprintf '%s' "$DB_LOGIN"`], { encoding: 'utf8' });
      expect(JSON.parse(sh.stdout)).toEqual(credential);
      const json = JSON.parse((await vh(['export', '--store', s.alias, '--prefix', `${base}/`, '--json'])).out) as Record<string, string>;
      expect(Object.keys(json).sort()).toEqual(['APP_API_KEY', 'APP_DB_LOGIN', 'OTHER_X']);
      const log = await fs.readFile(`${home}/vh/audit.log`, 'utf8');
      const accessed = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; secret: string }).filter((e) => e.event === 'accessed' && e.secret.includes(`${base}/other/x`));
      expect(accessed.length).toBeGreaterThanOrEqual(1);
    });

    test('list --prefix and list GLOB', async () => {
      const names = async (args: string[]) => ((JSON.parse((await vh(['list', ...args, '--json'])).out) as { secrets: { name: string }[] }).secrets.map((x) => x.name)).sort();
      expect(await names(['--prefix', `${base}/app/`])).toEqual([`${base}/app/api-key`, `${base}/app/db-login`]);
      expect(await names([`${base}/*/x`])).toEqual([`${base}/other/x`]);
      expect(await names([`${base}/**`])).toHaveLength(3);
      expect(await names([`${s.alias}:${base}/app/*-key`])).toEqual([`${base}/app/api-key`]);
      expect(await names([`nostore:${base}/**`])).toEqual([]);
    });
  });
}
