import { spawn } from 'node:child_process';
import { promises as fs, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_ANOMALY_CONFIG } from '../../src/audit/anomaly-config.js';
import { flushAuditSinks } from '../../src/audit/forward.js';
import { AuditLogger } from '../../src/audit/logger.js';
import type { HttpSinkConfig } from '../../src/audit/sinks/types.js';
import { verifyChain } from '../../src/audit/verify.js';
import type { AuditConfig } from '../../src/audit/config.js';
import { ROOT, baseEnv, filesUnder, run, tempHome, type RunResult } from '../helpers/cli.js';
import { makeCertificates, startCollector, type Collector, type CollectorOptions } from '../helpers/collector.js';
import { traceModules } from '../helpers/module-trace.js';

let dir: string;
const collectors: Collector[] = [];
beforeEach(() => {
  dir = tempHome('vh-sinks-http-');
});
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.kill()));
  await fs.rm(dir, { recursive: true, force: true });
});

async function collector(options: CollectorOptions = {}): Promise<Collector> {
  const c = await startCollector(dir, options);
  collectors.push(c);
  return c;
}

function httpSink(url: string, extra: Partial<HttpSinkConfig> = {}): HttpSinkConfig {
  return { kind: 'http', name: 'collector', url, headers: {}, caFile: undefined, timeoutMs: 2000, batchSize: 200, ...extra };
}

function auditConfig(sinks: AuditConfig['sinks'], extra: Partial<AuditConfig> = {}): AuditConfig {
  return {
    log: join(dir, 'log', 'audit.log'),
    hmacKey: undefined,
    anchor: undefined,
    sinks,
    flushTimeoutMs: 1000,
    spoolDir: join(dir, 'spool'),
    anomalies: DEFAULT_ANOMALY_CONFIG,
    ...extra,
  };
}

async function logIds(log: string): Promise<string[]> {
  const text = await fs.readFile(log, 'utf8');
  return text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { id: string }).id);
}

/** Ids in first-arrival order, and how many arrived more than once. */
function firstArrivals(events: { id: string }[]): { ids: string[]; duplicates: number } {
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    ids.push(e.id);
  }
  return { ids, duplicates: events.length - ids.length };
}

const writerScript = (n: number, window: number) => `
import { AuditLogger } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/audit/logger.js')).href)};
import { writeFileSync } from 'node:fs';
const { config, name, idsOut } = JSON.parse(process.env.WRITER);
const logger = new AuditLogger(config, { name, type: 'service', sourceIp: null });
const ids = [];
for (let i = 0; i < ${n}; i += ${window}) {
  const pending = [];
  for (let j = i; j < Math.min(${n}, i + ${window}); j++) {
    pending.push(logger.record({ event: 'accessed', secret: 'local:burst/' + name, secret_type: null, store: 'local', success: true, error_code: null, details: { writer: name, seq: j } }));
  }
  for (const e of await Promise.all(pending)) ids.push(e.id);
}
const status = await logger.close();
writeFileSync(idsOut, JSON.stringify({ ids, status }));
`;

