import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../base/fsutil.js';
import type { Metadata, SecretSummary } from '../core/store.js';

/**
 * What each store held when `health` last listed it from this host (names and metadata, never a value), so a
 * store that is down or does not answer keeps its secrets in the report — as UNKNOWN — instead of dropping
 * them. A private file per store in the cache directory; a listing that finished replaces what it covered.
 */
export interface Inventory {
  store: string;
  listed_at: string;
  secrets: { name: string; metadata: Metadata }[];
}

function pathFor(dir: string, alias: string): string {
  return join(dir, `health-${createHash('sha256').update(alias).digest('hex').slice(0, 16)}.json`);
}

export function matches(metadata: Metadata, filter: Metadata): boolean {
  return Object.entries(filter).every(([k, v]) => metadata[k] === v);
}

export async function readInventory(dir: string, alias: string): Promise<Inventory | undefined> {
  try {
    const inv = JSON.parse(await fs.readFile(pathFor(dir, alias), 'utf8')) as Inventory;
    return inv.store === alias && Array.isArray(inv.secrets) ? inv : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records a complete listing under `filter`: the secrets it covered are replaced by what it found, the others
 * (outside the filter) are kept. Best effort: health never fails because its cache cannot be written.
 */
export async function recordListing(dir: string, alias: string, filter: Metadata, listed: SecretSummary[], now: Date): Promise<void> {
  const before = (await readInventory(dir, alias))?.secrets ?? [];
  const seen = new Set(listed.map((s) => s.name));
  const kept = before.filter((s) => !seen.has(s.name) && !matches(s.metadata, filter));
  const secrets = [...kept, ...listed.map((s) => ({ name: s.name, metadata: s.metadata }))].sort((a, b) => a.name.localeCompare(b.name));
  const inv: Inventory = { store: alias, listed_at: now.toISOString(), secrets };
  await ensurePrivateDir(dir)
    .then(() => writeFileAtomic(pathFor(dir, alias), `${JSON.stringify(inv)}\n`, 0o600))
    .catch(() => undefined);
}
