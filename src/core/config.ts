import { promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_ANOMALY_CONFIG, type AnomalyConfig } from '../audit/anomaly-config.js';
import type { AuditConfig } from '../audit/config.js';
import { PROVIDERS, type OptionSpec } from './store.js';
import { TARGET_KINDS } from './target.js';
import { closest } from '../base/text.js';
import type { SinkConfig } from '../audit/sinks/types.js';
import type { NotifyChannelConfig } from '../notify/types.js';
import { VhError } from '../base/errors.js';
import { defaultPaths, userConfigFile, type Paths } from '../base/paths.js';

/**
 * Configuration: TOML, found by `--config`, `VH_SECRETS_CONFIG`, `./vh-secrets.toml`, then
 * `~/.config/vh-secrets/config.toml`; `--env NAME` (else `VH_SECRETS_ENV`) merges `config/NAME.toml` (beside the
 * base file, or in the working directory when there is none) over it. Strings may use `${VAR}` and
 * `${VAR:-default}`; `$${` is a literal `${`. Every error names the file, the line and the field.
 *
 * Besides `[stores.<alias>]` tables, a file may hold the seed's environment-file form: one `[secrets]` table
 * (`provider = "aws"` with `region`, `credentials_profile`, `endpoint_url`; `provider = "vault"` with `address`,
 * `token`, `namespace`; or any setting of the provider's own), read as the store `secrets` and made the default.
 */

export const DEFAULT_STORE_ALIAS = 'local';
/** The store a `[secrets]` table defines (the table's own name: `secrets:app/db`), the default store. */
export const SEED_STORE_ALIAS = 'secrets';
/** The seed's names for provider settings, accepted in a `[secrets]` table beside the provider's own. */
const SEED_SETTING_NAMES: Record<string, Record<string, string>> = {
  aws: { credentials_profile: 'profile', endpoint_url: 'endpoint' },
};
const ALIAS_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const TOP_LEVEL_KEYS = ['default_store', 'stores', 'secrets', 'audit', 'scan', 'targets', 'reload', 'policy', 'notify'];
const NOTIFY_KEYS = ['contacts', 'channels'];
const WEBHOOK_KEYS = ['kind', 'name', 'url', 'timeout_ms'];
const COMMAND_KEYS = ['kind', 'name', 'command', 'timeout_ms'];
const AUDIT_KEYS = ['log', 'hmac_key', 'anchor', 'flush_timeout_ms', 'spool_dir', 'sinks', 'anomalies'];
const HTTP_SINK_KEYS = ['type', 'name', 'url', 'headers', 'ca_file', 'timeout_ms', 'batch_size'];
const SYSLOG_SINK_KEYS = ['type', 'name', 'address', 'facility', 'app_name', 'ca_file', 'timeout_ms'];
const ANOMALY_KEYS = ['business_hours', 'timezone', 'weekends_unusual', 'excessive_access', 'failed_attempts', 'concurrent_access', 'enumeration', 'allowed_ip_ranges', 'allowed_countries', 'geoip_db', 'baseline_hours'];
/** RFC 5424 facility names → numbers. */
const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export interface StoreConfig {
  alias: string;
  provider: string;
  /** Everything else in the `[stores.<alias>]` table, as written (not interpolated). */
  options: Record<string, unknown>;
  /**
   * The settings checked against the provider's declarations and interpolated — only when the store is opened,
   * so a store that a command does not use (an unset `${VAULT_TOKEN}`, a typo) never stands in its way.
   * Errors name the file and line: `vh.toml:4: stores.bao.adress: unknown setting (did you mean address?)`.
   */
  settings(spec: OptionSpec): Record<string, unknown>;
  /** Why this store cannot be opened (no or an unknown provider): thrown by whatever opens it, and only then. */
  problem?: VhError;
}

/** A `[targets.<name>]` table: where a rotation applies a new credential. */
/** What a `[[reload]]` runs once templates are rendered again: one of these, or nothing. */
export type ReloadAction =
  | { kind: 'command'; argv: string[] }
  | { kind: 'signal'; signal: NodeJS.Signals; pidFile: string }
  | { kind: 'systemctl'; unit: string }
  | { kind: 'kubectl'; resource: string; namespace: string | undefined };

export interface ReloadConfig {
  /** For `create --reload NAME` (the secret's `vh-reload` metadata); unnamed ones match by `secrets` only. */
  name: string | undefined;
  /** `store:name` globs of the secrets whose rotation runs this reload. */
  secrets: string[];
  /** Templates rendered again (atomically, 0600) before the action: `{ source, destination }`, relative to the config file. */
  templates: { source: string; destination: string }[];
  action: ReloadAction | undefined;
  timeoutMs: number;
}

export const CLEANUP_POLICIES = ['after-grace', 'when-idle', 'now'] as const;
export type CleanupPolicy = (typeof CLEANUP_POLICIES)[number];

export interface TargetConfig {
  name: string;
  kind: string;
  /** Secrets (`store:name` globs, `*` within a path segment, `**` across) that rotate through this target. */
  secrets: string[];
  /** A secret holding an administrative credential for the target (`store:name[#key]`). */
  admin: string | undefined;
  adminUser: string | undefined;
  /**
   * When a previous credential is retired: `after-grace` (when its grace period is over), `when-idle` (then too,
   * but only once the target sees no session using it, waiting at most `idleWaitHours` more), `now` (at once,
   * right after the promote).
   */
  cleanup: CleanupPolicy;
  idleWaitHours: number;
  /** Everything else, interpolated, for the target to validate. */
  options: Record<string, unknown>;
}

export interface NotifyConfig {
  channels: NotifyChannelConfig[];
  /** Who the notices are for: VOICEHIVE_EMERGENCY_CONTACTS (comma separated), else `[notify] contacts`. */
  contacts: string[];
}

