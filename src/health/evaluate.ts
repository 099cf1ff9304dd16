import { isVhError } from '../base/errors.js';
import { noticeExpiry } from '../core/lifecycle-marks.js';
import { decodeMeta, metaFilter } from '../core/metadata.js';
import { checkSecretState, describeViolation, type Policy, type Violation } from '../core/policy.js';
import { mapBounded } from '../base/pool.js';
import { CLEANUP, CLEANUP_HELD, MARKER, parseCleanup, parseHeld, parseMarker, rotationSettings, type RotationSettings } from '../core/rotation-state.js';
import type { Runtime } from '../core/runtime.js';
import { targetConfigFor } from '../core/target-of.js';
import type { Metadata, SecretDescription, SecretSummary } from '../core/store.js';
import { Budget } from '../base/deadline.js';
import { TYPE_POLICIES, type SecretType } from '../core/types.js';
import { holderGone, localRotations, type LocalRotation } from './interrupted.js';
import { matches, readInventory, recordListing } from './inventory.js';

/**
 * Secret and store health, Nagios-style: OK, WARNING (something due soon, a rotation interrupted here),
 * CRITICAL (expired, overdue past the hard limit, stuck or failed rotation, revoked-but-current, store
 * unreachable or not answering within the budget), UNKNOWN (could not be evaluated). One store being down never
 * hides the others, nor its own secrets.
 */

export type HealthStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
export const STATUS_CODE: Record<HealthStatus, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Nagios precedence: CRITICAL over UNKNOWN over WARNING over OK. */
const RANK: Record<HealthStatus, number> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };
export function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'OK');
}

export interface HealthCheck {
  check: 'rotation' | 'expiry' | 'rotation_in_progress' | 'last_rotation' | 'current_version' | 'cleanup' | 'policy' | 'evaluate';
  status: HealthStatus;
  message: string;
}

export interface SecretHealth {
  secret: string;
  store: string;
  type: SecretType;
  status: HealthStatus;
  age_days: number | null;
  rotated_at: string | null;
  rotation_due_at: string | null;
  expires_at: string | null;
  current_version: string | null;
  checks: HealthCheck[];
  /** Policy rules this secret breaks (from metadata; values are never read): enforce → CRITICAL, warn → WARNING. */
  policy_violations: Violation[];
  /**
   * The rotation target the secret rotates through (from config and metadata), only when asked for
   * (`HealthInput.targets`: compliance); null when it has none or names one the config lacks. Not in `health --json`.
   */
  target?: { name: string; kind: string } | null;
}

export interface StoreHealth {
  store: string;
  provider: string;
  status: HealthStatus;
  reachable: boolean;
  authenticated: boolean;
  latency_ms: number | null;
  /** Rows this store has in `secrets`, evaluated or not. */
  secrets: number;
  /** Of those, the ones that could not be evaluated (UNKNOWN), e.g. because the store did not answer. */
  unknown_secrets: number;
  /**
   * When the store did not say what it holds: the time of the last complete listing on this host that its
   * UNKNOWN rows come from; null when it was listed in this run or never before.
   */
  last_listed_at: string | null;
  error: { code: string; message: string } | null;
}

export interface HealthReport {
  status: HealthStatus;
  generated_at: string;
  summary: Record<HealthStatus, number> & { secrets: number; stores: number; policy_violations: number };
  /** The policy file the secrets were checked against; null when none is configured. */
  policy: string | null;
  stores: StoreHealth[];
  secrets: SecretHealth[];
}

export interface HealthInput {
  store?: string;
  type?: SecretType;
  tags: Record<string, string>;
  now?: Date;
  concurrency?: number;
  /** Budget for the whole evaluation: a store that has not answered by then is CRITICAL, its secrets UNKNOWN. */
  timeoutMs?: number;
  /** Say each secret's rotation target (SecretHealth.target). */
  targets?: boolean;
}

const DAY = 86_400_000;

function days(ms: number): number {
  return Math.round((ms / DAY) * 10) / 10;
}

/**
 * Evaluates one secret from its description alone (no value is read), plus, when this host's journal holds a
 * rotation of it, whether that rotation's process is gone.
 */
