import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { AuditConfig } from './config.js';
import { VhError, isVhError, type ErrorCode } from '../base/errors.js';
import { FileLock, ensurePrivateDir, writeFileAtomic } from '../base/fsutil.js';
import type { AuditEvent } from './event.js';
import { lineEndingAt, readCompleteLines as readLines } from './lines.js';
import type { RemoteSink, SinkConfig } from './sinks/types.js';

/**
 * Feeds remote sinks from the local audit log. The log is written first and is the spool: each sink keeps a
 * cursor `<spoolDir>/<name>.cursor` = `{offset, hash}` of the last event it acknowledged. A delivery pass reads
 * the complete lines after the cursor, sends them in batches in log order and moves the cursor after each
 * acknowledged batch — so a sink that is down or slow loses nothing: the events wait behind its cursor and go
 * out on the next pass, in this process or the next one. Delivery is at least once (a batch whose
 * acknowledgement was lost is sent again); every event carries a stable `id` for receivers to dedupe on.
 * One deliverer per sink at a time across processes (a lock file beside the cursor), so order is log order,
 * which keeps every writer's own order.
 */

/** Why a sink is behind, for the CLI to phrase. */
export type SinkProblem = 'unreachable' | 'rejected' | 'timeout' | 'busy' | 'local';

export interface SinkStatus {
  name: string;
  /** Nothing is waiting for this sink: every event in the log (as of the check) was acknowledged. */
  ok: boolean;
  /** Events in the local log this sink has not acknowledged yet (spooled; replayed on the next pass). */
  pending: number;
  /** Events this process delivered to the sink. */
  delivered: number;
  /** The last failure, if delivery did not finish; never contains header values or tokens. */
  error: string | undefined;
  problem: SinkProblem | undefined;
}

interface Cursor {
  offset: number;
  hash: string;
}

interface SpooledEvent {
  event: AuditEvent;
  end: number;
}

type PassOutcome = 'drained' | 'failed' | 'busy' | 'deadline';

const DEFAULT_BATCH = 500;
/** A batch stops growing at this many bytes even below its event count. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const BACKOFF_FIRST_MS = 200;
const BACKOFF_MAX_MS = 5000;

async function loadSink(config: SinkConfig): Promise<RemoteSink> {
  // Sinks load on first use: no node:https / node:tls cost for a command that configures none.
  if (config.kind === 'http') return (await import('./sinks/http.js')).createHttpSink(config);
  return (await import('./sinks/syslog.js')).createSyslogSink(config);
}

/** An event line as the file sink writes it; torn or foreign lines are not events (`audit verify` reports them). */
function parseEvent(text: string): AuditEvent | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const e = JSON.parse(text) as Partial<AuditEvent>;
    if (typeof e.id === 'string' && typeof e.hash === 'string' && typeof e.prev === 'string' && typeof e.event === 'string' && typeof e.ts === 'string') {
      return e as AuditEvent;
    }
  } catch {
    // not an event
  }
  return undefined;
}

/**
 * Where delivery resumes. Normally at the cursor — when the line ending there is the event the cursor names.
 * If the log was rotated, replaced or rewritten, the event chained from the last delivered one (`prev` =
 * cursor hash) marks the spot; when there is none, the current file is new to this sink: from its start.
 */
async function resumeOffset(handle: fs.FileHandle, cursor: Cursor | undefined): Promise<number> {
  if (!cursor) return 0;
  const { size } = await handle.stat();
  if (cursor.offset <= size) {
    const line = await lineEndingAt(handle, cursor.offset);
    if (line !== undefined && line.endsWith(`"hash":"${cursor.hash}"}`)) return cursor.offset;
  }
  const needle = `"prev":"${cursor.hash}"`;
  for await (const line of readLines(handle, 0)) {
    if (line.text.includes(needle) && parseEvent(line.text)?.prev === cursor.hash) return line.start;
  }
  return 0;
}

function problemFor(code: ErrorCode): SinkProblem {
  switch (code) {
    case 'NETWORK':
      return 'unreachable';
    case 'TIMEOUT':
      return 'timeout';
    case 'CONFLICT':
      return 'busy';
    case 'AUTH_FAILED':
    case 'PERMISSION_DENIED':
    case 'THROTTLED':
    case 'INVALID_FORMAT':
      return 'rejected';
    default:
      return 'local';
  }
}

