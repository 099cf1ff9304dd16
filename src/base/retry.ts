import { VhError, isRetryable, isVhError } from './errors.js';

/**
 * Two retry policies, because a read and a write fail differently.
 *
 * A read (and a write the store makes idempotent: a metadata merge, a label move checked afterwards, AWS's
 * ClientRequestToken) can simply be sent again: `withRetry`.
 *
 * A write the store does not make idempotent (Vault's CAS write, Azure's setSecret, GCP's addSecretVersion) is
 * sent again only when the provider knows the first attempt was not carried out (refused before it reached the
 * server, or throttled: `details.applied === false`). Any other failure after the request left — a reset
 * connection, a timeout, a 5xx — is ambiguous: `writeOnce` then asks the store (`reconcile`) whether the write
 * landed, and continues from that truth. Sending it again blindly would meet our own first attempt as a
 * conflict, and a rotation would roll back from a version that was in fact written.
 */

export interface RetryPolicy {
  /** Total attempts, first included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Default: 6 attempts, 200 ms doubling to a 3 s cap with full jitter — rides out a store restart of a few
 * seconds without turning an outage into a retry storm. `VH_SECRETS_RETRIES` overrides the attempt count.
 */
export function defaultRetryPolicy(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const n = Number(env.VH_SECRETS_RETRIES);
  return { attempts: Number.isInteger(n) && n >= 1 && n <= 20 ? n : 6, baseMs: 200, maxMs: 3_000 };
}

function backoff(policy: RetryPolicy, attempt: number): Promise<void> {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return new Promise((r) => setTimeout(r, cap / 2 + Math.random() * (cap / 2)));
}

/** Runs `fn`, retrying only NETWORK and THROTTLED errors (never auth or data errors). For reads and idempotent writes. */
export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy = defaultRetryPolicy()): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= policy.attempts || !isVhError(err) || !isRetryable(err.code)) throw err;
      await backoff(policy, attempt);
    }
  }
}

/** The provider knows this failed request was not carried out (connection refused, name not resolved, throttled). */
export function notCarriedOut(err: unknown): boolean {
  return isVhError(err) && err.details.applied === false;
}

/** A write whose outcome the store never confirmed, even after asking it: the caller must not assume either way. */
export function isUnconfirmed(err: unknown): boolean {
  return isVhError(err) && err.details.outcome === 'unknown';
}

export interface WriteOnceOptions<T> {
  /**
   * After an ambiguous failure: read the store and return the write's result if it landed, `undefined` if it
   * did not (then it is sent again). Decide from something only this write can have made: the value's bytes,
   * a request token, a sequence tag.
   */
  reconcile: () => Promise<T | undefined>;
  policy?: RetryPolicy;
}

/** Runs a non-idempotent write: resent only when it was certainly not carried out, reconciled when unsure. */
export async function writeOnce<T>(fn: () => Promise<T>, options: WriteOnceOptions<T>): Promise<T> {
  const policy = options.policy ?? defaultRetryPolicy();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      // A definite answer (conflict, auth, bad data) is final: the store says what happened.
      if (!isVhError(err) || !isRetryable(err.code)) throw err;
      if (!notCarriedOut(err)) {
        let landed: T | undefined;
        try {
          landed = await withRetry(options.reconcile, policy);
        } catch {
          throw new VhError(err.code, `${err.message}; the store did not confirm whether the write was carried out`, {
            hint: 'nothing is assumed either way: run the command again once the store answers (a rotation: `vh-secrets rotate <ref> --resume`)',
            details: { ...err.details, outcome: 'unknown' },
            cause: err,
          });
        }
        if (landed !== undefined) return landed;
      }
      if (attempt >= policy.attempts) throw err;
      await backoff(policy, attempt);
    }
  }
}