function startWriter(config: AuditConfig, name: string, n: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', writerScript(n, 10)], {
      env: { PATH: process.env.PATH, WRITER: JSON.stringify({ config, name, idsOut: join(dir, `${name}.ids.json`) }) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

describe('http sink', () => {
  test('10,000 events from 4 writers, collector killed mid-burst (after storing a batch, before answering) and restarted: every event arrives, in order per writer', async () => {
    const c = await collector({ killAfterStoring: 1500 });
    const config = auditConfig([httpSink(c.url, { batchSize: 250 })]);
    const writers = ['w0', 'w1', 'w2', 'w3'];
    let finished = 0;
    const done = Promise.all(writers.map((w) => startWriter(config, w, 2500).then((code) => (finished++, code))));

    expect(await c.exited).toBe('SIGKILL');
    await c.kill();
    const killedAt = { received: (await c.received()).length, writersDone: finished };
    await new Promise((r) => setTimeout(r, 3000));
    await c.start();
    const codes = await done;
    expect(codes).toEqual([0, 0, 0, 0]);
    // The kill really fell inside the burst.
    expect(killedAt.writersDone).toBeLessThan(4);
    expect(killedAt.received).toBeGreaterThanOrEqual(1500);
    expect(killedAt.received).toBeLessThan(10_000);

    const statuses = await flushAuditSinks(config, Date.now() + 60_000);
    expect(statuses).toEqual([{ name: 'collector', ok: true, pending: 0, delivered: expect.any(Number), error: undefined, problem: undefined }]);

    const received = await c.received();
    const { ids, duplicates } = firstArrivals(received);
    // The batch stored just before the kill was never acknowledged, so it went again: at least once.
    expect(duplicates).toBeGreaterThan(0);
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
    // First arrival order is the log's order, which keeps each writer's own order.
    expect(ids).toEqual(await logIds(config.log));
    for (const w of writers) {
      const { ids: written } = JSON.parse(await fs.readFile(join(dir, `${w}.ids.json`), 'utf8')) as { ids: string[] };
      expect(written).toHaveLength(2500);
      const mine = new Set(written);
      expect(ids.filter((id) => mine.has(id))).toEqual(written);
    }
    const byId = new Map(received.map((e) => [e.id, e]));
    for (const w of writers) {
      const seqs = ids.map((id) => byId.get(id)!).filter((e) => e.actor === w).map((e) => e.details.seq);
      expect(seqs).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    }
    expect(await verifyChain(config.log)).toMatchObject({ ok: true, events: 10_000 });
    console.log(`http burst: 10,000 events, ${received.length} arrivals, ${duplicates} duplicates; collector killed after ${killedAt.received} received, ${killedAt.writersDone}/4 writers done`);
  }, 180_000);

  test('a black-hole collector: the CLI returns within the flush bound, warns, and the next run delivers the backlog in order', async () => {
    const hole = await collector({ mode: 'blackhole' });
    const home = join(dir, 'home');
    const cfg = join(dir, 'vh.toml');
    await fs.writeFile(
      cfg,
      `[audit]
flush_timeout_ms = 1000

[[audit.sinks]]
type = "http"
name = "vector"
url = "${hole.url}"
timeout_ms = 20000
`,
    );
    const env = baseEnv(home, { VH_SECRETS_CONFIG: cfg });
    const started = Date.now();
    const first = await run(['create', 'app/one', '--generate'], { env });
    const elapsed = Date.now() - started;
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/created local:app\/one/);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    // Held for the flush bound (1 s), never for the sink's own 20 s timeout, however busy the machine.
    expect(elapsed).toBeLessThan(20_000 / 4);
    expect(first.stderr).toMatch(/^vh-secrets: audit sink "vector" did not answer in time \(no acknowledgement within the flush bound \(1000 ms\)\); 2 events spooled, replayed on the next run$/m);

    const quiet = await run(['create', 'app/two', '--generate', '--quiet'], { env });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toMatch(/audit sink/);

    const log = join(home, 'vh', 'audit.log');
    const spool = join(home, 'vh', 'spool');
    expect((await fs.stat(spool)).mode & 0o777).toBe(0o700);
    await expect(fs.stat(join(spool, 'vector.cursor'))).rejects.toMatchObject({ code: 'ENOENT' });

    // The collector comes back on the same address; any next command replays the backlog.
    const port = hole.port;
    await hole.kill();
    collectors.splice(collectors.indexOf(hole), 1);
    const good = await collector({ port, name: 'good' });
    const next = await run(['list'], { env });
    expect(next.code).toBe(0);
    expect(next.stderr).not.toMatch(/audit sink/);
    // created + activated per create, and the list.
    const ids = await logIds(log);
    expect(ids).toHaveLength(5);
    const { ids: arrived, duplicates } = firstArrivals(await good.received());
    expect(arrived).toEqual(ids);
    expect(duplicates).toBe(0);
    expect((await fs.stat(join(spool, 'vector.cursor'))).mode & 0o777).toBe(0o600);
  }, 60_000);

  test('a library user with a black-hole sink: record is not held up, close() returns at the flush bound, the process then exits on its own', async () => {
    const hole = await collector({ mode: 'blackhole' });
    const config = auditConfig([httpSink(hole.url, { timeoutMs: 20_000 })], { flushTimeoutMs: 800 });
    const script = `
import { AuditLogger } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/audit/logger.js')).href)};
const logger = new AuditLogger(JSON.parse(process.env.CFG), { name: 'lib', type: 'service', sourceIp: null });
const t0 = Date.now();
for (let i = 0; i < 50; i++) await logger.record({ event: 'accessed', secret: 'local:x', secret_type: null, store: 'local', success: true, error_code: null, details: { i } });
const recordMs = Date.now() - t0;
const t1 = Date.now();
const status = await logger.close();
console.log(JSON.stringify({ recordMs, closeMs: Date.now() - t1, status }));
`;
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH, CFG: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const total = Date.now() - started;
    expect(code).toBe(0);
    const result = JSON.parse(out) as { recordMs: number; closeMs: number; status: unknown[] };
    // Measured against the sink's 20 s timeout, the only wait that could hold them up: record() waits for no
    // delivery, and close() returns at the 800 ms flush bound (a busy machine may add a little, never 20 s).
    expect(result.recordMs).toBeLessThan(20_000 / 4);
    expect(result.closeMs).toBeGreaterThanOrEqual(700);
    expect(result.closeMs).toBeLessThan(20_000 / 4);
    expect(result.status).toEqual([{ name: 'collector', ok: false, pending: 50, delivered: 0, error: 'no acknowledgement within the flush bound (800 ms)', problem: 'timeout' }]);
    // No socket, timer or lock wait outlived close(): node left without process.exit.
    expect(total).toBeLessThan(result.recordMs + result.closeMs + 20_000 / 4);
  });

  test('auth header from the environment reaches the collector; TLS with ca_file is accepted, without it refused and spooled; no token anywhere', async () => {
    const certs = makeCertificates(dir);
    const c = await collector({ tls: { cert: certs.cert, key: certs.key } });
    const token = `canary-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    const home = join(dir, 'home');
    const cfg = join(dir, 'vh.toml');
    await fs.writeFile(
      cfg,
      `[audit]
flush_timeout_ms = 3000

[[audit.sinks]]
type = "http"
name = "trusted"
url = "${c.url}"
headers = { Authorization = "Bearer \${AUDIT_TOKEN}", X-Tenant = "ops" }
ca_file = "${certs.ca}"

[[audit.sinks]]
type = "http"
name = "untrusted"
url = "${c.url}"
headers = { Authorization = "Bearer \${AUDIT_TOKEN}" }
`,
    );
    const env = baseEnv(home, { VH_SECRETS_CONFIG: cfg, AUDIT_TOKEN: token });
    const results: RunResult[] = [];
    results.push(await run(['create', 'app/db', '--type', 'database_password', '--generate'], { env }));
    results.push(await run(['get', 'app/db'], { env }));
    results.push(await run(['describe', 'app/db', '--json'], { env }));
    for (const r of results) expect(r.code).toBe(0);

    const requests = await c.requests();
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(r.headers.authorization).toBe(`Bearer ${token}`);
      expect(r.headers['x-tenant']).toBe('ops');
      expect(r.headers['content-type']).toBe('application/x-ndjson');
    }
    const log = join(home, 'vh', 'audit.log');
    const ids = await logIds(log);
    expect(ids).toHaveLength(4);
    expect(firstArrivals(await c.received()).ids).toEqual(ids);
    // Exactly the log's lines: the collector got the same bytes the chain covers.
    expect((await fs.readFile(c.out, 'utf8'))).toBe(await fs.readFile(log, 'utf8'));

    // The sink without the CA never accepted anything: every run warned, its events wait in the spool (the create
    // wrote two: created and activated).
    for (const [i, r] of results.entries()) {
      expect(r.stderr).toMatch(new RegExp(`^vh-secrets: audit sink "untrusted" unreachable \\((self-signed certificate in certificate chain|unable to verify the first certificate|unable to get local issuer certificate)\\); ${i + 2} events? spooled, replayed on the next run$`, 'm'));
      expect(r.stderr).not.toMatch(/"trusted"/);
    }
    const spool = join(home, 'vh', 'spool');
    await expect(fs.stat(join(spool, 'untrusted.cursor'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fs.stat(join(spool, 'trusted.cursor'))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(spool)).mode & 0o777).toBe(0o700);

    // The token shows up nowhere vh-secrets writes: not on stdout/stderr, not in the log, cursors or store.
    const bare = token;
    for (const r of results) {
      expect(r.out).not.toContain(bare);
      expect(r.stderr).not.toContain(bare);
    }
    const files = await filesUnder(home);
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect((await fs.readFile(f)).includes(bare)).toBe(false);
  }, 60_000);

  test('an error body echoing the token is redacted; a 503 leaves events spooled', async () => {
    const c = await collector({ mode: 'fail' });
    const token = `canary-${Date.now()}`;
    const config = auditConfig([httpSink(c.url, { headers: { Authorization: `Bearer ${token}` } })]);
    const logger = new AuditLogger(config, { name: 'tester', type: 'service', sourceIp: null });
    await logger.record({ event: 'accessed', secret: 'local:x', secret_type: null, store: 'local', success: true, error_code: null, details: {} });
    const [status] = await logger.close();
    expect(status).toEqual({ name: 'collector', ok: false, pending: 1, delivered: 0, error: 'HTTP 503 Service Unavailable: collector unavailable', problem: 'rejected' });
    const requests = await c.requests();
    expect(requests.length).toBeGreaterThan(0);

    const { redactor } = await import('../../src/audit/sinks/net-errors.js');
    const redact = redactor([`Bearer ${token}`]);
    expect(redact(`HTTP 400: bad header Bearer ${token}`)).toBe('HTTP 400: bad header [redacted]');
    expect(redact(`HTTP 400: token ${token} expired`)).toBe('HTTP 400: token [redacted] expired');
  });

  test('cursor recovery: a log rewritten without its head resumes after the last delivered event; a rotated log is sent from its start', async () => {
    const c = await collector();
    const config = auditConfig([httpSink(c.url, { batchSize: 4 })]);
    const record = async (n: number, tag: string) => {
      const logger = new AuditLogger({ ...config, sinks: [] }, { name: tag, type: 'service', sourceIp: null });
      for (let i = 0; i < n; i++) await logger.record({ event: 'accessed', secret: `local:${tag}`, secret_type: null, store: 'local', success: true, error_code: null, details: { i } });
    };
    await record(10, 'a');
    expect((await flushAuditSinks(config, 10_000))[0]).toMatchObject({ ok: true, pending: 0, delivered: 10 });
    await record(5, 'b');
    // Archive the first five lines away: offsets shift, the cursor's offset no longer lands on its event.
    const lines = (await fs.readFile(config.log, 'utf8')).split('\n').filter((l) => l !== '');
    await fs.writeFile(config.log, lines.slice(5).map((l) => `${l}\n`).join(''));
    expect((await flushAuditSinks(config, 10_000))[0]).toMatchObject({ ok: true, pending: 0, delivered: 5 });
    // Rotated: a fresh file starts a new chain; the sink takes it from the start.
    await fs.rename(config.log, `${config.log}.1`);
    await record(3, 'c');
    expect((await flushAuditSinks(config, 10_000))[0]).toMatchObject({ ok: true, pending: 0, delivered: 3 });

    const received = await c.received();
    expect(received.map((e) => `${e.actor}${String(e.details.i)}`)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `a${i}`),
      ...Array.from({ length: 5 }, (_, i) => `b${i}`),
      ...Array.from({ length: 3 }, (_, i) => `c${i}`),
    ]);
  });

  test('start-up: without sinks no sink code (nor node:https) loads; with an http sink only the http sink does', async () => {
    const loaded = (cfgText: string, name: string): string[] => {
      const cfg = join(dir, `${name}.toml`);
      writeFileSync(cfg, cfgText);
      const r = traceModules(dir, ['list'], { ...baseEnv(join(dir, name)), VH_SECRETS_CONFIG: cfg }, name);
      expect(r.status).toBe(0);
      return r.urls;
    };
    const bare = loaded('', 'bare');
    expect(bare.some((u) => u.includes('/dist/src/audit/logger.js'))).toBe(true);
    expect(bare.filter((u) => /\/audit\/forward\.js|\/audit\/sinks\/|^node:(https|tls|dgram)$/.test(u))).toEqual([]);

    const c = await collector();
    const withSink = loaded(`[[audit.sinks]]\ntype = "http"\nurl = "${c.url}"\n`, 'with');
    expect(withSink.some((u) => u.endsWith('/dist/src/audit/forward.js'))).toBe(true);
    expect(withSink.some((u) => u.endsWith('/dist/src/audit/sinks/http.js'))).toBe(true);
    expect(withSink.some((u) => u.endsWith('/dist/src/audit/sinks/syslog.js'))).toBe(false);
    expect((await c.received()).map((e) => e.event)).toEqual(['listed']);
  });
});