export interface Config {
  /** Files that were read, base first. Empty when running on defaults. */
  files: string[];
  defaultStore: string;
  stores: Map<string, StoreConfig>;
  audit: AuditConfig;
  /** The `[scan]` table as written (interpolated; validated by the scanner), with the file that set it last. */
  scan: { section: Record<string, unknown>; file: string } | undefined;
  targets: Map<string, TargetConfig>;
  /** `[[reload]]`: what to do after a rotation's promote and before its cleanup, for the secrets each matches. */
  reloads: ReloadConfig[];
  /** Policy file (`policy = "…"` or `[policy] file = "…"`, relative to the config file), else `VH_SECRETS_POLICY`. */
  policyFile: string | undefined;
  notify: NotifyConfig;
  paths: Paths;
}

export interface LoadConfigOptions {
  configFile?: string;
  env?: string;
  cwd?: string;
  environ?: NodeJS.ProcessEnv;
}

type Table = Record<string, unknown>;

interface SourceFile {
  path: string;
  text: string;
  data: Table;
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}

/** A config file is a page of settings: anything larger is a mistake (or an attack), refused before it is parsed. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Deeper tables than any setting needs; refused before anything walks them. */
const MAX_CONFIG_DEPTH = 32;

function depthOf(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) max = depth;
    if (depth > MAX_CONFIG_DEPTH) break;
    if (node !== null && typeof node === 'object') for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}

