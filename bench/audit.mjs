// `vh-secrets audit` on a 1,000,000-event (≥ 300 MB) log, beside its floor: a bare Node script that only splits
// lines and JSON.parses each (goal: report ≤ 1.5× the floor), and `jq -c 'select(.event=="accessed")' | wc -l`.
// Runs are interleaved (floor, report, floor, report, …) so a busy machine hurts both alike; wall and CPU time
// are the medians of BENCH_RUNS (3) whole-process runs. Peak RSS and CPU from /usr/bin/time when present, else
// from a wrapper that reads process.resourceUsage() at exit. The log is cached under /tmp.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const END = Date.UTC(2026, 0, 8);
const SPAN_HOURS = 168;
const cacheDir = join(tmpdir(), 'vh-bench-audit');
const log = join(cacheDir, `audit-${EVENTS}.log`);

mkdirSync(cacheDir, { recursive: true });
const { writeNativeLog } = await import(join(root, 'dist/test/helpers/audit-gen.js'));
const minBytes = EVENTS * 300;
if (!existsSync(log) || statSync(log).size < minBytes) {
  const t0 = performance.now();
  const { bytes } = writeNativeLog(log, { events: EVENTS, endMs: END, spanHours: SPAN_HOURS });
  console.log(`generated ${log}: ${EVENTS.toLocaleString('en-US')} events, ${(bytes / 1e6).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const size = statSync(log).size;

const work = mkdtempSync(join(tmpdir(), 'vh-bench-audit-run-'));
const floorScript = join(work, 'floor.mjs');
writeFileSync(floorScript, `import { openSync, readSync, closeSync } from 'node:fs';
const fd = openSync(process.argv[2], 'r');
const buf = Buffer.allocUnsafe(1 << 20);
let carry = '', n = 0, accessed = 0, got;
while ((got = readSync(fd, buf, 0, buf.length, null)) > 0) {
  let pos = 0, nl;
  while ((nl = buf.indexOf(10, pos)) !== -1 && nl < got) {
    const line = carry + buf.toString('utf8', pos, nl);
    carry = '';
    if (line !== '') { const e = JSON.parse(line); n++; if (e.event === 'accessed') accessed++; }
    pos = nl + 1;
  }
  carry += buf.toString('utf8', pos, got);
}
closeSync(fd);
console.log(n, accessed);
`);
const rssWrapper = join(work, 'rss.mjs');
writeFileSync(rssWrapper, `import { writeFileSync } from 'node:fs';
process.on('exit', () => { const u = process.resourceUsage(); writeFileSync(process.env.RSS_OUT, u.maxRSS + ' ' + u.userCPUTime / 1e6 + ' ' + u.systemCPUTime / 1e6); });
const [script, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], script, ...args];
await import(script);
`);

const haveTime = existsSync('/usr/bin/time');
const haveJq = spawnSync('jq', ['--version']).status === 0;
const env = { ...process.env, NO_COLOR: '1', VH_SECRETS_HOME: join(work, 'vh') };

/** Runs a command; returns [wall ms, peak RSS MB, stdout, cpu ms]. */
function measure(cmd, args, { shell = false } = {}) {
  const rssOut = join(work, 'rss.txt');
  let argv;
  if (shell) argv = haveTime ? ['/usr/bin/time', '-f', '%M %U %S', '-o', rssOut, 'sh', '-c', cmd] : ['sh', '-c', cmd];
  else if (haveTime) argv = ['/usr/bin/time', '-f', '%M %U %S', '-o', rssOut, cmd, ...args];
  else argv = [process.execPath, rssWrapper, ...args];
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { env: { ...env, RSS_OUT: rssOut }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [kb, user, sys] = existsSync(rssOut) ? readFileSync(rssOut, 'utf8').trim().split('\n').pop().split(' ').map(Number) : [NaN, NaN, NaN];
  rmSync(rssOut, { force: true });
  return [ms, kb / 1024, r.stdout, (user + sys) * 1000];
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function summarize(runs) {
  return { ms: med(runs.map((r) => r[0])), cpu: med(runs.map((r) => r[3])), rss: Math.max(...runs.map((r) => r[1])), out: runs[0][2] };
}

/** Every case once per round, RUNS rounds. */
function interleaved(cases) {
  const runs = cases.map(() => []);
  for (let i = 0; i < RUNS; i++) cases.forEach((c, j) => runs[j].push(measure(...c)));
  return runs.map(summarize);
}

const since = new Date(END - 72 * 3_600_000).toISOString();
const until = new Date(END).toISOString();
const cases = [
  [process.execPath, [floorScript, log]],
  [process.execPath, [join(root, 'bin/vh-secrets'), 'audit', '--log', log, '--since', since, '--until', until, '--json']],
  ...(haveJq ? [[`jq -c 'select(.event=="accessed")' ${JSON.stringify(log)} | wc -l`, [], { shell: true }]] : []),
];
const [floor, report, jq = null] = interleaved(cases);
const parsed = JSON.parse(report.out);
rmSync(work, { recursive: true, force: true });

const accessedAll = Number(floor.out.trim().split(' ')[1]);
console.log(`vh-secrets audit over ${EVENTS.toLocaleString('en-US')} events, ${(size / 1e6).toFixed(0)} MB (node ${process.version}); median of ${RUNS} whole-process runs`);
console.log(`report: ${parsed.totals.events.toLocaleString('en-US')} events in the last 72 h of the log, ${parsed.totals.before_period.toLocaleString('en-US')} before it read as baseline, ${Object.values(parsed.anomaly_counts).reduce((a, b) => a + b, 0)} anomalies, ${parsed.input_problems.total} input problems`);
console.log(`${'case'.padEnd(52)}${'wall s'.padStart(9)}${'MB/s'.padStart(8)}${'× floor'.padStart(9)}${'cpu s'.padStart(8)}${'× floor'.padStart(9)}${'peak RSS MB'.padStart(13)}`);
const row = (label, m) => console.log(`${label.padEnd(52)}${(m.ms / 1000).toFixed(2).padStart(9)}${(size / 1e6 / (m.ms / 1000)).toFixed(0).padStart(8)}${(m.ms / floor.ms).toFixed(2).padStart(9)}${(m.cpu / 1000).toFixed(2).padStart(8)}${(m.cpu / floor.cpu).toFixed(2).padStart(9)}${m.rss.toFixed(0).padStart(13)}`);
row('floor: node, split lines + JSON.parse each', floor);
row('vh-secrets audit --json (report + anomalies)', report);
if (jq) row(`jq -c 'select(.event=="accessed")' | wc -l`, jq);
else console.log('jq: not installed, skipped');
if (jq && Number(jq.out.trim()) !== accessedAll) console.log(`warning: jq counted ${jq.out.trim()} accessed events, the floor ${accessedAll}`);
const ratio = report.ms / floor.ms;
console.log(`ratio report/floor: ${ratio.toFixed(2)}× wall, ${(report.cpu / floor.cpu).toFixed(2)}× CPU (goal ≤ 1.5×) ${ratio <= 1.5 ? 'OK' : 'ABOVE GOAL'}; peak RSS ${report.rss.toFixed(0)} MB (goal ≤ 250 MB) ${report.rss <= 250 ? 'OK' : 'ABOVE GOAL'}`);
