import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { runInProcess, tempHome, type RunResult } from '../helpers/cli.js';
import { ADMIN_PASSWORD, ADMIN_USER, HOST, PG_PORT, credential, dbName, password, pgAdmin, pgLogin, skipPg, targetEnv } from '../helpers/databases.js';
import { LeakLedger } from '../leak/canary.js';
import { storesUnderTest, type StoreUnderTest } from '../helpers/stores.js';

/**
 * From a leak to a rotated secret, end to end on the embedded store, OpenBao and moto: `index`, a managed value
 * planted in a git repository's history (and gone from its working tree) and in a working-tree file, a value one
 * character off that must not match, `scan --managed` naming the secrets, and `--rotate-leaked` rotating the
 * current ones as an emergency, revoking a leaked earlier version, and writing one incident to the audit log.
 */

interface JsonFinding {
  rule_id: string;
  file: string;
  line: number;
  fingerprint: string;
  commit?: string;
  managed?: { ref: string; version: string; current: boolean };
}

const token = (label: string) => `${label}${randomBytes(18).toString('base64url')}`;

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.email=dev@example.com', '-c', 'user.name=dev', '-c', 'commit.gpgsign=false', ...args], { cwd, stdio: 'ignore' });
}

let shared: string;
let stores: StoreUnderTest[];
beforeAll(async () => {
  shared = tempHome('vh-leaked-shared-');
  stores = (await storesUnderTest(shared)).filter((s) => ['file', 'vault', 'aws'].includes(s.provider));
});
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