function asVhError(err: unknown): VhError {
  if (isVhError(err)) return err;
  return new VhError('INTERNAL', err instanceof Error ? err.message : String(err));
}

/** One remote sink and its cursor into the log. */
class SinkFeed {
  delivered = 0;
  private sink: Promise<RemoteSink> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private retryAt = 0;
  private backoffMs = 0;
  private lastError: VhError | undefined;
  private readonly controller = new AbortController();
  private readonly cursorPath: string;
  private readonly lockPath: string;
  private readonly batchSize: number;

  constructor(
    private readonly audit: AuditConfig,
    readonly config: SinkConfig,
  ) {
    this.cursorPath = join(audit.spoolDir, `${config.name}.cursor`);
    this.lockPath = join(audit.spoolDir, `${config.name}.lock`);
    this.batchSize = config.kind === 'http' ? config.batchSize : DEFAULT_BATCH;
  }

  /** Start a background pass (or ask the running one to go round again). Never waits; never throws. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (Date.now() < this.retryAt) return; // backing off after a failure; the closing pass still tries
    this.running = this.loop()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
      });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      // In the background, a sink another process is feeding is left to it: that process sends our events too.
      if ((await this.pass(Number.POSITIVE_INFINITY, 0)) !== 'drained') return;
    } while (this.again && !this.closed);
  }

  /**
   * Deliver everything in the log by `deadline` (epoch ms): lets a background pass finish, then makes a last
   * pass that waits for the sink's lock, so events committed after the background pass read the log go too.
   * At the deadline an unanswered request is cut off; its batch stays behind the cursor.
   */
  async drain(deadline: number, boundMs: number): Promise<SinkStatus> {
    this.closed = true;
    const timer = setTimeout(() => {
      this.controller.abort(new VhError('TIMEOUT', `no acknowledgement within the flush bound (${boundMs} ms)`));
    }, Math.max(0, deadline - Date.now()));
    timer.unref();
    let outcome: PassOutcome = 'deadline';
    try {
      await this.running;
      if (Date.now() < deadline && !this.controller.signal.aborted) outcome = await this.pass(deadline, Math.max(0, deadline - Date.now()));
    } finally {
      clearTimeout(timer);
    }
    if (outcome === 'busy') this.lastError = new VhError('CONFLICT', 'another vh-secrets process kept this sink busy');
    if (outcome === 'deadline' && this.lastError === undefined) this.lastError = new VhError('TIMEOUT', `flush bound (${boundMs} ms) reached with events left`);
    return this.status(outcome === 'drained');
  }

  /**
   * `drained`: this process's last pass reached the end of the log, so whatever is pending now was appended
   * since — by writers that deliver it themselves.
   */
  async status(drained = false): Promise<SinkStatus> {
    let pending = 0;
    let error = this.lastError;
    let counted = true;
    try {
      pending = await this.countPending();
    } catch (err) {
      counted = false;
      error = asVhError(err);
    }
    const ok = counted && (drained || pending === 0);
    return {
      name: this.config.name,
      ok,
      pending,
      delivered: this.delivered,
      error: ok ? undefined : error?.message,
      problem: ok ? undefined : error ? problemFor(error.code) : 'busy',
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.controller.signal.aborted) this.controller.abort(new VhError('TIMEOUT', 'audit forwarder closed'));
    await this.running;
    const sink = await this.sink?.catch(() => undefined);
    await sink?.close().catch(() => undefined);
  }

  private getSink(): Promise<RemoteSink> {
    this.sink ??= loadSink(this.config);
    return this.sink;
  }

