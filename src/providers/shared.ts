import { VhError, isVhError } from '../base/errors.js';
import { formatDuration, parseDuration } from '../base/deadline.js';
import type { ListFilter, Metadata, MetadataPatch, PingResult, PostureFinding, ProviderFactory } from '../core/store.js';

/** What every provider shares: nothing here imports an SDK. */

export { NOT_SENT_ERRNOS } from '../base/net.js';

export function matchesFilter(metadata: Metadata, filter: ListFilter | undefined): boolean {
  return !filter?.metadata || Object.entries(filter.metadata).every(([k, v]) => metadata[k] === v);
}

export function applyPatch(target: Metadata, patch: MetadataPatch | undefined): Metadata {
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null) delete target[k];
    else target[k] = v;
  }
  return target;
}

/** Times one cheap authenticated call; auth failures mean reachable-but-not-authenticated, network means down. */
export async function timedPing(call: () => Promise<unknown>): Promise<PingResult> {
  const start = performance.now();
  const result = (reachable: boolean, authenticated: boolean): PingResult => ({ reachable, authenticated, latencyMs: performance.now() - start });
  try {
    await call();
    return result(true, true);
  } catch (err) {
    if (!isVhError(err)) throw err;
    if (err.code === 'AUTH_FAILED' || err.code === 'PERMISSION_DENIED') return result(true, false);
    if (err.code === 'NETWORK') return result(false, false);
    throw err;
  }
}

/** Identity helper so each provider file reads `export default defineProvider((opts: XOptions, ctx) => …)`. */
export function defineProvider<O>(factory: ProviderFactory<O>): ProviderFactory<O> {
  return factory;
}

/**
 * The deadline of one store request: the store's own `timeout_ms`, else `VH_SECRETS_TIMEOUT` (what `--timeout`
 * sets: a duration such as `10s`, `500ms`; a bare number is seconds), else 15 s.
 */
export function requestTimeoutMs(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (typeof option === 'number' && Number.isFinite(option) && option > 0) return option;
  const text = env.VH_SECRETS_TIMEOUT;
  return text !== undefined && text.trim() !== '' ? parseDuration(text, 'VH_SECRETS_TIMEOUT') : 15_000;
}

/**
 * A request the store did not answer within its deadline (`timeout_ms`, `--timeout`), worded alike for every store.
 * NETWORK, like any failure after a request left: a read is retried, a write is reconciled (it may have landed).
 */
export function noAnswer(where: string, what: string, ms: number): VhError {
  return new VhError('NETWORK', `${where}: ${what}: no answer within ${formatDuration(ms)}`, {
    hint: 'check that the store is up and not overloaded; if it is only slow, raise timeout_ms (or --timeout / VH_SECRETS_TIMEOUT)',
    details: { timeout_ms: ms },
  });
}

/** Whether a store reached at `url` (the setting `what`) is reached over TLS: https passes, anything else fails. */
export function httpsPosture(url: string, what: string): PostureFinding {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { status: 'not-measurable', detail: `${what} "${url}" is not a URL` };
  }
  if (u.protocol === 'https:') return { status: 'pass', detail: `${what} ${u.origin} uses https` };
  return { status: 'fail', detail: `${what} ${u.origin} uses ${u.protocol.replace(':', '')}: secrets travel without TLS` };
}