async function readSource(path: string): Promise<SourceFile> {
  let text: string;
  try {
    const size = (await fs.stat(path)).size;
    if (size > MAX_CONFIG_BYTES) {
      throw new VhError('CONFIG', `config file ${path} is ${size} bytes; a config file may hold at most ${MAX_CONFIG_BYTES} (1 MiB)`, { details: { path } });
    }
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof VhError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? 'error'})`;
    throw new VhError('CONFIG', `config file ${path} ${why}`, { details: { path } });
  }
  const { parse } = await import('smol-toml');
  let data: Table;
  try {
    data = parse(text) as Table;
  } catch (err) {
    if (err instanceof RangeError) throw new VhError('CONFIG', `${path}: tables nested too deeply to read`, { details: { path } });
    const e = err as { line?: number; column?: number; message?: string };
    const first = (e.message ?? 'invalid TOML').split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new VhError('CONFIG', `${path}:${e.line ?? 1}:${e.column ?? 1}: invalid TOML: ${first}`, {
      details: { path, line: e.line ?? 1 },
    });
  }
  if (depthOf(data) > MAX_CONFIG_DEPTH) throw new VhError('CONFIG', `${path}: tables nested more than ${MAX_CONFIG_DEPTH} deep; no setting lives that deep`, { details: { path } });
  return { path, text, data };
}

/** Best-effort line number of `[a.b]` / `key` inside it, for error messages. */
export function locate(text: string, table: string[], key?: string): number {
  const lines = text.split('\n');
  const norm = (s: string) => s.replace(/["'\s]/g, '');
  const header = table.join('.');
  let start = -1;
  if (table.length === 0) start = 0;
  else {
    start = lines.findIndex((l) => {
      // `[table]` and `[[array.of.tables]]` (the first entry: good enough to point at the section).
      const m = /^\s*\[\[?([^\]]+)\]/.exec(l);
      return m !== null && norm(m[1]!) === header;
    });
  }
  if (start < 0) {
    const dotted = lines.findIndex((l) => norm(l.split('=')[0] ?? '').startsWith(`${header}.`));
    return dotted >= 0 ? dotted + 1 : 1;
  }
  if (key === undefined) return start + 1;
  for (let i = start + (table.length === 0 ? 0 : 1); i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\s*\[/.test(l)) break;
    if (norm(l.split('=')[0] ?? '') === key) return i + 1;
  }
  return start + 1;
}

function configError(src: SourceFile, table: string[], key: string | undefined, message: string, hint?: string): VhError {
  const line = locate(src.text, table, key);
  const field = [...table, ...(key ? [key] : [])].join('.');
  return new VhError('CONFIG', `${src.path}:${line}: ${field}: ${message}`, {
    details: { path: src.path, line, field },
    ...(hint ? { hint } : {}),
  });
}

function interpolate(value: unknown, src: SourceFile, table: string[], key: string, environ: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$(\$)?\{([^}]*)\}/g, (whole, escaped: string | undefined, body: string) => {
      if (escaped) return whole.slice(1);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(body);
      if (!m) throw configError(src, table, key, `invalid interpolation "\${${body}}"`, 'write ${NAME} or ${NAME:-default}');
      const v = environ[m[1]!];
      if (v !== undefined && v !== '') return v;
      if (m[2] !== undefined) return m[2];
      throw configError(src, table, key, `environment variable ${m[1]} is not set`, `export ${m[1]}, or give a default: \${${m[1]}:-value}`);
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, src, table, key, environ));
  if (isTable(value)) {
    const out: Table = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, src, isTable(v) ? [...table, key] : table, isTable(v) ? k : key, environ);
    return out;
  }
  return value;
}

function interpolateTable(src: SourceFile, environ: NodeJS.ProcessEnv): Table {
  const out: Table = {};
  const walk = (t: Table, path: string[], into: Table) => {
    for (const [k, v] of Object.entries(t)) {
      // A store's settings are interpolated when that store is opened (StoreConfig.settings), its provider now.
      if (((path.length === 2 && path[0] === 'stores') || (path.length === 1 && path[0] === SEED_STORE_ALIAS)) && k !== 'provider') {
        into[k] = v;
        continue;
      }
      if (isTable(v)) {
        const sub: Table = {};
        walk(v, [...path, k], sub);
        into[k] = sub;
      } else {
        into[k] = interpolate(v, src, path, k, environ);
      }
    }
  };
  walk(src.data, [], out);
  return out;
}

/** Deep merge of TOML tables; `over` wins; remembers which file defined each top-level store for errors. */
function merge(base: Table, over: Table): Table {
  const out: Table = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isTable(b) && isTable(v) ? merge(b, v) : v;
  }
  return out;
}

async function findBaseFile(options: LoadConfigOptions, environ: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  if (options.configFile) return resolve(cwd, options.configFile);
  if (environ.VH_SECRETS_CONFIG) return resolve(cwd, environ.VH_SECRETS_CONFIG);
  const local = join(cwd, 'vh-secrets.toml');
  if (await exists(local)) return local;
  const user = userConfigFile(environ);
  if (await exists(user)) return user;
  return undefined;
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const environ = options.environ ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const sources: SourceFile[] = [];
  const baseFile = await findBaseFile(options, environ, cwd);
  if (baseFile) sources.push(await readSource(baseFile));
  const envName = options.env ?? (environ.VH_SECRETS_ENV || undefined);
  if (envName !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(envName)) {
      const from = options.env === undefined ? 'VH_SECRETS_ENV: ' : '';
      throw new VhError(options.env === undefined ? 'CONFIG' : 'USAGE', `${from}invalid environment name "${envName}"`, { hint: 'use letters, digits, _ and -' });
    }
    const envFile = join(baseFile ? dirname(baseFile) : cwd, 'config', `${envName}.toml`);
    sources.push(await readSource(envFile));
  }

  const paths = defaultPaths(environ);
  const stores = new Map<string, StoreConfig>();
  let defaultStore = DEFAULT_STORE_ALIAS;
  let defaultStoreSrc: SourceFile | undefined;
  let scan: Config['scan'];
  const targets = new Map<string, TargetConfig>();
  const reloads: ReloadConfig[] = [];
  let policyFile = environ.VH_SECRETS_POLICY ? resolve(cwd, environ.VH_SECRETS_POLICY) : undefined;
  let notify: NotifyConfig = { channels: [], contacts: [] };
  let audit: AuditConfig = {
    log: paths.auditLog,
    hmacKey: environ.VH_SECRETS_AUDIT_HMAC_KEY || undefined,
    anchor: undefined,
    sinks: [],
    flushTimeoutMs: 2000,
    spoolDir: join(paths.home, 'spool'),
    anomalies: { ...DEFAULT_ANOMALY_CONFIG },
    indexDir: join(paths.cacheDir, 'audit-index'),
  };

  /** Where each store's settings were written, by the name the provider knows them by: for error messages. */
  const origins = new Map<string, Map<string, SettingOrigin>>();
  const addStore = (src: SourceFile, alias: string, table: string[], raw: Table): void => {
    const prev = stores.get(alias);
    const provider0 = raw.provider ?? prev?.provider;
    // The seed's setting names become the provider's own, once it is known which provider reads them.
    const renames = table[0] === SEED_STORE_ALIAS && typeof provider0 === 'string' ? (SEED_SETTING_NAMES[provider0] ?? {}) : {};
    const written: Table = {};
    const from = new Map(origins.get(alias) ?? []);
    for (const [key, value] of Object.entries(raw)) {
      const name = renames[key] ?? key;
      if (name !== key && name in raw) {
        throw configError(src, table, key, `sets the same setting as ${name}`, `give one of ${key} or ${name}`);
      }
      written[name] = value;
      if (name !== 'provider') from.set(name, { src, table, key });
    }
    origins.set(alias, from);
    const merged = prev ? merge({ provider: prev.provider, ...prev.options }, written) : written;
    const provider = merged.provider;
    const { provider: _p, ...rest } = merged;
    void _p;
    // A store table that names no usable provider stops only the commands that open that store.
    let problem: VhError | undefined;
    if (provider === undefined) {
      const typo = Object.keys(merged).find((k) => closest(k, ['provider']) !== undefined);
      problem = typo
        ? configError(src, table, typo, 'unknown setting (did you mean provider?)')
        : configError(src, table, 'provider', 'missing required field', `set provider = one of ${PROVIDERS.map((p) => `"${p}"`).join(', ')}`);
    } else if (typeof provider !== 'string' || !(PROVIDERS as readonly string[]).includes(provider)) {
      problem = configError(src, table, 'provider', `unknown provider ${JSON.stringify(provider)}`, `use one of: ${PROVIDERS.join(', ')}`);
    }
    if (problem) {
      const fault = problem;
      stores.set(alias, { alias, provider: typeof provider === 'string' ? provider : '', options: rest, problem: fault, settings: () => { throw fault; } });
      return;
    }
    const known = provider as string;
    stores.set(alias, { alias, provider: known, options: rest, settings: (spec) => storeSettings(known, rest, from, spec, environ, sources.length > 0 ? dirname(sources[0]!.path) : cwd) });
  };

  for (const src of sources) {
    const data = interpolateTable(src, environ);
    for (const key of Object.keys(data)) {
      if (!TOP_LEVEL_KEYS.includes(key)) {
        throw configError(src, [], key, 'unknown setting', `known top-level settings: ${TOP_LEVEL_KEYS.join(', ')}`);
      }
    }
    if (data.default_store !== undefined) {
      if (typeof data.default_store !== 'string') throw configError(src, [], 'default_store', 'must be a string (a store alias)');
      defaultStore = data.default_store;
      defaultStoreSrc = src;
    }
    if (data.stores !== undefined) {
      if (!isTable(data.stores)) throw configError(src, [], 'stores', 'must be a table of [stores.<alias>] sections');
      for (const [alias, raw] of Object.entries(data.stores)) {
        if (!ALIAS_RE.test(alias)) throw configError(src, ['stores', alias], undefined, 'invalid store alias', 'use letters, digits, _ and - (at most 63)');
        if (!isTable(raw)) throw configError(src, ['stores'], alias, 'must be a table');
        addStore(src, alias, ['stores', alias], raw);
      }
    }
    if (data.secrets !== undefined) {
      // The seed's form: one store, the default. Beside [stores.*] tables it is one more store; a file that also
      // names another default, or defines [stores.secrets] itself, says two things at once.
      if (!isTable(data.secrets)) throw configError(src, [], SEED_STORE_ALIAS, 'must be a table: [secrets] provider = "aws" | "vault" | …');
      if (data.default_store !== undefined && data.default_store !== SEED_STORE_ALIAS) {
        throw configError(src, [], 'default_store', `names "${String(data.default_store)}", but this file's [secrets] table is the default store`, 'remove default_store, or move the [secrets] settings into a [stores.<alias>] table');
      }
      if (isTable(data.stores) && data.stores[SEED_STORE_ALIAS] !== undefined) {
        throw configError(src, ['stores', SEED_STORE_ALIAS], undefined, 'defined twice: this file also has a [secrets] table, which is the store "secrets"', 'keep one of the two');
      }
      addStore(src, SEED_STORE_ALIAS, [SEED_STORE_ALIAS], data.secrets);
      defaultStore = SEED_STORE_ALIAS;
      defaultStoreSrc = src;
    }
    if (data.audit !== undefined) audit = parseAudit(src, data.audit, audit);
    if (data.targets !== undefined) parseTargets(src, data.targets, targets);
    if (data.reload !== undefined) parseReloads(src, data.reload, reloads);
    if (data.policy !== undefined) {
      const raw = data.policy;
      const file = typeof raw === 'string' ? raw : isTable(raw) ? raw.file : undefined;
      if (isTable(raw)) {
        for (const key of Object.keys(raw)) if (key !== 'file') throw configError(src, ['policy'], key, 'unknown setting', 'known: file');
      }
      if (typeof file !== 'string' || file === '') {
        throw configError(src, isTable(raw) ? ['policy'] : [], isTable(raw) ? 'file' : 'policy', 'must be a path to the policy file (TOML)', 'policy = "policy.toml" or [policy] file = "policy.toml"');
      }
      policyFile = resolve(dirname(src.path), file);
    }
    if (data.notify !== undefined) notify = parseNotify(src, data.notify, notify);
    if (data.scan !== undefined) {
      if (!isTable(data.scan)) throw configError(src, [], 'scan', 'must be a table');
      scan = { section: scan ? merge(scan.section, data.scan) : data.scan, file: src.path };
    }
  }
  applyAnomalyEnv(audit, environ);
  const contacts = (environ.VOICEHIVE_EMERGENCY_CONTACTS ?? '').split(',').map((c) => c.trim()).filter((c) => c !== '');
  if (contacts.length > 0) notify = { ...notify, contacts };

  if (!stores.has(DEFAULT_STORE_ALIAS)) stores.set(DEFAULT_STORE_ALIAS, { alias: DEFAULT_STORE_ALIAS, provider: 'file', options: {}, settings: () => ({}) });
  if (!stores.has(defaultStore)) {
    const src = defaultStoreSrc!;
    throw configError(src, [], 'default_store', `no store named "${defaultStore}"`, `define [stores.${defaultStore}] or use one of: ${[...stores.keys()].join(', ')}`);
  }
  const names = reloads.map((r) => r.name).filter((n): n is string => n !== undefined);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new VhError('CONFIG', `reload: two [[reload]] tables are named "${twice}"`, { hint: 'give each a name of its own' });
  return { files: sources.map((s) => s.path), defaultStore, stores, audit, scan, targets, reloads, policyFile, notify, paths };
}