  private async readCursor(): Promise<Cursor | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.cursorPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const c = JSON.parse(text) as Partial<Cursor>;
      if (typeof c.offset === 'number' && Number.isSafeInteger(c.offset) && c.offset >= 0 && typeof c.hash === 'string' && /^[0-9a-f]{64}$/.test(c.hash)) {
        return { offset: c.offset, hash: c.hash };
      }
    } catch {
      // unreadable cursor: start over (duplicates, never a loss)
    }
    return undefined;
  }

  private async openLog(): Promise<fs.FileHandle | undefined> {
    try {
      return await fs.open(this.audit.log, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private async countPending(): Promise<number> {
    const handle = await this.openLog();
    if (!handle) return 0;
    try {
      const from = await resumeOffset(handle, await this.readCursor());
      let n = 0;
      for await (const line of readLines(handle, from)) if (parseEvent(line.text)) n++;
      return n;
    } finally {
      await handle.close();
    }
  }

  private async nextBatch(handle: fs.FileHandle, from: number): Promise<SpooledEvent[]> {
    const batch: SpooledEvent[] = [];
    let bytes = 0;
    for await (const line of readLines(handle, from)) {
      const event = parseEvent(line.text);
      if (!event) continue;
      batch.push({ event, end: line.end });
      bytes += line.end - line.start;
      if (batch.length >= this.batchSize || bytes >= MAX_BATCH_BYTES) break;
    }
    return batch;
  }

  private async pass(deadline: number, lockWaitMs: number): Promise<PassOutcome> {
    let lock: FileLock | undefined;
    try {
      await ensurePrivateDir(this.audit.spoolDir);
      try {
        lock = await FileLock.acquire(this.lockPath, { timeoutMs: lockWaitMs });
      } catch (err) {
        if (isVhError(err) && err.code === 'CONFLICT') return 'busy';
        throw err;
      }
      const handle = await this.openLog();
      if (!handle) return 'drained';
      try {
        let offset = await resumeOffset(handle, await this.readCursor());
        for (;;) {
          const batch = await this.nextBatch(handle, offset);
          if (batch.length === 0) {
            this.lastError = undefined;
            this.backoffMs = 0;
            return 'drained';
          }
          if (Date.now() >= deadline) return 'deadline';
          const sink = await this.getSink();
          await sink.send(
            batch.map((b) => b.event),
            this.controller.signal,
          );
          const last = batch[batch.length - 1]!;
          await writeFileAtomic(this.cursorPath, `${JSON.stringify({ offset: last.end, hash: last.event.hash })}\n`, 0o600);
          offset = last.end;
          this.delivered += batch.length;
          this.lastError = undefined;
          this.backoffMs = 0;
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      this.lastError = asVhError(err);
      this.backoffMs = Math.min(Math.max(BACKOFF_FIRST_MS, this.backoffMs * 2), BACKOFF_MAX_MS);
      this.retryAt = Date.now() + this.backoffMs;
      return 'failed';
    } finally {
      await lock?.release().catch(() => undefined);
    }
  }
}

/** The remote sinks of one `[audit]` configuration. */
export class AuditForwarder {
  private readonly feeds: SinkFeed[];

  constructor(audit: AuditConfig) {
    const names = new Set<string>();
    for (const s of audit.sinks) {
      if (names.has(s.name)) throw new VhError('CONFIG', `two audit sinks are named "${s.name}"`, { hint: 'give each [[audit.sinks]] its own name' });
      names.add(s.name);
    }
    this.feeds = audit.sinks.map((s) => new SinkFeed(audit, s));
  }

  /** After a local commit: start delivering in the background. Returns at once. */
  kick(): void {
    for (const f of this.feeds) f.kick();
  }

  /**
   * Deliver what the log holds to every sink, giving up at `deadline` (epoch ms); per-sink status. `boundMs`
   * only words the timeout message. After this the forwarder starts no more background passes.
   */
  async deliver(deadline: number, boundMs = Math.max(0, Math.round(deadline - Date.now()))): Promise<SinkStatus[]> {
    return Promise.all(this.feeds.map((f) => f.drain(deadline, boundMs)));
  }

  /** Where each sink stands now, without delivering. */
  status(): Promise<SinkStatus[]> {
    return Promise.all(this.feeds.map((f) => f.status()));
  }

  /** Closes connections (keep-alive sockets); the process may then exit. */
  async close(): Promise<void> {
    await Promise.all(this.feeds.map((f) => f.close()));
  }
}

/**
 * Delivers events spooled for the configured remote sinks (`vh-secrets audit flush`). `deadlineMs` is an
 * epoch time (`Date.now() + 30_000`); a value below 10^12 is taken as a duration from now. Resolves to
 * per-sink status (empty when no sink is configured); `ok` false means events are still spooled.
 */
export async function flushAuditSinks(config: AuditConfig, deadlineMs: number): Promise<SinkStatus[]> {
  if (config.sinks.length === 0) return [];
  const now = Date.now();
  const deadline = deadlineMs < 1e12 ? now + deadlineMs : deadlineMs;
  const forwarder = new AuditForwarder(config);
  try {
    return await forwarder.deliver(deadline, Math.max(0, deadline - now));
  } finally {
    await forwarder.close();
  }
}
