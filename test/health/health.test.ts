import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { FileAuditSink } from '../../src/audit/file-sink.js';
import { ROOT, baseEnv, run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';
import { uniqueName } from '../providers/contract.js';
import { lintMetrics, promtool } from './promtool.js';

const shared = tempHome('vh-health-shared-');
const stores = await storesUnderTest(shared);
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
const ahead = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/** `n` failed reads of `secret` at one explicit time, chained onto the local audit log as the CLI writes them. */
async function recordFailedReads(log: string, secret: string, n: number, at: Date): Promise<void> {
  const sink = new FileAuditSink(log);
  for (let i = 0; i < n; i++) {
    await sink.append({
      ts: at.toISOString(),
      id: randomUUID(),
      event: 'accessed',
      secret,
      secret_type: null,
      store: secret.split(':')[0]!,
      success: false,
      error_code: 'NOT_FOUND',
      details: {},
      actor: 'health-test',
      actor_type: 'user',
      source_ip: null,
      host: hostname(),
    });
  }
}

interface Health {
  status: string;
  stores: { store: string; status: string; reachable: boolean }[];
  secrets: { secret: string; status: string; checks: { check: string; status: string; message: string }[] }[];
}

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`health on ${s.provider}`, () => {
    test('statuses from metadata age and expiry, stuck and failed rotations; Nagios exit codes; valid metrics', async () => {
      const home = tempHome('vh-health-');
      const env = await s.env(home);
      const store = await s.open();
      const tag = `h${Date.now().toString(36)}`;
      const make = async (label: string, extra: string[] = []) => {
        const name = uniqueName(`health-${label}`);
        expect((await run(['create', name, '--type', 'api_key', '--generate', '--tag', `run=${tag}`, ...extra], { env })).code).toBe(0);
        return name;
      };
      try {
        const fresh = await make('fresh');
        const dueSoon = await make('due-soon');
        await store.setMetadata(dueSoon, { 'vh-rotated-at': ago(85) });
        const overdue = await make('overdue');
        await store.setMetadata(overdue, { 'vh-rotated-at': ago(95) });
        const wayOverdue = await make('way-overdue');
        await store.setMetadata(wayOverdue, { 'vh-rotated-at': ago(200) });
        const expiring = await make('expiring');
        await store.setMetadata(expiring, { 'vh-expires-at': ahead(3) });
        const expired = await make('expired');
        await store.setMetadata(expired, { 'vh-expires-at': ago(1) });
        const failed = await make('failed');
        await store.setMetadata(failed, { 'vh-rotation-failed-at': ahead(0) });
        const stuck = await make('stuck');
        await store.setMetadata(stuck, { 'vh-rotation': `rot-old ${(await store.describe(stuck)).currentVersion} ${ago(2)} some-host` });

        for (let i = 0; i < 2; i++) expect((await run(['get', fresh], { env })).code).toBe(0);
        // Six failed reads stamped with one instant (not six CLI runs, which a busy machine can spread across a
        // detector window boundary): one FAILED_ATTEMPTS anomaly for the access-anomaly metric.
        await recordFailedReads(join(home, 'vh', 'audit.log'), `${s.alias}:${fresh}-missing`, 6, new Date());
        const filter = ['--tag', `run=${tag}`];
        const metricsFile = join(home, 'metrics.prom');
        const r = await run(['health', ...filter, '--json', '--metrics-file', metricsFile, '--metrics-names'], { env });
        expect(r.stderr).toBe('');
        const h = JSON.parse(r.out) as Health;
        const status = (n: string) => h.secrets.find((x) => x.secret === `${s.alias}:${n}`)?.status;
        expect({
          fresh: status(fresh),
          dueSoon: status(dueSoon),
          overdue: status(overdue),
          wayOverdue: status(wayOverdue),
          expiring: status(expiring),
          expired: status(expired),
          failed: status(failed),
          stuck: status(stuck),
        }).toEqual({ fresh: 'OK', dueSoon: 'WARNING', overdue: 'WARNING', wayOverdue: 'CRITICAL', expiring: 'WARNING', expired: 'CRITICAL', failed: 'CRITICAL', stuck: 'CRITICAL' });
        expect(h.status).toBe('CRITICAL');
        expect(r.code).toBe(2);

        const metrics = await fs.readFile(metricsFile, 'utf8');
        expect(metrics).toMatch(new RegExp(`voicehive_secrets_health_status\\{store="${s.alias}",type="api_key"\\} 2`));
        expect(metrics).toMatch(new RegExp(`voicehive_secrets_expiry_warnings_total\\{store="${s.alias}",type="api_key"\\} 2`));
        expect(metrics).toContain(`secret="${s.alias}:${stuck}"`);
        // Reads are audited without a type; the metric takes it from the secret's own metadata.
        expect(metrics).toMatch(new RegExp(`voicehive_secrets_access_total\\{store="${s.alias}",type="api_key"\\} 2`));
        expect(metrics).not.toMatch(/^voicehive_secrets_access_total\{.*type="unknown"/m);
        expect(metrics).toMatch(/^voicehive_secret_access_anomalies_total\{kind="FAILED_ATTEMPTS"\} [1-9]/m);
        expect(metrics).toMatch(/^voicehive_secret_access_anomalies_total\{kind="GEOGRAPHIC_VIOLATION"\} 0$/m);
        // The seed's names for the same counts, by secret with --metrics-names; operation timing from the events.
        expect(metrics).toContain(`secret_retrieval_success_count_total{store="${s.alias}",type="api_key",secret_name="${s.alias}:${fresh}"} 2\n`);
        expect(metrics).toMatch(new RegExp(`^secret_operation_duration_seconds_count\\{operation="get",store="${s.alias}"\\} 2$`, 'm'));
        expect(metrics).toMatch(new RegExp(`^secret_operation_duration_seconds_count\\{operation="create",store="${s.alias}"\\} 8$`, 'm'));
        expect(metrics).toMatch(/^# TYPE voicehive_secrets_expiry_warnings_total gauge$/m);
        if (promtool) expect(lintMetrics(metrics)).toEqual([]);

        // Only the healthy ones: exit 0; only warnings: exit 1.
        const ok = await run(['health', '--tag', `run=${tag}`, '--type', 'api_key', '--json'], { env });
        expect(ok.code).toBe(2);
        await store.setMetadata(wayOverdue, { 'vh-rotated-at': ago(1) });
        await store.setMetadata(expired, { 'vh-expires-at': null });
        await store.setMetadata(failed, { 'vh-rotation-failed-at': null });
        await store.setMetadata(stuck, { 'vh-rotation': null });
        const warn = await run(['health', ...filter], { env });
        expect(warn.code).toBe(1);
        expect(warn.out).toMatch(/^WARNING: 8 secrets — 0 critical, 3 warning, 0 unknown, 5 ok/m);
        await store.setMetadata(dueSoon, { 'vh-rotated-at': ago(1) });
        await store.setMetadata(overdue, { 'vh-rotated-at': ago(1) });
        await store.setMetadata(expiring, { 'vh-expires-at': ahead(300) });
        expect((await run(['health', ...filter], { env })).code).toBe(0);
      } finally {
        await store.close?.();
        await fs.rm(home, { recursive: true, force: true });
      }
    });
  });
}

test('a store that is down is CRITICAL and does not hide the others', async () => {
  const home = tempHome('vh-health-down-');
  const config = join(home, 'c.toml');
  await fs.writeFile(config, `[stores.dead]\nprovider = "vault"\naddress = "http://127.0.0.1:1"\ntoken = "x"\n`);
  const env = { PATH: process.env.PATH, HOME: home, VH_SECRETS_HOME: join(home, 'vh'), VH_SECRETS_CONFIG: config, VH_SECRETS_RETRIES: '1', NO_COLOR: '1' };
  try {
    expect((await run(['create', 'ok/one', '--type', 'api_key', '--generate'], { env })).code).toBe(0);
    const r = await run(['health', '--json'], { env });
    expect(r.code).toBe(2);
    const h = JSON.parse(r.out) as Health;
    expect(h.stores.find((x) => x.store === 'dead')).toMatchObject({ status: 'CRITICAL', reachable: false });
    expect(h.stores.find((x) => x.store === 'local')).toMatchObject({ status: 'OK', reachable: true });
    expect(h.secrets.map((x) => [x.secret, x.status])).toEqual([['local:ok/one', 'OK']]);
    // Bad input: unknown type 64; unwritable metrics file 73 and nothing written; Pushgateway down only warns.
    expect((await run(['health', '--type', 'nope'], { env })).code).toBe(64);
    const unwritable = await run(['health', '--store', 'local', '--metrics-file', join(home, 'missing-dir', 'm.prom')], { env });
    expect(unwritable.code).toBe(73);
    expect(await fs.readdir(home)).not.toContain('missing-dir');
    const push = await run(['health', '--store', 'local', '--pushgateway', 'http://127.0.0.1:1'], { env });
    expect(push.code).toBe(0);
    expect(push.stderr).toMatch(/warning: could not push metrics/);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('the shipped alert rules pass promtool', () => {
  if (!promtool) {
    process.stderr.write('promtool not installed: alert rules not checked locally (CI installs the prometheus package)\n');
    return;
  }
  const r = spawnSync('promtool', ['check', 'rules', join(ROOT, 'deploy/prometheus/alerts.yml')], { encoding: 'utf8' });
  expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  expect(r.status).toBe(0);
});

test("the seed's counters and the operation-timing histogram come from the audit events' outcomes and durations", async () => {
  const home = tempHome('vh-health-seed-');
  const config = join(home, 'c.toml');
  await fs.writeFile(config, `[stores.local]\nprovider = "file"\n\n[stores.dead]\nprovider = "vault"\naddress = "http://127.0.0.1:1"\ntoken = "x"\n`);
  const env = baseEnv(home, { VH_SECRETS_CONFIG: config, VH_SECRETS_RETRIES: '1', CI: 'true' });
  try {
    expect((await run(['create', 'local:app/db', '--type', 'database_password', '--generate'], { env })).code).toBe(0);
    expect((await run(['get', 'local:app/db'], { env })).code).toBe(0);
    expect((await run(['get', 'local:app/none'], { env })).code).toBe(66);
    expect((await run(['get', 'dead:app/x'], { env })).code).toBe(69);
    expect((await run(['rotate', 'local:app/db', '--yes'], { env })).code).toBe(0);
    expect((await run(['list', '--store', 'local'], { env })).code).toBe(0);
    expect((await run(['revoke', 'local:app/db', '--yes'], { env })).code).toBe(0);
    const file = join(home, 'm.prom');
    await run(['health', '--metrics-file', file], { env });
    const m = await fs.readFile(file, 'utf8');
    const value = (series: string) => {
      const line = m.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect({
      retrievals: value('secret_retrieval_success_count_total{store="local",type="database_password"}'),
      retrievalFailures: value('secret_retrieval_failure_count_total{store="local",type="unknown"}'),
      rotations: value('secret_rotation_success_count_total{store="local",type="database_password"}'),
      voicehiveRotations: value('voicehive_secrets_rotation_total{store="local",type="database_password"}'),
      network: value('secret_network_errors_total{store="dead"}'),
      networkLocal: value('secret_network_errors_total{store="local"}'),
      auth: value('secret_auth_failures_total{store="local"}'),
    }).toEqual({ retrievals: 1, retrievalFailures: 1, rotations: 1, voicehiveRotations: 1, network: 1, networkLocal: 0, auth: 0 });
    // Without --metrics-names no series names a secret.
    expect(m).not.toMatch(/secret_name=|app\/db/);
    for (const [op, n] of [['get', 2], ['create', 1], ['rotate', 1], ['list', 1], ['revoke', 1]] as const) {
      expect(value(`secret_operation_duration_seconds_count{operation="${op}",store="local"}`)).toBe(n);
      expect(value(`secret_operation_duration_seconds_bucket{operation="${op}",store="local",le="+Inf"}`)).toBe(n);
    }
    expect(value('secret_operation_duration_seconds_sum{operation="rotate",store="local"}')).toBeGreaterThan(0);
    expect(value('secret_operation_duration_seconds_count{operation="get",store="dead"}')).toBe(1);
    if (promtool) expect(lintMetrics(m)).toEqual([]);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});
