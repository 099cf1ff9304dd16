import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { VhError, fromSystemError } from '../base/errors.js';
import { createFileExclusive } from '../base/fsutil.js';
import type { Paths } from '../base/paths.js';
import { prefixHash, valueDigest, type ManagedEntry, type ManagedSpec } from '../scan/managed.js';

/**
 * The index of managed values (`vh-secrets index`): for every current and recent version of every secret, keyed
 * fingerprints of the whole value and of each field of a JSON object, so that `scan --managed` can say which
 * secret a found value is. It holds refs, versions, lengths and HMACs under a local key (`index.key`, 0600, never
 * in the index) — no value, and nothing anyone can compute from a value without that key.
 *
 * The index file is rewritten whole by `index`; a rotation or a create appends its change to `index.log` (one
 * line, one write) so that a busy `rotate-all` never rewrites a large file per secret. Loading applies the log.
 */

export const INDEX_FORMAT = 'vh-secrets-index';
/** Versions of each secret indexed by default: the current one and the two before it. */
export const DEFAULT_INDEX_VERSIONS = 3;
/** Shorter values are not fingerprinted: too short to tell a leak from a coincidence. */
export const MIN_INDEXED_LENGTH = 8;
/** Fields of a credential object that name, not authenticate (a user name found in a file is not a leak). */
const NOT_SECRET_FIELDS = /^(user(_?name)?|login|host(_?name)?|port|db|db_?name|database|engine|region|endpoint|access_key_id|key_id|client_id|account(_id)?|tenant(_id)?|project(_id)?|type|name|version)$/i;

export interface IndexedSecret {
  current: string;
  /** Indexed versions, newest first (the current one first). */
  versions: string[];
}

export interface IndexFile {
  format: typeof INDEX_FORMAT;
  v: 1;
  /** When the build started: a log line older than this is already in the index. */
  built_at: string;
  versions: number;
  /** Per store: when it was indexed, how many secrets, and the name prefix the index was limited to (if any). */
  stores: Record<string, { indexed_at: string; secrets: number; error: string | null; prefix?: string }>;
  secrets: Record<string, IndexedSecret>;
  entries: ManagedEntry[];
}

export interface LogLine {
  at: string;
  secret: string;
  current: string;
  entries: ManagedEntry[];
}

export interface LoadedIndex {
  spec: ManagedSpec;
  builtAt: Date;
  /** The newest change the index knows of: the build, or the last rotation or create logged since. */
  updatedAt: Date;
  stores: IndexFile['stores'];
  secrets: Map<string, IndexedSecret>;
  path: string;
}

export function indexPaths(paths: Paths): { index: string; log: string; key: string; lock: string } {
  return { index: join(paths.home, 'index.json'), log: join(paths.home, 'index.log'), key: join(paths.home, 'index.key'), lock: join(paths.lockDir, 'index.lock') };
}

export async function readKey(file: string, create: boolean): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, 'cannot read the index key', file);
    if (!create) return undefined;
    await createFileExclusive(file, `${randomBytes(32).toString('base64')}\n`, 0o600);
    text = await fs.readFile(file, 'utf8').catch((e: unknown) => {
      throw fromSystemError(e, 'cannot read the index key', file);
    });
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new VhError('INVALID_FORMAT', `the index key ${file} does not hold a 32-byte key (base64)`, { hint: 'remove it and the index, then run `vh-secrets index` again' });
  return key;
}

/**
 * The fingerprints of one version of one secret: the whole value, and each string field of a JSON object
 * (`ref#field`) except those that only name something (user, host, key id…). Values that are not UTF-8 text
 * are fingerprinted whole, as bytes, for rules' findings only.
 */
