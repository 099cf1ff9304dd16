import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface EventCounts {
  /** key: `${event}\u0000${store}\u0000${type}` */
  counts: Map<string, number>;
  malformed: number;
}

/**
 * Streams the audit log once and counts successful events of the given kinds by store and secret type.
 * A missing log counts as empty; a torn or foreign line is counted as malformed, never fatal. `typeOf` names the
 * type of a secret (`store:name`) for events that do not record one.
 */
export async function countEvents(path: string, kinds: readonly string[], typeOf?: (secret: string) => string | undefined): Promise<EventCounts> {
  const counts = new Map<string, number>();
  let malformed = 0;
  const stream = createReadStream(path, { encoding: 'utf8' });
  const ok = await new Promise<boolean>((resolve) => {
    stream.once('open', () => resolve(true));
    stream.once('error', () => resolve(false));
  });
  if (!ok) return { counts, malformed };
  const want = new Set(kinds);
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (line === '') continue;
    let e: { event?: string; store?: string | null; secret?: string | null; secret_type?: string | null; success?: boolean };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      malformed++;
      continue;
    }
    if (!e.event || !want.has(e.event) || e.success === false && e.event !== 'rotation_failed') continue;
    // Reads are audited without a type (the value read does not carry it); the caller may know it by name.
    const type = e.secret_type ?? (typeOf && typeof e.secret === 'string' ? typeOf(e.secret.replace(/[#@].*$/s, '')) : undefined) ?? 'unknown';
    const key = `${e.event}\u0000${e.store ?? ''}\u0000${type}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { counts, malformed };
}
