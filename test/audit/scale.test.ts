import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BIN, baseEnv, tempHome } from '../helpers/cli.js';
import { writeNativeLog } from '../helpers/audit-gen.js';

/**
 * Bounded memory: a log of ≥ 300 MB is reported with a peak RSS ≤ 250 MB. 600,000 events of ~550 bytes
 * (≈ 330 MB) take about 5 s to write and 5–10 s to report on a 2-core machine; the bench does the full
 * 1,000,000 events.
 */

const EVENTS = Number(process.env.VH_SCALE_EVENTS ?? 600_000);
const END = Date.UTC(2026, 0, 8);

let dir: string;
beforeAll(() => {
  dir = tempHome('vh-audit-scale-');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Runs the CLI under a peak-RSS probe: /usr/bin/time when present, else process.resourceUsage() at exit. */
function runMeasured(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string; rssMb: number }> {
  const rssFile = join(dir, 'rss.txt');
  return new Promise((resolve, reject) => {
    let cmd: string;
    let argv: string[];
    if (existsSync('/usr/bin/time')) {
      cmd = '/usr/bin/time';
      argv = ['-f', '%M', '-o', rssFile, process.execPath, BIN, ...args];
    } else {
      cmd = process.execPath;
      argv = ['--input-type=module', '-e', `import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS))); process.argv = [process.argv[0], ${JSON.stringify(BIN)}, ...${JSON.stringify(args)}]; await import(${JSON.stringify(BIN)});`];
    }
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', async (code) => {
      const kb = Number((await fs.readFile(rssFile, 'utf8')).trim().split('\n').pop());
      resolve({ code, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8'), rssMb: kb / 1024 });
    });
  });
}

test(`a ≥ 300 MB log (${EVENTS.toLocaleString('en-US')} events) is reported in bounded memory (peak RSS ≤ 250 MB)`, async () => {
  const log = join(dir, 'audit.log');
  const { bytes, accessed } = writeNativeLog(log, { events: EVENTS, endMs: END, spanHours: 168 });
  expect(bytes).toBeGreaterThanOrEqual(300 * 1024 * 1024);
  const t0 = Date.now();
  const r = await runMeasured(['audit', '--log', log, '--since', '2025-12-01T00:00:00Z', '--until', new Date(END).toISOString(), '--json'], baseEnv(dir));
  const seconds = (Date.now() - t0) / 1000;
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const rep = JSON.parse(r.out);
  expect(rep.totals.events).toBe(EVENTS);
  expect(rep.by_event.top.find((x: { key: string }) => x.key === 'accessed').total).toBe(accessed);
  expect(rep.input_problems.total).toBe(0);
  // 2,000 distinct secrets, 40 actors: all counted, lists capped at 100 rows with the rest in "other".
  expect(rep.by_secret.distinct).toBe(2000);
  expect(rep.by_secret.top).toHaveLength(100);
  expect(rep.by_secret.top.reduce((n: number, x: { total: number }) => n + x.total, 0) + rep.by_secret.other.total).toBe(EVENTS);
  expect(rep.by_actor.distinct).toBe(40);
  console.log(`scale: ${(bytes / 1e6).toFixed(0)} MB, ${EVENTS} events reported in ${seconds.toFixed(1)} s, peak RSS ${r.rssMb.toFixed(0)} MB`);
  expect(r.rssMb).toBeLessThanOrEqual(250);
}, 180_000);
