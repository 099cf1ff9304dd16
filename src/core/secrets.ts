import type { AuditEventType, DetailValue } from '../audit/event.js';
import { VhError, isVhError, type ErrorCode } from '../base/errors.js';
import { matchGlob } from '../base/text.js';
import { decodeMeta, encodeMeta, metaFilter, type SecretMeta } from './metadata.js';
import { checkAccess, checkSecretState, checkValue, enforce, generatorOverrides, policyRotationDays, type PolicyAction } from './policy.js';
import { formatRef, parseRef, type SecretRef, type VersionSelector } from './ref.js';
import type { Runtime } from './runtime.js';
import type { ReadSelector, SecretDescription, VersionInfo } from './store.js';
import { TYPE_POLICIES, generateValue, type SecretType } from './types.js';
import { RELOAD_META } from './rotation-state.js';
import { noteCurrentValue } from './value-index.js';

/** The everyday operations. Each one is audited, success or failure; none returns or logs a value except get. */

export interface ResolvedRef extends SecretRef {
  store: string;
  /** `store:name` — how events and output name the secret. */
  id: string;
}

export function resolveRef(rt: Runtime, text: string): ResolvedRef {
  const ref = parseRef(text);
  const store = rt.resolveAlias(ref.store);
  return { ...ref, store, id: `${store}:${ref.name}` };
}

interface AuditBase {
  event: AuditEventType;
  secret: string | null;
  store: string | null;
  secretType?: string | null;
  details?: Record<string, DetailValue>;
}

/** Milliseconds since `t0` (performance.now()), to 0.1 ms: the `duration_ms` an audit event records. */
export function elapsedMs(t0: number): number {
  return Math.round((performance.now() - t0) * 10) / 10;
}

/**
 * Runs `fn` and records one audit event for it, with the error code when it fails and, either way, how long it
 * took (`details.duration_ms`: the operation-timing histogram is made from it).
 */
async function audited<T>(rt: Runtime, base: AuditBase, fn: () => Promise<{ result: T; details?: Record<string, DetailValue>; secretType?: string }>): Promise<T> {
  let outcome: { result: T; details?: Record<string, DetailValue>; secretType?: string };
  const t0 = performance.now();
  try {
    outcome = await fn();
  } catch (err) {
    const duration_ms = elapsedMs(t0);
    const code = isVhError(err) ? err.code : 'INTERNAL';
    await rt.audit
      .record({
        event: base.event,
        secret: base.secret,
        secret_type: base.secretType ?? null,
        store: base.store,
        success: false,
        error_code: code,
        details: { ...base.details, ...policyDetails(err), duration_ms },
      })
      .catch(() => undefined);
    throw err;
  }
  const duration_ms = elapsedMs(t0);
  await rt.audit.record({
    event: base.event,
    secret: base.secret,
    secret_type: outcome.secretType ?? base.secretType ?? null,
    store: base.store,
    success: true,
    error_code: null,
    details: { ...base.details, ...outcome.details, duration_ms },
  });
  return outcome.result;
}

/** A policy denial names its rule and check in the audit event (never anything about the value). */
export function policyDetails(err: unknown): Record<string, DetailValue> {
  if (!isVhError(err) || typeof err.details.policy_rule !== 'string') return {};
  return { policy_rule: err.details.policy_rule, policy_check: String(err.details.policy_check ?? '') };
}

/**
 * Throws PERMISSION_DENIED (77) when the policy's access rules, in enforce mode, do not let the actor act on
 * `ref` (`store:name`). With `[access] actor = "store"` the actor is who the secret's store says we are, not
 * what the caller claims; a store without an identity then denies, since nobody can be matched.
 */