/** The file, table and name a store setting was written with (`secrets.credentials_profile` is aws `profile`). */
interface SettingOrigin {
  src: SourceFile;
  table: string[];
  key: string;
}

/**
 * A store's settings, checked and interpolated when it is opened: every key must be one the provider declares
 * (a misspelt `adress` would otherwise leave the store talking to $VAULT_ADDR), of the declared type; `${VAR}`
 * is expanded now; paths are resolved against the base config file's folder.
 */
function storeSettings(provider: string, raw: Table, origins: Map<string, SettingOrigin>, spec: OptionSpec, environ: NodeJS.ProcessEnv, base: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    // The file that set a key last is the one to point at (an --env file over the base).
    const { src, table, key } = origins.get(name)!;
    const type = spec[name];
    if (type === undefined) {
      const seed = table[0] === SEED_STORE_ALIAS ? Object.keys(SEED_SETTING_NAMES[provider] ?? {}) : [];
      const guess = closest(key, [...Object.keys(spec), ...seed]);
      throw configError(src, table, key, `unknown setting${guess ? ` (did you mean ${guess}?)` : ''}`, `a ${provider} store takes: ${[...Object.keys(spec), ...seed].join(', ') || 'no settings'}`);
    }
    const v = interpolate(value, src, table, key, environ);
    switch (type) {
      case 'string':
      case 'path':
        if (typeof v !== 'string') throw configError(src, table, key, `must be a ${type === 'path' ? 'path ' : ''}string`);
        out[name] = type === 'path' ? resolve(base, v) : v;
        break;
      case 'integer': {
        const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw configError(src, table, key, 'must be a whole number');
        out[name] = n;
        break;
      }
      case 'boolean':
        if (typeof v !== 'boolean' && v !== 'true' && v !== 'false') throw configError(src, table, key, 'must be true or false');
        out[name] = v === true || v === 'true';
        break;
    }
  }
  return out;
}