export function evaluateSecret(alias: string, d: SecretDescription, now: Date, settings: RotationSettings, rules: Policy | null = null, local?: LocalRotation & { holderGone: boolean }): SecretHealth {
  const meta = decodeMeta(d.metadata);
  const policy = TYPE_POLICIES[meta.type];
  const warnMs = policy.warnDays * DAY;
  const checks: HealthCheck[] = [];
  const t = now.getTime();

  const rotatedAt = meta.rotatedAt ?? meta.createdAt ?? d.createdAt;
  const interval = meta.rotationDays ?? policy.rotationDays;
  const rotatedMs = rotatedAt ? Date.parse(rotatedAt) : NaN;
  let dueAt: string | null = null;
  if (Number.isFinite(rotatedMs)) {
    const due = rotatedMs + interval * DAY;
    dueAt = new Date(due).toISOString();
    if (t >= due + warnMs) checks.push({ check: 'rotation', status: 'CRITICAL', message: `rotation overdue by ${days(t - due)} days (hard limit ${policy.warnDays} days past due)` });
    else if (t >= due) checks.push({ check: 'rotation', status: 'WARNING', message: `rotation overdue by ${days(t - due)} days` });
    else if (t >= due - warnMs) checks.push({ check: 'rotation', status: 'WARNING', message: `rotation due in ${days(due - t)} days` });
    else checks.push({ check: 'rotation', status: 'OK', message: `rotation due in ${days(due - t)} days` });
  } else {
    checks.push({ check: 'rotation', status: 'UNKNOWN', message: 'no creation or rotation time recorded' });
  }

  if (meta.expiresAt) {
    const exp = Date.parse(meta.expiresAt);
    if (!Number.isFinite(exp)) checks.push({ check: 'expiry', status: 'UNKNOWN', message: `unreadable expiry "${meta.expiresAt}"` });
    else if (t >= exp) checks.push({ check: 'expiry', status: 'CRITICAL', message: `expired ${days(t - exp)} days ago` });
    else if (t >= exp - warnMs) checks.push({ check: 'expiry', status: 'WARNING', message: `expires in ${days(exp - t)} days` });
    else checks.push({ check: 'expiry', status: 'OK', message: `expires in ${days(exp - t)} days` });
  }

  const marker = parseMarker(d.metadata[MARKER]);
  const pendingSince = marker?.at ?? d.versions.find((v) => v.version === d.pendingVersion)?.createdAt ?? local?.started_at;
  if (marker || d.pendingVersion || local) {
    const age = pendingSince ? t - Date.parse(pendingSince) : NaN;
    const stuck = !Number.isFinite(age) || age > settings.timeoutMinutes * 60_000;
    const next = `run \`vh-secrets rotate ${alias}:${d.name} --resume\` or \`--abort\``;
    const id = marker?.id ?? local?.id;
    if (stuck) {
      checks.push({ check: 'rotation_in_progress', status: 'CRITICAL', message: `rotation stuck${id ? ` (${id} on ${marker?.host || local?.host || 'unknown host'})` : ''} since ${pendingSince ?? 'unknown'}: ${next}` });
    } else if (local?.holderGone) {
      // The process that held it is gone from this very host: nothing will finish it, so say so now rather
      // than after the rotation timeout.
      checks.push({ check: 'rotation_in_progress', status: 'WARNING', message: `rotation ${local.id} interrupted after ${local.phase ?? 'start'}: its process (pid ${local.pid} on this host) is gone: ${next}` });
    } else {
      checks.push({ check: 'rotation_in_progress', status: 'OK', message: `rotation in progress since ${pendingSince}` });
    }
  }

  const failedAt = d.metadata['vh-rotation-failed-at'];
  if (failedAt && (!rotatedAt || Date.parse(failedAt) > Date.parse(rotatedAt))) {
    checks.push({ check: 'last_rotation', status: 'CRITICAL', message: `last rotation failed at ${failedAt} and was rolled back` });
  }

  const current = d.versions.find((v) => v.version === d.currentVersion);
  if (d.revoked) {
    checks.push({ check: 'current_version', status: 'WARNING', message: 'revoked: no readable version (archive or delete it)' });
  } else if (!current || current.state !== 'enabled') {
    checks.push({ check: 'current_version', status: 'CRITICAL', message: `current version ${d.currentVersion ?? '(none)'} is ${current?.state ?? 'missing'} but the secret is not revoked` });
  }

  const held = parseHeld(d.metadata[CLEANUP_HELD]);
  const cleanup = parseCleanup(d.metadata[CLEANUP]);
  if (held) {
    // Past its grace and still in use: the consumer never picked up the new value (cleanup = "when-idle").
    checks.push({ check: 'cleanup', status: 'WARNING', message: `previous version ${held.version} is still in use past its grace period: ${held.sessions} session(s) at target ${held.target} (seen ${held.checkedAt}); its cleanup waits until they end` });
  } else if (cleanup && t - Date.parse(cleanup.notBefore) > DAY) {
    checks.push({ check: 'cleanup', status: 'WARNING', message: `previous version ${cleanup.version} is still valid ${days(t - Date.parse(cleanup.notBefore))} days past its grace period: run rotate-all` });
  }

  const violations = checkSecretState(rules, { ref: `${alias}:${d.name}`, store: alias, type: meta.type, owner: meta.owner, tags: meta.tags, rotationDays: interval, rotatedAt }, now);
  for (const v of violations) checks.push({ check: 'policy', status: v.mode === 'enforce' ? 'CRITICAL' : 'WARNING', message: describeViolation(v) });
  if (rules !== null && violations.length === 0) checks.push({ check: 'policy', status: 'OK', message: `complies with policy ${rules.file}` });

  return {
    secret: `${alias}:${d.name}`,
    store: alias,
    type: meta.type,
    status: worst(checks.map((c) => c.status)),
    age_days: Number.isFinite(rotatedMs) ? days(t - rotatedMs) : null,
    rotated_at: rotatedAt ?? null,
    rotation_due_at: dueAt,
    expires_at: meta.expiresAt ?? null,
    current_version: d.currentVersion ?? null,
    checks,
    policy_violations: violations,
  };
}

