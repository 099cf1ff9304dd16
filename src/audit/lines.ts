import { isAscii, isUtf8 } from 'node:buffer';
import { createReadStream, promises as fs } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { VhError, fromSystemError } from '../base/errors.js';
import { GENESIS } from './event.js';

/**
 * How the lines of an audit log are read; AuditLog (log.ts) and the source readers build on it, the file sink uses
 * it to find where the chain ends, the forwarder to find where a sink's cursor stands.
 *
 * A fast streaming line reader for audit logs: fixed-size reads, `Buffer.indexOf` for newlines, one string per
 * line and nothing else. It never holds more than one chunk plus one line (at most `maxLineBytes`) in memory.
 * Every line is accounted for: it reaches `line()`, or `problem()` says why not (oversize, invalid UTF-8).
 * Gzip files (by magic bytes) are decompressed on the fly, so rotated `*.gz` logs read the same.
 */

export type LineProblemKind = 'oversize_line' | 'invalid_utf8' | 'corrupt_gzip';

export interface LineSink {
  /**
   * A complete line without its `\n` (and without a trailing `\r`). `unterminated`: the file's last line had no
   * newline. `offset`: the byte offset of the line's first byte in the file (after decompression for gzip).
   */
  line(text: string, lineNo: number, unterminated: boolean, offset: number): void;
  problem(kind: LineProblemKind, lineNo: number, detail: string): void;
}

export interface LineReaderOptions {
  /** Longer lines are skipped (never buffered) and reported. @default 4 MiB */
  maxLineBytes?: number;
  /** @default 1 MiB */
  chunkBytes?: number;
  /** Where to start: a line start (byte offset) and the number of lines before it. Ignored for gzip. @default 0 */
  start?: LinePosition;
  /** Stop before this byte offset (a line start). Ignored for gzip. @default the end of the file */
  end?: number;
  /** The file, already open (the caller closes it): what is read is the file the caller looked at. */
  handle?: fs.FileHandle;
}

export interface LinePosition {
  offset: number;
  /** Lines before `offset`. */
  line: number;
}

export interface LineStats {
  /** Lines seen, including blank and skipped ones. */
  lines: number;
  blank: number;
  /** Bytes read (after decompression). */
  bytes: number;
  gzip: boolean;
  /** Just past the last newline read, and the lines up to it: where a later read can resume on a line start. */
  complete: LinePosition;
}

export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;
const NL = 0x0a;
/** Bytes decoded into one string at most (below V8's large-object threshold of 128 KiB). */
const RUN_BYTES = 64 * 1024;
const CR = 0x0d;

