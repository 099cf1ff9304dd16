import { VhError, isVhError } from '../base/errors.js';
import { decodeMeta } from './metadata.js';
import { checkSecretState, enforce } from './policy.js';
import { MARKER } from './rotation-state.js';
import type { Runtime } from './runtime.js';
import { authorize, policyDetails, resolveRef } from './secrets.js';
import type { MetadataPatch } from './store.js';
import { TYPE_POLICIES, type SecretType } from './types.js';

/** What `update` changes; a field left undefined stays as it is. */
export interface UpdateInput {
  ref: string;
  tags: Record<string, string>;
  untag: string[];
  owner?: string | null;
  rotationDays?: number;
  /** Days from `now`; null removes the expiry. */
  expiresInDays?: number | null;
  /** A `[targets.<name>]`; null removes the secret's own target (a pattern in the config may still match). */
  target?: string | null;
  type?: SecretType;
  now?: Date;
}

export interface UpdateResult {
  ref: string;
  store: string;
  name: string;
  /** The metadata keys set or removed. */
  changed: string[];
  expires_at: string | null;
}

const TAG_KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * `update`: what vh-secrets knows about a secret — tags, owner, rotation interval, expiry, target, type — in the
 * store's own metadata; never the value. Refused with a reason, before anything is written, when the policy
 * would not accept the result or a rotation holds the secret. Audited as `updated`, naming the keys changed.
 */
export async function updateSecret(rt: Runtime, input: UpdateInput): Promise<UpdateResult> {
  const ref = resolveRef(rt, input.ref);
  if (ref.selector || ref.key) throw new VhError('USAGE', `update changes a whole secret, not a version or a key ("${input.ref}")`, { hint: 'drop the @VERSION / #KEY part' });
  for (const k of input.untag) {
    if (!TAG_KEY_RE.test(k) || k.toLowerCase().startsWith('vh-')) throw new VhError('USAGE', `invalid --untag key "${k}"`, { hint: 'name a tag set with --tag key=value' });
    if (k in input.tags) throw new VhError('USAGE', `tag "${k}" is both set and removed`);
  }
  if (input.rotationDays !== undefined && (!Number.isInteger(input.rotationDays) || input.rotationDays <= 0 || input.rotationDays > 36500)) {
    throw new VhError('USAGE', '--rotation-days must be a whole number of days from 1 to 36500');
  }
  if (typeof input.expiresInDays === 'number' && (!Number.isInteger(input.expiresInDays) || input.expiresInDays <= 0 || input.expiresInDays > 36500)) {
    throw new VhError('USAGE', '--expires-in-days must be a whole number of days from 1 to 36500');
  }
  if (typeof input.owner === 'string' && !/^[A-Za-z0-9_.:/=+@ -]{1,255}$/.test(input.owner)) {
    throw new VhError('USAGE', 'invalid --owner', { hint: 'use letters, digits, spaces and _ . : / = + @ - (at most 255)' });
  }
  if (typeof input.target === 'string' && !rt.config.targets.has(input.target)) {
    throw new VhError('USAGE', `no rotation target named "${input.target}"`, {
      hint: rt.config.targets.size ? `defined targets: ${[...rt.config.targets.keys()].join(', ')}` : `define it as a [targets.${input.target}] table in the config`,
    });
  }
  const now = input.now ?? new Date();
  const patch: MetadataPatch = { ...input.tags };
  for (const k of input.untag) patch[k] = null;
  if (input.owner !== undefined) patch['vh-owner'] = input.owner;
  if (input.rotationDays !== undefined) patch['vh-rotation-days'] = String(input.rotationDays);
  if (input.expiresInDays !== undefined) patch['vh-expires-at'] = input.expiresInDays === null ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString();
  if (input.target !== undefined) patch['vh-target'] = input.target;
  if (input.type !== undefined) patch['vh-type'] = input.type;
  if (Object.keys(patch).length === 0) throw new VhError('USAGE', 'nothing to update', { hint: 'give --tag, --untag, --owner, --rotation-days, --expires-in-days / --no-expiry, --target / --no-target or --type' });

  const audit = (success: boolean, details: Record<string, string | number | boolean | null>, code: string | null, type: string | null) =>
    rt.audit.record({ event: 'updated', secret: ref.id, secret_type: type, store: ref.store, success, error_code: code, details });
  let type: string | null = null;
  try {
    await authorize(rt, 'update', ref);
    const store = await rt.store(ref.store);
    const desc = await store.describe(ref.name).catch((err: unknown) => {
      if (isVhError(err) && err.code === 'NOT_FOUND') throw new VhError('NOT_FOUND', `secret ${ref.id} not found`, { hint: 'check the name with `vh-secrets list`' });
      throw err;
    });
    const before = decodeMeta(desc.metadata);
    type = before.type;
    // A rotation in flight reads the type, key and target it started with: change them once it is finished.
    if ((input.type !== undefined || input.target !== undefined) && (desc.pendingVersion || desc.metadata[MARKER])) {
      throw new VhError('CONFLICT', `${ref.id} is being rotated (or a rotation of it was interrupted): its type and target change once that is finished`, { hint: '`vh-secrets rotations` shows it' });
    }
    // The secret as it would be, judged by the policy as `create` judges a new one (age aside).
    const after = { ...desc.metadata };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete after[k];
      else after[k] = v;
    }
    const next = decodeMeta(after);
    const rotationDays = next.rotationDays ?? TYPE_POLICIES[next.type].rotationDays;
    rt.warnings.push(
      ...enforce(checkSecretState(rt.policy, { ref: ref.id, store: ref.store, type: next.type, owner: next.owner, tags: next.tags, rotationDays, rotatedAt: next.rotatedAt ?? now.toISOString() }, now, { includeAge: false }), 'update', ref.id),
    );
    const changed = Object.keys(patch).filter((k) => (patch[k] ?? undefined) !== desc.metadata[k]).sort();
    if (changed.length > 0) await store.setMetadata(ref.name, Object.fromEntries(changed.map((k) => [k, patch[k] ?? null])));
    type = next.type;
    await audit(true, { changed: changed.join(','), ...(input.type !== undefined && before.type !== input.type ? { from_type: before.type } : {}) }, null, type);
    return { ref: ref.id, store: ref.store, name: ref.name, changed, expires_at: after['vh-expires-at'] ?? null };
  } catch (err) {
    await audit(false, policyDetails(err), isVhError(err) ? err.code : 'INTERNAL', type).catch(() => undefined);
    throw err;
  }
}
