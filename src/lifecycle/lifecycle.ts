import type { AuditEventType, DetailValue } from '../audit/event.js';
import { AuditLog } from '../audit/log.js';
import { parseTimestamp } from '../audit/sources/types.js';
import { VhError, isVhError, type ErrorCode } from '../base/errors.js';
import { evaluateSecret } from '../health/evaluate.js';
import { STATE_AT_KEY, STATE_KEY } from '../core/lifecycle-marks.js';
import { decodeMeta, metaFilter } from '../core/metadata.js';
import { mapBounded } from '../base/pool.js';
import { parseRef } from '../core/ref.js';
import { rotationSettings } from '../core/rotation-state.js';
import type { Runtime } from '../core/runtime.js';
import { authorize, policyDetails, resolveRef, type ResolvedRef } from '../core/secrets.js';
import type { SecretDescription, SecretStore } from '../core/store.js';
import { SECRET_TYPES, isSecretType, type SecretType } from '../core/types.js';

/**
 * The lifecycle of a secret: CREATED → ACTIVATED → (ACCESSED) → ROTATED … → DEPRECATED → EXPIRED / REVOKED →
 * ARCHIVED → PURGED. Each transition is an audit event of the same name. The current state is derived, never
 * stored twice: the store says what is sticky (`vh-state` = deprecated / archived, the revoked flag, the expiry,
 * the rotation time), the audit log says what only it can (last access, and that a purged secret existed).
 *
 * Allowed transitions by the operator (everything else is refused with USAGE, exit 64):
 *   deprecate  from ACTIVATED, ACCESSED, ROTATED, EXPIRED     (DEPRECATED again: nothing to do)
 *   archive    from REVOKED or EXPIRED                        (ARCHIVED again: nothing to do)
 *   purge      from ARCHIVED or REVOKED; any state with force
 * `revoke` and `rotate` keep their own rules (rotate refuses a revoked secret).
 */