/** Splits pushed chunks into lines. Chunks may be reused by the caller after `push` returns. */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** Inside a line that is already longer than the limit: drop bytes until its newline. */
  private skipping = false;
  private lineNo: number;
  private blank = 0;
  private bytes = 0;
  /** File offset of the chunk being split, and of the carried partial line. */
  private base: number;
  private carryStart = 0;
  private complete: LinePosition;
  private readonly max: number;

  constructor(
    private readonly sink: LineSink,
    maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    start: LinePosition = { offset: 0, line: 0 },
  ) {
    this.max = maxLineBytes;
    this.base = start.offset;
    this.lineNo = start.line;
    this.complete = { ...start };
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let start = 0;
    if (this.carryBytes > 0 || this.skipping) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.extendCarry(chunk, 0, chunk.length);
        this.base += chunk.length;
        return;
      }
      this.extendCarry(chunk, 0, nl);
      this.finishCarry(false);
      start = nl + 1;
      this.complete = { offset: this.base + start, line: this.lineNo };
    }
    const lastNl = chunk.lastIndexOf(NL);
    if (lastNl >= start) {
      // Complete lines are decoded a run at a time and each line is a slice of that string. Runs stay under
      // RUN_BYTES: a larger string is born in V8's large-object space, and one per megabyte of log keeps the
      // full garbage collector busy (it was a quarter of a 1,000,000-line report's time).
      while (start <= lastNl) {
        let runEnd = lastNl;
        if (runEnd + 1 - start > RUN_BYTES) {
          const cut = chunk.lastIndexOf(NL, start + RUN_BYTES - 1);
          runEnd = cut >= start ? cut : chunk.indexOf(NL, start);
        }
        this.splitRun(chunk, start, runEnd);
        start = runEnd + 1;
      }
      this.complete = { offset: this.base + start, line: this.lineNo };
    }
    if (start < chunk.length) {
      if (this.carryBytes === 0 && !this.skipping) this.carryStart = this.base + start;
      this.extendCarry(chunk, start, chunk.length);
    }
    this.base += chunk.length;
  }

  /**
   * The complete lines of `chunk[start, end]` (`end` is a newline). One check for the whole run: ASCII (every line
   * the file sink writes, unless a name is not) decodes as latin1, the same string and cheaper; other valid UTF-8
   * as UTF-8; a failing run is checked line by line so each bad line is named.
   */
  private splitRun(chunk: Buffer, start: number, end: number): void {
    const run = chunk.subarray(start, end + 1);
    if (end + 1 - start <= this.max && isAscii(run)) this.emitRun(chunk.toString('latin1', start, end + 1), this.base + start, true);
    else if (end + 1 - start <= this.max && isUtf8(run)) this.emitRun(chunk.toString('utf8', start, end + 1), this.base + start, false);
    else {
      let pos = start;
      while (pos <= end) {
        const nl = chunk.indexOf(NL, pos);
        this.emit(chunk, pos, nl, false, false, this.base + pos);
        pos = nl + 1;
      }
    }
  }

  /** Flushes an unterminated last line. */
  end(): LineStats {
    if (this.carryBytes > 0 || this.skipping) this.finishCarry(true);
    return { lines: this.lineNo, blank: this.blank, bytes: this.bytes, gzip: false, complete: this.complete };
  }

  private extendCarry(chunk: Buffer, from: number, to: number): void {
    if (this.skipping) {
      this.carryBytes += to - from;
      return;
    }
    if (this.carryBytes + (to - from) > this.max) {
      this.skipping = true;
      this.carry = [];
      this.carryBytes += to - from;
      return;
    }
    if (to > from) {
      this.carry.push(Buffer.from(chunk.subarray(from, to)));
      this.carryBytes += to - from;
    }
  }

  private finishCarry(unterminated: boolean): void {
    if (this.skipping) {
      this.lineNo++;
      this.sink.problem('oversize_line', this.lineNo, `line of ${this.carryBytes} bytes exceeds the limit of ${this.max} bytes; skipped`);
    } else {
      const buf = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry, this.carryBytes);
      this.emit(buf, 0, buf.length, false, unterminated, this.carryStart);
    }
    this.carry = [];
    this.carryBytes = 0;
    this.skipping = false;
  }

  /**
   * Complete lines (the run ends with `\n`) from one decoded string; none exceeds the limit, as the whole run does
   * not. In an ASCII run a character is a byte; otherwise each line's byte length is counted for its offset.
   */
  private emitRun(text: string, offset: number, ascii: boolean): void {
    let pos = 0;
    let bytePos = offset;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      this.lineNo++;
      const at = ascii ? offset + pos : bytePos;
      if (!ascii) bytePos += Buffer.byteLength(text.slice(pos, nl + 1));
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === CR) end--;
      if (end === pos) this.blank++;
      else this.sink.line(text.slice(pos, end), this.lineNo, false, at);
      pos = nl + 1;
    }
  }

  private emit(buf: Buffer, from: number, to: number, knownValid: boolean, unterminated: boolean, offset: number): void {
    this.lineNo++;
    if (to > from && buf[to - 1] === CR) to--;
    if (to === from) {
      this.blank++;
      return;
    }
    if (to - from > this.max) {
      this.sink.problem('oversize_line', this.lineNo, `line of ${to - from} bytes exceeds the limit of ${this.max} bytes; skipped`);
      return;
    }
    if (!knownValid && !isUtf8(buf.subarray(from, to))) {
      this.sink.problem('invalid_utf8', this.lineNo, 'line is not valid UTF-8; skipped');
      return;
    }
    this.sink.line(buf.toString('utf8', from, to), this.lineNo, unterminated, offset);
  }
}

async function openForReading(path: string): Promise<fs.FileHandle> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    throw fromSystemError(err, 'cannot read audit log', path);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new VhError('INVALID_FORMAT', `cannot read audit log: ${path} is a directory`, { details: { path } });
  } catch (err) {
    await handle.close();
    throw err instanceof VhError ? err : fromSystemError(err, 'cannot read audit log', path);
  }
  return handle;
}

/**
 * Reads `path` line by line into `sink`. Throws VhError NOT_FOUND / PERMISSION_DENIED / INVALID_FORMAT when the
 * file cannot be opened; everything wrong inside the file goes to `sink.problem` instead.
 */
export async function readLines(path: string, sink: LineSink, options: LineReaderOptions = {}): Promise<LineStats> {
  const own = options.handle === undefined;
  const handle = options.handle ?? (await openForReading(path));
  const close = () => (own ? handle.close().catch(() => undefined) : Promise.resolve());
  const start = options.start ?? { offset: 0, line: 0 };
  const end = options.end ?? Number.POSITIVE_INFINITY;
  // A resumed read must not begin inside a gzip stream: its first bytes decide, before any line is split.
  if (start.offset > 0) {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0).catch(async (err: unknown) => {
      await close();
      throw fromSystemError(err, 'cannot read audit log', path);
    });
    if (bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
      await close();
      return readLines(path, sink, { ...options, start: { offset: 0, line: 0 }, end: Number.POSITIVE_INFINITY });
    }
  }
  const splitter = new LineSplitter(sink, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, start);
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  // Two buffers: the next read is under way while the current chunk is split and parsed.
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  let position = start.offset;
  const readInto = (buf: Buffer) => {
    const want = Math.min(chunkBytes, end - position);
    if (want <= 0) return Promise.resolve(0);
    const at = position;
    position += want;
    return handle.read(buf, 0, want, at).then(
      (r) => {
        // A short read is the end of the file (for now): later reads start where this one stopped.
        position = at + r.bytesRead;
        return r.bytesRead;
      },
      (err: unknown) => {
        throw fromSystemError(err, 'cannot read audit log', path);
      },
    );
  };
  let pending: Promise<number> | undefined;
  try {
    let which = 0;
    pending = readInto(buffers[0]!);
    let first = true;
    for (;;) {
      const n = await pending;
      pending = undefined;
      if (n === 0) break;
      const buf = buffers[which]!;
      if (first && start.offset === 0 && n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
        await close();
        return await readGzip(path, splitter, sink);
      }
      first = false;
      which ^= 1;
      pending = readInto(buffers[which]!);
      splitter.push(n === chunkBytes ? buf : buf.subarray(0, n));
    }
  } finally {
    await pending?.catch(() => undefined);
    await close();
  }
  return splitter.end();
}