export async function authorize(rt: Runtime, action: PolicyAction, ref: { store: string; id: string }): Promise<void> {
  const access = rt.policy?.access;
  if (!access) return;
  let actor = rt.actor.name;
  if (access.actor === 'store') {
    const identity = await rt.identityOf(ref.store);
    if (identity === undefined) {
      const violation = { rule: access.name, check: 'access' as const, mode: access.mode, message: `store "${ref.store}" has no identity of its own to match grants against (set actor = "local" in [access])` };
      rt.warnings.push(...enforce([violation], action, ref.id));
      return;
    }
    actor = identity;
  }
  const denied = checkAccess(rt.policy, actor, action, ref.id);
  if (denied) rt.warnings.push(...enforce([denied], action, ref.id));
}

function toReadSelector(selector: VersionSelector | undefined): ReadSelector {
  return selector ?? { stage: 'current' };
}

export type ValueSource = { kind: 'bytes'; value: Buffer } | { kind: 'generate' };

export interface CreateInput {
  ref: string;
  type: SecretType;
  source: ValueSource;
  expiresInDays?: number;
  rotationDays?: number;
  owner?: string;
  /** A `[targets.<name>]` the secret's rotations go through (recorded as `vh-target`). */
  target?: string;
  /** `[[reload]]` names run after each rotation's promote (recorded as `vh-reload`). */
  reload?: string[];
  tags: Record<string, string>;
  now?: Date;
}

export interface CreateResult {
  ref: string;
  store: string;
  name: string;
  version: string;
  type: SecretType;
  generated: boolean;
  expires_at: string | null;
}

function checkDays(label: string, days: number | undefined): void {
  if (days === undefined) return;
  if (!Number.isInteger(days) || days <= 0 || days > 36500) {
    throw new VhError('USAGE', `${label} must be a whole number of days from 1 to 36500`);
  }
}

export async function createSecret(rt: Runtime, input: CreateInput): Promise<CreateResult> {
  const ref = resolveRef(rt, input.ref);
  if (ref.selector) throw new VhError('USAGE', `cannot create a specific version ("${input.ref}")`, { hint: 'drop the @VERSION part' });
  checkDays('--expires-in-days', input.expiresInDays);
  checkDays('--rotation-days', input.rotationDays);
  if (input.target !== undefined && !rt.config.targets.has(input.target)) {
    throw new VhError('USAGE', `no rotation target named "${input.target}"`, {
      hint: rt.config.targets.size ? `defined targets: ${[...rt.config.targets.keys()].join(', ')}` : `define it as a [targets.${input.target}] table in the config`,
    });
  }
  for (const name of input.reload ?? []) {
    if (!rt.config.reloads.some((r) => r.name === name)) {
      const known = rt.config.reloads.flatMap((r) => (r.name ? [r.name] : []));
      throw new VhError('USAGE', `no reload named "${name}"`, { hint: known.length ? `defined reloads: ${known.join(', ')}` : 'define it as a [[reload]] table with name = "…" in the config' });
    }
  }
  // The value as written, for the index of managed values.
  let stored: Buffer | undefined;
  const result = await audited(rt, { event: 'created', secret: ref.id, store: ref.store, secretType: input.type }, async () => {
    await authorize(rt, 'create', ref);
    const now = input.now ?? new Date();
    const rotationDays = input.rotationDays ?? policyRotationDays(rt.policy, ref.id, input.type);
    const fresh = input.source.kind === 'generate' ? generateCompliant(rt, ref.id, input.type) : input.source.value;
    if (fresh.length === 0) throw new VhError('INVALID_FORMAT', 'the secret value is empty', { hint: 'pipe a value on stdin, use --value-file, or --generate' });
    const policyWarnings = enforce(
      [
        ...checkSecretState(rt.policy, { ref: ref.id, store: ref.store, type: input.type, owner: input.owner, tags: input.tags, rotationDays: rotationDays ?? TYPE_POLICIES[input.type].rotationDays, rotatedAt: now.toISOString() }, now, { includeAge: false }),
        ...checkValue(rt.policy, ref.id, input.type, fresh),
      ],
      'create',
      ref.id,
    );
    rt.warnings.push(...policyWarnings);
    const store = await rt.store(ref.store);
    let value = fresh;
    if (ref.key) value = Buffer.from(JSON.stringify({ [ref.key]: value.toString('utf8') }));
    if (value.length > store.capabilities.maxValueBytes) {
      throw new VhError('INVALID_FORMAT', `the value is ${value.length} bytes; store "${ref.store}" accepts at most ${store.capabilities.maxValueBytes}`);
    }
    const expiresAt = input.expiresInDays === undefined ? undefined : new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString();
    const meta: SecretMeta = {
      type: input.type,
      owner: input.owner,
      rotationDays,
      expiresAt,
      rotatedAt: now.toISOString(),
      createdAt: now.toISOString(),
      tags: input.tags,
    };
    // A secret created as name#key rotates that key: rotation keeps the rest of the JSON object.
    stored = value;
    const { version } = await store.create(ref.name, value, { ...encodeMeta(meta), ...(ref.key ? { 'vh-key': ref.key } : {}), ...(input.target ? { 'vh-target': input.target } : {}), ...(input.reload?.length ? { [RELOAD_META]: input.reload.join(',') } : {}) });
    return {
      result: {
        ref: ref.id,
        store: ref.store,
        name: ref.name,
        version,
        type: input.type,
        generated: input.source.kind === 'generate',
        expires_at: expiresAt ?? null,
      },
      details: { version, generated: input.source.kind === 'generate', bytes: value.length, ...(policyWarnings.length > 0 ? { policy_warnings: policyWarnings.length } : {}) },
    };
  });
  // A new secret is live (readable, current) the moment it is written: CREATED → ACTIVATED in one step.
  await rt.audit.record({ event: 'activated', secret: ref.id, secret_type: input.type, store: ref.store, success: true, error_code: null, details: { scope: 'secret', version: result.version } });
  if (stored) await noteCurrentValue(rt.config.paths, ref.id, result.version, stored);
  return result;
}

