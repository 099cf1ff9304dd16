import { promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_ANOMALY_CONFIG, type AnomalyConfig } from '../audit/anomaly-config.js';
import type { SinkConfig } from '../audit/sinks/types.js';
import { VhError } from './errors.js';
import { defaultPaths, userConfigFile, type Paths } from './paths.js';

/**
 * Configuration: TOML, found by `--config`, `VH_SECRETS_CONFIG`, `./vh-secrets.toml`, then
 * `~/.config/vh-secrets/config.toml`; `--env NAME` merges `config/NAME.toml` (beside the base file, or in the
 * working directory when there is none) over it. Strings may use `${VAR}` and `${VAR:-default}`; `$${` is a
 * literal `${`. Every error names the file, the line and the field.
 */

export const DEFAULT_STORE_ALIAS = 'local';
const KNOWN_PROVIDERS = ['file', 'vault', 'aws', 'azure', 'gcp'];
const ALIAS_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const TOP_LEVEL_KEYS = ['default_store', 'stores', 'audit'];
const AUDIT_KEYS = ['log', 'hmac_key'];

export interface StoreConfig {
  alias: string;
  provider: string;
  /** Everything else in the `[stores.<alias>]` table, interpolated, for the provider to validate. */
  options: Record<string, unknown>;
}

export interface AuditConfig {
  log: string;
  hmacKey: string | undefined;
  /** Signed head file (`[audit] anchor`): lets `audit verify` detect a log truncated at its end. */
  anchor: string | undefined;
  /** Remote sinks (`[[audit.sinks]]`), fed from the local log. */
  sinks: SinkConfig[];
  /** How long a command may wait for remote sinks at its end before leaving events spooled (ms). */
  flushTimeoutMs: number;
  /** Where each remote sink keeps its cursor into the local log. */
  spoolDir: string;
  anomalies: AnomalyConfig;
}

export interface Config {
  /** Files that were read, base first. Empty when running on defaults. */
  files: string[];
  defaultStore: string;
  stores: Map<string, StoreConfig>;
  audit: AuditConfig;
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

async function readSource(path: string): Promise<SourceFile> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? 'error'})`;
    throw new VhError('CONFIG', `config file ${path} ${why}`, { details: { path } });
  }
  const { parse } = await import('smol-toml');
  try {
    return { path, text, data: parse(text) as Table };
  } catch (err) {
    const e = err as { line?: number; column?: number; message?: string };
    const first = (e.message ?? 'invalid TOML').split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new VhError('CONFIG', `${path}:${e.line ?? 1}:${e.column ?? 1}: invalid TOML: ${first}`, {
      details: { path, line: e.line ?? 1 },
    });
  }
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
      const m = /^\s*\[([^\]]+)\]/.exec(l);
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
  if (options.env !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(options.env)) {
      throw new VhError('USAGE', `invalid environment name "${options.env}"`, { hint: 'use letters, digits, _ and -' });
    }
    const envFile = join(baseFile ? dirname(baseFile) : cwd, 'config', `${options.env}.toml`);
    sources.push(await readSource(envFile));
  }

  const paths = defaultPaths(environ);
  const stores = new Map<string, StoreConfig>();
  let defaultStore = DEFAULT_STORE_ALIAS;
  let defaultStoreSrc: SourceFile | undefined;
  let audit: AuditConfig = {
    log: paths.auditLog,
    hmacKey: environ.VH_SECRETS_AUDIT_HMAC_KEY || undefined,
    anchor: undefined,
    sinks: [],
    flushTimeoutMs: 2000,
    spoolDir: join(paths.home, 'spool'),
    anomalies: { ...DEFAULT_ANOMALY_CONFIG },
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
        const prev = stores.get(alias);
        const merged = prev ? merge({ provider: prev.provider, ...prev.options }, raw) : raw;
        const provider = merged.provider;
        if (provider === undefined) throw configError(src, ['stores', alias], 'provider', 'missing required field', `set provider = one of ${KNOWN_PROVIDERS.map((p) => `"${p}"`).join(', ')}`);
        if (typeof provider !== 'string' || !KNOWN_PROVIDERS.includes(provider)) {
          throw configError(src, ['stores', alias], 'provider', `unknown provider ${JSON.stringify(provider)}`, `use one of: ${KNOWN_PROVIDERS.join(', ')}`);
        }
        const { provider: _p, ...rest } = merged;
        void _p;
        stores.set(alias, { alias, provider, options: rest });
      }
    }
    if (data.audit !== undefined) {
      if (!isTable(data.audit)) throw configError(src, [], 'audit', 'must be a table');
      for (const key of Object.keys(data.audit)) {
        if (!AUDIT_KEYS.includes(key)) throw configError(src, ['audit'], key, 'unknown setting', `known: ${AUDIT_KEYS.join(', ')}`);
      }
      const { log, hmac_key } = data.audit;
      if (log !== undefined && typeof log !== 'string') throw configError(src, ['audit'], 'log', 'must be a path string');
      if (hmac_key !== undefined && typeof hmac_key !== 'string') throw configError(src, ['audit'], 'hmac_key', 'must be a string');
      audit = {
        ...audit,
        log: typeof log === 'string' ? resolve(dirname(src.path), log) : audit.log,
        hmacKey: typeof hmac_key === 'string' && hmac_key !== '' ? hmac_key : audit.hmacKey,
      };
    }
  }

  if (!stores.has(DEFAULT_STORE_ALIAS)) stores.set(DEFAULT_STORE_ALIAS, { alias: DEFAULT_STORE_ALIAS, provider: 'file', options: {} });
  if (!stores.has(defaultStore)) {
    const src = defaultStoreSrc!;
    throw configError(src, [], 'default_store', `no store named "${defaultStore}"`, `define [stores.${defaultStore}] or use one of: ${[...stores.keys()].join(', ')}`);
  }
  for (const store of stores.values()) {
    if (store.provider === 'file') {
      const base = sources.length > 0 ? dirname(sources[0]!.path) : cwd;
      for (const key of ['path', 'key_file']) {
        const v = store.options[key];
        if (v !== undefined && typeof v !== 'string') {
          const src = sources.find((s) => isTable(s.data.stores) && isTable(s.data.stores[store.alias]))!;
          throw configError(src, ['stores', store.alias], key, 'must be a path string');
        }
        if (typeof v === 'string') store.options[key] = resolve(base, v);
      }
    }
  }
  return { files: sources.map((s) => s.path), defaultStore, stores, audit, paths };
}
