import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../base/fsutil.js';
import type { LinePosition } from './lines.js';
import { parseTimestamp } from './sources/types.js';

/**
 * A byte-offset index of hour boundaries in an append-only JSON-lines audit log, kept in a small sidecar file.
 *
 * Each entry (hour H, offset O, lines L) says: every line before byte O has a time before H — O is where the
 * running maximum of the times first reaches H, so the promise holds even when lines are a little out of order.
 * A scan from time F starts at the entry with the largest H ≤ F. For a scan up to time T the index also keeps the
 * largest lag seen (running maximum minus a line's time): every line at or after the entry of hour H has a time
 * ≥ H − lag, so a fully indexed log can stop early too.
 *
 * The sidecar describes a prefix of the log (its first `size` bytes, ending on a newline), checked against the
 * file before use by digests of its first and last 4 KiB. A log that was rotated, truncated or rewritten, and a
 * sidecar that is missing, stale or corrupt, all end the same way: the index is dropped and the scan reads from
 * the start — slower, never wrong. Lines appended since are indexed on the next scan that reads them.
 */

export const INDEX_VERSION = 1;
const HOUR_MS = 3_600_000;
const PROBE = 4096;

interface IndexFile {
  v: typeof INDEX_VERSION;
  /** Bytes of the log indexed: a line start (just past a newline). */
  size: number;
  /** Lines in those bytes. */
  lines: number;
  head: string;
  tail: string;
  /** Running maximum of the times (epoch ms) over the indexed lines; null when none had a time. */
  max: number | null;
  /** Largest running maximum minus a line's own time. */
  lag: number;
  /** Flat triples: hour (epoch ms / HOUR_MS), offset, lines before it; ascending. */
  entries: number[];
}

export interface HourEntry {
  hour: number;
  offset: number;
  line: number;
}

function digest(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex').slice(0, 32);
}

async function readAt(handle: fs.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/** Digests of a log prefix `[0, size)`: its first and its last PROBE bytes. */
async function fingerprint(handle: fs.FileHandle, size: number): Promise<{ head: string; tail: string; lastByte: number }> {
  const head = await readAt(handle, 0, Math.min(PROBE, size));
  const tail = await readAt(handle, Math.max(0, size - PROBE), Math.min(PROBE, size));
  return { head: digest(head), tail: digest(tail), lastByte: tail.length > 0 ? tail[tail.length - 1]! : -1 };
}

function isIndexFile(v: unknown): v is IndexFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Partial<IndexFile>;
  const nat = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (f.v !== INDEX_VERSION || !nat(f.size) || !nat(f.lines) || typeof f.head !== 'string' || typeof f.tail !== 'string') return false;
  if (!(f.max === null || (typeof f.max === 'number' && Number.isFinite(f.max))) || !nat(f.lag) || !Array.isArray(f.entries) || f.entries.length % 3 !== 0) return false;
  let prevHour = Number.NEGATIVE_INFINITY;
  let prevOffset = -1;
  let prevLine = -1;
  for (let i = 0; i < f.entries.length; i += 3) {
    const [h, o, l] = [f.entries[i], f.entries[i + 1], f.entries[i + 2]];
    if (typeof h !== 'number' || !Number.isSafeInteger(h) || !nat(o) || !nat(l)) return false;
    if (h <= prevHour || o < prevOffset || l < prevLine || o >= f.size || l >= f.lines) return false;
    prevHour = h;
    prevOffset = o;
    prevLine = l;
  }
  return true;
}

/** The time of a line in the shape the file sink writes (`…,"ts":"<ISO>","hash":"<64 hex>"}`), else undefined. */
export function canonicalTime(text: string): number | undefined {
  const n = text.length;
  // `,"ts":"` 7 + 24 + `","hash":"` 10 + 64 + `"}` 2
  if (n < 108 || text.charCodeAt(n - 1) !== 125 || text.charCodeAt(n - 2) !== 34 || !text.startsWith('","hash":"', n - 76) || !text.startsWith(',"ts":"', n - 107)) return undefined;
  const ts = parseTimestamp(text.slice(n - 100, n - 76));
  return Number.isNaN(ts) ? undefined : ts;
}

/**
 * The time of any line as the readers see it: the string `ts` of a JSON object, else undefined (a line without
 * one is never an event, so it cannot be missed by skipping it).
 */
export function lineTime(text: string): number | undefined {
  const fast = canonicalTime(text);
  if (fast !== undefined) return fast;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const ts = (v as { ts?: unknown }).ts;
  if (typeof ts !== 'string') return undefined;
  const ms = parseTimestamp(ts);
  return Number.isNaN(ms) ? undefined : ms;
}

export class HourIndex {
  private constructor(
    private data: IndexFile,
    /** Whether lines were added since it was loaded. */
    private changed: boolean,
  ) {}

  static empty(): HourIndex {
    return new HourIndex({ v: INDEX_VERSION, size: 0, lines: 0, head: '', tail: '', max: null, lag: 0, entries: [] }, false);
  }