/** `[targets.<name>]`: kind, secrets and admin are read here; the rest is the target's to validate when used. */
function parseTargets(src: SourceFile, raw: unknown, into: Map<string, TargetConfig>): void {
  if (!isTable(raw)) throw configError(src, [], 'targets', 'must be a table of [targets.<name>] sections');
  const base = dirname(src.path);
  for (const [name, table] of Object.entries(raw)) {
    if (!ALIAS_RE.test(name)) throw configError(src, ['targets', name], undefined, 'invalid target name', 'use letters, digits, _ and - (at most 63)');
    if (!isTable(table)) throw configError(src, ['targets'], name, 'must be a table');
    const prev = into.get(name);
    const merged: Table = prev ? merge({ kind: prev.kind, secrets: prev.secrets, admin: prev.admin, admin_user: prev.adminUser, ...(prev.cleanup !== 'after-grace' ? { cleanup: prev.cleanup } : {}), idle_wait_hours: prev.idleWaitHours, ...prev.options }, table) : { ...table };
    // `cleanup` as a word is when to retire a previous credential (every kind); the command kind's
    // `cleanup = [argv]` is its cleanup hook and stays with its options.
    const { kind, secrets, admin, admin_user: adminUser, idle_wait_hours: idleWait, ...options } = merged;
    let cleanup: CleanupPolicy = 'after-grace';
    if (typeof options.cleanup === 'string') {
      if (!(CLEANUP_POLICIES as readonly string[]).includes(options.cleanup)) {
        throw configError(src, ['targets', name], 'cleanup', `unknown cleanup ${JSON.stringify(options.cleanup)}`, `use one of: ${CLEANUP_POLICIES.join(', ')}`);
      }
      cleanup = options.cleanup as CleanupPolicy;
      delete options.cleanup;
    } else if (kind === 'command' && options.in_use !== undefined) {
      // A command target's `cleanup` is its hook: an `in_use` hook is what asks for the idle check.
      cleanup = 'when-idle';
    }
    if (idleWait !== undefined && (typeof idleWait !== 'number' || !Number.isFinite(idleWait) || idleWait < 0)) {
      throw configError(src, ['targets', name], 'idle_wait_hours', 'must be a number of hours, 0 or more');
    }
    if (typeof kind !== 'string' || !(TARGET_KINDS as readonly string[]).includes(kind)) {
      throw configError(src, ['targets', name], 'kind', kind === undefined ? 'missing required field' : `unknown kind ${JSON.stringify(kind)}`, `use one of: ${TARGET_KINDS.join(', ')}`);
    }
    const list = secrets ?? [];
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s.includes(':'))) {
      throw configError(src, ['targets', name], 'secrets', 'must be an array of "store:name" patterns, e.g. ["prod-vault:app/db"]');
    }
    if (admin !== undefined && (typeof admin !== 'string' || admin === '')) throw configError(src, ['targets', name], 'admin', 'must be a secret reference string, e.g. "local:pg/admin"');
    if (adminUser !== undefined && (typeof adminUser !== 'string' || adminUser === '')) throw configError(src, ['targets', name], 'admin_user', 'must be a user name');
    // Relative paths are relative to the config file that names them, like every other path in the config.
    for (const key of ['apply', 'verify', 'rollback', 'cleanup', 'in_use', 'rewrap']) {
      const argv = options[key];
      if (Array.isArray(argv) && typeof argv[0] === 'string' && argv[0].includes('/') && !argv[0].startsWith('/')) options[key] = [resolve(base, argv[0]), ...argv.slice(1)];
    }
    for (const key of ['ca_file', 'token_file']) {
      const path = options[key];
      if (typeof path === 'string' && path !== '') options[key] = resolve(base, path);
    }
    // A vault-transit target's sample files of ciphertexts (a `*` pattern in the file name is kept as it is).
    if (Array.isArray(options.samples)) options.samples = options.samples.map((p: unknown) => (typeof p === 'string' && p !== '' ? resolve(base, p) : p));
    into.set(name, { name, kind, secrets: list as string[], admin: admin as string | undefined, adminUser: adminUser as string | undefined, cleanup, idleWaitHours: (idleWait as number | undefined) ?? 24, options });
  }
}

const RELOAD_KEYS = ['name', 'secrets', 'templates', 'command', 'signal', 'pid_file', 'systemctl', 'kubectl', 'namespace', 'timeout_ms'];
const RELOAD_SIGNALS = ['HUP', 'USR1', 'USR2', 'TERM', 'INT', 'QUIT', 'WINCH'];

/** `[[reload]]` tables, appended to what earlier files gave. */
function parseReloads(src: SourceFile, raw: unknown, into: ReloadConfig[]): void {
  if (!Array.isArray(raw) || !raw.every(isTable)) throw configError(src, [], 'reload', 'must be an array of tables ([[reload]])');
  const base = dirname(src.path);
  for (const table of raw as Table[]) {
    const at = ['reload'];
    for (const key of Object.keys(table)) {
      if (!RELOAD_KEYS.includes(key)) throw configError(src, at, key, 'unknown setting', `known: ${RELOAD_KEYS.join(', ')}`);
    }
    const { name, secrets = [], templates = [], command, signal, pid_file: pidFile, systemctl, kubectl, namespace, timeout_ms: timeoutMs = 30_000 } = table;
    if (name !== undefined && (typeof name !== 'string' || !ALIAS_RE.test(name))) throw configError(src, at, 'name', 'must be a name of letters, digits, _ and - (at most 63)');
    if (!Array.isArray(secrets) || !secrets.every((g) => typeof g === 'string' && g.includes(':'))) throw configError(src, at, 'secrets', 'must be an array of "store:name" patterns, e.g. ["prod-vault:app/*"]');
    if (name === undefined && secrets.length === 0) throw configError(src, at, 'secrets', 'a [[reload]] without a name must say which secrets it is for');
    if (!Array.isArray(templates) || !templates.every((t) => isTable(t) && typeof t.source === 'string' && typeof t.destination === 'string' && Object.keys(t).every((k) => k === 'source' || k === 'destination'))) {
      throw configError(src, at, 'templates', 'must be an array of { source = "…", destination = "…" }');
    }
    const actions = [command, signal, systemctl, kubectl].filter((a) => a !== undefined).length;
    if (actions > 1) throw configError(src, at, undefined, 'give one of command, signal, systemctl or kubectl, not several');
    if (actions === 0 && templates.length === 0) throw configError(src, at, undefined, 'does nothing: give templates, or one of command, signal, systemctl or kubectl');
    let action: ReloadAction | undefined;
    if (command !== undefined) {
      if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === 'string' && a !== '')) throw configError(src, at, 'command', 'must be a non-empty array of strings, e.g. ["/usr/local/bin/reload-app"]');
      const argv = command as string[];
      action = { kind: 'command', argv: argv[0]!.includes('/') && !argv[0]!.startsWith('/') ? [resolve(base, argv[0]!), ...argv.slice(1)] : argv };
    } else if (signal !== undefined) {
      const sig = typeof signal === 'string' ? signal.toUpperCase().replace(/^SIG/, '') : '';
      if (!RELOAD_SIGNALS.includes(sig)) throw configError(src, at, 'signal', `must be one of ${RELOAD_SIGNALS.join(', ')}`);
      if (typeof pidFile !== 'string' || pidFile === '') throw configError(src, at, 'pid_file', 'is required with signal: the file holding the pid to signal');
      action = { kind: 'signal', signal: `SIG${sig}` as NodeJS.Signals, pidFile: resolve(base, pidFile) };
    } else if (systemctl !== undefined) {
      if (typeof systemctl !== 'string' || !/^[\w@:.\-]+$/.test(systemctl)) throw configError(src, at, 'systemctl', 'must be a unit name, e.g. "app.service"');
      action = { kind: 'systemctl', unit: systemctl };
    } else if (kubectl !== undefined) {
      if (typeof kubectl !== 'string' || !/^[a-z]+\/[a-z0-9][a-z0-9.-]*$/.test(kubectl)) throw configError(src, at, 'kubectl', 'must be a workload, e.g. "deployment/api"');
      if (namespace !== undefined && (typeof namespace !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(namespace))) throw configError(src, at, 'namespace', 'must be a namespace name');
      action = { kind: 'kubectl', resource: kubectl, namespace: namespace as string | undefined };
    }
    if (pidFile !== undefined && signal === undefined) throw configError(src, at, 'pid_file', 'goes with signal');
    if (namespace !== undefined && kubectl === undefined) throw configError(src, at, 'namespace', 'goes with kubectl');
    if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 3_600_000) throw configError(src, at, 'timeout_ms', 'must be a whole number of milliseconds from 100 to 3600000');
    into.push({
      name: name as string | undefined,
      secrets: secrets as string[],
      templates: (templates as { source: string; destination: string }[]).map((t) => ({ source: resolve(base, t.source), destination: resolve(base, t.destination) })),
      action,
      timeoutMs,
    });
  }
}

