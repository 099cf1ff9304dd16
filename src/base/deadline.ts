import { VhError } from './errors.js';

/**
 * Deadlines: every wait on something outside this process ends, with a TIMEOUT that names what did not answer.
 * A promise that loses the race is not cancelled (a socket may stay open), so callers that give up on a store
 * must not wait for it anywhere else; the CLI leaves with `process.exit` once its answer is written.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `500ms`, `10s`, `1.5m`, `1h`, or a bare number of seconds. Throws USAGE naming `option` otherwise. */
export function parseDuration(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]! : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 86_400_000) {
    throw new VhError('USAGE', `${option}: "${text}" is not a duration`, { hint: 'use e.g. 500ms, 10s, 2m (at most 24h)' });
  }
  return Math.round(ms);
}

/** `10000` → `10s`, `1500` → `1.5s`, `250` → `250ms`: how a deadline reads in a message. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.round(ms / 6_000) / 10}m`;
}

export function timeoutError(what: string, ms: number): VhError {
  return new VhError('TIMEOUT', `${what} did not answer within ${formatDuration(ms)}`, { details: { timeout_ms: Math.round(ms) } });
}

/**
 * `promise`, or a TIMEOUT naming `what` after `ms` — whichever comes first; the timer is always cleared, so a
 * won race leaves nothing behind. With `signal`, an abort rejects at once with the signal's reason.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return race(promise, ms, () => timeoutError(what, ms), signal);
}

/** `promise`, or the error `onTimeout` makes (when `ms` passes first; it may also give up what the promise waits on). */
export function race<T>(promise: Promise<T>, ms: number, onTimeout: () => Error, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted || ms <= 0) {
    promise.catch(() => undefined);
    return Promise.reject(signal?.aborted ? (signal.reason as unknown) : onTimeout());
  }
  return new Promise<T>((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      settle();
      reject(signal!.reason as unknown);
    };
    const timer = setTimeout(() => {
      settle();
      reject(onTimeout());
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        settle();
        resolve(v);
      },
      (err: unknown) => {
        settle();
        reject(err);
      },
    );
  });
}

/**
 * An AbortSignal that aborts with a TIMEOUT naming `what` after `ms` (for APIs that take a signal: fetch, the
 * SDKs' abortSignal), or earlier when `parent` aborts. `clear()` releases the timer once the call is over.
 */
export function deadlineSignal(ms: number, what: string, parent?: AbortSignal): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const onParent = () => controller.abort(parent!.reason);
  const timer = setTimeout(() => controller.abort(timeoutError(what, ms)), Math.max(0, ms));
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/**
 * A budget for a whole job (`health --timeout 20s`): every call made under it races what is left of it, so the
 * job answers within the budget however many calls hang.
 */
export class Budget {
  private readonly endsAt: number;

  constructor(
    readonly totalMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.endsAt = clock() + totalMs;
  }

  remaining(): number {
    return Math.max(0, this.endsAt - this.clock());
  }

  expired(): boolean {
    return this.remaining() === 0;
  }

  /** `promise` within what is left of the budget; the TIMEOUT names `what` and the whole budget. */
  race<T>(promise: Promise<T>, what: string): Promise<T> {
    // The message names the whole budget, not the sliver that was left when this call started.
    return race(promise, this.remaining(), () => timeoutError(what, this.totalMs));
  }
}

const stop = new AbortController();

/**
 * Aborted once the operator asked this process to stop (the CLI's SIGTERM/SIGINT handler): long jobs check it
 * between steps and end after journaling the step they are in; the CLI exits after a short grace regardless.
 */
export const stopSignal: AbortSignal = stop.signal;

export function requestStop(signal: NodeJS.Signals): void {
  // The reason is the signal's name: `stopSignal.reason === 'SIGTERM'`.
  if (!stop.signal.aborted) stop.abort(signal);
}
