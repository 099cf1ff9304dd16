// rotate-all of 500 secrets on OpenBao at concurrency 8, beside a bare node-vault script doing a minimal
// rotation of the same secrets at the same concurrency. A counting proxy in front of OpenBao gives the store
// round trips per rotation for both. Starts OpenBao with scripts/peers.sh if it is not running.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import makeVault from 'node-vault';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_SECRETS ?? 500);
const CONCURRENCY = 8;
const upstream = new URL(process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200');
const token = process.env.VH_TEST_VAULT_TOKEN ?? 'root';

async function reachable() {
  try {
    await fetch(new URL('/v1/sys/health', upstream));
    return true;
  } catch {
    return false;
  }
}
let started = false;
if (!(await reachable())) {
  const r = spawnSync('bash', [join(root, 'scripts/peers.sh'), 'start', 'openbao'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
  started = true;
}

const cpuMs = ({ user, system }) => (user + system) / 1000;
let requests = 0;
const proxy = http.createServer((req, res) => {
  requests++;
  const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const proxyAddr = `http://127.0.0.1:${proxy.address().port}`;

const vault = makeVault({ endpoint: upstream.origin, token, debug: () => undefined });
const pool = async (items, fn) => {
  let i = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
};

async function seed(prefix, tag) {
  const names = Array.from({ length: N }, (_, i) => `${prefix}/s${String(i).padStart(3, '0')}`);
  await pool(names, async (n) => {
    await vault.request({ path: `/${mount}/data/${n}`, method: 'POST', json: { options: { cas: 0 }, data: { value: randomBytes(20).toString('hex') } } });
    await vault.request({ path: `/${mount}/metadata/${n}`, method: 'POST', json: { custom_metadata: { 'vh-type': 'api_key', bench: tag } } });
  });
  return names;
}

const run = `b${randomBytes(4).toString('hex')}`;
// A fresh KV v2 mount of its own, so listing sees only this run's secrets.
const mount = `bench-${run}`;
await vault.request({ path: `/sys/mounts/${mount}`, method: 'POST', json: { type: 'kv', options: { version: '2' } } });

// 1. vh-secrets rotate-all through the proxy.
const home = mkdtempSync(join(tmpdir(), 'vh-bench-rot-'));
writeFileSync(join(home, 'config.toml'), `default_store = "v"\n[stores.v]\nprovider = "vault"\naddress = "${proxyAddr}"\nmount = "${mount}"\n`);
await seed(`bench/${run}/vh`, `${run}vh`);
requests = 0;
const cpuFile = join(home, 'vh-cpu.json');
const proxyCpu0 = process.cpuUsage();
const t0 = performance.now();
// Async spawn: the counting proxy lives in this process's event loop.
const vh = await new Promise((resolve) => {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), '--import', join(root, 'bench/cpu-report.mjs'), join(root, 'bin/vh-secrets'), 'rotate-all', '--tag', `bench=${run}vh`, '--concurrency', String(CONCURRENCY), '--include-unmanaged', '--confirm', '--json'], {
    env: { ...process.env, BENCH_CPU_FILE: cpuFile, VH_SECRETS_HOME: join(home, 'home'), VH_SECRETS_CONFIG: join(home, 'config.toml'), VAULT_TOKEN: token },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  child.on('close', (status) => resolve({ status, stdout, stderr }));
});
const vhMs = performance.now() - t0;
const vhRequests = requests;
// This process ran only the counting proxy meanwhile: its CPU per request, to take out of the bare figure below.
const proxyCpuPerRequest = cpuMs(process.cpuUsage(proxyCpu0)) / vhRequests;
const vhCpu = JSON.parse(readFileSync(cpuFile, 'utf8'));
const vhCpuMs = cpuMs(vhCpu);
const report = JSON.parse(vh.stdout || '{"summary":{}}');
if (vh.status !== 0 || report.summary.rotated !== N) {
  console.error(`vh-secrets rotate-all failed: exit ${vh.status}, ${JSON.stringify(report.results?.slice(0, 3))}\n${vh.stderr}`);
  process.exit(1);
}

// 2. The floor: node-vault, same concurrency, a minimal staged rotation per secret.
const bare = makeVault({ endpoint: proxyAddr, token, debug: () => undefined });
const bareNames = await seed(`bench/${run}/bare`, `${run}bare`);
requests = 0;
const bareCpu0 = process.cpuUsage();
const t1 = performance.now();
await pool(bareNames, async (n) => {
  const md = await bare.request({ path: `/${mount}/metadata/${n}`, method: 'GET' });
  const current = md.data.current_version;
  const value = randomBytes(20).toString('hex');
  const w = await bare.request({ path: `/${mount}/data/${n}`, method: 'POST', json: { options: { cas: current }, data: { value } } });
  const back = await bare.request({ path: `/${mount}/data/${n}?version=${w.data.version}`, method: 'GET' });
  if (back.data.data.value !== value) throw new Error('read-back mismatch');
  await bare.request({ path: `/${mount}/metadata/${n}`, method: 'POST', json: { custom_metadata: { ...md.data.custom_metadata, 'vh-rotated-at': new Date().toISOString() } } });
});
const bareMs = performance.now() - t1;
const bareRequests = requests;
// The bare client runs in this process beside the proxy: its own CPU is the whole less the proxy's share.
const bareCpuMs = Math.max(0, cpuMs(process.cpuUsage(bareCpu0)) - proxyCpuPerRequest * bareRequests);

proxy.close();
await vault.request({ path: `/sys/mounts/${mount}`, method: 'DELETE' });
rmSync(home, { recursive: true, force: true });
if (started) spawnSync('bash', [join(root, 'scripts/peers.sh'), 'stop', 'openbao'], { stdio: 'inherit' });

const row = (label, ms, reqs, cpu) => `${label.padEnd(40)}${(ms / 1000).toFixed(2).padStart(9)} s${(N / (ms / 1000)).toFixed(0).padStart(9)}/s${(reqs / N).toFixed(1).padStart(12)}${(cpu / N).toFixed(2).padStart(11)} ms`;
console.log(`rotate ${N} secrets on OpenBao ${upstream.host}, concurrency ${CONCURRENCY} (node ${process.version})`);
console.log(`${'runner'.padEnd(40)}${'wall'.padStart(11)}${'rate'.padStart(11)}${'round trips'.padStart(12)}${'client CPU'.padStart(14)}`);
console.log(row('vh-secrets rotate-all (phased, journaled)', vhMs, vhRequests, vhCpuMs));
console.log(row('bare node-vault (read, cas write, verify)', bareMs, bareRequests, bareCpuMs));
console.log(`ratio vh-secrets / bare: ${(vhMs / bareMs).toFixed(2)}× wall (goal ≤ 1.5×), ${(vhCpuMs / bareCpuMs).toFixed(2)}× client CPU per rotation`);
console.log('(client CPU: per rotation, user + system; vh-secrets includes its start-up, listing and tag filter; the bare figure is the bench process less the proxy\'s measured share)');