/** `[audit]`, `[[audit.sinks]]` and `[audit.anomalies]`, merged over what earlier files (or defaults) set. */
function parseAudit(src: SourceFile, raw: unknown, prev: AuditConfig): AuditConfig {
  if (!isTable(raw)) throw configError(src, [], 'audit', 'must be a table');
  for (const key of Object.keys(raw)) {
    if (!AUDIT_KEYS.includes(key)) throw configError(src, ['audit'], key, 'unknown setting', `known: ${AUDIT_KEYS.join(', ')}`);
  }
  const base = dirname(src.path);
  const path = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw configError(src, ['audit'], key, 'must be a path string');
    return resolve(base, v);
  };
  const out: AuditConfig = { ...prev, anomalies: { ...prev.anomalies } };
  out.log = path('log') ?? prev.log;
  out.anchor = path('anchor') ?? prev.anchor;
  out.spoolDir = path('spool_dir') ?? prev.spoolDir;
  if (raw.hmac_key !== undefined) {
    if (typeof raw.hmac_key !== 'string') throw configError(src, ['audit'], 'hmac_key', 'must be a string');
    if (raw.hmac_key !== '') out.hmacKey = raw.hmac_key;
  }
  if (raw.flush_timeout_ms !== undefined) out.flushTimeoutMs = int(src, ['audit'], 'flush_timeout_ms', raw.flush_timeout_ms, 0, 600_000);
  if (raw.sinks !== undefined) {
    if (!Array.isArray(raw.sinks)) throw configError(src, ['audit'], 'sinks', 'must be an array of tables ([[audit.sinks]])');
    out.sinks = raw.sinks.map((s, i) => parseSink(src, s, i, base));
    const names = new Set<string>();
    for (const s of out.sinks) {
      if (names.has(s.name)) throw configError(src, ['audit', 'sinks'], 'name', `two sinks are named "${s.name}"`, 'give each [[audit.sinks]] its own name');
      names.add(s.name);
    }
  }
  if (raw.anomalies !== undefined) out.anomalies = parseAnomalies(src, raw.anomalies, out.anomalies, base);
  return out;
}

