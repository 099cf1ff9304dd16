import { VhError } from '../base/errors.js';

/**
 * A secret reference: `STORE:NAME[#KEY][@VERSION]`.
 *
 * - STORE is a config alias (`prod-vault`); without it the default store is used.
 * - NAME is the store-side name (`app/db`, `prod/db/password`).
 * - KEY selects one field of a JSON-object value (Vault's `path#key` form).
 * - VERSION is a version id (`3`) or a stage: `current`, `pending`, `previous`
 *   (AWS spellings `AWSCURRENT`, `AWSPENDING`, `AWSPREVIOUS` and GCP's `latest` are accepted).
 */
export interface SecretRef {
  store: string | undefined;
  name: string;
  key: string | undefined;
  selector: VersionSelector | undefined;
}

export type Stage = 'current' | 'pending' | 'previous';
export type VersionSelector = { stage: Stage } | { version: string };

const STORE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._/+=-]*$/;
const KEY_RE = /^[A-Za-z0-9_.-]{1,256}$/;
/** A version id starts with a letter or digit (`-1` is no version anywhere, and reads like an option). */
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MAX_NAME = 512;

const STAGE_ALIASES: Record<string, Stage> = {
  current: 'current',
  awscurrent: 'current',
  latest: 'current',
  pending: 'pending',
  awspending: 'pending',
  previous: 'previous',
  awsprevious: 'previous',
};

export function parseVersionSelector(text: string, original = text): VersionSelector {
  const stage = STAGE_ALIASES[text.toLowerCase()];
  if (stage) return { stage };
  if (!VERSION_RE.test(text)) {
    throw new VhError('USAGE', `invalid version "${text}" in "${original}"`, {
      hint: 'a version is an id such as 3, or one of current, pending, previous',
    });
  }
  return { version: text };
}

export function parseRef(input: string): SecretRef {
  const text = input.trim();
  if (text === '') throw new VhError('USAGE', 'empty secret reference', { hint: refHint });
  if (text.length > 1024) throw new VhError('USAGE', 'secret reference is longer than 1024 characters');

  let rest = text;
  let store: string | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    store = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
    if (!STORE_RE.test(store)) {
      throw new VhError('USAGE', `invalid store alias "${store}" in "${text}"`, { hint: refHint });
    }
  }

  let selector: VersionSelector | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    selector = parseVersionSelector(rest.slice(at + 1), text);
    rest = rest.slice(0, at);
  }

  let key: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    key = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
    if (!KEY_RE.test(key)) throw new VhError('USAGE', `invalid key "${key}" in "${text}"`, { hint: refHint });
  }

  validateName(rest, text);
  return { store, name: rest, key, selector };
}

export function validateName(name: string, original = name): void {
  const bad = (why: string): never => {
    throw new VhError('USAGE', `invalid secret name in "${original}": ${why}`, { hint: refHint });
  };
  if (name === '') bad('the name is empty');
  if (name.length > MAX_NAME) bad(`longer than ${MAX_NAME} characters`);
  if (!NAME_RE.test(name)) bad('use letters, digits and . _ / + = - (starting with a letter, digit or _)');
  if (name.endsWith('/')) bad('it ends with /');
  if (name.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) bad('empty, . or .. path segment');
}

export function formatRef(ref: SecretRef): string {
  let out = ref.store ? `${ref.store}:${ref.name}` : ref.name;
  if (ref.key) out += `#${ref.key}`;
  if (ref.selector) out += `@${'stage' in ref.selector ? ref.selector.stage : ref.selector.version}`;
  return out;
}

const refHint = 'a secret reference looks like STORE:NAME[#KEY][@VERSION], e.g. prod-vault:app/db#password@3';
