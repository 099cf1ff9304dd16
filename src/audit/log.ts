import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromSystemError, isVhError } from '../base/errors.js';
import type { AuditEvent } from './event.js';
import { FileAuditSink } from './file-sink.js';
import { HourIndex, lineTime } from './hour-index.js';
import { readLines, type LinePosition, type LineSink, type LineStats } from './lines.js';
import { verifyChain, type ChainReport } from './verify.js';

/**
 * The local audit log: the one module that knows how its JSON-lines file is read. `scan` streams the lines of a
 * time range in one pass, starting (and, for a fully indexed log, stopping) where the hour index says; `verify`
 * checks the hash chain; `append` hands events to the file sink, which alone writes (lock, append, fsync).
 * Lines come out as text with their line number and byte offset; what an event means is left to the caller.
 */

export interface ScanRange {
  /** Epoch ms: every line with a time ≥ from (and ≤ to) is delivered. Others may be too — filter by time. */
  from?: number;
  to?: number;
}

export interface ScanStats extends LineStats {
  /** Where the read started and (when the index allowed it) stopped. */
  start: LinePosition;
  end: number | null;
  /** What the hour index was before this scan, and whether it was extended and saved. */
  index: { state: 'valid' | 'missing' | 'corrupt' | 'stale' | 'off'; saved: boolean };
}

export interface AuditLogOptions {
  /** Sidecar of the hour index (see `indexPathIn`); none: no index, every scan reads the whole file. */
  indexPath?: string | null;
  hmacKey?: string | undefined;
  /** Signed head file written after each commit and checked by `verify`. */
  anchor?: string | undefined;
}

/** The hour index of `log` in `dir`, named by the log's absolute path (not beside it: a log may sit where we cannot write). */
export function indexPathIn(dir: string, log: string): string {
  const key = createHash('sha256').update(resolve(log)).digest('hex').slice(0, 32);
  return join(dir, `${key}.json`);
}

export class AuditLog {
  private sink: FileAuditSink | undefined;
  readonly indexPath: string | null;

  constructor(
    readonly path: string,
    private readonly options: AuditLogOptions = {},
  ) {
    this.indexPath = options.indexPath ?? null;
  }

  /** Appends one event through the file sink (chained, locked, fsync'd); the sink owns the write path. */
  append(event: Omit<AuditEvent, 'prev' | 'hash'>): Promise<AuditEvent> {
    this.sink ??= new FileAuditSink(this.path, this.options.hmacKey, this.options.anchor);
    return this.sink.append(event);
  }

  /**
   * Streams the lines that can hold events of `range` into `sink`, in file order, in one pass. Throws VhError
   * NOT_FOUND / PERMISSION_DENIED / INVALID_FORMAT when the log cannot be opened; problems inside it go to
   * `sink.problem`. Lines read past the index's end are indexed on the way, and the sidecar is updated.
   */
  async scan(range: ScanRange, sink: LineSink): Promise<ScanStats> {
    if (this.indexPath === null) return { ...(await readLines(this.path, sink)), start: { offset: 0, line: 0 }, end: null, index: { state: 'off', saved: false } };
    const indexPath = this.indexPath;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.path, 'r');
    } catch (err) {
      throw fromSystemError(err, 'cannot read audit log', this.path);
    }
    let loaded: Awaited<ReturnType<typeof HourIndex.load>>;
    let size: number;
    let gzip = false;
    let regular = true;
    try {
      const st = await handle.stat();
      size = st.size;
      regular = st.isFile();
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw fromSystemError(err, 'cannot read audit log', this.path);
    }
    if (!regular) {
      // A directory or a pipe: the line reader says what is wrong, or reads it as it comes.
      await handle.close().catch(() => undefined);
      return { ...(await readLines(this.path, sink)), start: { offset: 0, line: 0 }, end: null, index: { state: 'off', saved: false } };
    }
    try {
      const magic = Buffer.alloc(2);
      await handle.read(magic, 0, 2, 0);
      gzip = size >= 2 && magic[0] === 0x1f && magic[1] === 0x8b;
      loaded = gzip ? { index: HourIndex.empty(), state: 'missing' } : await HourIndex.load(indexPath, handle, size);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw fromSystemError(err, 'cannot read audit log', this.path);
    }
    try {
      if (gzip) return { ...(await readLines(this.path, sink)), start: { offset: 0, line: 0 }, end: null, index: { state: 'off', saved: false } };
      const { index, state } = loaded;
      const start = range.from !== undefined ? index.startFor(range.from) : { offset: 0, line: 0 };
      // Stopping early needs every line indexed: lines after the index's end may be any time.
      const end = range.to !== undefined && index.size === size ? index.endFor(range.to) : undefined;
      const builder = index.extender();
      const indexFrom = index.size;
      const stats = await readLines(
        this.path,
        {
          line(text, lineNo, unterminated, offset) {
            if (offset >= indexFrom && !unterminated) {
              const ts = lineTime(text);
              if (ts !== undefined) builder.observe(offset, lineNo, ts);
            }
            sink.line(text, lineNo, unterminated, offset);
          },
          problem: (kind, lineNo, detail) => sink.problem(kind, lineNo, detail),
        },
        { handle, start, ...(end !== undefined ? { end } : {}) },
      );
      let saved = false;
      if (end === undefined && !stats.gzip) {
        await index.adopt(builder, stats.complete, handle).catch(() => undefined);
        if (index.dirty || state !== 'valid') saved = await index.save(indexPath);
      }
      return { ...stats, start, end: end ?? null, index: { state, saved } };
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
   * `scan`, with each line parsed as JSON: `onValue` gets every value; lines that are not JSON (or that the line
   * reader refused) are counted as unreadable. A missing log reads as empty, `found: false`.
   */
  async values(range: ScanRange, onValue: (value: unknown, lineNo: number) => void): Promise<{ found: boolean; unreadable: number }> {
    let unreadable = 0;
    try {
      await this.scan(range, {
        line(text, lineNo) {
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            unreadable++;
            return;
          }
          onValue(value, lineNo);
        },
        problem() {
          unreadable++;
        },
      });
    } catch (err) {
      if (isVhError(err) && err.code === 'NOT_FOUND') return { found: false, unreadable: 0 };
      throw err;
    }
    return { found: true, unreadable };
  }

  /** Checks every line's `prev` link and `hash` (and the signed head, when one is configured). */
  verify(): Promise<ChainReport> {
    const { hmacKey, anchor } = this.options;
    return verifyChain(this.path, { ...(hmacKey !== undefined ? { hmacKey } : {}), ...(anchor !== undefined ? { anchor } : {}) });
  }
}
