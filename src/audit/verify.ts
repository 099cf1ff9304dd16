import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fromSystemError } from '../core/errors.js';
import { GENESIS, chainHash, type AuditEvent } from './event.js';

export interface ChainReport {
  ok: boolean;
  events: number;
  /** First line (1-based) where the chain breaks, and why. */
  broken: { line: number; reason: string } | null;
  lastHash: string;
}

/** Streams the log and checks every line's `prev` link and `hash`; stops at the first broken link. */
export async function verifyChain(path: string, hmacKey?: string): Promise<ChainReport> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw fromSystemError(err, 'cannot read audit log', path);
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let prev = GENESIS;
  let events = 0;
  let lineNo = 0;
  try {
    for await (const text of lines) {
      lineNo++;
      if (text.trim() === '') continue;
      let event: AuditEvent;
      try {
        event = JSON.parse(text) as AuditEvent;
      } catch {
        return { ok: false, events, broken: { line: lineNo, reason: 'not valid JSON (torn or edited line)' }, lastHash: prev };
      }
      if (event.prev !== prev) {
        return { ok: false, events, broken: { line: lineNo, reason: 'prev does not match the previous event (deleted, inserted or reordered)' }, lastHash: prev };
      }
      if (chainHash(event, hmacKey) !== event.hash) {
        return { ok: false, events, broken: { line: lineNo, reason: 'hash does not match the content (modified)' }, lastHash: prev };
      }
      prev = event.hash;
      events++;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  return { ok: true, events, broken: null, lastHash: prev };
}
