import type { Runtime } from './runtime.js';
import { decodeMeta } from './metadata.js';
import type { SecretDescription, SecretStore } from './store.js';

/**
 * The lifecycle's marks in a secret's metadata (beside metadata.ts's facts): the operator-set state
 * (`deprecated`, `archived`) and when it was set, and the expiry an `expired` event was already recorded for.
 * Apart from lifecycle.ts so that health can notice expiries without importing the lifecycle reports.
 */
export const STATE_KEY = 'vh-state';
export const STATE_AT_KEY = 'vh-state-at';
export const EXPIRED_KEY = 'vh-expired';

/**
 * Records `expired` once per expiry for a secret found past it (by health or notify): the expiry is written to
 * `vh-expired` first, so a second look — on any host — records nothing. Best effort: a store that will not take
 * the metadata (read-only credentials) records nothing rather than an event on every run. Returns whether an
 * event was recorded.
 */
export async function noticeExpiry(rt: Runtime, alias: string, store: SecretStore, desc: SecretDescription, now: Date): Promise<boolean> {
  const meta = decodeMeta(desc.metadata);
  if (!meta.expiresAt || desc.revoked || desc.metadata[STATE_KEY] === 'archived') return false;
  const exp = Date.parse(meta.expiresAt);
  if (!Number.isFinite(exp) || now.getTime() < exp || desc.metadata[EXPIRED_KEY] === meta.expiresAt) return false;
  try {
    await store.setMetadata(desc.name, { [EXPIRED_KEY]: meta.expiresAt });
    desc.metadata[EXPIRED_KEY] = meta.expiresAt;
    await rt.audit.record({
      event: 'expired',
      secret: `${alias}:${desc.name}`,
      secret_type: meta.type,
      store: alias,
      success: true,
      error_code: null,
      details: { scope: 'secret', expires_at: meta.expiresAt },
    });
    return true;
  } catch {
    return false;
  }
}