async function readGzip(path: string, splitter: LineSplitter, sink: LineSink): Promise<LineStats> {
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of stream) splitter.push(chunk as Buffer);
  } catch (err) {
    // A cut-off or corrupt gzip member: what was decompressed so far counts, the rest is one problem.
    const stats = splitter.end();
    sink.problem('corrupt_gzip', stats.lines + 1, `gzip data is corrupt or cut off after ${stats.bytes} bytes (${(err as NodeJS.ErrnoException).code ?? 'error'}); the rest of the file was not read`);
    return { ...stats, gzip: true };
  }
  return { ...splitter.end(), gzip: true };
}

// Reads at byte offsets, for the writer (where the chain ends) and the forwarder (where a sink's cursor stands).

/** A complete line of the log and where it lies: `end` is just past its newline. */
export interface OffsetLine {
  start: number;
  end: number;
  text: string;
}

const READ_CHUNK = 1024 * 1024;
/** How far back from an offset a single line may start (longer lines are not found: callers re-anchor). */
const MAX_LINE = 1024 * 1024;

/** Complete lines (newline-terminated) from `from` to the end of the file; a trailing partial line is not one. */
export async function* readCompleteLines(handle: fs.FileHandle, from: number): AsyncGenerator<OffsetLine> {
  let pos = from;
  let carry = Buffer.alloc(0);
  let carryStart = from;
  for (;;) {
    const buf = Buffer.alloc(READ_CHUNK);
    const { bytesRead } = await handle.read(buf, 0, READ_CHUNK, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
    let lineStart = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, lineStart)) {
      yield { start: carryStart + lineStart, end: carryStart + nl + 1, text: data.toString('utf8', lineStart, nl) };
      lineStart = nl + 1;
    }
    carry = Buffer.from(data.subarray(lineStart));
    carryStart += lineStart;
  }
}

/** The text of the line that ends exactly at `offset` (its newline at offset - 1), if there is one. */
export async function lineEndingAt(handle: fs.FileHandle, offset: number): Promise<string | undefined> {
  if (offset <= 0) return undefined;
  const start = Math.max(0, offset - MAX_LINE);
  const buf = Buffer.alloc(offset - start);
  const { bytesRead } = await handle.read(buf, 0, buf.length, start);
  if (bytesRead !== buf.length || buf[buf.length - 1] !== 0x0a) return undefined;
  const prevNl = buf.lastIndexOf(0x0a, buf.length - 2);
  if (prevNl === -1 && start > 0) return undefined;
  return buf.toString('utf8', prevNl + 1, buf.length - 1);
}

const TAIL_CHUNK = 64 * 1024;

/** The hash of the last complete, parseable event line, reading backwards from the end. */
export async function lastEventHash(handle: fs.FileHandle, size: number): Promise<{ prev: string; endsClean: boolean }> {
  if (size === 0) return { prev: GENESIS, endsClean: true };
  let end = size;
  let carry = Buffer.alloc(0);
  let endsClean: boolean | undefined;
  while (end > 0) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const buf = Buffer.alloc(end - start);
    await handle.read(buf, 0, buf.length, start);
    const chunk = Buffer.concat([buf, carry]);
    if (endsClean === undefined) endsClean = chunk[chunk.length - 1] === 0x0a;
    const lines = chunk.toString('utf8').split('\n');
    // The first piece may be a partial line unless we reached the start of the file.
    const complete = start === 0 ? lines : lines.slice(1);
    for (let i = complete.length - 1; i >= 0; i--) {
      const text = complete[i]!.trim();
      if (text === '') continue;
      try {
        const parsed = JSON.parse(text) as { hash?: unknown };
        if (typeof parsed.hash === 'string' && /^[0-9a-f]{64}$/.test(parsed.hash)) return { prev: parsed.hash, endsClean };
      } catch {
        // torn or foreign line: keep looking further back
      }
    }
    carry = start === 0 ? Buffer.alloc(0) : Buffer.from(lines[0]!, 'utf8');
    end = start;
    if (carry.length > 16 * 1024 * 1024) break;
  }
  return { prev: GENESIS, endsClean: endsClean ?? true };
}
