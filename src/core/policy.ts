import { matchGlob } from '../base/text.js';
import { promises as fs } from 'node:fs';
import { VhError } from '../base/errors.js';
import { isSecretType, TYPE_POLICIES, type GeneratorOverrides, type SecretType } from './types.js';

/**
 * The policy file: rules about secrets (per type and/or `store:name` glob) and who may do what. Everything
 * here but `loadPolicy` is a pure function of its arguments, so core (secrets, rotation, health, compliance)
 * asks the same questions the same way and tests can ask them without a store.
 *
 * ```toml
 * mode = "enforce"                       # default for every rule: "enforce" (block) or "warn"
 *
 * [[rules]]
 * name = "prod-db"
 * types = ["database_password"]          # and/or
 * refs = ["prod-vault:app/**"]           # globs on store:name; * stays inside one /-segment, ** crosses them
 * mode = "enforce"
 * max_age_days = 90                      # age of the current value
 * rotation_interval_days = 30            # the secret's rotation interval may not be longer
 * min_length = 24
 * alphabet = "ABC…xyz0123456789-_"       # allowed characters (or ["upper", "lower", "digit", "symbol"])
 * required_classes = ["upper", "digit"]  # each must appear in the value
 * allowed_stores = ["prod-vault"]
 * required_tags = ["owner"]              # "owner" is also satisfied by --owner
 *
 * [access]                               # present: an action no grant allows is denied
 * mode = "enforce"
 * actor = "store"                        # match grants against the store's identity (default "local":
 *                                        # --actor, VH_SECRETS_ACTOR, else the OS user)
 * [[access.grants]]
 * name = "ops"
 * actors = ["alice", "ci-*"]
 * actions = ["get", "rotate"]            # or ["*"]
 * refs = ["prod-vault:**"]
 * ```
 */

export type PolicyMode = 'enforce' | 'warn';
export const CHAR_CLASSES = ['upper', 'lower', 'digit', 'symbol'] as const;
export type CharClass = (typeof CHAR_CLASSES)[number];
/** Actions an access grant can name. `list` and `health` show names only and are not gated. */
export const POLICY_ACTIONS = ['get', 'create', 'update', 'rotate', 'revoke', 'describe', 'deprecate', 'archive', 'purge', 'backup', 'restore', 'notify'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];
export type PolicyCheck =
  | 'max_age_days'
  | 'rotation_interval_days'
  | 'min_length'
  | 'alphabet'
  | 'required_classes'
  | 'allowed_stores'
  | 'required_tags'
  | 'access';

export interface SecretRule {
  name: string;
  mode: PolicyMode;
  /** null: every type. */
  types: SecretType[] | null;
  /** null: every secret. */
  refs: string[] | null;
  maxAgeDays: number | undefined;
  rotationIntervalDays: number | undefined;
  minLength: number | undefined;
  /** Allowed characters (a set). */
  alphabet: string | undefined;
  requiredClasses: CharClass[];
  allowedStores: string[] | undefined;
  requiredTags: string[];
}

export interface AccessGrant {
  name: string;
  actors: string[];
  actions: (PolicyAction | '*')[];
  refs: string[];
}

export interface AccessPolicy {
  /** How denials are named in messages. @default "access" */
  name: string;
  mode: PolicyMode;
  /**
   * Whose name grants are matched against: `local` — `--actor`, VH_SECRETS_ACTOR, else the OS user (a claim
   * the caller makes); `store` — the identity the secret's store authenticated (see SecretStore.identity).
   * @default "local"
   */
  actor: 'local' | 'store';
  grants: AccessGrant[];
}

export interface Policy {
  file: string;
  rules: SecretRule[];
  access: AccessPolicy | null;
}

export interface Violation {
  rule: string;
  check: PolicyCheck;
  mode: PolicyMode;
  /** What is wrong, naming no value. */
  message: string;
}

/** What the policy may look at about a secret: its address and metadata, never its value. */
export interface SecretFacts {
  /** `store:name` */
  ref: string;
  store: string;
  type: SecretType;
  owner: string | undefined;
  tags: Record<string, string>;
  /** The secret's own rotation interval (metadata, else the type's default). */
  rotationDays: number;
  /** When the current value was set (last rotation, else creation); undefined when unknown. */
  rotatedAt: string | undefined;
}

const DAY = 86_400_000;
const RULE_KEYS = ['name', 'types', 'refs', 'mode', 'max_age_days', 'rotation_interval_days', 'min_length', 'alphabet', 'required_classes', 'allowed_stores', 'required_tags'];
const CLASS_CHARS: Record<CharClass, string> = {
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  lower: 'abcdefghijklmnopqrstuvwxyz',
  digit: '0123456789',
  // Symbols safe in connection strings and shells (the database_password alphabet's).
  symbol: '-_.~+=^',
};