export const LIFECYCLE_STATES = ['CREATED', 'ACTIVATED', 'ACCESSED', 'ROTATED', 'DEPRECATED', 'EXPIRED', 'REVOKED', 'ARCHIVED', 'PURGED'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

const EVENT_STATE: Partial<Record<AuditEventType, LifecycleState>> = {
  created: 'CREATED',
  activated: 'ACTIVATED',
  accessed: 'ACCESSED',
  rotated: 'ROTATED',
  deprecated: 'DEPRECATED',
  expired: 'EXPIRED',
  revoked: 'REVOKED',
  archived: 'ARCHIVED',
  purged: 'PURGED',
};

const DAY = 86_400_000;

/** What the audit log says about one secret, for deriving its state. */
export interface LogFacts {
  lastAccessedAt: number | undefined;
  lastPurgedAt: number | undefined;
}

/**
 * The state of a secret now. `desc` undefined: not in the store (PURGED when the log saw it purged, else
 * unknown → undefined).
 */
export function deriveState(desc: SecretDescription | undefined, now: Date, facts: LogFacts = { lastAccessedAt: undefined, lastPurgedAt: undefined }): LifecycleState | undefined {
  if (!desc) return facts.lastPurgedAt !== undefined ? 'PURGED' : undefined;
  const marked = desc.metadata[STATE_KEY];
  if (marked === 'archived') return 'ARCHIVED';
  if (desc.revoked) return 'REVOKED';
  const meta = decodeMeta(desc.metadata);
  const expires = meta.expiresAt ? Date.parse(meta.expiresAt) : NaN;
  if (Number.isFinite(expires) && now.getTime() >= expires) return 'EXPIRED';
  if (marked === 'deprecated') return 'DEPRECATED';
  const created = Date.parse(meta.createdAt ?? desc.createdAt ?? '');
  const rotated = Date.parse(meta.rotatedAt ?? '');
  const wasRotated = Number.isFinite(rotated) && (!Number.isFinite(created) || rotated > created);
  const activeSince = wasRotated ? rotated : created;
  if (facts.lastAccessedAt !== undefined && (!Number.isFinite(activeSince) || facts.lastAccessedAt > activeSince)) return 'ACCESSED';
  return wasRotated ? 'ROTATED' : 'ACTIVATED';
}

/** `store:name` of an event's `secret` field (which may carry #key and @version), or undefined. */
function eventSecretId(secret: unknown, defaultStore: string): string | undefined {
  if (typeof secret !== 'string') return undefined;
  try {
    const ref = parseRef(secret);
    return `${ref.store ?? defaultStore}:${ref.name}`;
  } catch {
    return undefined;
  }
}

interface LogLine {
  ts: string;
  event: string;
  secret: unknown;
  secret_type: unknown;
  actor: unknown;
  success: unknown;
  error_code: unknown;
  details: unknown;
}

/**
 * Streams the local audit log once and hands every well-formed event to `fn`. A missing log is an empty one
 * (a fresh machine); unreadable lines are counted, never fatal.
 */
async function scanLog(path: string, fn: (e: LogLine, ts: number) => void): Promise<{ found: boolean; problems: number }> {
  let wrong = 0;
  const { found, unreadable } = await new AuditLog(path).values({}, (value) => {
    const e = value as Partial<LogLine> | null;
    const ts = typeof e === 'object' && e !== null && typeof e.event === 'string' && typeof e.ts === 'string' ? parseTimestamp(e.ts) : Number.NaN;
    if (Number.isNaN(ts)) wrong++;
    else fn(e as LogLine, ts);
  });
  return { found, problems: unreadable + wrong };
}

export interface HistoryEntry {
  ts: string;
  event: AuditEventType;
  /** The state this event moves the secret to (secret scope), or the version state change (version scope). */
  state: LifecycleState;
  scope: 'secret' | 'version';
  version: string | null;
  actor: string | null;
  success: boolean;
  error_code: string | null;
  /** Consecutive successful accesses are folded into one entry. */
  count: number;
  last_ts: string | null;
  reason: string | null;
}

export interface LifecycleView {
  ref: string;
  store: string;
  name: string;
  state: LifecycleState;
  type: SecretType | null;
  created_at: string | null;
  rotated_at: string | null;
  expires_at: string | null;
  state_marked_at: string | null;
  current_version: string | null;
  versions: { version: string; created_at: string | null; state: string; stages: string[] }[];
  history: HistoryEntry[];
  log: { path: string; found: boolean; problems: number };
  notes: string[];
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

function historyEntry(e: LogLine, state: LifecycleState): HistoryEntry {
  const d = (typeof e.details === 'object' && e.details !== null ? e.details : {}) as Record<string, unknown>;
  const event = e.event as AuditEventType;
  // Version-scoped: a version superseded by a rotation, or one version revoked (grace-period cleanup, emergency).
  const version = str(d.version);
  const scope: HistoryEntry['scope'] =
    (event === 'deprecated' && d.scope !== 'secret') || (event === 'revoked' && d.whole_secret !== true) ? 'version' : 'secret';
  return {
    ts: e.ts,
    event,
    state,
    scope,
    version,
    actor: str(e.actor),
    success: e.success !== false,
    error_code: str(e.error_code),
    count: 1,
    last_ts: null,
    reason: str(d.reason),
  };
}

async function describeOrUndefined(store: SecretStore, name: string): Promise<SecretDescription | undefined> {
  try {
    return await store.describe(name);
  } catch (err) {
    if (isVhError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

/** `vh-secrets lifecycle <ref>`: the current state and how the secret got there. */
export async function lifecycleOf(rt: Runtime, text: string, now = new Date()): Promise<LifecycleView> {
  const ref = resolveRef(rt, text);
  if (ref.selector) throw new VhError('USAGE', `lifecycle takes a secret, not a version ("${text}")`, { hint: 'drop the @VERSION part' });
  const store = await rt.store(ref.store);
  const desc = await describeOrUndefined(store, ref.name);

  const history: HistoryEntry[] = [];
  const facts: LogFacts = { lastAccessedAt: undefined, lastPurgedAt: undefined };
  let loggedType: SecretType | null = null;
  const logPath = rt.config.audit.log;
  const scanned = await scanLog(logPath, (e, ts) => {
    if (typeof e.secret !== 'string' || !e.secret.includes(ref.name)) return;
    if (eventSecretId(e.secret, rt.config.defaultStore) !== ref.id) return;
    const state = EVENT_STATE[e.event as AuditEventType];
    if (!state) return;
    const ok = e.success !== false;
    if (ok && e.event === 'accessed') facts.lastAccessedAt = ts;
    if (ok && e.event === 'purged') facts.lastPurgedAt = ts;
    if (typeof e.secret_type === 'string' && isSecretType(e.secret_type)) loggedType = e.secret_type;
    const last = history[history.length - 1];
    if (e.event === 'accessed' && ok && last && last.event === 'accessed' && last.success) {
      last.count++;
      last.last_ts = e.ts;
      return;
    }
    history.push(historyEntry(e, state));
  });

  const state = deriveState(desc, now, facts);
  if (!state) {
    throw new VhError('NOT_FOUND', `secret ${ref.id} not found${scanned.found ? ' (and the audit log has no purge of it)' : ''}`, { hint: 'check the name with `vh-secrets list`' });
  }
  const notes: string[] = [];
  if (!scanned.found) notes.push(`no audit log at ${logPath}: the history shows only what the store knows`);
  if (scanned.problems > 0) notes.push(`${scanned.problems} line(s) of the audit log could not be read (see \`vh-secrets audit\`)`);
  const meta = desc ? decodeMeta(desc.metadata) : undefined;
  // A store that outlived its log (another host, a rotated-away log) still shows how it began and where it is.
  if (desc && meta && !history.some((h) => h.event === 'created' && h.success)) {
    const created = meta.createdAt ?? desc.createdAt;
    if (created) {
      history.unshift({ ts: created, event: 'created', state: 'CREATED', scope: 'secret', version: desc.versions[0]?.version ?? null, actor: null, success: true, error_code: null, count: 1, last_ts: null, reason: 'from the store (not in the local audit log)' });
    }
    notes.push('the creation is not in the local audit log (created on another host, or the log was rotated away): earlier events are missing');
  }
  return {
    ref: ref.id,
    store: ref.store,
    name: ref.name,
    state,
    type: meta?.type ?? loggedType,
    created_at: meta?.createdAt ?? desc?.createdAt ?? null,
    rotated_at: meta?.rotatedAt ?? null,
    expires_at: meta?.expiresAt ?? null,
    state_marked_at: desc?.metadata[STATE_AT_KEY] ?? null,
    current_version: desc?.currentVersion ?? null,
    versions: (desc?.versions ?? []).map((v) => ({ version: v.version, created_at: v.createdAt ?? null, state: v.state, stages: v.stages })),
    history,
    log: { path: logPath, found: scanned.found, problems: scanned.problems },
    notes,
  };
}

export interface TransitionResult {
  ref: string;
  store: string;
  name: string;
  from: LifecycleState;
  to: LifecycleState;
  /** `unchanged`: it was already in the target state; nothing was written. */
  status: 'done' | 'unchanged';
  versions: string[];
}

interface TransitionSpec {
  verb: 'deprecate' | 'archive' | 'purge';
  event: AuditEventType;
  to: LifecycleState;
  allowed: readonly LifecycleState[];
  refusal: (ref: ResolvedRef, from: LifecycleState) => VhError;
  apply: (store: SecretStore, ref: ResolvedRef, desc: SecretDescription, now: Date) => Promise<string[]>;
  details?: Record<string, DetailValue>;
}

/** Checks the state, applies the change, and records the transition's audit event (failures too). */
async function transition(rt: Runtime, text: string, spec: TransitionSpec, now: Date): Promise<TransitionResult> {
  const ref = resolveRef(rt, text);
  if (ref.selector || ref.key) throw new VhError('USAGE', `${spec.verb} takes a whole secret, not "${text}"`, { hint: 'drop the #KEY / @VERSION part' });
  try {
    await authorize(rt, spec.verb, ref);
  } catch (err) {
    await rt.audit
      .record({ event: spec.event, secret: ref.id, secret_type: null, store: ref.store, success: false, error_code: isVhError(err) ? err.code : 'INTERNAL', details: { ...spec.details, ...policyDetails(err) } })
      .catch(() => undefined);
    throw err;
  }
  const store = await rt.store(ref.store);
  const desc = await describeOrUndefined(store, ref.name);
  if (!desc) throw new VhError('NOT_FOUND', `secret ${ref.id} not found`, { hint: 'check the name with `vh-secrets list`' });
  const from = deriveState(desc, now)!;
  const type = decodeMeta(desc.metadata).type;
  const base = { ref: ref.id, store: ref.store, name: ref.name, from };
  if (from === spec.to) return { ...base, to: spec.to, status: 'unchanged', versions: [] };
  const record = (success: boolean, code: ErrorCode | null, details: Record<string, DetailValue>) =>
    rt.audit.record({ event: spec.event, secret: ref.id, secret_type: type, store: ref.store, success, error_code: code, details: { from_state: from, ...spec.details, ...details } });
  if (!spec.allowed.includes(from)) {
    const err = spec.refusal(ref, from);
    await record(false, err.code, {}).catch(() => undefined);
    throw err;
  }
  let versions: string[];
  try {
    versions = await spec.apply(store, ref, desc, now);
  } catch (err) {
    await record(false, isVhError(err) ? err.code : 'INTERNAL', {}).catch(() => undefined);
    throw err;
  }
  await record(true, null, { scope: 'secret', versions: versions.join(',') });
  return { ...base, to: spec.to, status: 'done', versions };
}

const ACTIVE: readonly LifecycleState[] = ['ACTIVATED', 'ACCESSED', 'ROTATED'];

/** Marks a secret deprecated: still readable and rotatable, flagged for retirement. */
export function deprecateSecret(rt: Runtime, text: string, options: { reason?: string } = {}, now = new Date()): Promise<TransitionResult> {
  return transition(
    rt,
    text,
    {
      verb: 'deprecate',
      event: 'deprecated',
      to: 'DEPRECATED',
      allowed: [...ACTIVE, 'EXPIRED'],
      details: { reason: options.reason ?? null },
      refusal: (ref, from) => new VhError('USAGE', `${ref.id} is ${from}: only a live secret can be deprecated`, { hint: from === 'REVOKED' ? `archive it: vh-secrets archive ${ref.id}` : undefined }),
      apply: async (store, ref) => {
        await store.setMetadata(ref.name, { [STATE_KEY]: 'deprecated', [STATE_AT_KEY]: now.toISOString() });
        return [];
      },
    },
    now,
  );
}

/** REVOKED or EXPIRED → ARCHIVED: every version disabled (not destroyed: the store can still undelete them). */
export function archiveSecret(rt: Runtime, text: string, options: { reason?: string } = {}, now = new Date()): Promise<TransitionResult> {
  return transition(
    rt,
    text,
    {
      verb: 'archive',
      event: 'archived',
      to: 'ARCHIVED',
      allowed: ['REVOKED', 'EXPIRED'],
      details: { reason: options.reason ?? null },
      refusal: (ref, from) =>
        new VhError('USAGE', `${ref.id} is ${from}: only a revoked or expired secret can be archived`, {
          hint: `revoke it first (vh-secrets revoke ${ref.id}), then archive it`,
        }),
      apply: async (store, ref, desc) => {
        const live = desc.versions.filter((v) => v.state === 'enabled');
        const revoked = live.length > 0 || !desc.revoked ? (await store.revoke(ref.name)).revoked : [];
        await store.setMetadata(ref.name, { [STATE_KEY]: 'archived', [STATE_AT_KEY]: now.toISOString() });
        return revoked;
      },
    },
    now,
  );
}

/** Destroys the secret and every version, irreversibly. From ARCHIVED or REVOKED; any state with `force`. */
export function purgeSecret(rt: Runtime, text: string, options: { force?: boolean; reason?: string } = {}, now = new Date()): Promise<TransitionResult> {
  return transition(
    rt,
    text,
    {
      verb: 'purge',
      event: 'purged',
      to: 'PURGED',
      allowed: options.force ? LIFECYCLE_STATES.filter((s) => s !== 'PURGED') : ['ARCHIVED', 'REVOKED'],
      details: { forced: options.force === true, reason: options.reason ?? null },
      refusal: (ref, from) =>
        new VhError('USAGE', `${ref.id} is ${from}: only an archived or revoked secret can be purged`, {
          hint: `archive it first (vh-secrets revoke ${ref.id}; vh-secrets archive ${ref.id}), or pass --force to destroy a ${from.toLowerCase()} secret`,
        }),
      apply: async (store, ref, desc) => {
        await store.destroy(ref.name);
        return desc.versions.map((v) => v.version);
      },
    },
    now,
  );
}

export interface TypeSummary {
  type: SecretType;
  /** Secrets in the stores; purged ones (known from the local audit log) are counted under states.PURGED only. */
  total: number;
  states: Record<LifecycleState, number>;
  overdue_rotations: number;
  /** The overdue secrets (refs), at most 100. */
  overdue: string[];
  /** Mean days since creation. */
  mean_age_days: number | null;
  /** Mean days since the last rotation (or creation). */
  mean_days_since_rotation: number | null;
}

export interface LifecycleReport {
  generated_at: string;
  types: TypeSummary[];
  totals: { secrets: number; states: Record<LifecycleState, number>; overdue_rotations: number };
  errors: { store: string; code: ErrorCode; message: string }[];
  log: { path: string; found: boolean; problems: number };
}

const emptyStates = (): Record<LifecycleState, number> => Object.fromEntries(LIFECYCLE_STATES.map((s) => [s, 0])) as Record<LifecycleState, number>;
const round1 = (n: number) => Math.round(n * 10) / 10;

/** `vh-secrets lifecycle report`: per type, how many secrets are in each state, overdue rotations, mean age. */
export async function lifecycleReport(rt: Runtime, input: { type?: SecretType; store?: string; now?: Date } = {}): Promise<LifecycleReport> {
  const now = input.now ?? new Date();
  const settings = rotationSettings();
  const aliases = input.store !== undefined ? [rt.resolveAlias(input.store)] : [...rt.config.stores.keys()].sort();
  const filter = { metadata: metaFilter(input.type, {}) };

  const lastAccess = new Map<string, number>();
  // Secrets the log saw purged (and not created again since): PURGED, though no store lists them any more.
  const purged = new Map<string, SecretType>();
  const logPath = rt.config.audit.log;
  const scanned = await scanLog(logPath, (e, ts) => {
    if (e.success === false || (e.event !== 'accessed' && e.event !== 'purged' && e.event !== 'created')) return;
    const id = eventSecretId(e.secret, rt.config.defaultStore);
    if (id === undefined) return;
    if (e.event === 'accessed') lastAccess.set(id, ts);
    else if (e.event === 'created') purged.delete(id);
    else purged.set(id, typeof e.secret_type === 'string' && isSecretType(e.secret_type) ? e.secret_type : 'generic');
  });
  const seen = new Set<string>();

  const byType = new Map<SecretType, { summary: TypeSummary; ages: number[]; sinceRotation: number[] }>();
  const errors: LifecycleReport['errors'] = [];
  for (const alias of aliases) {
    try {
      const store = await rt.store(alias);
      const names: string[] = [];
      for await (const s of store.list(filter)) names.push(s.name);
      const descs = await mapBounded(names, 16, (name) => describeOrUndefined(store, name));
      for (const desc of descs) {
        if (!desc) continue;
        const name = desc.name;
        const id = `${alias}:${name}`;
        seen.add(id);
        const state = deriveState(desc, now, { lastAccessedAt: lastAccess.get(id), lastPurgedAt: undefined })!;
        const health = evaluateSecret(alias, desc, now, settings);
        const type = health.type;
        let entry = byType.get(type);
        if (!entry) {
          entry = { summary: { type, total: 0, states: emptyStates(), overdue_rotations: 0, overdue: [], mean_age_days: null, mean_days_since_rotation: null }, ages: [], sinceRotation: [] };
          byType.set(type, entry);
        }
        entry.summary.total++;
        entry.summary.states[state]++;
        const created = Date.parse(decodeMeta(desc.metadata).createdAt ?? desc.createdAt ?? '');
        if (Number.isFinite(created)) entry.ages.push((now.getTime() - created) / DAY);
        if (health.age_days !== null) entry.sinceRotation.push(health.age_days);
        const due = health.rotation_due_at ? Date.parse(health.rotation_due_at) : NaN;
        if (state !== 'REVOKED' && state !== 'ARCHIVED' && Number.isFinite(due) && now.getTime() >= due) {
          entry.summary.overdue_rotations++;
          if (entry.summary.overdue.length < 100) entry.summary.overdue.push(id);
        }
      }
    } catch (err) {
      if (input.store !== undefined || !isVhError(err)) throw err;
      errors.push({ store: alias, code: err.code, message: err.message });
    }
  }
  for (const [id, type] of purged) {
    if (seen.has(id) || (input.type !== undefined && type !== input.type) || !aliases.includes(id.slice(0, id.indexOf(':')))) continue;
    let entry = byType.get(type);
    if (!entry) {
      entry = { summary: { type, total: 0, states: emptyStates(), overdue_rotations: 0, overdue: [], mean_age_days: null, mean_days_since_rotation: null }, ages: [], sinceRotation: [] };
      byType.set(type, entry);
    }
    entry.summary.states.PURGED++;
  }
  const mean = (xs: number[]) => (xs.length === 0 ? null : round1(xs.reduce((a, b) => a + b, 0) / xs.length));
  const types = SECRET_TYPES.filter((t) => byType.has(t)).map((t) => {
    const e = byType.get(t)!;
    return { ...e.summary, mean_age_days: mean(e.ages), mean_days_since_rotation: mean(e.sinceRotation) };
  });
  const totals = { secrets: 0, states: emptyStates(), overdue_rotations: 0 };
  for (const t of types) {
    totals.secrets += t.total;
    totals.overdue_rotations += t.overdue_rotations;
    for (const s of LIFECYCLE_STATES) totals.states[s] += t.states[s];
  }
  return { generated_at: now.toISOString(), types, totals, errors, log: { path: logPath, found: scanned.found, problems: scanned.problems } };
}