describe.each(['file', 'vault', 'aws'])('leak to rotation on %s', (provider) => {
  let home: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  let store: StoreUnderTest;
  const ns = `leak-${randomBytes(4).toString('hex')}`;
  const vh = (args: string[], input?: string, cwd?: string): Promise<RunResult> => runInProcess(args, { env, ...(input !== undefined ? { input } : {}), ...(cwd ? { cwd } : {}), timeoutMs: 120_000 });
  const current = async (name: string) => JSON.parse((await vh(['describe', `${store.alias}:${name}`, '--json'])).out) as { current_version: string; versions: { version: string; state: string }[] };
  const scanJson = async (args: string[]): Promise<{ code: number | null; findings: JsonFinding[]; stderr: string }> => {
    const r = await vh(['scan', ...args, '--managed', '--format', 'json']);
    return { code: r.code, findings: (JSON.parse(r.out) as { findings: JsonFinding[] }).findings, stderr: r.stderr };
  };

  const dbPassword = token('Pw');
  const apiValue = token('Api');
  const nearMiss = `${dbPassword.slice(0, -1)}${dbPassword.endsWith('x') ? 'y' : 'x'}`;

  beforeAll(async () => {
    store = stores.find((s) => s.provider === provider)!;
    if (store.skip) return;
    home = tempHome('vh-leaked-');
    repo = join(home, 'repo');
    env = await store.env(home);
    expect((await vh(['create', `${ns}/db`, '--type', 'database_password'], JSON.stringify({ username: 'application_service_user', password: dbPassword }))).code).toBe(0);
    expect((await vh(['create', `${ns}/jwt`, '--type', 'jwt_secret'], apiValue)).code).toBe(0);
    // The stores are shared with the rest of the suite: this test's index holds its own part of them.
    const indexed = await vh(['index', '--store', store.alias, '--prefix', `${ns}/`]);
    expect(indexed.stderr).toMatch(/indexed \d+ values? of \d+ secrets?/);
    expect(indexed.code).toBe(0);

    await fs.mkdir(repo, { recursive: true });
    git(repo, 'init', '-q');
    // History only: committed, then removed from the working tree.
    await fs.writeFile(join(repo, 'settings.py'), `DATABASES = {"default": {"USER": "application_service_user", "PASSWORD": "${dbPassword}"}}\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'add settings');
    await fs.writeFile(join(repo, 'settings.py'), 'DATABASES = {"default": {"PASSWORD": os.environ["DB_PASSWORD"]}}\n');
    // The working tree: the JWT secret in a file no rule would flag, and the near miss beside it.
    await fs.writeFile(join(repo, 'notes.txt'), `signing ${apiValue}\nold: ${nearMiss}\nuser application_service_user\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'fix settings, add notes');
  });

  test('scan --managed names the managed secret of each leaked value, in history and in the tree; a near miss and a user name are not findings', async () => {
    if (store.skip) return console.warn(`skipped: ${store.skip}`);
    const history = await scanJson([repo, '--git']);
    expect(history.code).toBe(0);
    const managed = history.findings.filter((f) => f.managed);
    expect(managed.map((f) => [f.file, f.managed!.ref, f.managed!.current])).toEqual(
      expect.arrayContaining([
        ['settings.py', `${store.alias}:${ns}/db#password`, true],
        ['notes.txt', `${store.alias}:${ns}/jwt`, true],
      ]),
    );
    expect(history.findings.every((f) => f.managed)).toBe(true);
    expect(history.findings.some((f) => f.file === 'notes.txt' && f.line === 2)).toBe(false);

    const tree = await scanJson([repo]);
    expect(tree.findings.map((f) => [f.file, f.line, f.rule_id, f.managed?.ref])).toEqual([[join(repo, 'notes.txt'), 1, 'managed-secret', `${store.alias}:${ns}/jwt`]]);
    expect(tree.stderr).toMatch(/matched against \d+ fingerprints of \d+ managed secrets; index built/);
    expect(tree.stderr).not.toMatch(/stale/);

    // SARIF carries the same in each result's properties.
    const sarif = JSON.parse((await vh(['scan', repo, '--managed', '--format', 'sarif'])).out) as { runs: { results: { ruleId: string; properties?: { managed?: { ref: string; current: boolean } } }[] }[] };
    expect(sarif.runs[0]!.results.map((r) => r.properties?.managed)).toEqual([{ ref: `${store.alias}:${ns}/jwt`, version: expect.any(String), current: true }]);
  });

  test('--rotate-leaked: --dry-run changes nothing, no --yes off a terminal changes nothing, --yes rotates each leaked secret as one incident', async () => {
    if (store.skip) return console.warn(`skipped: ${store.skip}`);
    const before = { db: await current(`${ns}/db`), jwt: await current(`${ns}/jwt`) };

    const dry = await vh(['scan', repo, '--git', '--managed', '--rotate-leaked', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`${store.alias}:${ns}/db: would act: current version ${before.db.current_version} leaked: would rotate now`);
    const refused = await vh(['scan', repo, '--git', '--managed', '--rotate-leaked']);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toMatch(/needs confirmation/);
    expect((await current(`${ns}/db`)).current_version).toBe(before.db.current_version);
    expect((await current(`${ns}/jwt`)).current_version).toBe(before.jwt.current_version);

    const done = await vh(['scan', repo, '--git', '--managed', '--rotate-leaked', '--yes']);
    expect(done.stderr).toMatch(/incident inc-\S+ contained/);
    expect(done.code).toBe(0);
    for (const [name, was] of [[`${ns}/db`, before.db], [`${ns}/jwt`, before.jwt]] as const) {
      const now = await current(name);
      expect(now.current_version).not.toBe(was.current_version);
      // Emergency: the leaked version stopped working at once.
      expect(now.versions.find((v) => v.version === was.current_version)?.state).not.toBe('enabled');
    }
    // The password field rotated; the rest of the credential object stayed.
    const db = JSON.parse((await vh(['get', `${store.alias}:${ns}/db`])).out) as { username: string; password: string };
    expect(db.username).toBe('application_service_user');
    expect(db.password).not.toBe(dbPassword);

    // One incident event links the findings (fingerprints) and the rotations.
    const log = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { event: string; success: boolean; details: Record<string, string> });
    const incidents = log.filter((e) => e.event === 'incident');
    expect(incidents).toHaveLength(1);
    const [incident] = incidents;
    expect(incident!.success).toBe(true);
    expect(incident!.details.outcome).toBe('contained');
    expect(incident!.details.secrets.split(',').sort()).toEqual([`${store.alias}:${ns}/db`, `${store.alias}:${ns}/jwt`].sort());
    const history = await scanJson([repo, '--git']);
    for (const f of history.findings) expect(incident!.details.findings.split(',')).toContain(f.fingerprint);
    const started = log.filter((e) => e.event === 'rotation_started' && String(e.details.reason).includes(incident!.details.incident_id!));
    expect(started).toHaveLength(2);
    for (const s of started) expect(incident!.details.actions).toContain(s.details.rotation_id);
    expect(started.map((s) => s.details.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/^leaked: settings\.py:1@[0-9a-f]{12} \(\S+\); incident /)]));

    // The index heard of the rotations: the same history now shows earlier values, and says so.
    expect(history.findings.filter((f) => f.managed).every((f) => f.managed!.current === false)).toBe(true);
    expect(history.stderr).not.toMatch(/stale/);

    // audit report lists the incident.
    const report = JSON.parse((await vh(['audit', '--json'])).out) as { incidents: { total: number; recent: { id: string; outcome: string; findings: number }[] } };
    expect(report.incidents.total).toBe(1);
    expect(report.incidents.recent[0]).toMatchObject({ id: incident!.details.incident_id, outcome: 'contained', findings: history.findings.length });
  });

  test('a leaked earlier version still in its grace period is revoked; the current one is left alone', async () => {
    if (store.skip) return console.warn(`skipped: ${store.skip}`);
    const name = `${ns}/grace`;
    const first = token('Gr');
    expect((await vh(['create', name, '--type', 'database_password'], first)).code).toBe(0);
    expect((await vh(['rotate', `${store.alias}:${name}`, '--yes'])).code).toBe(0);
    const after = await current(name);
    const firstVersion = after.versions.find((v) => v.version !== after.current_version && v.state === 'enabled')!.version;
    const dir = join(home, 'grace');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(join(dir, 'leak.txt'), `${first}\n`);
    const r = await vh(['scan', dir, '--managed', '--rotate-leaked', '--yes']);
    expect(r.stderr).toContain(`${store.alias}:${name}: revoked: revoked earlier version ${firstVersion}`);
    expect(r.code).toBe(0);
    const now = await current(name);
    expect(now.current_version).toBe(after.current_version);
    expect(now.versions.find((v) => v.version === firstVersion)?.state).not.toBe('enabled');
  });

  test('an index that missed a rotation made elsewhere is said to be stale', async () => {
    if (store.skip) return console.warn(`skipped: ${store.skip}`);
    // Another host (a home with no index) rotates a secret; this host's index does not hear of it.
    const elsewhere = await store.env(tempHome('vh-leaked-elsewhere-'));
    expect((await runInProcess(['rotate', `${store.alias}:${ns}/jwt`, '--yes'], { env: elsewhere, timeoutMs: 120_000 })).code).toBe(0);
    const r = await vh(['scan', join(repo, 'notes.txt'), '--managed']);
    expect(r.stderr).toMatch(new RegExp(`warning: the index is stale: 1 secret has a newer current version \\(${store.alias}:${ns}/jwt\\)`));
  });
});

