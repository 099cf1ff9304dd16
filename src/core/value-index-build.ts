import { isVhError, type ErrorCode } from '../base/errors.js';
import { ensurePrivateDir, withLock, writeFileAtomic } from '../base/fsutil.js';
import { mapBounded } from '../base/pool.js';
import type { ManagedEntry } from '../scan/managed.js';
import type { Runtime } from './runtime.js';
import { authorize, listSecrets } from './secrets.js';
import type { VersionInfo } from './store.js';
import { DEFAULT_INDEX_VERSIONS, INDEX_FORMAT, fingerprintsOf, indexPaths, readIndexFile, readKey, readLog, type IndexFile, type LoadedIndex } from './value-index.js';

/** Building the index of managed values from the stores, and telling how current it is (see value-index.ts). */

/** Newest first: the current version, then the others by creation time (else by version number). */
function recentVersions(versions: readonly VersionInfo[], current: string, count: number): string[] {
  const others = versions
    .filter((v) => v.version !== current && v.state === 'enabled')
    .sort((a, b) => (Date.parse(b.createdAt ?? '') || Number(b.version) || 0) - (Date.parse(a.createdAt ?? '') || Number(a.version) || 0));
  return [current, ...others.map((v) => v.version)].slice(0, count);
}

export interface IndexBuildInput {
  /** Store aliases; all configured stores when empty. */
  stores: string[];
  /** Only secrets whose names start with this (a team's part of a shared store); the rest of the store is left out. */
  prefix?: string;
  versions?: number;
  concurrency?: number;
  now?: () => Date;
}

export interface IndexBuildResult {
  path: string;
  secrets: number;
  values: number;
  fingerprints: number;
  /** Secrets or versions left out: the policy refused the read, or the read failed. */
  skipped: { secret: string; code: ErrorCode; message: string }[];
  /** Stores that could not be listed. */
  errors: { store: string; code: ErrorCode; message: string }[];
}

