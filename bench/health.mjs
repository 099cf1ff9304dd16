// health over 100 secrets on each of: the embedded file store and OpenBao (a fresh KV mount), in one run with
// bounded concurrency — the goal is "well under a second per 100 secrets on local peers". Starts
// OpenBao with scripts/peers.sh if it is not running.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import makeVault from 'node-vault';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_SECRETS ?? 100);
const RUNS = 5;
const upstream = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const token = process.env.VH_TEST_VAULT_TOKEN ?? 'root';

let started = false;
if (!(await fetch(`${upstream}/v1/sys/health`).then(() => true, () => false))) {
  if (spawnSync('bash', [join(root, 'scripts/peers.sh'), 'start', 'openbao'], { stdio: 'inherit' }).status !== 0) process.exit(1);
  started = true;
}
const vault = makeVault({ endpoint: upstream, token, debug: () => undefined });
const mount = `bench-health-${randomBytes(4).toString('hex')}`;
await vault.request({ path: `/sys/mounts/${mount}`, method: 'POST', json: { type: 'kv', options: { version: '2' } } });
const now = new Date().toISOString();
for (let i = 0; i < N; i += 10) {
  await Promise.all(Array.from({ length: Math.min(10, N - i) }, async (_, j) => {
    const n = `s${i + j}`;
    await vault.request({ path: `/${mount}/data/${n}`, method: 'POST', json: { data: { value: randomBytes(16).toString('hex') } } });
    await vault.request({ path: `/${mount}/metadata/${n}`, method: 'POST', json: { custom_metadata: { 'vh-type': 'api_key', 'vh-rotated-at': now } } });
  }));
}

const home = mkdtempSync(join(tmpdir(), 'vh-bench-health-'));
const { default: openFile } = await import(join(root, 'dist/src/providers/file.js'));
const file = openFile({}, { alias: 'local', home: join(home, 'vh') });
for (let i = 0; i < N; i++) await file.create(`s${i}`, Buffer.from(randomBytes(16).toString('hex')), { 'vh-type': 'api_key', 'vh-rotated-at': now });
writeFileSync(join(home, 'c.toml'), `[stores.v]\nprovider = "vault"\naddress = "${upstream}"\nmount = "${mount}"\n`);
const env = { ...process.env, VH_SECRETS_HOME: join(home, 'vh'), VH_SECRETS_CONFIG: join(home, 'c.toml'), VAULT_TOKEN: token };

const time = (args) => {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(root, 'bin/vh-secrets'), 'health', '--json', ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    samples.push(performance.now() - t0);
    if (![0, 1].includes(r.status)) throw new Error(`health exited ${r.status}: ${r.stderr}`);
  }
  return samples.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
};
const rows = [
  [`file store, ${N} secrets`, time(['--store', 'local'])],
  [`OpenBao, ${N} secrets`, time(['--store', 'v'])],
  [`both stores, ${2 * N} secrets`, time([])],
];
const bare = (() => {
  const s = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', ''], { env });
    s.push(performance.now() - t0);
  }
  return s.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
})();
await vault.request({ path: `/sys/mounts/${mount}`, method: 'DELETE' });
rmSync(home, { recursive: true, force: true });
if (started) spawnSync('bash', [join(root, 'scripts/peers.sh'), 'stop', 'openbao'], { stdio: 'inherit' });

console.log(`vh-secrets health, median of ${RUNS} runs, whole process (node ${process.version})`);
console.log(`${'case'.padEnd(32)}${'wall ms'.padStart(10)}${'ms per 100 secrets'.padStart(22)}`);
console.log(`${'node -e "" (start-up floor)'.padEnd(32)}${bare.toFixed(0).padStart(10)}`);
for (const [label, ms] of rows) {
  const count = label.startsWith('both') ? 2 * N : N;
  console.log(`${label.padEnd(32)}${ms.toFixed(0).padStart(10)}${((ms / count) * 100).toFixed(0).padStart(22)}`);
}