// ---------------------------------------------------------------------------------------------- globs

// ---------------------------------------------------------------------------------------------- parsing

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Line of the `index`-th `[[header]]` (or `[header]`) and, inside it, of `key`; best effort, for messages. */
function locate(text: string, header: string, index: number, key?: string): number {
  const lines = text.split('\n');
  let seen = -1;
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?/.exec(lines[i]!);
    if (m && m[1]!.replace(/["'\s]/g, '') === header && ++seen === index) {
      start = i;
      break;
    }
  }
  if (start < 0) {
    if (key === undefined) return 1;
    const top = lines.findIndex((l) => l.split('=')[0]!.trim() === key);
    return top >= 0 ? top + 1 : 1;
  }
  if (key === undefined) return start + 1;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^\s*\[/.test(lines[i]!)) break;
    if (lines[i]!.split('=')[0]!.trim().replace(/["']/g, '') === key) return i + 1;
  }
  return start + 1;
}

/** Parses a policy from its TOML text. Every error is CONFIG (exit 78) naming the file, line and field. */
export async function parsePolicy(text: string, file: string): Promise<Policy> {
  const { parse } = await import('smol-toml');
  let data: Table;
  try {
    data = parse(text) as Table;
  } catch (err) {
    const e = err as { line?: number; message?: string };
    const first = (e.message ?? 'invalid TOML').split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new VhError('CONFIG', `policy ${file}:${e.line ?? 1}: invalid TOML: ${first}`, { details: { path: file, line: e.line ?? 1 } });
  }
  return policyFromData(data, text, file);
}

export function policyFromData(data: Table, text: string, file: string): Policy {
  const fail = (header: string, index: number, key: string | undefined, message: string, hint?: string): never => {
    const line = locate(text, header, index, key);
    const field = header === '' ? key ?? '' : `${header}${index >= 0 && header !== 'access' ? `[${index}]` : ''}${key ? `.${key}` : ''}`;
    throw new VhError('CONFIG', `policy ${file}:${line}: ${field}: ${message}`, { details: { path: file, line, field }, ...(hint ? { hint } : {}) });
  };
  for (const key of Object.keys(data)) {
    if (!['mode', 'rules', 'access'].includes(key)) fail('', -1, key, 'unknown setting', 'known top-level settings: mode, rules ([[rules]]), access ([access])');
  }
  const mode = (v: unknown, header: string, index: number, def: PolicyMode): PolicyMode => {
    if (v === undefined) return def;
    if (v !== 'enforce' && v !== 'warn') return fail(header, index, 'mode', `must be "enforce" or "warn", not ${JSON.stringify(v)}`);
    return v;
  };
  const defaultMode = mode(data.mode, '', -1, 'enforce');
  const strings = (v: unknown, header: string, index: number, key: string, check?: (s: string) => string | undefined): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || !v.every((s): s is string => typeof s === 'string' && s !== '')) return fail(header, index, key, 'must be a non-empty array of non-empty strings');
    for (const s of v) {
      const problem = check?.(s);
      if (problem) fail(header, index, key, problem);
    }
    return v;
  };
  const days = (v: unknown, index: number, key: string, max = 36500): number | undefined => {
    if (v === undefined) return undefined;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) return fail('rules', index, key, `must be a whole number from 1 to ${max}`);
    return n;
  };

  const rules: SecretRule[] = [];
  if (data.rules !== undefined) {
    if (!Array.isArray(data.rules)) fail('', -1, 'rules', 'must be an array of tables ([[rules]])');
    const names = new Set<string>();
    (data.rules as unknown[]).forEach((raw, i) => {
      if (!isTable(raw)) return fail('rules', i, undefined, 'each [[rules]] entry must be a table');
      for (const key of Object.keys(raw)) if (!RULE_KEYS.includes(key)) fail('rules', i, key, 'unknown setting', `known: ${RULE_KEYS.join(', ')}`);
      const name = raw.name ?? `rule-${i + 1}`;
      if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) fail('rules', i, 'name', 'must be letters, digits, _ . - (at most 63)');
      if (names.has(name as string)) fail('rules', i, 'name', `two rules are named "${name as string}"`);
      names.add(name as string);
      const types = strings(raw.types, 'rules', i, 'types', (s) => (isSecretType(s) ? undefined : `unknown secret type "${s}"`)) as SecretType[] | undefined;
      const refs = strings(raw.refs, 'rules', i, 'refs', (s) => (s.includes(':') ? undefined : `"${s}" must be a glob on store:name, e.g. "prod-vault:app/**"`));
      let alphabet: string | undefined;
      if (raw.alphabet !== undefined) {
        if (typeof raw.alphabet === 'string') alphabet = raw.alphabet;
        else if (Array.isArray(raw.alphabet) && raw.alphabet.every((c): c is CharClass => typeof c === 'string' && (CHAR_CLASSES as readonly string[]).includes(c))) {
          alphabet = raw.alphabet.map((c) => CLASS_CHARS[c]).join('');
        } else fail('rules', i, 'alphabet', `must be a string of allowed characters or an array of classes (${CHAR_CLASSES.join(', ')})`);
        if (new Set(alphabet).size < 2) fail('rules', i, 'alphabet', 'needs at least two distinct characters');
      }
      const requiredClasses = (strings(raw.required_classes, 'rules', i, 'required_classes', (s) => ((CHAR_CLASSES as readonly string[]).includes(s) ? undefined : `unknown class "${s}" (use ${CHAR_CLASSES.join(', ')})`)) ?? []) as CharClass[];
      if (alphabet !== undefined) {
        for (const c of requiredClasses) {
          if (![...CLASS_CHARS[c]].some((ch) => alphabet!.includes(ch))) fail('rules', i, 'required_classes', `"${c}" can never be met: the alphabet has no ${c} character`);
        }
      }
      const minLength = raw.min_length === undefined ? undefined : days(raw.min_length, i, 'min_length', 4096);
      const rule: SecretRule = {
        name: name as string,
        mode: mode(raw.mode, 'rules', i, defaultMode),
        types: types ?? null,
        refs: refs ?? null,
        maxAgeDays: days(raw.max_age_days, i, 'max_age_days'),
        rotationIntervalDays: days(raw.rotation_interval_days, i, 'rotation_interval_days'),
        minLength,
        alphabet,
        requiredClasses,
        allowedStores: strings(raw.allowed_stores, 'rules', i, 'allowed_stores'),
        requiredTags: strings(raw.required_tags, 'rules', i, 'required_tags') ?? [],
      };
      rules.push(rule);
    });
  }

  let access: AccessPolicy | null = null;
  if (data.access !== undefined) {
    const raw = data.access;
    if (!isTable(raw)) return fail('', -1, 'access', 'must be a table ([access])');
    for (const key of Object.keys(raw)) if (!['name', 'mode', 'actor', 'grants'].includes(key)) fail('access', 0, key, 'unknown setting', 'known: name, mode, actor, grants ([[access.grants]])');
    const actor = raw.actor ?? 'local';
    if (actor !== 'local' && actor !== 'store') fail('access', 0, 'actor', 'must be "local" or "store"');
    const name = raw.name ?? 'access';
    if (typeof name !== 'string' || name === '') fail('access', 0, 'name', 'must be a non-empty string');
    if (raw.grants !== undefined && !Array.isArray(raw.grants)) fail('access', 0, 'grants', 'must be an array of tables ([[access.grants]])');
    const grants: AccessGrant[] = ((raw.grants as unknown[] | undefined) ?? []).map((g, i) => {
      if (!isTable(g)) return fail('access.grants', i, undefined, 'each [[access.grants]] entry must be a table');
      for (const key of Object.keys(g)) if (!['name', 'actors', 'actions', 'refs'].includes(key)) fail('access.grants', i, key, 'unknown setting', 'known: name, actors, actions, refs');
      const gname = g.name ?? `grant-${i + 1}`;
      if (typeof gname !== 'string' || gname === '') fail('access.grants', i, 'name', 'must be a non-empty string');
      const actors = strings(g.actors, 'access.grants', i, 'actors');
      const actions = strings(g.actions, 'access.grants', i, 'actions', (s) => (s === '*' || (POLICY_ACTIONS as readonly string[]).includes(s) ? undefined : `unknown action "${s}" (use ${POLICY_ACTIONS.join(', ')} or "*")`));
      const refs = strings(g.refs, 'access.grants', i, 'refs', (s) => (s.includes(':') || s === '**' ? undefined : `"${s}" must be a glob on store:name, e.g. "local:**"`));
      if (!actors) return fail('access.grants', i, 'actors', 'missing required field');
      if (!actions) return fail('access.grants', i, 'actions', 'missing required field');
      return { name: gname as string, actors, actions: actions as AccessGrant['actions'], refs: refs ?? ['**'] };
    });
    access = { name: name as string, mode: mode(raw.mode, 'access', 0, defaultMode), actor: actor as AccessPolicy['actor'], grants };
  }
  return { file, rules, access };
}