/**
 * A generated value that satisfies the policy's value rules: the generator runs with the policy's length and
 * alphabet, and is drawn again (a few times) when a required character class happened not to appear.
 */
export function generateCompliant(rt: Runtime, ref: string, type: SecretType): Buffer {
  const overrides = generatorOverrides(rt.policy, ref, type);
  let value = generateValue(type, overrides);
  for (let i = 0; i < 20 && checkValue(rt.policy, ref, type, value).length > 0; i++) value = generateValue(type, overrides);
  return value;
}

export interface GetResult {
  ref: string;
  store: string;
  name: string;
  key: string | null;
  version: string;
  value: Buffer;
}

function selectKey(value: Buffer, key: string, id: string): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new VhError('INVALID_FORMAT', `the value of ${id} is not a JSON object, so it has no key "${key}"`);
  }
  if (!Object.prototype.hasOwnProperty.call(parsed, key)) throw new VhError('NOT_FOUND', `${id} has no key "${key}"`);
  const field = (parsed as Record<string, unknown>)[key];
  return Buffer.from(typeof field === 'string' ? field : JSON.stringify(field));
}

/** Reads a value. The access is audited before the value is returned: no audit, no value. */
export async function getSecret(rt: Runtime, text: string, version?: string, field?: string, purpose?: Record<string, DetailValue>): Promise<GetResult> {
  const parsed = resolveRef(rt, text);
  if (field !== undefined && parsed.key) throw new VhError('USAGE', `give the key once: "${text}" already names #${parsed.key}`, { hint: 'drop --field, or the #KEY part' });
  if (field !== undefined && field === '') throw new VhError('USAGE', '--field needs a key name');
  const ref = field !== undefined ? { ...parsed, key: field } : parsed;
  const selector = version !== undefined ? parseRef(`${ref.name}@${version}`).selector : ref.selector;
  return audited(rt, { event: 'accessed', secret: formatRef({ ...ref, selector }), store: ref.store, ...(purpose ? { details: purpose } : {}) }, async () => {
    await authorize(rt, 'get', ref);
    const store = await rt.store(ref.store);
    const read = await store.get(ref.name, toReadSelector(selector));
    const value = ref.key ? selectKey(read.value, ref.key, ref.id) : read.value;
    return {
      result: { ref: ref.id, store: ref.store, name: ref.name, key: ref.key ?? null, version: read.version, value },
      details: { version: read.version },
    };
  });
}

