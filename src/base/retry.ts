import { isRetryable, isVhError } from './errors.js';

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

/** Runs `fn`, retrying only NETWORK and THROTTLED errors (never auth or data errors). */
export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy = defaultRetryPolicy()): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= policy.attempts || !isVhError(err) || !isRetryable(err.code)) throw err;
      const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, cap / 2 + Math.random() * (cap / 2)));
    }
  }
}
