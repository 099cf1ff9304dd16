import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { frozenListener, type Frozen } from '../helpers/frozen.js';

/**
 * Every store and target request has a deadline (`timeout_ms`, else `--timeout` / VH_SECRETS_TIMEOUT): against a store whose
 * port accepts connections and never answers (a SIGSTOPped server, a black-holed proxy), a command ends by itself
 * with exit 69 and one line naming the store, the call and the deadline — on every provider. Found from outside:
 * node-vault applies its `requestOptions.timeout` only to its own verbs, and the AWS SDK only warns when its
 * `requestTimeout` passes unless told to throw; on both, `get` against a frozen store waited forever.
 * The same for the rotation targets (`connect_timeout_ms`): ioredis' connectTimeout ended at the TCP connect, so a
 * Redis that accepted and never answered held `rotate` for ever at AUTH.
 * The frozen store or target is this test's own listener, never the shared peers.
 */

/** The status of each rotation journal in the home. */
async function journalStatuses(home: string): Promise<string[]> {
  const dir = join(home, 'vh', 'journal');
  const files = await fs.readdir(dir).catch(() => [] as string[]);
  return Promise.all(files.map(async (f) => (JSON.parse(await fs.readFile(join(dir, f), 'utf8')) as { status: string }).status));
}

const PROVIDERS: { provider: string; config: (port: number) => string; env: NodeJS.ProcessEnv }[] = [
  { provider: 'vault', config: (port) => `provider = "vault"\naddress = "http://127.0.0.1:${port}"\n`, env: { VAULT_TOKEN: 'x' } },
  { provider: 'aws', config: (port) => `provider = "aws"\nregion = "us-east-1"\nendpoint = "http://127.0.0.1:${port}"\n`, env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } },
  { provider: 'gcp', config: (port) => `provider = "gcp"\nproject = "p"\nendpoint = "127.0.0.1:${port}"\ninsecure = true\n`, env: {} },
  // https to a port that never answers: the TLS handshake itself never completes.
  { provider: 'azure', config: (port) => `provider = "azure"\nvault_url = "https://127.0.0.1:${port}"\n`, env: {} },
];

const TARGETS: { kind: string; extra: string; admin?: string }[] = [
  { kind: 'postgres', extra: '' },
  { kind: 'mysql', extra: 'admin = "local:admin/db"\n', admin: 'root' },
  { kind: 'redis', extra: 'admin = "local:admin/db#password"\nadmin_user = "default"\n', admin: 'default' },
];

describe('a peer that accepts connections and never answers: every command ends with its deadline', () => {
  let frozen: Frozen;
  let home: string;
  beforeEach(async () => {
    frozen = await frozenListener();
    home = tempHome('vh-frozen-');
  });
  afterEach(async () => {
    await frozen.close();
    await fs.rm(home, { recursive: true, force: true });
  });

  test.each(PROVIDERS)('$provider: get, list and rotate end with exit 69 and "no answer within"', async ({ provider, config, env }) => {
    const path = join(home, 'config.toml');
    await fs.writeFile(path, `default_store = "s"\n[stores.s]\n${config(frozen.port)}`);
    // Two attempts per read: each is bounded by the deadline, so the command is too.
    const e = baseEnv(home, { VH_SECRETS_CONFIG: path, VH_SECRETS_RETRIES: '2', ...env });
    const cases: [string[], NodeJS.ProcessEnv][] = [
      [['get', 's:app/db', '--timeout', '1s'], e],
      [['list'], { ...e, VH_SECRETS_TIMEOUT: '1s' }],
      [['rotate', 's:app/db', '--yes', '--force', '--timeout', '1s'], e],
    ];
    for (const [args, withEnv] of cases) {
      const before = frozen.connections();
      // The guard kills a process that hangs; the assertion on `signal` then says so.
      const r = await run(args, { env: withEnv, timeoutMs: 90_000 });
      const what = `${provider} ${args[0]}`;
      expect({ what, signal: r.signal, code: r.code }).toEqual({ what, signal: null, code: 69 });
      expect(frozen.connections()).toBeGreaterThan(before);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^vh-secrets: error: (store s: )?${provider} \\S+.*: no answer within 1s$`));
      expect(lines[1]).toMatch(/^ {2}hint: check that the store is up and not overloaded/);
      expect(r.out).toBe('');
    }
    // A rotation that never reached the store left nothing to resume.
    expect(await journalStatuses(home)).toEqual([]);
  });

  test.each(TARGETS)('target $kind: rotate ends with exit 69, rolled back, the old value current and nothing to resume', async ({ kind, extra, admin }) => {
    const path = join(home, 'config.toml');
    await fs.writeFile(path, `[targets.t]\nkind = "${kind}"\nhost = "127.0.0.1"\nport = ${frozen.port}\nconnect_timeout_ms = 1000\n${extra}`);
    const e = baseEnv(home, { VH_SECRETS_CONFIG: path });
    const value = JSON.stringify({ username: 'app', password: 'p'.repeat(24) });
    expect((await run(['create', 'app/db', '--type', 'database_password', '--target', 't'], { env: e, input: value })).code).toBe(0);
    if (admin) expect((await run(['create', 'admin/db', '--type', 'database_password'], { env: e, input: JSON.stringify({ username: admin, password: 'a'.repeat(24) }) })).code).toBe(0);

    const r = await run(['rotate', 'app/db', '--yes'], { env: e, timeoutMs: 90_000 });
    expect({ kind, signal: r.signal, code: r.code }).toEqual({ kind, signal: null, code: 69 });
    expect(frozen.connections()).toBeGreaterThan(0);
    expect(r.stderr).toMatch(new RegExp(`^vh-secrets: error: rotation of local:app/db failed in phase \\w+: target t \\(${kind} 127\\.0\\.0\\.1:${frozen.port}\\S* as \\w+\\): .+$`, 'm'));
    expect(r.stderr).toMatch(/rolled back: version 1 stays current/);
    const got = await run(['get', 'app/db'], { env: e });
    expect(got.out).toBe(value);
    // Its journal records the rollback; nothing is left in progress.
    expect(await journalStatuses(home)).toEqual(['rolled_back']);
  });
});
