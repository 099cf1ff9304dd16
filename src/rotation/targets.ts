import type { Credential, RotationTarget, TargetState } from '../core/target.js';
import type { TargetConfig } from '../core/config.js';
import { VhError, isVhError } from '../base/errors.js';
import type { Runtime } from '../core/runtime.js';
import { getSecret, resolveRef, type ResolvedRef } from '../core/secrets.js';
import { TARGET_META, targetConfigFor } from '../core/target-of.js';

/**
 * Which rotation target a secret uses, and the credentials a target sees. A secret names its target in its
 * metadata (`vh-target`, set by `create --target`), or a `[targets.<name>]` table claims it by pattern.
 */

// Which target claims a secret is read from config and metadata alone: core's, so that health (and compliance
// through it) can say it too. Re-exported here, where the rotation reads it.
export { TARGET_META, targetConfigFor };

function asObject(value: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The credential in a stored value: the `key` field of a JSON object (with its `username`), a JSON object's
 * `password` field, or the whole value as the password.
 */
export function credentialOf(value: Buffer, key: string | null, fallbackUser?: string): Credential {
  const obj = asObject(value);
  if (obj) {
    const field = obj[key ?? 'password'];
    if (typeof field === 'string') {
      const username = typeof obj.username === 'string' ? obj.username : typeof obj.user === 'string' ? obj.user : fallbackUser;
      return { username, password: field, value };
    }
    if (key) throw new VhError('INVALID_FORMAT', `the secret's JSON value has no string field "${key}" to use as a password`);
  }
  return { username: fallbackUser, password: value.toString('utf8'), value };
}

/** The JSON key a rotation with a target replaces when the secret names none: `password`, if the value has one. */
export function defaultTargetKey(value: Buffer): string | null {
  const obj = asObject(value);
  return obj && typeof obj.password === 'string' ? 'password' : null;
}

export async function openTargetFor(rt: Runtime, ref: ResolvedRef, config: TargetConfig): Promise<RotationTarget> {
  let admin: Credential | undefined;
  if (config.admin) {
    const read = await getSecret(rt, config.admin);
    admin = credentialOf(read.value, null, config.adminUser);
    if (admin.username === undefined) admin.username = config.adminUser;
  }
  return rt.openers.target(config.kind, config.options, { name: config.name, admin, secret: ref.id });
}

/** A secret's rotation target as `describe` shows it: which one, and what it says of its own state. */
export interface TargetView {
  name: string;
  kind: string;
  /** The target's own state (a transit key's versions), when it keeps any worth showing; null otherwise. */
  state: TargetState | null;
  /** Why the state could not be read (the target unreachable, a setting wrong): describe still answers. */
  error: { code: string; message: string } | null;
}

/**
 * The rotation target of `refText` for `describe` (called after describeSecret, which authorized and audited the
 * describe), undefined when it has none. A target that cannot be opened or read is reported in `error`, never a
 * failed describe.
 */
export async function describeTargetOf(rt: Runtime, refText: string): Promise<TargetView | undefined> {
  const ref = resolveRef(rt, refText);
  const { metadata } = await (await rt.store(ref.store)).describe(ref.name);
  let config: TargetConfig | undefined;
  try {
    config = targetConfigFor(rt.config, ref.id, metadata);
  } catch (err) {
    return { name: metadata[TARGET_META] ?? '?', kind: '?', state: null, error: { code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message } };
  }
  if (!config) return undefined;
  const view: TargetView = { name: config.name, kind: config.kind, state: null, error: null };
  let target: RotationTarget | undefined;
  try {
    // Opened first without its admin secret: most kinds keep no state to show, and for those describe neither
    // reads (and audits) the admin secret nor reaches the target. One that describes itself (or that would not
    // open so) is opened as a rotation opens it; its errors are said.
    const bare = await rt.openers.target(config.kind, config.options, { name: config.name, admin: undefined, secret: ref.id }).catch(() => undefined);
    if (bare && !bare.describe) {
      await bare.close().catch(() => undefined);
      return view;
    }
    if (bare && !config.admin) target = bare;
    else {
      await bare?.close().catch(() => undefined);
      target = await openTargetFor(rt, ref, config);
    }
    if (target.describe) view.state = await target.describe();
  } catch (err) {
    view.error = { code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message };
  } finally {
    await target?.close().catch(() => undefined);
  }
  return view;
}
