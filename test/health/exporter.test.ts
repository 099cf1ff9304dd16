import { promises as fs } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { baseEnv, run, tempHome, waitFor } from '../helpers/cli.js';
import { scrape, startExporter } from '../helpers/exporter.js';
import { MetricsExporter, STALE_INTERVALS, isLoopback, parseListen } from '../../src/health/exporter.js';
import { lintMetrics, promtool } from './promtool.js';

/**
 * `vh-secrets exporter`, the real CLI process on an ephemeral loopback port: what it serves, that scrapes never
 * start evaluations of their own, how it refuses bad input, and that SIGTERM ends it with 0. No sleeps: every
 * wait is a poll with a deadline, and nothing asserts how long anything took.
 */

let home: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  home = tempHome('vh-exporter-');
  env = baseEnv(home, { CI: 'true' });
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

const VALUE = 'exporter-canary-Zq8vN3kP0wYt6';

test('serves /metrics (valid exposition, the seed aliases and the timing histogram) and /healthz; SIGTERM exits 0', async () => {
  expect((await run(['create', 'app/db', '--type', 'database_password', '--value-file', '-'], { env, input: VALUE })).code).toBe(0);
  expect((await run(['get', 'app/db'], { env })).out).toContain(VALUE);
  const ex = await startExporter(['--interval', '1h'], env);
  try {
    const m = await scrape(`${ex.base}/metrics`);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toMatch(/^voicehive_secrets_health_status\{store="local",type="database_password"\} 0$/m);
    expect(m.body).toMatch(/^secret_retrieval_success_count_total\{store="local",type="database_password"\} 1$/m);
    expect(m.body).toMatch(/^secret_operation_duration_seconds_count\{operation="get",store="local"\} 1$/m);
    expect(m.body).toMatch(/^voicehive_secrets_exporter_evaluations_total 1$/m);
    expect(m.body).not.toContain('app/db');
    if (promtool) expect(lintMetrics(m.body)).toEqual([]);

    const h = await scrape(`${ex.base}/healthz`);
    expect(h.status).toBe(200);
    expect((await scrape(`${ex.base}/nope`)).status).toBe(404);
    // The cache answers: a second scrape within the interval evaluates nothing.
    expect((await scrape(`${ex.base}/metrics`)).body).toMatch(/^voicehive_secrets_exporter_evaluations_total 1$/m);
  } finally {
    const end = await ex.stop('SIGTERM');
    expect(end).toEqual({ code: 0, signal: null });
  }
  const err = ex.stderr();
  expect(err.match(/^vh-secrets exporter: evaluation \d+: /gm)).toHaveLength(1);
  expect(err).toMatch(/^vh-secrets exporter: evaluation 1: OK in \S+ — 1 secret \(0 critical, 0 warning, 0 unknown, 1 ok\), 1 store$/m);
  expect(err).not.toContain(VALUE);
  expect(ex.stdout()).toBe('');
});

test('concurrent scrapes during a slow evaluation wait for it and start no second one; /healthz is 503 until it ends', async () => {
  // A store that accepts connections and answers nothing until the test lets it go: the evaluation stays in
  // flight exactly as long as the test wants, however fast or slow the machine.
  const sockets = new Set<Socket>();
  let connections = 0;
  const hole: Server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', () => resolve()));
  const port = (hole.address() as { port: number }).port;
  const config = join(home, 'c.toml');
  await fs.writeFile(config, `[stores.local]\nprovider = "file"\n\n[stores.slow]\nprovider = "vault"\naddress = "http://127.0.0.1:${port}"\ntoken = "x"\n`);
  const slowEnv = { ...env, VH_SECRETS_CONFIG: config, VH_SECRETS_RETRIES: '1' };
  expect((await run(['create', 'local:app/one', '--type', 'api_key', '--generate'], { env: slowEnv })).code).toBe(0);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => hole.close(() => resolve()));
  };

  const ex = await startExporter(['--interval', '1h', '--timeout', '10m'], slowEnv);
  try {
    await waitFor(() => connections > 0, 30_000, 'the evaluation to reach the slow store', () => ex.stderr());
    const scrapes = Array.from({ length: 5 }, () => scrape(`${ex.base}/metrics`, 120_000));
    // /healthz answers at once, evaluation or not: none has completed, so 503.
    const before = await scrape(`${ex.base}/healthz`);
    expect(before.status).toBe(503);
    expect(before.body).toMatch(/no evaluation has completed yet/);
    expect(ex.stderr()).not.toMatch(/evaluation \d+:/);
    await release();
    const results = await Promise.all(scrapes);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body).toMatch(/^voicehive_secrets_exporter_evaluations_total 1$/m);
      expect(r.body).toMatch(/^voicehive_secrets_store_up\{store="slow",provider="vault"\} 0$/m);
      expect(r.body).toMatch(/^voicehive_secrets_store_up\{store="local",provider="file"\} 1$/m);
    }
    const after = await scrape(`${ex.base}/metrics`);
    expect(after.body).toMatch(/^voicehive_secrets_exporter_evaluations_total 1$/m);
    expect(after.body).toMatch(/^voicehive_secrets_exporter_evaluations_in_flight 0$/m);
    expect((await scrape(`${ex.base}/healthz`)).status).toBe(200);
    expect(ex.stderr().match(/^vh-secrets exporter: evaluation \d+: /gm)).toEqual(['vh-secrets exporter: evaluation 1: ']);
    expect(ex.stderr()).toMatch(/^vh-secrets exporter: evaluation 1: CRITICAL in \S+ — 1 secret .*, 2 stores \(1 not OK\)$/m);
  } finally {
    await release();
    expect(await ex.stop('SIGINT')).toEqual({ code: 0, signal: null });
  }
});

