import { VhError } from '../base/errors.js';
import type { Metadata } from './store.js';
import { isSecretType, type SecretType } from './types.js';

/**
 * What vh-secrets knows about a secret, kept in the store's own metadata under `vh-` keys so every host that
 * runs the tool sees the same facts. Keys are lowercase with hyphens: valid as Vault custom_metadata, AWS
 * and Azure tags and GCP labels/annotations alike. Everything else in the map is the operator's tags.
 */
export interface SecretMeta {
  type: SecretType;
  owner: string | undefined;
  rotationDays: number | undefined;
  expiresAt: string | undefined;
  rotatedAt: string | undefined;
  createdAt: string | undefined;
  tags: Record<string, string>;
}

export const META_PREFIX = 'vh-';
const KEYS = {
  type: 'vh-type',
  owner: 'vh-owner',
  rotationDays: 'vh-rotation-days',
  expiresAt: 'vh-expires-at',
  rotatedAt: 'vh-rotated-at',
  createdAt: 'vh-created-at',
} as const;

const TAG_KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const TAG_VALUE_RE = /^[A-Za-z0-9_.:/=+@ -]{0,255}$/;

export function encodeMeta(meta: SecretMeta): Metadata {
  const out: Metadata = { ...meta.tags, [KEYS.type]: meta.type };
  if (meta.owner !== undefined) out[KEYS.owner] = meta.owner;
  if (meta.rotationDays !== undefined) out[KEYS.rotationDays] = String(meta.rotationDays);
  if (meta.expiresAt !== undefined) out[KEYS.expiresAt] = meta.expiresAt;
  if (meta.rotatedAt !== undefined) out[KEYS.rotatedAt] = meta.rotatedAt;
  if (meta.createdAt !== undefined) out[KEYS.createdAt] = meta.createdAt;
  return out;
}

export function decodeMeta(raw: Metadata): SecretMeta {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (!k.startsWith(META_PREFIX)) tags[k] = v;
  const type = raw[KEYS.type];
  const days = raw[KEYS.rotationDays] === undefined ? undefined : Number(raw[KEYS.rotationDays]);
  return {
    type: type !== undefined && isSecretType(type) ? type : 'generic',
    owner: raw[KEYS.owner],
    rotationDays: days !== undefined && Number.isFinite(days) ? days : undefined,
    expiresAt: raw[KEYS.expiresAt],
    rotatedAt: raw[KEYS.rotatedAt],
    createdAt: raw[KEYS.createdAt],
    tags,
  };
}

/** Parses `k=v` tag arguments; the `vh-` prefix is reserved for vh-secrets' own metadata. */
export function parseTags(pairs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new VhError('USAGE', `invalid tag "${pair}"`, { hint: 'write --tag key=value' });
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (!TAG_KEY_RE.test(key) || key === '__proto__') {
      throw new VhError('USAGE', `invalid tag key "${key}"`, { hint: 'use letters, digits, _ . - (at most 63, starting with a letter or digit)' });
    }
    if (key.toLowerCase().startsWith(META_PREFIX)) {
      throw new VhError('USAGE', `tag key "${key}" uses the reserved prefix "${META_PREFIX}"`);
    }
    if (!TAG_VALUE_RE.test(value)) {
      throw new VhError('USAGE', `invalid value for tag "${key}"`, { hint: 'use letters, digits, spaces and _ . : / = + @ - (at most 255)' });
    }
    tags[key] = value;
  }
  return { ...tags };
}

export function metaFilter(type: SecretType | undefined, tags: Record<string, string>): Metadata {
  const filter: Metadata = { ...tags };
  if (type !== undefined) filter[KEYS.type] = type;
  return filter;
}