/** The secret's rotation target by name and kind; null when none, or when the config does not define it. */
function targetOf(rt: Runtime, secret: string, metadata: Metadata): { name: string; kind: string } | null {
  try {
    const t = targetConfigFor(rt.config, secret, metadata);
    return t ? { name: t.name, kind: t.kind } : null;
  } catch {
    return null;
  }
}

/** `health` answers within this unless `--timeout` / `VH_SECRETS_TIMEOUT` says otherwise. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 20_000;

function unknownSecret(alias: string, name: string, metadata: Metadata, message: string): SecretHealth {
  return {
    secret: `${alias}:${name}`,
    store: alias,
    type: decodeMeta(metadata).type,
    status: 'UNKNOWN',
    age_days: null,
    rotated_at: null,
    rotation_due_at: null,
    expires_at: null,
    current_version: null,
    checks: [{ check: 'evaluate', status: 'UNKNOWN', message }],
    policy_violations: [],
  };
}

export async function checkHealth(rt: Runtime, input: HealthInput): Promise<HealthReport> {
  const now = input.now ?? new Date();
  const settings = rotationSettings();
  const aliases = input.store !== undefined ? [rt.resolveAlias(input.store)] : [...rt.config.stores.keys()].sort();
  const filter = { metadata: metaFilter(input.type, input.tags) };
  const concurrency = input.concurrency ?? 16;
  // Without a budget (compliance, lifecycle) each call is bounded by its provider alone.
  const budget = input.timeoutMs === undefined ? undefined : new Budget(input.timeoutMs);
  const within = <T>(p: Promise<T>, alias: string): Promise<T> => (budget ? budget.race(p, `store ${alias}`) : p);
  const cacheDir = rt.config.paths.cacheDir;
  const local = await localRotations(rt.config.paths.journalDir);

  // Every store at once: a store that hangs must not hold back the start of another.
  const perStore = await mapBounded(aliases, aliases.length, async (alias) => {
    const cfg = rt.config.stores.get(alias)!;
    const storeHealth: StoreHealth = { store: alias, provider: cfg.provider, status: 'OK', reachable: false, authenticated: false, latency_ms: null, secrets: 0, unknown_secrets: 0, last_listed_at: null, error: null };
    const secrets: SecretHealth[] = [];
    /** What this run's listing found so far, with metadata: the secrets to report if the listing breaks off. */
    const listed = new Map<string, Metadata>();
    let listingComplete = false;
    const fail = (err: unknown) => {
      storeHealth.status = 'CRITICAL';
      storeHealth.error ??= { code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message };
    };
    try {
      const store = await within(rt.store(alias), alias);
      const ping = await within(store.ping(), alias);
      Object.assign(storeHealth, { reachable: ping.reachable, authenticated: ping.authenticated, latency_ms: Math.round(ping.latencyMs * 10) / 10 });
      if (!ping.reachable || !ping.authenticated) {
        storeHealth.status = 'CRITICAL';
        storeHealth.error = { code: ping.reachable ? 'AUTH_FAILED' : 'NETWORK', message: ping.reachable ? 'store reachable but not authenticated' : 'store unreachable' };
      } else {
        const summaries: SecretSummary[] = [];
        const it = store.list(filter)[Symbol.asyncIterator]();
        try {
          for (;;) {
            const next = await within(it.next(), alias);
            if (next.done) break;
            summaries.push(next.value);
            listed.set(next.value.name, next.value.metadata);
          }
        } catch (err) {
          void it.return?.()?.catch(() => undefined);
          throw err;
        }
        listingComplete = true;
        await recordListing(cacheDir, alias, filter.metadata, summaries, now);
        const evaluated = await mapBounded(summaries, concurrency, async ({ name, metadata }): Promise<SecretHealth> => {
          try {
            const desc = await within(store.describe(name), alias);
            const journal = local.get(`${alias}:${name}`);
            const health = evaluateSecret(alias, desc, now, settings, rt.policy, journal && { ...journal, holderGone: holderGone(journal) });
            if (input.targets) health.target = targetOf(rt, health.secret, desc.metadata);
            if (health.checks.some((c) => c.check === 'expiry' && c.status === 'CRITICAL')) await within(noticeExpiry(rt, alias, store, desc, now), alias).catch(() => undefined);
            return health;
          } catch (err) {
            if (isVhError(err) && err.code === 'TIMEOUT') fail(err);
            return unknownSecret(alias, name, metadata, isVhError(err) ? err.message : String(err));
          }
        });
        secrets.push(...evaluated);
      }
    } catch (err) {
      fail(err);
    }
    if (storeHealth.status !== 'OK' && !listingComplete) {
      // The store did not say what it holds: its secrets stay in the report, as UNKNOWN, from what this run
      // listed before it stopped answering and from the last complete listing on this host.
      const inv = await readInventory(cacheDir, alias);
      for (const s of inv?.secrets ?? []) if (!listed.has(s.name) && matches(s.metadata, filter.metadata)) listed.set(s.name, s.metadata);
      const message = storeHealth.error?.message ?? 'unavailable';
      const why = message.startsWith(`store ${alias} `) ? message : `store ${alias}: ${message}`;
      for (const [name, metadata] of [...listed].sort(([a], [b]) => a.localeCompare(b))) {
        secrets.push(unknownSecret(alias, name, metadata, `not evaluated: ${why}${inv ? ` (known from the listing of ${inv.listed_at})` : ''}`));
      }
      storeHealth.last_listed_at = inv?.listed_at ?? null;
    }
    storeHealth.secrets = secrets.length;
    storeHealth.unknown_secrets = secrets.filter((s) => s.status === 'UNKNOWN').length;
    return { storeHealth, secrets };
  });

  const stores = perStore.map((p) => p.storeHealth);
  const secrets = perStore.flatMap((p) => p.secrets);
  const all = [...stores.map((s) => s.status), ...secrets.map((s) => s.status)];
  const count = (st: HealthStatus) => secrets.filter((s) => s.status === st).length;
  return {
    status: worst(all),
    generated_at: now.toISOString(),
    summary: { OK: count('OK'), WARNING: count('WARNING'), CRITICAL: count('CRITICAL'), UNKNOWN: count('UNKNOWN'), secrets: secrets.length, stores: stores.length, policy_violations: secrets.reduce((n, s) => n + s.policy_violations.length, 0) },
    policy: rt.policy?.file ?? null,
    stores,
    secrets,
  };
}
