import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { FileAuditSink } from '../../src/audit/file-sink.js';
import type { AuditEvent } from '../../src/audit/event.js';
import { baseEnv, run, tempHome } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = tempHome('vh-audit-report-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const VALUE = 'canary-value-7f3a9c1e-never-in-a-report';

/** Real events through the real CLI, as two actors. */
async function activity(): Promise<NodeJS.ProcessEnv> {
  const alice = baseEnv(dir, { VH_SECRETS_ACTOR: 'alice' });
  const bob = baseEnv(dir, { VH_SECRETS_ACTOR: 'bob', SSH_CONNECTION: '203.0.113.9 5555 10.0.0.1 22' });
  expect((await run(['create', 'app/db', '--type', 'database_password'], { env: alice, input: VALUE })).code).toBe(0);
  expect((await run(['create', 'app/api', '--type', 'api_key', '--generate'], { env: alice })).code).toBe(0);
  for (let i = 0; i < 3; i++) expect((await run(['get', 'app/db'], { env: alice })).code).toBe(0);
  expect((await run(['get', 'app/missing'], { env: bob })).code).toBe(66);
  expect((await run(['list'], { env: bob })).code).toBe(0);
  expect((await run(['revoke', 'app/api', '--yes'], { env: bob })).code).toBe(0);
  return alice;
}

describe('vh-secrets audit (report)', () => {
  test('the seed command works as written: audit --hours 24 --output audit-report.json', async () => {
    const env = await activity();
    const r = await run(['audit', '--hours', '24', '--output', 'audit-report.json'], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/report written to audit-report\.json/);
    const file = join(dir, 'audit-report.json');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const rep = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(rep.schema).toBe('vh-secrets.audit-report/1');
    expect(Date.parse(rep.period.until) - Date.parse(rep.period.since)).toBe(24 * 3_600_000);
    // Each create is two events: created, then activated.
    expect(rep.totals).toMatchObject({ events: 10, success: 9, failure: 1, before_period: 0 });
    const by = (b: { top: { key: string; total: number; failure: number }[] }) => Object.fromEntries(b.top.map((x) => [x.key, [x.total, x.failure]]));
    expect(by(rep.by_event)).toEqual({ created: [2, 0], activated: [2, 0], accessed: [4, 1], listed: [1, 0], revoked: [1, 0] });
    expect(by(rep.by_actor)).toEqual({ alice: [7, 0], bob: [3, 1] });
    expect(by(rep.by_secret)).toEqual({ 'local:app/db': [5, 0], 'local:app/api': [3, 0], 'local:app/missing': [1, 1] });
    expect(by(rep.by_store)).toEqual({ local: [10, 1] });
    expect(rep.failures.recent).toEqual([expect.objectContaining({ actor: 'bob', event: 'accessed', error_code: 'NOT_FOUND', secret: 'local:app/missing', line: 8 })]);
    // bob revoked for the first time: privileged and outside his own baseline.
    const priv = rep.anomalies.find((a: { kind: string }) => a.kind === 'PRIVILEGE_ESCALATION');
    expect(priv).toMatchObject({ actor: 'bob', secret: 'local:app/api', severity: 'high', count: 1 });
    expect(priv.evidence.events[0]).toMatchObject({ line: 10, action: 'revoked', file: join(dir, 'vh', 'audit.log') });
    // The human summary went to stdout.
    expect(r.out).toMatch(/Audit report/);
    expect(r.out).toMatch(/event\s+accessed\s+4\s+3\s+1/);
    expect(r.out).toMatch(/PRIVILEGE_ESCALATION\s+actor bob, secret local:app\/api/);
    // No secret value anywhere: not in the file, not on stdout.
    expect(await fs.readFile(file, 'utf8')).not.toContain(VALUE);
    expect(r.out).not.toContain(VALUE);
  });

  test('--json prints the report; --since/--until select the period and earlier events become baseline', async () => {
    const log = join(dir, 'audit.log');
    const sink = new FileAuditSink(log);
    const base: Omit<AuditEvent, 'ts' | 'id' | 'prev' | 'hash'> = { event: 'accessed', secret: 'local:a', secret_type: null, store: 'local', success: true, error_code: null, details: {}, actor: 'carol', actor_type: 'user', source_ip: null, host: 'h' };
    for (let d = 1; d <= 5; d++) await sink.append({ ...base, ts: `2026-01-0${d}T12:00:00.000Z`, id: `d${d}` });
    const r = await run(['audit', '--log', log, '--since', '2026-01-03', '--until', '2026-01-04T23:59:59Z', '--json'], { env: baseEnv(dir) });
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.period).toEqual({ since: '2026-01-03T00:00:00.000Z', until: '2026-01-04T23:59:59.000Z' });
    expect(rep.totals).toMatchObject({ events: 2, before_period: 2, after_period: 1 });
    expect(rep.by_actor.top[0].last_seen).toBe('2026-01-04T12:00:00.000Z');
  });

  test('time options: relative times, conflicts and nonsense are usage errors (64)', async () => {
    const env = baseEnv(dir);
    const ok = await run(['audit', '--since', '7d', '--json'], { env });
    expect(ok.code).toBe(0);
    const rep = JSON.parse(ok.out);
    expect(Date.parse(rep.period.until) - Date.parse(rep.period.since)).toBe(7 * 86_400_000);
    expect(rep.notes.join(' ')).toMatch(/no audit log at .* yet/);
    for (const args of [['--hours', '2', '--since', '1h'], ['--hours', '-3'], ['--since', 'yesterday'], ['--since', '1h', '--until', '2h'], ['frobnicate']]) {
      const r = await run(['audit', ...args], { env });
      expect([args, r.code]).toEqual([args, 64]);
    }
  });

  test('--output to an unwritable place exits 73 and writes nothing', async () => {
    const r = await run(['audit', '--output', join(dir, 'no', 'such', 'dir', 'r.json')], { env: baseEnv(dir) });
    expect(r.code).toBe(73);
    expect(r.stderr).toMatch(/cannot write --output/);
    expect(r.out).toBe('');
  });

  test('--fail-on-anomalies exits 1 when an anomaly at or above the severity is found', async () => {
    const env = await activity();
    expect((await run(['audit'], { env })).code).toBe(0);
    expect((await run(['audit', '--fail-on-anomalies'], { env })).code).toBe(1);
    expect((await run(['audit', '--fail-on-anomalies', 'high'], { env })).code).toBe(1);
    const clean = baseEnv(join(dir, 'clean'));
    expect((await run(['audit', '--fail-on-anomalies'], { env: clean })).code).toBe(0);
    expect((await run(['audit', '--fail-on-anomalies', 'severe'], { env })).code).toBe(64);
  });
});

describe('vh-secrets audit verify', () => {
  test('0 and a summary for an intact chain; 1 and the first broken line for an edited log', async () => {
    const env = await activity();
    const ok = await run(['audit', 'verify'], { env });
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/intact: .*audit\.log: 10 events, hash chain unbroken/);
    const json = await run(['audit', 'verify', '--json'], { env });
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, events: 10, broken: null });

    const log = join(dir, 'vh', 'audit.log');
    const lines = (await fs.readFile(log, 'utf8')).split('\n');
    lines[4] = lines[4]!.replace('"actor":"alice"', '"actor":"mallory"');
    await fs.writeFile(log, lines.join('\n'));
    const broken = await run(['audit', 'verify'], { env });
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/BROKEN: .*audit\.log line 5: modified — /);
    const brokenJson = await run(['audit', 'verify', '--json'], { env });
    expect(brokenJson.code).toBe(1);
    expect(JSON.parse(brokenJson.out)).toMatchObject({ ok: false, events: 4, broken: { line: 5, kind: 'modified' } });
    expect((await run(['audit', 'verify', '--log', join(dir, 'none.log')], { env })).code).toBe(66);
  });
});