export function fingerprintsOf(key: Buffer, ref: string, version: string, current: boolean, value: Buffer): ManagedEntry[] {
  const out: ManagedEntry[] = [];
  const add = (id: string, text: string) => {
    if (text.length < MIN_INDEXED_LENGTH) return;
    const prefix = prefixHash(key, text);
    out.push({ ref: id, version, current, length: text.length, digest: valueDigest(key, text), ...(prefix !== undefined ? { prefix } : {}) });
  };
  const text = value.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(value)) return out;
  add(ref, text);
  let parsed: unknown;
  try {
    parsed = text.trimStart().startsWith('{') ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    for (const [field, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'string' && !NOT_SECRET_FIELDS.test(field)) add(`${ref}#${field}`, v);
    }
  }
  return out;
}

export async function readIndexFile(path: string): Promise<IndexFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromSystemError(err, 'cannot read the index', path);
  }
  let parsed: IndexFile;
  try {
    parsed = JSON.parse(text) as IndexFile;
  } catch {
    throw new VhError('INVALID_FORMAT', `the index ${path} is not valid JSON`, { hint: 'run `vh-secrets index` to build it again' });
  }
  if (parsed?.format !== INDEX_FORMAT || parsed.v !== 1 || !Array.isArray(parsed.entries)) {
    throw new VhError('INVALID_FORMAT', `${path} is not a vh-secrets index (format ${INDEX_FORMAT} v1)`, { hint: 'run `vh-secrets index` to build it again' });
  }
  return parsed;
}

export async function readLog(path: string): Promise<LogLine[]> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(err, 'cannot read the index log', path);
  }
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const l = JSON.parse(line) as LogLine;
      if (typeof l.at === 'string' && typeof l.secret === 'string' && Array.isArray(l.entries)) out.push(l);
    } catch {
      // A line cut by a crash: the change it held is lost to the index, which `scan --managed` reports as stale.
    }
  }
  return out;
}

/** The index with its log applied; undefined when none was built. */
export async function loadIndex(paths: Paths): Promise<LoadedIndex | undefined> {
  const files = indexPaths(paths);
  const file = await readIndexFile(files.index);
  if (!file) return undefined;
  const key = await readKey(files.key, false);
  if (!key) throw new VhError('CONFIG', `the index ${files.index} exists but its key ${files.key} is missing`, { hint: 'run `vh-secrets index` to build it again' });
  const secrets = new Map(Object.entries(file.secrets));
  let entries = file.entries;
  let updatedAt = file.built_at;
  const log = (await readLog(files.log)).filter((l) => l.at >= file.built_at);
  for (const l of log) {
    const prior = secrets.get(l.secret);
    const versions = [l.current, ...(prior?.versions ?? []).filter((v) => v !== l.current)].slice(0, file.versions);
    secrets.set(l.secret, { current: l.current, versions });
    const mine = (ref: string) => ref === l.secret || ref.startsWith(`${l.secret}#`);
    entries = entries
      .filter((e) => !mine(e.ref) || (versions.includes(e.version) && e.version !== l.current))
      .map((e) => (mine(e.ref) && e.current ? { ...e, current: false } : e));
    entries.push(...l.entries);
    if (l.at > updatedAt) updatedAt = l.at;
  }
  return { spec: { key: key.toString('base64'), entries }, builtAt: new Date(file.built_at), updatedAt: new Date(updatedAt), stores: file.stores, secrets, path: files.index };
}

/**
 * A new current version of `secret` (a rotation's promote, a create): logged for the index when there is one
 * (no index, nothing to do — building one is `vh-secrets index`). Never throws: the index is a convenience, and
 * one it does not hear of is reported stale by `scan --managed`.
 */
export async function noteCurrentValue(paths: Paths, secret: string, version: string, value: Buffer | (() => Promise<Buffer>), now = new Date()): Promise<boolean> {
  try {
    const files = indexPaths(paths);
    const key = await readKey(files.key, false);
    if (!key || !(await fs.stat(files.index).then(() => true, () => false))) return false;
    // Read only now that there is an index to tell: without one, a rotation pays nothing for it.
    const bytes = typeof value === 'function' ? await value() : value;
    const line: LogLine = { at: now.toISOString(), secret, current: version, entries: fingerprintsOf(key, secret, version, true, bytes) };
    // One write of one line, appended: concurrent rotations never interleave inside a line.
    await fs.appendFile(files.log, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

