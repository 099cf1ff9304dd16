import { isAscii, isUtf8 } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { PROGRESS, type Detector } from './detector.js';
import type { Finding, ScanError, Skipped } from './types.js';
import type { WalkEntry } from './walk.js';

/** Files up to this size are read in one call; larger ones are read and scanned a chunk at a time. */
export const CHUNK_BYTES = 8 * 1024 * 1024;
const BINARY_PROBE = 8000;

export interface FileResult {
  findings: Finding[];
  skipped?: Skipped;
  error?: ScanError;
  bytes: number;
}

export function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, BINARY_PROBE).includes(0);
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Feeds a stream of bytes to the detector in pieces cut at line ends, so memory stays bounded and no line
 * (and no secret on it) is split — unless one line is longer than two chunks, which is then cut.
 */
export class ChunkScanner {
  private carry: Buffer = Buffer.alloc(0);
  private lines = 0;
  private first = true;
  readonly findings: Finding[] = [];
  invalidUtf8 = false;
  binary = false;
  bytes = 0;

  constructor(
    private readonly detector: Detector,
    private readonly file: string,
  ) {}

  /** false once the input turned out to be binary: stop feeding. */
  push(chunk: Buffer): boolean {
    if (this.first) {
      this.first = false;
      if (looksBinary(chunk)) {
        this.binary = true;
        return false;
      }
    }
    this.bytes += chunk.length;
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    if (buf.length < CHUNK_BYTES) {
      this.carry = buf;
      return true;
    }
    let cut = buf.lastIndexOf(10) + 1;
    if (cut === 0 || (cut < CHUNK_BYTES / 2 && buf.length >= 2 * CHUNK_BYTES)) cut = buf.length;
    this.scanPiece(buf.subarray(0, cut));
    this.carry = Buffer.from(buf.subarray(cut));
    return true;
  }

  end(): void {
    if (this.carry.length && !this.binary) this.scanPiece(this.carry);
    this.carry = Buffer.alloc(0);
  }

  private scanPiece(piece: Buffer): void {
    let text: string;
    // Plain ASCII (most source) is the same string in Latin-1, which decodes as a copy.
    if (isAscii(piece)) text = piece.toString('latin1');
    else if (isUtf8(piece)) text = piece.toString('utf8');
    else {
      this.invalidUtf8 = true;
      text = piece.toString('latin1');
    }
    this.findings.push(...this.detector.scan(text, this.file, this.lines));
    this.lines += countNewlines(piece);
  }
}

function resultOf(scanner: ChunkScanner, rel: string): FileResult {
  if (scanner.binary) return { findings: [], bytes: 0, skipped: { file: rel, reason: 'binary', detail: 'binary file (NUL bytes)' } };
  const result: FileResult = { findings: scanner.findings, bytes: scanner.bytes };
  if (scanner.invalidUtf8) result.skipped = { file: rel, reason: 'invalid-utf8', detail: 'not valid UTF-8: scanned as Latin-1' };
  return result;
}

let shared: Buffer | undefined;

/**
 * One read buffer for every file this thread reads (the text decoded from it is a copy), so reading a file
 * allocates nothing the garbage collector has to chase. It grows to the largest read, at most CHUNK_BYTES + 1.
 */
function readBuffer(bytes: number): Buffer {
  if (!shared || shared.length < bytes) shared = Buffer.allocUnsafeSlow(Math.max(bytes, 64 * 1024));
  return shared;
}

/**
 * Reads one file once and scans it. Opens non-blocking and checks through the open descriptor that it is a
 * regular file within the size limit, so a FIFO or device (even one swapped in after the walk) never blocks the
 * scan. Synchronous on purpose: this runs in a worker thread (or a CLI with nothing else to do), and a direct
 * system call is several times cheaper than a round trip through the libuv thread pool per file.
 */
export function scanFile(detector: Detector, abs: string, rel: string, maxBytes: number): FileResult {
  let fd: number | undefined;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) return { findings: [], bytes: 0, skipped: { file: rel, reason: 'not-regular', detail: 'not a regular file' } };
    if (st.size > maxBytes) return { findings: [], bytes: 0, skipped: { file: rel, reason: 'too-large', detail: `${(st.size / 1048576).toFixed(1)} MB is over --max-file-size` } };
    const scanner = new ChunkScanner(detector, rel);
    const size = Math.min(st.size, CHUNK_BYTES);
    const buf = readBuffer(size + 1);
    for (;;) {
      // One read for a small file (size + 1 so a file that grew is still read to its end).
      const n = readSync(fd, buf, 0, size + 1, null);
      if (n === 0) break;
      const more = n === size + 1;
      // The scanner may keep the piece until the next one: copy it out of the shared buffer when there is one.
      if (!scanner.push(more ? Buffer.from(buf.subarray(0, n)) : buf.subarray(0, n)) || !more) break;
    }
    scanner.end();
    return resultOf(scanner, rel);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { findings: [], bytes: 0, skipped: { file: rel, reason: 'symlink-loop', detail: 'symlink loop' } };
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOENT' ? 'vanished during the scan' : (code ?? (err as Error).message);
    return { findings: [], bytes: 0, error: { file: rel, message: `cannot read: ${why}` } };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * What scanning a batch of files gives: files with something to report (findings, a skip, an error) in full,
 * and the rest only counted, so little crosses from a worker thread back to the main thread.
 */
export interface BatchResult {
  results: FileResult[];
  /** Files scanned with nothing to report, and their bytes. */
  clean: number;
  cleanBytes: number;
}

export function scanBatch(detector: Detector, entries: readonly WalkEntry[], maxBytes: number): BatchResult {
  const batch: BatchResult = { results: [], clean: 0, cleanBytes: 0 };
  for (const e of entries) {
    if (detector.progress) {
      Atomics.add(detector.progress, PROGRESS.file, 1);
      Atomics.add(detector.progress, PROGRESS.beat, 1);
    }
    const r = scanFile(detector, e.abs, e.rel, maxBytes);
    if (r.findings.length || r.skipped || r.error) batch.results.push(r);
    else {
      batch.clean++;
      batch.cleanBytes += r.bytes;
    }
  }
  return batch;
}