test('SIGTERM while an evaluation hangs on a store: exit 0 without waiting for it', async () => {
  const sockets = new Set<Socket>();
  const hole: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', () => resolve()));
  try {
    const config = join(home, 'c.toml');
    await fs.writeFile(config, `[stores.slow]\nprovider = "vault"\naddress = "http://127.0.0.1:${(hole.address() as { port: number }).port}"\ntoken = "x"\n`);
    const ex = await startExporter(['--timeout', '10m'], { ...env, VH_SECRETS_CONFIG: config, VH_SECRETS_RETRIES: '1' });
    await waitFor(() => sockets.size > 0, 30_000, 'the evaluation to reach the slow store', () => ex.stderr());
    expect(await ex.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(ex.stderr()).toMatch(/^vh-secrets exporter: stopped by SIGTERM$/m);
    expect(ex.stderr()).not.toMatch(/evaluation \d+:/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => hole.close(() => resolve()));
  }
});

test('bad input is a usage error (64) before anything listens; a taken port is 69', async () => {
  const usage = [
    ['--listen', 'nonsense'],
    ['--listen', '127.0.0.1:70000'],
    ['--listen', '[not-v6]:9469'],
    ['--listen', '0.0.0.0:9469'],
    ['--listen', '10.1.2.3:9469'],
    ['--interval', 'soon'],
    ['--interval', '100ms'],
  ];
  for (const args of usage) {
    const r = await run(['exporter', ...args], { env });
    expect({ args, code: r.code }).toEqual({ args, code: 64 });
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^vh-secrets: error: --(listen|interval)/);
  }
  expect((await run(['exporter', '--listen', '0.0.0.0:9469'], { env })).stderr).toMatch(/--allow-remote/);

  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
  try {
    const port = (taken.address() as { port: number }).port;
    const r = await run(['exporter', '--listen', `127.0.0.1:${port}`], { env });
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

test('/healthz turns 503 once the last completed evaluation is older than 3 intervals (a clock the test moves)', async () => {
  let now = 0;
  let evaluations = 0;
  const lines: string[] = [];
  const ex = new MetricsExporter({
    listen: { host: '127.0.0.1', port: 0 },
    intervalMs: 3_600_000,
    clock: () => now,
    log: (l) => lines.push(l),
    evaluate: async () => {
      evaluations++;
      return { text: '# HELP x x\n# TYPE x gauge\nx 1\n', status: 'OK', secrets: 0, counts: { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 }, stores: 0, storesDown: 0 };
    },
  });
  const { port } = await ex.start();
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => lines.length === 1, 10_000, 'the first evaluation');
    expect((await scrape(`${base}/healthz`)).status).toBe(200);
    now += STALE_INTERVALS * 3_600_000 - 1;
    expect((await scrape(`${base}/healthz`)).status).toBe(200);
    now += 1;
    const stale = await scrape(`${base}/healthz`);
    expect(stale.status).toBe(503);
    expect(stale.body).toMatch(/^stale: last evaluation .*, older than 3 intervals$/m);
    // The metrics of that evaluation are still served; a refresh makes it fresh again.
    expect((await scrape(`${base}/metrics`)).body).toMatch(/^x 1$/m);
    await ex.refresh();
    expect((await scrape(`${base}/healthz`)).status).toBe(200);
    expect(evaluations).toBe(2);
  } finally {
    await ex.stop();
  }
});

test('--listen: HOST:PORT, [V6]:PORT or PORT; loopback is 127/8, ::1 and localhost', () => {
  expect(parseListen('127.0.0.1:9469')).toEqual({ host: '127.0.0.1', port: 9469 });
  expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
  expect(parseListen('9469')).toEqual({ host: '127.0.0.1', port: 9469 });
  expect(parseListen('localhost:1')).toEqual({ host: 'localhost', port: 1 });
  for (const bad of ['', ':', 'a:b', '1.2.3.4:', '[::1]', '::1:9469', 'host name:1']) expect(() => parseListen(bad)).toThrow(/--listen/);
  expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
  expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com'].some(isLoopback)).toBe(false);
});