export interface SecretListing {
  ref: string;
  store: string;
  name: string;
  type: SecretType;
  owner: string | null;
  current_version: string | null;
  updated_at: string | null;
  rotated_at: string | null;
  expires_at: string | null;
  tags: Record<string, string>;
}

export interface ListResult {
  secrets: SecretListing[];
  errors: { store: string; code: ErrorCode; message: string; hint?: string }[];
}

export interface ListInput {
  store?: string;
  type?: SecretType;
  tags: Record<string, string>;
  /** Names starting with this (passed to the store, which lists no more than it must). */
  prefix?: string;
  /** A glob (`*` within a path segment, `**` across) on the name, or on `store:name` when it holds a colon. */
  match?: string;
}

/** Lists every configured store (or one); a store that fails is reported beside the others' results. */
export async function listSecrets(rt: Runtime, input: ListInput): Promise<ListResult> {
  const aliases = input.store !== undefined ? [rt.resolveAlias(input.store)] : [...rt.config.stores.keys()].sort();
  const result: ListResult = { secrets: [], errors: [] };
  const filter = { metadata: metaFilter(input.type, input.tags), ...(input.prefix ? { prefix: input.prefix } : {}) };
  const matches = (alias: string, name: string) => input.match === undefined || matchGlob(input.match, input.match.includes(':') ? `${alias}:${name}` : name);
  for (const alias of aliases) {
    try {
      const rows = await audited(rt, { event: 'listed', secret: null, store: alias, details: { filter_type: input.type ?? null } }, async () => {
        const store = await rt.store(alias);
        const rows: SecretListing[] = [];
        for await (const s of store.list(filter)) {
          if (!matches(alias, s.name)) continue;
          const meta = decodeMeta(s.metadata);
          rows.push({
            ref: `${alias}:${s.name}`,
            store: alias,
            name: s.name,
            type: meta.type,
            owner: meta.owner ?? null,
            current_version: s.currentVersion ?? null,
            updated_at: s.updatedAt ?? null,
            rotated_at: meta.rotatedAt ?? null,
            expires_at: meta.expiresAt ?? null,
            tags: meta.tags,
          });
        }
        return { result: rows, details: { count: rows.length } };
      });
      result.secrets.push(...rows);
    } catch (err) {
      if (input.store !== undefined || !isVhError(err)) throw err;
      result.errors.push({ store: alias, code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) });
    }
  }
  return result;
}

export interface DescribeResult {
  ref: string;
  store: string;
  name: string;
  type: SecretType;
  owner: string | null;
  created_at: string | null;
  updated_at: string | null;
  rotated_at: string | null;
  expires_at: string | null;
  rotation_days: number;
  rotation_due_at: string | null;
  revoked: boolean;
  current_version: string | null;
  pending_version: string | null;
  tags: Record<string, string>;
  versions: { version: string; created_at: string | null; state: VersionInfo['state']; stages: VersionInfo['stages'] }[];
}