  /**
   * The sidecar at `indexPath` if it still describes a prefix of the open log, else an empty index. Never
   * throws: an index that cannot be read or trusted is simply not used.
   */
  static async load(indexPath: string, log: fs.FileHandle, logSize: number): Promise<{ index: HourIndex; state: 'valid' | 'missing' | 'corrupt' | 'stale' }> {
    let text: string;
    try {
      text = await fs.readFile(indexPath, 'utf8');
    } catch {
      return { index: HourIndex.empty(), state: 'missing' };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { index: HourIndex.empty(), state: 'corrupt' };
    }
    if (!isIndexFile(parsed)) return { index: HourIndex.empty(), state: 'corrupt' };
    if (parsed.size === 0) return { index: HourIndex.empty(), state: 'valid' };
    if (parsed.size > logSize) return { index: HourIndex.empty(), state: 'stale' };
    try {
      const fp = await fingerprint(log, parsed.size);
      if (fp.head !== parsed.head || fp.tail !== parsed.tail || fp.lastByte !== 0x0a) return { index: HourIndex.empty(), state: 'stale' };
    } catch {
      return { index: HourIndex.empty(), state: 'stale' };
    }
    return { index: new HourIndex(parsed, false), state: 'valid' };
  }

  /** Bytes of the log this index covers (a line start). */
  get size(): number {
    return this.data.size;
  }

  get lines(): number {
    return this.data.lines;
  }

  get entryCount(): number {
    return this.data.entries.length / 3;
  }

  get dirty(): boolean {
    return this.changed;
  }

  /** Where a scan for lines with times ≥ `from` can start: every line before it is earlier. */
  startFor(from: number): LinePosition {
    const e = this.data.entries;
    const hour = Math.floor(from / HOUR_MS);
    // The last entry with hour ≤ floor(from / 1 h): its hour start is ≤ from.
    let lo = 0;
    let hi = e.length / 3 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (e[mid * 3]! <= hour) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? { offset: 0, line: 0 } : { offset: e[found * 3 + 1]!, line: e[found * 3 + 2]! };
  }

  /**
   * Where a scan for lines with times ≤ `to` can stop: every line at or after it is later. Only meaningful when
   * the index covers the whole log (lines after `size` are unknown); undefined when no entry helps.
   */
  endFor(to: number): number | undefined {
    const e = this.data.entries;
    // The first entry whose hour start minus the lag is after `to`.
    const minHour = Math.floor((to + this.data.lag) / HOUR_MS) + 1;
    for (let lo = 0, hi = e.length / 3 - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      if (e[mid * 3]! >= minHour) {
        if (mid === 0 || e[(mid - 1) * 3]! < minHour) return e[mid * 3 + 1]!;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return undefined;
  }

  /** Starts a builder that extends this index with the lines after its end, in file order. */
  extender(): HourIndexBuilder {
    return new HourIndexBuilder(this.data.size, this.data.max, this.data.lag, this.data.entries.slice());
  }

  /** Takes what a builder saw up to `complete` (a line start the read reached) and fingerprints it. */
  async adopt(builder: HourIndexBuilder, complete: LinePosition, log: fs.FileHandle): Promise<void> {
    if (complete.offset <= this.data.size) return;
    const fp = await fingerprint(log, complete.offset);
    if (fp.lastByte !== 0x0a) return;
    this.data = { v: INDEX_VERSION, size: complete.offset, lines: complete.line, head: fp.head, tail: fp.tail, max: builder.max, lag: builder.lag, entries: builder.entriesBefore(complete.offset) };
    this.changed = true;
  }

  /** Writes the sidecar (mode 0600, atomically). Best effort: a log in a place we cannot write is still read. */
  async save(indexPath: string): Promise<boolean> {
    try {
      await ensurePrivateDir(dirname(indexPath));
      await writeFileAtomic(indexPath, `${JSON.stringify(this.data)}\n`, 0o600, { durable: false });
      this.changed = false;
      return true;
    } catch {
      return false;
    }
  }
}

/** Collects hour crossings of the running maximum time, line by line, from a line start on. */
export class HourIndexBuilder {
  constructor(
    /** Lines before this offset are already indexed and are not looked at again. */
    readonly from: number,
    public max: number | null,
    public lag: number,
    private readonly entries: number[],
  ) {}

  /** One line at `offset` (the `line`-th of the file) with time `ts`; lines must come in file order. */
  observe(offset: number, line: number, ts: number): void {
    if (offset < this.from) return;
    if (this.max === null || ts > this.max) {
      const hour = Math.floor(ts / HOUR_MS);
      if (this.max === null || hour > Math.floor(this.max / HOUR_MS)) this.entries.push(hour, offset, line - 1);
      this.max = ts;
    } else if (this.max - ts > this.lag) this.lag = this.max - ts;
  }

  /** The entries of lines starting before `end` (the rest may belong to a line not yet complete). */
  entriesBefore(end: number): number[] {
    let n = this.entries.length;
    while (n > 0 && this.entries[n - 2]! >= end) n -= 3;
    return this.entries.slice(0, n);
  }
}
