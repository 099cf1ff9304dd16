// `vh-secrets audit` on a 1,000,000-event (≥ 300 MB) log, beside its floor: a bare Node script that only splits
// lines and JSON.parses each, and `jq -c 'select(.event=="accessed")' | wc -l` (BENCH_JQ=0 skips it). Cases:
// the report with anomalies over the last 72 h of the log (goal ≤ 1.3× the floor in wall and CPU time, peak RSS
// ≤ 250 MB and flat in the log's size), and `--hours 24` at the log's end (goal ≤ 0.5× the floor): both start
// where the hour index says, so the index is built first by one untimed report (its time is shown apart).
// Runs are interleaved (floor, report, hours, floor, …) so a busy machine hurts all alike; wall and CPU time
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
const haveJq = process.env.BENCH_JQ !== '0' && spawnSync('jq', ['--version']).status === 0;
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
const reportCase = [process.execPath, [join(root, 'bin/vh-secrets'), 'audit', '--log', log, '--since', since, '--until', until, '--json']];
const hoursCase = [process.execPath, [join(root, 'bin/vh-secrets'), 'audit', '--log', log, '--hours', '24', '--until', until, '--json']];
// The first report on a log builds its hour index (a one-time cost, paid again only for lines appended since).
const cold = summarize([measure(...reportCase)]);
const cases = [
  [process.execPath, [floorScript, log]],
  reportCase,
  hoursCase,
  ...(haveJq ? [[`jq -c 'select(.event=="accessed")' ${JSON.stringify(log)} | wc -l`, [], { shell: true }]] : []),
];
const [floor, report, hours, jq = null] = interleaved(cases);
const parsed = JSON.parse(report.out);
const parsedHours = JSON.parse(hours.out);
rmSync(work, { recursive: true, force: true });
const readShare = (rep) => rep.sources.reduce((n, s) => n + s.bytes, 0) / size;

const accessedAll = Number(floor.out.trim().split(' ')[1]);
console.log(`vh-secrets audit over ${EVENTS.toLocaleString('en-US')} events, ${(size / 1e6).toFixed(0)} MB (node ${process.version}); median of ${RUNS} whole-process runs`);
console.log(`report: ${parsed.totals.events.toLocaleString('en-US')} events in the last 72 h of the log, ${parsed.totals.before_period.toLocaleString('en-US')} before it read as baseline, ${Object.values(parsed.anomaly_counts).reduce((a, b) => a + b, 0)} anomalies, ${parsed.input_problems.total} input problems`);
console.log(`${'case'.padEnd(52)}${'wall s'.padStart(9)}${'MB/s'.padStart(8)}${'× floor'.padStart(9)}${'cpu s'.padStart(8)}${'× floor'.padStart(9)}${'peak RSS MB'.padStart(13)}`);
const row = (label, m) => console.log(`${label.padEnd(52)}${(m.ms / 1000).toFixed(2).padStart(9)}${(size / 1e6 / (m.ms / 1000)).toFixed(0).padStart(8)}${(m.ms / floor.ms).toFixed(2).padStart(9)}${(m.cpu / 1000).toFixed(2).padStart(8)}${(m.cpu / floor.cpu).toFixed(2).padStart(9)}${m.rss.toFixed(0).padStart(13)}`);
row('floor: node, split lines + JSON.parse each', floor);
row('audit --json, 72 h (report + anomalies)', report);
row('audit --json --hours 24', hours);
row('audit --json, 72 h, first run (builds the index)', cold);
if (jq) row(`jq -c 'select(.event=="accessed")' | wc -l`, jq);
else console.log('jq: not installed, skipped');
if (jq && Number(jq.out.trim()) !== accessedAll) console.log(`warning: jq counted ${jq.out.trim()} accessed events, the floor ${accessedAll}`);
const verdict = (ok) => (ok ? 'OK' : 'ABOVE GOAL');
const rw = report.ms / floor.ms;
const rc = report.cpu / floor.cpu;
const hw = hours.ms / floor.ms;
const hc = hours.cpu / floor.cpu;
console.log(`--hours 24: ${parsedHours.totals.events.toLocaleString('en-US')} events in the period, ${parsedHours.totals.before_period.toLocaleString('en-US')} before it read as baseline`);
console.log(`bytes read: report ${(100 * readShare(parsed)).toFixed(0)} % of the log, --hours 24 ${(100 * readShare(parsedHours)).toFixed(0)} %`);
console.log(`ratio report/floor: ${rw.toFixed(2)}× wall, ${rc.toFixed(2)}× CPU (goal ≤ 1.3×) ${verdict(Math.max(rw, rc) <= 1.3)}; peak RSS ${report.rss.toFixed(0)} MB (goal ≤ 250 MB) ${verdict(report.rss <= 250)}`);
console.log(`ratio --hours 24/floor: ${hw.toFixed(2)}× wall, ${hc.toFixed(2)}× CPU (goal ≤ 0.5×) ${verdict(Math.max(hw, hc) <= 0.5)}; peak RSS ${hours.rss.toFixed(0)} MB`);
console.log(`first run (builds the hour index): ${(cold.ms / floor.ms).toFixed(2)}× wall, ${(cold.cpu / floor.cpu).toFixed(2)}× CPU; peak RSS ${cold.rss.toFixed(0)} MB`);