/** Reads and parses the policy file; a missing or unreadable file is a configuration error (78). */
export async function loadPolicy(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? 'error'})`;
    throw new VhError('CONFIG', `policy file ${file} ${why}`, { details: { path: file } });
  }
  return parsePolicy(text, file);
}

// ---------------------------------------------------------------------------------------------- evaluation

export function ruleApplies(rule: SecretRule, ref: string, type: SecretType): boolean {
  if (rule.types !== null && !rule.types.includes(type)) return false;
  if (rule.refs !== null && !rule.refs.some((g) => matchGlob(g, ref))) return false;
  return true;
}

export function rulesFor(policy: Policy | null, ref: string, type: SecretType): SecretRule[] {
  return policy ? policy.rules.filter((r) => ruleApplies(r, ref, type)) : [];
}

/**
 * The rotation interval the policy imposes on a new secret when the operator gives none: the shortest of the
 * matching rules, when it is shorter than the type's default (undefined otherwise: the default complies).
 */
export function policyRotationDays(policy: Policy | null, ref: string, type: SecretType): number | undefined {
  const days = rulesFor(policy, ref, type).map((r) => r.rotationIntervalDays).filter((d): d is number => d !== undefined);
  const shortest = Math.min(...days);
  return days.length > 0 && shortest < TYPE_POLICIES[type].rotationDays ? shortest : undefined;
}

function hasTag(facts: SecretFacts, tag: string): boolean {
  if (tag === 'owner' && facts.owner !== undefined && facts.owner !== '') return true;
  const v = facts.tags[tag];
  return v !== undefined && v !== '';
}

/**
 * Rules about a secret's state — where it lives, its tags, its rotation interval and the age of its current
 * value — from metadata alone. `includeAge: false` for a secret being created (its value is new).
 */
export function checkSecretState(policy: Policy | null, facts: SecretFacts, now: Date, options: { includeAge?: boolean } = {}): Violation[] {
  const out: Violation[] = [];
  const includeAge = options.includeAge !== false;
  const rotatedMs = facts.rotatedAt ? Date.parse(facts.rotatedAt) : NaN;
  const ageDays = Number.isFinite(rotatedMs) ? (now.getTime() - rotatedMs) / DAY : undefined;
  const age = (d: number) => `${Math.round(d * 10) / 10}`;
  for (const r of rulesFor(policy, facts.ref, facts.type)) {
    const v = (check: PolicyCheck, message: string) => out.push({ rule: r.name, check, mode: r.mode, message });
    if (r.allowedStores && !r.allowedStores.includes(facts.store)) v('allowed_stores', `store "${facts.store}" is not one of ${r.allowedStores.join(', ')}`);
    const missing = r.requiredTags.filter((t) => !hasTag(facts, t));
    if (missing.length > 0) v('required_tags', `missing required tag${missing.length > 1 ? 's' : ''} ${missing.map((t) => `"${t}"`).join(', ')}${missing.includes('owner') ? ' (set --owner or --tag owner=…)' : ''}`);
    if (r.rotationIntervalDays !== undefined) {
      if (facts.rotationDays > r.rotationIntervalDays) v('rotation_interval_days', `rotation interval is ${facts.rotationDays} days; the policy allows at most ${r.rotationIntervalDays}`);
      else if (includeAge && ageDays !== undefined && ageDays > r.rotationIntervalDays) v('rotation_interval_days', `current value is ${age(ageDays)} days old; the policy rotates every ${r.rotationIntervalDays} days`);
    }
    if (includeAge && r.maxAgeDays !== undefined) {
      if (ageDays === undefined) v('max_age_days', 'age unknown: no creation or rotation time recorded');
      else if (ageDays > r.maxAgeDays) v('max_age_days', `current value is ${age(ageDays)} days old; the policy allows at most ${r.maxAgeDays}`);
    }
  }
  return out;
}

function classOf(ch: string): CharClass | undefined {
  for (const c of CHAR_CLASSES) if (CLASS_CHARS[c].includes(ch)) return c;
  if (/[^\p{L}\p{N}\s]/u.test(ch)) return 'symbol';
  if (/\p{Lu}/u.test(ch)) return 'upper';
  if (/\p{Ll}/u.test(ch)) return 'lower';
  if (/\p{N}/u.test(ch)) return 'digit';
  return undefined;
}

/**
 * Rules about a value: length (characters) and alphabet. The messages say what is wrong, never which
 * character or any part of the value.
 */
export function checkValue(policy: Policy | null, ref: string, type: SecretType, value: Buffer): Violation[] {
  const rules = rulesFor(policy, ref, type).filter((r) => r.minLength !== undefined || r.alphabet !== undefined || r.requiredClasses.length > 0);
  if (rules.length === 0) return [];
  const chars = [...value.toString('utf8')];
  const out: Violation[] = [];
  for (const r of rules) {
    const v = (check: PolicyCheck, message: string) => out.push({ rule: r.name, check, mode: r.mode, message });
    if (r.minLength !== undefined && chars.length < r.minLength) v('min_length', `value is ${chars.length} characters; the policy requires at least ${r.minLength}`);
    if (r.alphabet !== undefined) {
      const allowed = new Set(r.alphabet);
      const outside = chars.filter((c) => !allowed.has(c)).length;
      if (outside > 0) v('alphabet', `${outside} character${outside > 1 ? 's are' : ' is'} outside the allowed alphabet`);
    }
    if (r.requiredClasses.length > 0) {
      const present = new Set(chars.map(classOf));
      const missing = r.requiredClasses.filter((c) => !present.has(c));
      if (missing.length > 0) v('required_classes', `value has no ${missing.join(', ')} character${missing.length > 1 ? 's' : ''}`);
    }
  }
  return out;
}

/**
 * How the type's generator should run so its values satisfy the matching rules: at least the longest
 * `min_length`, from the rules' alphabet (or the type's, widened by any required class it lacks).
 * Byte-encoded types (jwt_secret, encryption_key, …) take the length only.
 */
export function generatorOverrides(policy: Policy | null, ref: string, type: SecretType): GeneratorOverrides {
  const rules = rulesFor(policy, ref, type);
  const out: GeneratorOverrides = {};
  const base = TYPE_POLICIES[type];
  const minLength = Math.max(0, ...rules.map((r) => r.minLength ?? 0));
  if (minLength > base.length) out.length = minLength;
  const ruleAlphabets = rules.map((r) => r.alphabet).filter((a): a is string => a !== undefined);
  let alphabet = base.alphabet;
  if (ruleAlphabets.length > 0) alphabet = [...new Set(ruleAlphabets[0])].filter((c) => ruleAlphabets.every((a) => a.includes(c))).join('');
  const required = new Set(rules.flatMap((r) => r.requiredClasses));
  if (alphabet !== undefined) {
    for (const c of required) if (![...CLASS_CHARS[c]].some((ch) => alphabet!.includes(ch))) alphabet += CLASS_CHARS[c];
    if (alphabet !== base.alphabet) out.alphabet = alphabet;
  }
  return out;
}

/** Whether `actor` may do `action` on `ref`: null when allowed (or no access policy), else the violation. */
export function checkAccess(policy: Policy | null, actor: string, action: PolicyAction, ref: string): Violation | null {
  const access = policy?.access;
  if (!access) return null;
  const granted = access.grants.some(
    (g) => g.actors.some((a) => matchGlob(a, actor)) && (g.actions.includes('*') || g.actions.includes(action)) && g.refs.some((r) => matchGlob(r, ref)),
  );
  if (granted) return null;
  return { rule: access.name, check: 'access', mode: access.mode, message: `no grant lets actor "${actor}" ${action} ${ref}` };
}

/** `policy rule "x" (check: detail) forbids <action> of <ref>: message` */
export function describeViolation(v: Violation, action?: string, ref?: string): string {
  const detail = v.check === 'access' ? 'access' : v.check === 'required_tags' ? `required_tags: ${/"([^"]+)"/.exec(v.message)?.[1] ?? ''}` : v.check;
  const what = action !== undefined && ref !== undefined ? ` ${v.mode === 'enforce' ? 'forbids' : 'warns on'} ${action} of ${ref}` : '';
  return `policy rule "${v.rule}" (${detail})${what}: ${v.message}`;
}

/**
 * Splits violations by mode: enforce-mode ones become one PERMISSION_DENIED error (exit 77) naming the first
 * rule; warn-mode ones come back as messages for the caller to surface.
 */
export function enforce(violations: Violation[], action: string, ref: string): string[] {
  const blocking = violations.filter((v) => v.mode === 'enforce');
  if (blocking.length > 0) {
    const first = blocking[0]!;
    const more = blocking.length > 1 ? ` (and ${blocking.length - 1} more: ${blocking.slice(1).map((v) => `"${v.rule}" ${v.check}`).join(', ')})` : '';
    throw new VhError('PERMISSION_DENIED', `${describeViolation(first, action, ref)}${more}`, {
      details: { policy_rule: first.rule, policy_check: first.check },
      hint: 'the policy file says this rule is enforced; fix the request, or change the rule (mode = "warn" only reports)',
    });
  }
  return violations.map((v) => describeViolation(v, action, ref));
}
