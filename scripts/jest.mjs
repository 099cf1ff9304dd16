// Runs jest (ESM, on the compiled tests in dist/test) and closes with the plain line CI reads:
// "N passed, N failed, N skipped". Arguments are passed through to jest.
// Each pass runs with TMPDIR in a directory of the runner's own, removed when the run ends: the homes, repositories
// and files the tests make there (and whatever the processes they start leave) never outlive the run.
// With VH_NODE24=<path to a node binary> (set by `scripts/tools.sh env`), the CLI end-to-end tests
// (dist/test/cli, dist/test/leak) run a second time with the CLI under that Node; the line sums both passes.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'vh-jest-'));
// Traversable, so that a test running a process as another user (scan as `nobody`) reaches the files it made there.
chmodSync(dir, 0o711);

function pass(name, args, env) {
  const out = join(dir, `${name}.json`);
  const tmp = join(dir, name);
  mkdirSync(tmp);
  // What /tmp is: anyone may make files, only their owner may remove them (each test makes its own 0700 dirs).
  chmodSync(tmp, 0o1777);
  const r = spawnSync(
    process.execPath,
    // --forceExit: a test that fails half-way can leave a handle open (a query loop never told to stop, a socket):
    // the run must still end with its counts, never hang a CI job until its time limit.
    ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', join(root, 'node_modules/jest/bin/jest.js'), '--json', '--forceExit', `--outputFile=${out}`, ...args],
    { cwd: root, stdio: 'inherit', env: { ...env, TMPDIR: tmp } },
  );
  try {
    const res = JSON.parse(readFileSync(out, 'utf8'));
    // Where the time went: the slowest suites, so a CI run that grows says which suite grew.
    const suites = (res.testResults ?? [])
      .map((t) => ({ name: t.name.slice(root.length + 1), ms: (t.endTime ?? 0) - (t.startTime ?? 0) }))
      .sort((a, b) => b.ms - a.ms);
    if (suites.length > 5) {
      const total = suites.reduce((n, t) => n + t.ms, 0);
      console.log(`\n${name}: ${suites.length} suites, ${Math.round(total / 1000)} s in all; the slowest:`);
      for (const t of suites.slice(0, 15)) console.log(`  ${String(Math.round(t.ms / 1000)).padStart(5)} s  ${t.name}`);
      // And the slowest single tests: one creeping towards its hang guard (testTimeout) shows here before it fails.
      const tests = (res.testResults ?? [])
        .flatMap((t) => (t.assertionResults ?? []).map((a) => ({ name: `${t.name.slice(root.length + 1)}: ${a.fullName ?? a.title}`, ms: a.duration ?? 0 })))
        .sort((a, b) => b.ms - a.ms);
      console.log(`${name}: the slowest tests:`);
      for (const t of tests.slice(0, 10)) console.log(`  ${String(Math.round(t.ms / 1000)).padStart(5)} s  ${t.name.length > 150 ? `${t.name.slice(0, 149)}…` : t.name}`);
    }
    return {
      code: r.status ?? 1,
      passed: res.numPassedTests,
      failed: res.numFailedTests,
      skipped: res.numPendingTests + res.numTodoTests,
      total: res.numTotalTests,
    };
  } catch {
    return { code: r.status || 1, passed: 0, failed: 1, skipped: 0, total: 0 };
  }
}

// The Key Vault double started by `scripts/peers.sh start azure`: the CA bundle holding its certificate and its
// managed-identity header, so a plain `node scripts/jest.mjs` reaches it without `eval "$(scripts/peers.sh env)"`.
const peers = join(root, '.peers');
try {
  const bundle = join(peers, 'extra-ca.pem');
  readFileSync(bundle);
  process.env.NODE_EXTRA_CA_CERTS = bundle;
  process.env.VH_TEST_AZURE_IDENTITY_HEADER ??= readFileSync(join(peers, 'azure-identity-header'), 'utf8').trim();
  process.env.VH_TEST_AZURE_IDENTITY_ENDPOINT ??= `http://127.0.0.1:${process.env.VH_PEER_AZURE_TOKEN_PORT ?? 58080}/msi/token`;
} catch {
  // not started: the azure tests skip (locally) or fail (VH_REQUIRE_PEERS=1) with a line saying how to start it
}

const args = process.argv.slice(2);
const passes = [['main', pass('main', args, process.env)]];
const node24 = process.env.VH_NODE24;
if (node24 && args.length === 0) {
  const version = spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';
  console.log(`\n== CLI end-to-end tests again, with the CLI under Node ${version} (${node24})\n`);
  // The shell-completion suite drives tmux and three shells around one `__complete` call: Node 20 runs it.
  passes.push([`node ${version}`, pass('node24', ['dist/test/cli', 'dist/test/leak', '--testPathIgnorePatterns', 'dist/test/cli/completion'], { ...process.env, VH_TEST_NODE: node24 })]);
}
let code = 0;
const sum = { passed: 0, failed: 0, skipped: 0 };
for (const [name, p] of passes) {
  if (passes.length > 1) console.log(`${name}: ${p.passed} passed, ${p.failed} failed, ${p.skipped} skipped`);
  if (p.code !== 0 || p.total === 0) code = p.code || 1;
  sum.passed += p.passed;
  sum.failed += p.failed;
  sum.skipped += p.skipped;
}
console.log(`\n${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
try {
  // A process a failed test left running may still be writing there: retry, and never let cleanup change the verdict.
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
} catch (err) {
  console.log(`(could not remove the test run's temporary directory ${dir}: ${err.code ?? err.message})`);
}
process.exit(code);
