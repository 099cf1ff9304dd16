import { constants, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { fromSystemError, isVhError } from '../base/errors.js';
import { ensurePrivateDir, withLock } from '../base/fsutil.js';
import { writeHead } from './anchor.js';
import { chainHash, serializeEvent, type AuditEvent } from './event.js';
import { lastEventHash as lastHash } from './lines.js';

type Unchained = Omit<AuditEvent, 'prev' | 'hash'>;

interface Waiter {
  event: Unchained;
  resolve: (e: AuditEvent) => void;
  reject: (err: unknown) => void;
}

/**
 * The local audit log: append-only JSON Lines, mode 0600, fsync'd, hash-chained. Writers in several
 * processes serialise on a lock file beside the log, so lines never interleave and the chain stays linear.
 * Within one process, events that arrive while a write is under way are committed together — one lock, one
 * write, one fsync — and each caller still returns only once its own event is on disk.
 */
export class FileAuditSink {
  private queue: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  /** The file as this process last left it: when it is still so, its last hash need not be read back. */
  private tail: { dev: number; ino: number; size: number; prev: string } | undefined;

  constructor(
    readonly path: string,
    private readonly hmacKey?: string,
    /** Signed head file rewritten after each commit (see anchor.ts); none when undefined. */
    private readonly anchor?: string,
  ) {}

  append(event: Unchained): Promise<AuditEvent> {
    return new Promise<AuditEvent>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const written = await this.commit(batch.map((w) => w.event));
          batch.forEach((w, i) => w.resolve(written[i]!));
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async commit(events: Unchained[], again = false): Promise<AuditEvent[]> {
    // The directory is made once per sink, and again if it vanished meanwhile.
    if (!this.dirReady || again) {
      await ensurePrivateDir(dirname(this.path));
      this.dirReady = true;
    }
    if (!again) {
      try {
        return await this.commitInDir(events);
      } catch (err) {
        // Only when the directory itself is gone (then nothing was appended): never append a batch twice.
        const gone = await fs.stat(dirname(this.path)).then(() => false, () => true);
        if (!isVhError(err) || err.code !== 'NOT_FOUND' || !gone) throw err;
        return this.commit(events, true);
      }
    }
    return this.commitInDir(events);
  }

  private dirReady = false;

  private async commitInDir(events: Unchained[]): Promise<AuditEvent[]> {
    return withLock(`${this.path}.lock`, async () => {
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(this.path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o600);
        const st = await handle.stat();
        const known = this.tail && this.tail.dev === st.dev && this.tail.ino === st.ino && this.tail.size === st.size ? this.tail : undefined;
        const { prev, endsClean } = known ? { prev: known.prev, endsClean: true } : await lastHash(handle, st.size);
        let link = prev;
        const chained = events.map((e) => {
          const full: AuditEvent = { ...e, prev: link, hash: '' };
          full.hash = chainHash(full, this.hmacKey);
          link = full.hash;
          return full;
        });
        // A line torn by a crash is closed off so ours stay whole; `audit verify` reports the torn one.
        const text = (endsClean ? '' : '\n') + chained.map(serializeEvent).join('');
        await handle.write(text);
        await handle.sync();
        const size = st.size + Buffer.byteLength(text);
        this.tail = { dev: st.dev, ino: st.ino, size, prev: link };
        if (this.anchor !== undefined) await writeHead(this.anchor, link, size, this.hmacKey);
        return chained;
      } catch (err) {
        this.tail = undefined;
        throw fromSystemError(err, 'cannot append to audit log', this.path);
      } finally {
        await handle?.close();
      }
    });
  }
}
