import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Writes a large vh-secrets audit log quickly: the real line shape (canonical key order, prev/hash, details),
 * with hashes that look real but do not chain (the report does not verify; `audit verify` has its own tests).
 * Deterministic for a given seed, so cached copies can be reused.
 */

export interface GenOptions {
  events: number;
  /** Last event time (epoch ms); events are spread evenly over `spanHours` before it. */
  endMs: number;
  spanHours: number;
  actors?: number;
  secrets?: number;
  /** Bytes of padding in details, to reach a target file size. @default 90 */
  pad?: number;
}

const EVENTS = ['accessed', 'accessed', 'accessed', 'accessed', 'accessed', 'accessed', 'described', 'listed', 'created', 'rotation_started', 'rotated', 'revoked'];

export function writeNativeLog(path: string, options: GenOptions): { bytes: number; accessed: number } {
  const actors = options.actors ?? 40;
  const secrets = options.secrets ?? 2000;
  const pad = 'x'.repeat(options.pad ?? 90);
  const step = (options.spanHours * 3_600_000) / options.events;
  const start = options.endMs - options.spanHours * 3_600_000;
  const fd = openSync(path, 'w', 0o600);
  let prev = '0'.repeat(64);
  let buf = '';
  let bytes = 0;
  let accessed = 0;
  try {
    for (let i = 0; i < options.events; i++) {
      const a = i % actors;
      const event = EVENTS[(i * 7) % EVENTS.length]!;
      if (event === 'accessed') accessed++;
      const fail = i % 97 === 0;
      const hash = createHash('sha1').update(String(i)).digest('hex');
      const h = hash + hash.slice(0, 24);
      const ts = new Date(start + i * step).toISOString();
      const id = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-a${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
      buf += `{"actor":"svc-${a}","actor_type":"service","details":{"n":${i},"pad":"${pad}"},"error_code":${fail ? '"NOT_FOUND"' : 'null'},"event":"${event}","host":"host-${a % 7}","id":"${id}","prev":"${prev}","secret":"local:app/s-${(i * 31) % secrets}","secret_type":"api_key","source_ip":"10.0.${a}.${(a * 3) % 250}","store":"local","success":${!fail},"ts":"${ts}","hash":"${h}"}\n`;
      prev = h;
      if (buf.length > 4 * 1024 * 1024) {
        bytes += writeSync(fd, buf);
        buf = '';
      }
    }
    if (buf.length > 0) bytes += writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  return { bytes, accessed };
}
