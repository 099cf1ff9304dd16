import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../base/fsutil.js';
import type { Config } from './config.js';
import type { SecretStore } from './store.js';

/**
 * Secret references for shell completion: answered from a short-lived private cache; a refresh lists every
 * store in parallel under one deadline, and a store that does not answer in time keeps its last known names.
 * Completion must never freeze a shell, so nothing here waits longer than `timeoutMs`.
 */
interface Cache {
  at: number;
  refs: Record<string, string[]>;
}

export async function completionRefs(
  config: Config,
  /** Opens a store for a refresh; called only when the cache is stale (providers and SDKs load only then). */
  open: (alias: string) => Promise<SecretStore>,
  options: { ttlMs?: number; timeoutMs?: number } = {},
): Promise<string[]> {
  const ttl = options.ttlMs ?? 60_000;
  const timeout = options.timeoutMs ?? 1_500;
  const dir = config.paths.cacheDir;
  const path = join(dir, 'completion-refs.json');
  let cache: Cache = { at: 0, refs: {} };
  try {
    cache = JSON.parse(await fs.readFile(path, 'utf8')) as Cache;
  } catch {
    // no cache yet, or unreadable: refresh
  }
  const aliases = [...config.stores.keys()];
  if (Date.now() - cache.at > ttl || aliases.some((a) => !cache.refs[a])) {
    const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeout).unref());
    const fresh = await Promise.all(
      aliases.map(async (alias) => {
        const listing = (async () => {
          const store = await open(alias);
          const names: string[] = [];
          for await (const s of store.list()) names.push(`${alias}:${s.name}`);
          return names;
        })().catch(() => undefined);
        const got = await Promise.race([listing, deadline]);
        return [alias, got === 'timeout' || got === undefined ? cache.refs[alias] : got] as const;
      }),
    );
    cache = { at: Date.now(), refs: {} };
    for (const [alias, names] of fresh) if (names) cache.refs[alias] = names;
    await ensurePrivateDir(dir).then(() => writeFileAtomic(path, JSON.stringify(cache), 0o600)).catch(() => undefined);
  }
  return Object.values(cache.refs).flat().sort();
}