/** `[notify]` and `[[notify.channels]]`; a later file's channel list replaces an earlier one's. */
function parseNotify(src: SourceFile, raw: unknown, prev: NotifyConfig): NotifyConfig {
  if (!isTable(raw)) throw configError(src, [], 'notify', 'must be a table');
  for (const key of Object.keys(raw)) {
    if (!NOTIFY_KEYS.includes(key)) throw configError(src, ['notify'], key, 'unknown setting', `known: ${NOTIFY_KEYS.join(', ')}`);
  }
  const out: NotifyConfig = { ...prev };
  if (raw.contacts !== undefined) {
    if (!Array.isArray(raw.contacts) || !raw.contacts.every((c): c is string => typeof c === 'string' && c.trim() !== '')) throw configError(src, ['notify'], 'contacts', 'must be an array of addresses, e.g. ["oncall@example.com"]');
    out.contacts = raw.contacts.map((c) => c.trim());
  }
  if (raw.channels !== undefined) {
    const table = ['notify', 'channels'];
    if (!Array.isArray(raw.channels)) throw configError(src, ['notify'], 'channels', 'must be an array of tables ([[notify.channels]])');
    const names = new Set<string>();
    out.channels = raw.channels.map((c: unknown, i: number): NotifyChannelConfig => {
      if (!isTable(c)) throw configError(src, table, undefined, 'each [[notify.channels]] entry must be a table');
      const kind = c.kind;
      if (kind !== 'webhook' && kind !== 'command') throw configError(src, table, 'kind', `unknown channel kind ${JSON.stringify(kind)}`, 'use "webhook" or "command"');
      const known = kind === 'webhook' ? WEBHOOK_KEYS : COMMAND_KEYS;
      for (const key of Object.keys(c)) if (!known.includes(key)) throw configError(src, table, key, `unknown setting for a ${kind} channel`, `known: ${known.join(', ')}`);
      let name = `${kind}-${i + 1}`;
      if (c.name !== undefined) {
        if (typeof c.name !== 'string' || !ALIAS_RE.test(c.name)) throw configError(src, table, 'name', 'must be letters, digits, _ and - (at most 63)');
        name = c.name;
      }
      if (names.has(name)) throw configError(src, table, 'name', `two channels are named "${name}"`, 'give each [[notify.channels]] its own name');
      names.add(name);
      const timeoutMs = c.timeout_ms === undefined ? (kind === 'webhook' ? 5000 : 10_000) : int(src, table, 'timeout_ms', c.timeout_ms, 1, 600_000);
      if (kind === 'webhook') {
        let parsed: URL | undefined;
        try {
          parsed = typeof c.url === 'string' ? new URL(c.url) : undefined;
        } catch {
          parsed = undefined;
        }
        // The URL is not quoted back: a Slack webhook URL is itself the credential.
        if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw configError(src, table, 'url', 'must be an http:// or https:// URL', 'e.g. url = "${SLACK_WEBHOOK}"');
        return { kind, name, url: parsed.toString(), timeoutMs };
      }
      if (!Array.isArray(c.command) || c.command.length === 0 || !c.command.every((a): a is string => typeof a === 'string') || c.command[0] === '') {
        throw configError(src, table, 'command', 'must be a non-empty array of strings: the program and its arguments (no shell)', 'e.g. command = ["/usr/local/bin/page-oncall", "--team", "payments"]');
      }
      // A relative program path is relative to the config file, like every other path in it.
      const [program, ...args] = c.command as string[];
      const resolved = program!.startsWith('./') || program!.startsWith('../') ? resolve(dirname(src.path), program!) : program!;
      return { kind, name, command: [resolved, ...args], timeoutMs };
    });
  }
  return out;
}

function int(src: SourceFile, table: string[], key: string, v: unknown, min: number, max: number): number {
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw configError(src, table, key, `must be a whole number from ${min} to ${max}`);
  return v;
}

function num(src: SourceFile, table: string[], key: string, v: unknown, min: number): number {
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw configError(src, table, key, `must be a number ≥ ${min}`);
  return v;
}

function parseSink(src: SourceFile, raw: unknown, index: number, base: string): SinkConfig {
  const table = ['audit', 'sinks'];
  if (!isTable(raw)) throw configError(src, table, undefined, 'each [[audit.sinks]] entry must be a table');
  const type = raw.type;
  if (type !== 'http' && type !== 'syslog') throw configError(src, table, 'type', `unknown sink type ${JSON.stringify(type)}`, 'use "http" or "syslog"');
  const known = type === 'http' ? HTTP_SINK_KEYS : SYSLOG_SINK_KEYS;
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) throw configError(src, table, key, `unknown setting for a ${type} sink`, `known: ${known.join(', ')}`);
  }
  let name = `${type}-${index + 1}`;
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || !ALIAS_RE.test(raw.name)) throw configError(src, table, 'name', 'must be letters, digits, _ and - (at most 63)');
    name = raw.name;
  }
  let caFile: string | undefined;
  if (raw.ca_file !== undefined) {
    if (typeof raw.ca_file !== 'string' || raw.ca_file === '') throw configError(src, table, 'ca_file', 'must be a path string');
    caFile = resolve(base, raw.ca_file);
  }
  const timeoutMs = raw.timeout_ms === undefined ? 5000 : int(src, table, 'timeout_ms', raw.timeout_ms, 1, 600_000);
  if (type === 'http') {
    const url = raw.url;
    let parsed: URL | undefined;
    try {
      parsed = typeof url === 'string' ? new URL(url) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw configError(src, table, 'url', 'must be an http:// or https:// URL', 'e.g. url = "https://collector.example:8080/audit"');
    }
    if (parsed.username || parsed.password) throw configError(src, table, 'url', 'must not carry credentials', 'put them in headers = { Authorization = "..." }');
    const headers: Record<string, string> = {};
    if (raw.headers !== undefined) {
      if (!isTable(raw.headers)) throw configError(src, table, 'headers', 'must be a table of strings, e.g. { Authorization = "Bearer ${TOKEN}" }');
      for (const [k, v] of Object.entries(raw.headers)) {
        if (typeof v !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || /[\r\n]/.test(v)) throw configError(src, table, 'headers', `header "${k}" must be a valid name with a one-line string value`);
        headers[k] = v;
      }
    }
    const batchSize = raw.batch_size === undefined ? 500 : int(src, table, 'batch_size', raw.batch_size, 1, 100_000);
    return { kind: 'http', name, url: parsed.toString(), headers, caFile, timeoutMs, batchSize };
  }
  const m = typeof raw.address === 'string' ? /^(tcp|udp|tls):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(raw.address) : null;
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw configError(src, table, 'address', 'must be tcp://host:port, udp://host:port or tls://host:port');
  let facility = 10;
  if (raw.facility !== undefined) {
    if (typeof raw.facility === 'string' && raw.facility in FACILITIES) facility = FACILITIES[raw.facility]!;
    else if (typeof raw.facility === 'number' || typeof raw.facility === 'bigint') facility = int(src, table, 'facility', raw.facility, 0, 23);
    else throw configError(src, table, 'facility', 'must be a facility name (auth, authpriv, local0…local7, …) or 0-23');
  }
  let appName = 'vh-secrets';
  if (raw.app_name !== undefined) {
    if (typeof raw.app_name !== 'string' || !/^[!-~]{1,48}$/.test(raw.app_name)) throw configError(src, table, 'app_name', 'must be 1-48 printable ASCII characters without spaces');
    appName = raw.app_name;
  }
  const host = m[2]!.replace(/^\[|\]$/g, '');
  return { kind: 'syslog', name, transport: m[1] as 'tcp' | 'udp' | 'tls', host, port, facility, appName, caFile, timeoutMs };
}

