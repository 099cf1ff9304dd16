import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { FileAuditSink } from '../../src/audit/file-sink.js';
import { ROOT, run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';
import { uniqueName } from '../providers/contract.js';

const shared = tempHome('vh-health-shared-');
const stores = await storesUnderTest(shared);
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
const ahead = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const promtool = spawnSync('promtool', ['--version']).error === undefined;
if (!promtool && process.env.VH_REQUIRE_PROMTOOL === '1') throw new Error('promtool is required here (apt-get install prometheus)');

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
        expect(metrics).not.toMatch(/type="unknown"/);
        expect(metrics).toMatch(/^voicehive_secret_access_anomalies_total\{kind="FAILED_ATTEMPTS"\} [1-9]/m);
        expect(metrics).toMatch(/^voicehive_secret_access_anomalies_total\{kind="GEOGRAPHIC_VIOLATION"\} 0$/m);
        if (promtool) {
          const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
          expect(lint.stdout + lint.stderr).toBe('');
          expect(lint.status).toBe(0);
        }

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
