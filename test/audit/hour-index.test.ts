import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GENESIS, chainHash, serializeEvent, type AuditEvent } from '../../src/audit/event.js';
import { AuditLog, type ScanStats } from '../../src/audit/log.js';
import { writeNativeLog } from '../helpers/audit-gen.js';
import { baseEnv, run, tempHome } from '../helpers/cli.js';

/**
 * The hour index behind AuditLog.scan(from, to): a scan through it delivers every line a full read would deliver
 * for that time range, with the same line numbers — whether the sidecar is fresh, stale, corrupt or missing, and
 * whether the log grew, was rotated or truncated. All times are explicit; none is the wall clock.
 */

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 1);

let dir: string;
beforeEach(() => {
  dir = tempHome('vh-hour-index-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Chained event lines at the given times (in file order), as the file sink writes them. */
function lines(times: number[], prev = GENESIS, tag = 'a'): { text: string; last: string } {
  let out = '';
  for (const [i, ms] of times.entries()) {
    const e: AuditEvent = { ts: new Date(ms).toISOString(), id: `${tag}-${i}`, event: 'accessed', secret: `local:app/s-${i % 7}`, secret_type: null, store: 'local', success: true, error_code: null, details: { i }, actor: `actor-${i % 3}`, actor_type: 'service', source_ip: null, host: 'h', prev, hash: '' };
    e.hash = chainHash(e);
    prev = e.hash;
    out += serializeEvent(e);
  }
  return { text: out, last: prev };
}

/** Times over `hours` hours from `start`, every `stepMs`, with a few lines out of order (late by up to 40 min). */
function times(start: number, hours: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let t = start, i = 0; t < start + hours * H; t += stepMs, i++) out.push(i % 53 === 17 ? t - 40 * 60_000 : t);
  return out;
}

interface Seen {
  line: number;
  offset: number;
  ts: number;
}

async function scan(log: AuditLog, range: { from?: number; to?: number }): Promise<{ seen: Seen[]; stats: ScanStats; problems: number[] }> {
  const seen: Seen[] = [];
  const problems: number[] = [];
  const stats = await log.scan(range, {
    line(text, line, _unterminated, offset) {
      let ts = Number.NaN;
      try {
        ts = Date.parse((JSON.parse(text) as { ts: string }).ts);
      } catch {
        problems.push(line);
      }
      seen.push({ line, offset, ts });
    },
    problem: (_kind, line) => problems.push(line),
  });
  return { seen, stats, problems };
}

/** What a full read (no index) delivers in [from, to]. */
async function truth(path: string, from: number, to: number): Promise<Seen[]> {
  const { seen } = await scan(new AuditLog(path, { indexPath: null }), {});
  return seen.filter((s) => s.ts >= from && s.ts <= to);
}

async function expectSameAsFullRead(log: AuditLog, from: number, to: number): Promise<ScanStats> {
  const { seen, stats } = await scan(log, { from, to });
  const want = await truth(log.path, from, to);
  expect(seen.filter((s) => s.ts >= from && s.ts <= to)).toEqual(want);
  return stats;
}

describe('AuditLog.scan and its hour index', () => {
  test('every range read through the index delivers what a full read delivers, line numbers and offsets alike', async () => {
    const path = join(dir, 'audit.log');
    // 3 days, a line every 5 min, some lines 40 min late, a torn line and a blank line in the middle.
    const first = lines(times(T0, 36, 5 * 60_000));
    const second = lines(times(T0 + 36 * H, 36, 5 * 60_000), first.last, 'b');
    await fs.writeFile(path, `${first.text}{"torn":\n\n${second.text}`);
    const log = new AuditLog(path, { indexPath: join(dir, 'idx.json') });
    const cold = await scan(log, { from: T0 + 30 * H });
    expect(cold.stats.index).toEqual({ state: 'missing', saved: true });
    expect(cold.stats.start.offset).toBe(0);
    const size = (await fs.stat(path)).size;
    let skipped = 0;
    for (let from = T0 - H; from <= T0 + 73 * H; from += 37 * 60_000) {
      for (const span of [30 * 60_000, 5 * H, 100 * H]) {
        const stats = await expectSameAsFullRead(log, from, from + span);
        expect(stats.index.state).toBe('valid');
        if (stats.start.offset > 0) skipped++;
        // The start is a line start: the byte before it is a newline.
        if (stats.start.offset > 0) expect((await fs.readFile(path)).subarray(stats.start.offset - 1, stats.start.offset).toString()).toBe('\n');
      }
    }
    expect(skipped).toBeGreaterThan(100);
    // A range late in the log starts late in the file; a range early in a fully indexed log stops early.
    const late = await scan(log, { from: T0 + 70 * H });
    expect(late.stats.start.offset).toBeGreaterThan(size * 0.9);
    const early = await scan(log, { from: T0, to: T0 + 2 * H });
    expect(early.stats.end).not.toBeNull();
    expect(early.stats.bytes).toBeLessThan(size * 0.1);
  });

  test('a line far out of order (a clock stepped back) is still found: starts and stops allow for the largest lag', async () => {
    const path = join(dir, 'audit.log');
    const t = times(T0, 10, 10 * 60_000);
    // After 05:00 comes a line stamped 02:15, then the log goes on.
    const at = t.indexOf(T0 + 5 * H) + 1;
    t.splice(at, 0, T0 + 2 * H + 15 * 60_000);
    await fs.writeFile(path, lines(t).text);
    const log = new AuditLog(path, { indexPath: join(dir, 'idx.json') });
    await scan(log, {});
    for (const [from, to] of [[T0, T0 + 2.5 * H], [T0 + 2 * H, T0 + 2.3 * H], [T0 + 2.2 * H, T0 + 2.26 * H]] as const) {
      const s = await expectSameAsFullRead(log, from, to);
      expect(s.end).not.toBeNull();
    }
    const { seen } = await scan(log, { from: T0 + 2 * H, to: T0 + 2.3 * H });
    expect(seen.some((x) => x.ts === T0 + 2 * H + 15 * 60_000 && x.line === at + 1)).toBe(true);
  });

  test('a log that grew is read through the old index and the new lines are indexed on the way', async () => {
    const path = join(dir, 'audit.log');
    const idx = join(dir, 'idx.json');
    const a = lines(times(T0, 24, 10 * 60_000));
    await fs.writeFile(path, a.text);
    const log = new AuditLog(path, { indexPath: idx });
    await scan(log, {});
    await fs.appendFile(path, lines(times(T0 + 24 * H, 24, 10 * 60_000), a.last, 'b').text);
    const grown = await expectSameAsFullRead(log, T0 + 30 * H, T0 + 100 * H);
    expect(grown.index).toEqual({ state: 'valid', saved: true });
    const again = await expectSameAsFullRead(log, T0 + 40 * H, T0 + 100 * H);
    expect(again.index).toEqual({ state: 'valid', saved: false });
    expect(again.start.offset).toBeGreaterThan(grown.start.offset);
  });

  test('a missing, corrupt or stale index, or a rotated or truncated log: a full read, never a wrong answer', async () => {
    const path = join(dir, 'audit.log');
    const idx = join(dir, 'idx.json');
    const log = new AuditLog(path, { indexPath: idx });
    const old = lines(times(T0, 48, 5 * 60_000));
    await fs.writeFile(path, old.text);
    await scan(log, {});
    const built = await fs.readFile(idx, 'utf8');

    // Missing.
    await fs.rm(idx);
    expect((await expectSameAsFullRead(log, T0 + 40 * H, T0 + 50 * H)).index.state).toBe('missing');
    // Corrupt: not JSON, the wrong shape, offsets beyond the indexed bytes.
    for (const bad of ['{"v":1,', '[]', JSON.stringify({ ...JSON.parse(built), entries: [1, 999_999_999, 0] }), JSON.stringify({ ...JSON.parse(built), lag: -5 })]) {
      await fs.writeFile(idx, bad);
      const s = await expectSameAsFullRead(log, T0 + 40 * H, T0 + 50 * H);
      expect(s.index.state).toBe('corrupt');
      expect(s.start.offset).toBe(0);
    }
    // Rotated: a new, shorter file at the same path (the index describes more bytes than it has).
    await fs.writeFile(idx, built);
    await fs.rename(path, `${path}.1`);
    await fs.writeFile(path, lines(times(T0 + 48 * H, 6, 5 * 60_000), old.last, 'r').text);
    expect((await expectSameAsFullRead(log, T0 + 50 * H, T0 + 60 * H)).index.state).toBe('stale');
    // Truncated and written again past the old size (copytruncate): same path, more bytes, other content.
    await fs.writeFile(idx, built);
    await fs.writeFile(path, lines(times(T0 + 100 * H, 60, 5 * 60_000), GENESIS, 't').text);
    expect((await fs.stat(path)).size).toBeGreaterThan(JSON.parse(built).size);
    const t = await expectSameAsFullRead(log, T0 + 120 * H, T0 + 130 * H);
    expect(t.index.state).toBe('stale');
    expect(t.start.offset).toBe(0);
    // Stale in the middle only where the digests see it: a changed first line is seen.
    await scan(log, {});
    const text = await fs.readFile(path, 'utf8');
    await fs.writeFile(path, text.replace('"id":"t-0"', '"id":"x-0"'));
    expect((await expectSameAsFullRead(log, T0 + 120 * H, T0 + 130 * H)).index.state).toBe('stale');
  });

  test('a rotated, gzipped log is read whole and the same', async () => {
    const path = join(dir, 'audit.log.1.gz');
    const text = lines(times(T0, 12, 5 * 60_000)).text;
    await fs.writeFile(path, gzipSync(text));
    const log = new AuditLog(path, { indexPath: join(dir, 'idx.json') });
    const { seen, stats } = await scan(log, { from: T0 + 6 * H });
    expect(stats.gzip).toBe(true);
    expect(stats.index.state).toBe('off');
    expect(seen).toHaveLength(text.split('\n').length - 1);
  });

  test('--hours 24 on a month of log reads a small share of its bytes once the index is built, and reports the same', async () => {
    const log = join(dir, 'month.log');
    const end = Date.UTC(2026, 1, 1);
    const { bytes } = writeNativeLog(log, { events: 30 * 24 * 20, endMs: end, spanHours: 30 * 24, pad: 20 });
    const args = ['audit', '--log', log, '--hours', '24', '--until', new Date(end).toISOString(), '--json'];
    // A 72 h baseline (the default is 30 days, the whole of this log): the read starts 4 days before the end.
    const config = join(dir, 'baseline-72.toml');
    await fs.writeFile(config, '[audit.anomalies]\nbaseline_hours = 72\n');
    const env = baseEnv(dir, { VH_SECRETS_CONFIG: config });
    const first = await run(args, { env });
    expect(first.code).toBe(0);
    const second = await run(args, { env });
    expect(second.code).toBe(0);
    const [a, b] = [JSON.parse(first.out), JSON.parse(second.out)];
    // The first read (no index yet) read the whole file; the second started where the index said.
    expect(a.sources[0].bytes).toBe(bytes);
    expect(b.sources[0].bytes).toBeLessThan(bytes * 0.2);
    // 24 h reported, 72 h before it as baseline (baseline_hours), whatever was read.
    const strip = (r: { generated_at: string; sources: unknown }) => ({ ...r, generated_at: '', sources: [] });
    expect(strip(b)).toEqual(strip(a));
    expect(a.totals.events).toBe(24 * 20);
    expect(a.totals.before_period).toBe(72 * 20);
  });
});