function parseAnomalies(src: SourceFile, raw: unknown, prev: AnomalyConfig, base: string): AnomalyConfig {
  const table = ['audit', 'anomalies'];
  if (!isTable(raw)) throw configError(src, ['audit'], 'anomalies', 'must be a table');
  for (const key of Object.keys(raw)) {
    if (!ANOMALY_KEYS.includes(key)) throw configError(src, table, key, 'unknown setting', `known: ${ANOMALY_KEYS.join(', ')}`);
  }
  const out: AnomalyConfig = { ...prev };
  if (raw.business_hours !== undefined) {
    const m = typeof raw.business_hours === 'string' ? /^(\d{1,2})-(\d{1,2})$/.exec(raw.business_hours) : null;
    const start = m ? Number(m[1]) : -1;
    const end = m ? Number(m[2]) : -1;
    if (!m || start > 23 || end < 1 || end > 24 || start >= end) throw configError(src, table, 'business_hours', 'must be "HH-HH" with 0 ≤ start < end ≤ 24, e.g. "07-20"');
    out.businessHours = { start, end };
  }
  if (raw.timezone !== undefined) {
    const tz = raw.timezone;
    let valid = typeof tz === 'string';
    try {
      if (valid) new Intl.DateTimeFormat('en-US', { timeZone: tz as string });
    } catch {
      valid = false;
    }
    if (!valid) throw configError(src, table, 'timezone', 'must be an IANA time zone, e.g. "Europe/Berlin" or "UTC"');
    out.timezone = tz as string;
  }
  if (raw.weekends_unusual !== undefined) {
    if (typeof raw.weekends_unusual !== 'boolean') throw configError(src, table, 'weekends_unusual', 'must be true or false');
    out.weekendsUnusual = raw.weekends_unusual;
  }
  const sub = (key: string, fields: Record<string, 'int' | 'num'>): Record<string, number> | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!isTable(v)) throw configError(src, table, key, `must be a table like { ${Object.keys(fields).map((f) => `${f} = …`).join(', ')} }`);
    const r: Record<string, number> = {};
    for (const [k, x] of Object.entries(v)) {
      const kind = fields[k];
      if (!kind) throw configError(src, [...table, key], k, 'unknown setting', `known: ${Object.keys(fields).join(', ')}`);
      r[k] = kind === 'int' ? int(src, [...table, key], k, x, 1, 1_000_000_000) : num(src, [...table, key], k, x, 1);
    }
    return r;
  };
  const ex = sub('excessive_access', { window_minutes: 'int', min_count: 'int', factor: 'num' });
  if (ex) out.excessiveAccess = { windowMinutes: ex.window_minutes ?? prev.excessiveAccess.windowMinutes, minCount: ex.min_count ?? prev.excessiveAccess.minCount, factor: ex.factor ?? prev.excessiveAccess.factor };
  const fa = sub('failed_attempts', { window_minutes: 'int', threshold: 'int' });
  if (fa) out.failedAttempts = { windowMinutes: fa.window_minutes ?? prev.failedAttempts.windowMinutes, threshold: fa.threshold ?? prev.failedAttempts.threshold };
  const ca = sub('concurrent_access', { window_seconds: 'int' });
  if (ca) out.concurrentAccess = { windowSeconds: ca.window_seconds ?? prev.concurrentAccess.windowSeconds };
  const en = sub('enumeration', { window_minutes: 'int', distinct_secrets: 'int' });
  if (en) out.enumeration = { windowMinutes: en.window_minutes ?? prev.enumeration.windowMinutes, distinctSecrets: en.distinct_secrets ?? prev.enumeration.distinctSecrets };
  const list = (key: string, check: (s: string) => boolean, what: string): string[] | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string' && check(x))) throw configError(src, table, key, `must be an array of ${what}`);
    return v;
  };
  out.allowedIpRanges = list('allowed_ip_ranges', (s) => s.trim() !== '', 'CIDR strings, e.g. ["10.0.0.0/8", "2001:db8::/32"]') ?? out.allowedIpRanges;
  out.allowedCountries = list('allowed_countries', (s) => /^[A-Za-z]{2}$/.test(s), 'ISO 3166 alpha-2 codes, e.g. ["DE", "IE"]')?.map((c) => c.toUpperCase()) ?? out.allowedCountries;
  if (raw.geoip_db !== undefined) {
    if (typeof raw.geoip_db !== 'string' || raw.geoip_db === '') throw configError(src, table, 'geoip_db', 'must be a path to a MaxMind-format .mmdb file');
    out.geoipDb = resolve(base, raw.geoip_db);
  }
  if (raw.baseline_hours !== undefined) out.baselineHours = int(src, table, 'baseline_hours', raw.baseline_hours, 0, 100_000);
  return out;
}

/** The seed's `VOICEHIVE_ALLOWED_IP_RANGES` / `VOICEHIVE_ALLOWED_COUNTRIES` (comma separated) win over the file. */
function applyAnomalyEnv(audit: AuditConfig, environ: NodeJS.ProcessEnv): void {
  const split = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const ranges = split(environ.VOICEHIVE_ALLOWED_IP_RANGES);
  if (ranges.length > 0) audit.anomalies.allowedIpRanges = ranges;
  const countries = split(environ.VOICEHIVE_ALLOWED_COUNTRIES);
  if (countries.length > 0) {
    const bad = countries.find((c) => !/^[A-Za-z]{2}$/.test(c));
    if (bad !== undefined) throw new VhError('CONFIG', `VOICEHIVE_ALLOWED_COUNTRIES: "${bad}" is not an ISO 3166 alpha-2 country code`, { hint: 'e.g. VOICEHIVE_ALLOWED_COUNTRIES=DE,IE' });
    audit.anomalies.allowedCountries = countries.map((c) => c.toUpperCase());
  }
}