/** Builds the index from the stores (every read audited, the policy applied) and writes it, 0600, atomically. */
export async function buildIndex(rt: Runtime, input: IndexBuildInput): Promise<IndexBuildResult> {
  const now = input.now ?? (() => new Date());
  const versions = input.versions ?? DEFAULT_INDEX_VERSIONS;
  const builtAt = now().toISOString();
  const files = indexPaths(rt.config.paths);
  await ensurePrivateDir(rt.config.paths.home);
  const key = (await readKey(files.key, true))!;
  const aliases = input.stores.length ? input.stores.map((s) => rt.resolveAlias(s)) : [...rt.config.stores.keys()].sort();

  const index: IndexFile = { format: INDEX_FORMAT, v: 1, built_at: builtAt, versions, stores: {}, secrets: {}, entries: [] };
  const result: IndexBuildResult = { path: files.index, secrets: 0, values: 0, fingerprints: 0, skipped: [], errors: [] };
  for (const alias of aliases) {
    const scope = input.prefix ? { prefix: input.prefix } : {};
    const listed = await listSecrets(rt, { store: alias, tags: {}, ...scope }).catch((err: unknown) => {
      if (!isVhError(err)) throw err;
      result.errors.push({ store: alias, code: err.code, message: err.message });
      index.stores[alias] = { indexed_at: now().toISOString(), secrets: 0, error: err.message, ...scope };
      return undefined;
    });
    if (!listed) continue;
    const store = await rt.store(alias);
    const rows = await mapBounded(listed.secrets, input.concurrency ?? 8, async (s) => {
      try {
        if (!s.current_version) return undefined;
        const wanted = versions > 1 && store.capabilities.versions ? recentVersions((await store.describe(s.name)).versions, s.current_version, versions) : [s.current_version];
        const entries: ManagedEntry[] = [];
        const kept: string[] = [];
        // Reading values to fingerprint them is an access like `get`, under the same policy: one event per secret
        // (its versions counted), as a backup records it — never a value.
        const audit = (success: boolean, code: ErrorCode | null) =>
          rt.audit.record({ event: 'accessed', secret: s.ref, secret_type: s.type, store: alias, success, error_code: code, details: { purpose: 'index', versions: kept.length } });
        try {
          await authorize(rt, 'get', { store: alias, id: s.ref });
          for (const version of wanted) {
            const read = await store.get(s.name, { version }).catch((err: unknown) => {
              // An earlier version revoked since it was listed cannot be read: it is left out, the secret is not.
              if (version !== s.current_version && isVhError(err) && err.code === 'NOT_FOUND') return undefined;
              throw err;
            });
            if (!read) continue;
            kept.push(read.version);
            entries.push(...fingerprintsOf(key, s.ref, read.version, read.version === s.current_version, read.value));
          }
        } catch (err) {
          await audit(false, isVhError(err) ? err.code : 'INTERNAL');
          throw err;
        }
        await audit(true, null);
        return { ref: s.ref, current: s.current_version, versions: kept, entries };
      } catch (err) {
        if (!isVhError(err)) throw err;
        result.skipped.push({ secret: s.ref, code: err.code, message: err.message });
        return undefined;
      }
    });
    let count = 0;
    for (const r of rows) {
      if (!r) continue;
      count++;
      index.secrets[r.ref] = { current: r.current, versions: r.versions };
      index.entries.push(...r.entries);
      result.values += r.versions.length;
    }
    index.stores[alias] = { indexed_at: now().toISOString(), secrets: count, error: null, ...scope };
    result.secrets += count;
  }
  result.fingerprints = index.entries.length;

  await ensurePrivateDir(rt.config.paths.lockDir);
  await withLock(files.lock, async () => {
    // Stores not rebuilt this time keep what the index held for them.
    const before = await readIndexFile(files.index).catch(() => undefined);
    if (before && input.stores.length) {
      for (const [alias, info] of Object.entries(before.stores)) {
        if (index.stores[alias]) continue;
        index.stores[alias] = info;
        const mine = (ref: string) => ref.startsWith(`${alias}:`);
        for (const [ref, s] of Object.entries(before.secrets)) if (mine(ref)) index.secrets[ref] = s;
        index.entries.push(...before.entries.filter((e) => mine(e.ref)));
      }
    }
    await writeFileAtomic(files.index, JSON.stringify(index), 0o600);
    // Changes logged while the build ran stay (loading applies them on top); older ones are in the index now.
    const lines = await readLog(files.log);
    const keep = lines.filter((l) => l.at >= builtAt);
    await writeFileAtomic(files.log, keep.map((l) => `${JSON.stringify(l)}\n`).join(''), 0o600);
  });
  return result;
}

export interface Freshness {
  /** Secrets whose current version is not the one indexed. */
  changed: string[];
  /** Secrets the stores hold that the index does not. */
  unindexed: number;
  /** Stores that could not be asked. */
  unreachable: { store: string; message: string }[];
}

/**
 * Asks each indexed store for its secrets' current versions (a list: no value read) and compares them with the
 * index: what was rotated or created since it was built, by this host or any other.
 */
export async function indexFreshness(rt: Runtime, loaded: LoadedIndex): Promise<Freshness> {
  const out: Freshness = { changed: [], unindexed: 0, unreachable: [] };
  for (const [alias, info] of Object.entries(loaded.stores)) {
    if (!rt.config.stores.has(alias)) continue;
    try {
      const listed = await listSecrets(rt, { store: alias, tags: {}, ...(info.prefix ? { prefix: info.prefix } : {}) });
      for (const s of listed.secrets) {
        const known = loaded.secrets.get(s.ref);
        if (!known) out.unindexed++;
        else if (s.current_version && known.current !== s.current_version) out.changed.push(s.ref);
      }
    } catch (err) {
      out.unreachable.push({ store: alias, message: (err as Error).message });
    }
  }
  return out;
}