export function describeView(alias: string, d: SecretDescription): DescribeResult {
  const meta = decodeMeta(d.metadata);
  const rotationDays = meta.rotationDays ?? TYPE_POLICIES[meta.type].rotationDays;
  const base = meta.rotatedAt ?? meta.createdAt ?? d.createdAt;
  const due = base ? new Date(Date.parse(base) + rotationDays * 86_400_000) : undefined;
  return {
    ref: `${alias}:${d.name}`,
    store: alias,
    name: d.name,
    type: meta.type,
    owner: meta.owner ?? null,
    created_at: meta.createdAt ?? d.createdAt ?? null,
    updated_at: d.updatedAt ?? null,
    rotated_at: meta.rotatedAt ?? null,
    expires_at: meta.expiresAt ?? null,
    rotation_days: rotationDays,
    rotation_due_at: due && !Number.isNaN(due.getTime()) ? due.toISOString() : null,
    revoked: d.revoked,
    current_version: d.currentVersion ?? null,
    pending_version: d.pendingVersion ?? null,
    tags: meta.tags,
    versions: d.versions.map((v) => ({ version: v.version, created_at: v.createdAt ?? null, state: v.state, stages: v.stages })),
  };
}

export async function describeSecret(rt: Runtime, text: string): Promise<DescribeResult> {
  const ref = resolveRef(rt, text);
  return audited(rt, { event: 'described', secret: ref.id, store: ref.store }, async () => {
    await authorize(rt, 'describe', ref);
    const store = await rt.store(ref.store);
    const desc = await store.describe(ref.name);
    if (ref.selector) {
      // `describe name@V` describes the secret, but only when V is one of its versions: never a silent answer
      // about another version.
      const sel = ref.selector;
      const found = 'version' in sel ? desc.versions.some((v) => v.version === sel.version) : desc.versions.some((v) => v.stages.includes(sel.stage));
      if (!found) throw new VhError('NOT_FOUND', `${'version' in sel ? `version ${sel.version}` : `a ${sel.stage} version`} of "${ref.name}" not found in store ${ref.store}`, { hint: `list its versions with \`vh-secrets describe ${ref.store}:${ref.name}\`` });
    }
    const view = describeView(ref.store, desc);
    return { result: view, secretType: view.type };
  });
}

export interface RevokeResult {
  ref: string;
  store: string;
  name: string;
  revoked_versions: string[];
  whole_secret: boolean;
}

/**
 * Revokes one version, or the whole secret when no version is named. Revoking the current version alone would
 * leave the secret with no readable value, so that needs `allowCurrent` (the whole-secret form is explicit).
 */
export async function revokeSecret(rt: Runtime, text: string, options: { version?: string; allowCurrent?: boolean } = {}): Promise<RevokeResult> {
  const ref = resolveRef(rt, text);
  const selector = options.version !== undefined ? parseRef(`${ref.name}@${options.version}`).selector : ref.selector;
  return audited(rt, { event: 'revoked', secret: formatRef({ ...ref, key: undefined, selector }), store: ref.store }, async () => {
    await authorize(rt, 'revoke', ref);
    const store = await rt.store(ref.store);
    const desc = await store.describe(ref.name);
    let version: string | undefined;
    if (selector) {
      version = 'version' in selector ? selector.version : selector.stage === 'current' ? desc.currentVersion : selector.stage === 'pending' ? desc.pendingVersion : desc.versions.find((v) => v.stages.includes('previous'))?.version;
      if (version === undefined) throw new VhError('NOT_FOUND', `${ref.id} has no ${'stage' in selector ? selector.stage : ''} version`);
      if (version === desc.currentVersion && !options.allowCurrent) {
        throw new VhError('USAGE', `version ${version} is the current version of ${ref.id}; revoking it leaves nothing readable`, {
          hint: 'rotate first, or revoke the whole secret (no --at) if that is what you want',
        });
      }
    }
    const { revoked } = await store.revoke(ref.name, version);
    return {
      result: { ref: ref.id, store: ref.store, name: ref.name, revoked_versions: revoked, whole_secret: version === undefined },
      details: { versions: revoked.join(','), whole_secret: version === undefined },
      secretType: decodeMeta(desc.metadata).type,
    };
  });
}