test('scan --managed with no index says how to build one (exit 78)', async () => {
  const home = tempHome('vh-leaked-noindex-');
  try {
    const env = (await storesUnderTest(home)).find((s) => s.provider === 'file')!.env(home);
    const r = await runInProcess(['scan', home, '--managed'], { env: await env });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/no index of managed values.*\n\s+hint: build it with `vh-secrets index`/);
    const bad = await runInProcess(['scan', home, '--dry-run'], { env: await env });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--dry-run applies to --rotate-leaked/);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('a leaked database password: --rotate-leaked changes it at the database, the leaked one stops working at once', async () => {
  const skip = await skipPg();
  if (skip) return console.warn(`skipped: ${skip}`);
  const home = tempHome('vh-leaked-pg-');
  const ledger = new LeakLedger();
  try {
    const user = dbName('vh_leak');
    const pass = ledger.add(password());
    await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${pass}'`);
    // [scan] managed = true: the config turns the managed match on without the flag.
    const env = await targetEnv(home, `[scan]\nmanaged = true\n\n[targets.pg]\nkind = "postgres"\nhost = "${HOST}"\nport = ${PG_PORT}\nadmin = "local:admin/pg"\n`);
    const vh = (args: string[], input?: string) => runInProcess(args, { env, ...(input !== undefined ? { input } : {}), timeoutMs: 120_000 }).then((r) => ledger.record(args.join(' '), r, args[0] === 'get'));
    ledger.add(ADMIN_PASSWORD);
    expect((await vh(['create', 'local:admin/pg', '--type', 'database_password'], credential(ADMIN_USER, ADMIN_PASSWORD))).code).toBe(0);
    expect((await vh(['create', `db/${user}`, '--type', 'database_password', '--target', 'pg'], credential(user, pass))).code).toBe(0);
    expect((await vh(['index'])).code).toBe(0);
    const dir = join(home, 'leak');
    await fs.mkdir(dir);
    await fs.writeFile(join(dir, '.env'), `DATABASE_URL=postgres://${user}:${pass}@db:5432/app\n`);

    const found = JSON.parse((await vh(['scan', dir, '--format', 'json'])).out) as { findings: JsonFinding[] };
    expect(found.findings.map((f) => f.managed)).toEqual([{ ref: `local:db/${user}#password`, version: '1', current: true }]);
    const r = await vh(['scan', dir, '--rotate-leaked', '--yes']);
    expect(r.stderr).toContain(`local:db/${user}: rotated: rotated 1 → 2; revoked 1`);
    expect(r.code).toBe(0);
    expect(await pgLogin(user, pass)).toBe(false);
    const now = JSON.parse((await vh(['get', `db/${user}`])).out) as { username: string; password: string };
    ledger.add(now.password);
    expect(now.username).toBe(user);
    expect(await pgLogin(user, now.password)).toBe(true);
    await ledger.recordFiles(join(home, 'vh'), () => false);
    expect(ledger.leaks()).toEqual([]);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('[scan] managed must be true or false', async () => {
  const home = tempHome('vh-leaked-cfg-');
  try {
    const env = await targetEnv(home, '[scan]\nmanaged = "yes"\n');
    const r = await runInProcess(['scan', home], { env });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/scan\.managed must be true or false/);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});
