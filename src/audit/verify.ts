import { isVhError } from '../base/errors.js';
import { readHead, type AuditHead } from './anchor.js';
import { GENESIS, chainHash, type AuditEvent } from './event.js';
import { readLines } from './lines.js';

export type BreakKind = 'modified' | 'deleted_or_reordered' | 'truncated' | 'bad_head';

export interface ChainReport {
  ok: boolean;
  events: number;
  /** First broken link (1-based line; 0 when the fault is in the head file), what kind, and why. */
  broken: { line: number; kind: BreakKind; reason: string } | null;
  lastHash: string;
  /** Whether a head file was configured and checked: only then is a cut-off end detectable. */
  anchored: boolean;
  /** Lines torn by a crash mid-write; the chain continues past them (not tampering, but worth a look). */
  torn: number[];
}

export interface VerifyOptions {
  hmacKey?: string | undefined;
  /** Path of the signed head written after each commit (`[audit] anchor`). */
  anchor?: string | undefined;
}

/**
 * Streams the log and checks every line's `prev` link and `hash`; stops at the first broken link. A line that
 * is not JSON counts as torn (a crash mid-write) only when the next event chains from the last whole one; else
 * it was edited. With a head, the log must still contain the head's event, or it was cut off at the end.
 */
export async function verifyChain(path: string, options: VerifyOptions = {}): Promise<ChainReport> {
  const { hmacKey, anchor } = options;
  let head: AuditHead | null = null;
  const base = { anchored: anchor !== undefined, torn: [] as number[] };
  if (anchor !== undefined) {
    try {
      head = await readHead(anchor, hmacKey);
    } catch (err) {
      if (isVhError(err) && err.code === 'INVALID_FORMAT') {
        return { ...base, ok: false, events: 0, broken: { line: 0, kind: 'bad_head', reason: err.message }, lastHash: GENESIS };
      }
      throw err;
    }
  }
  let prev = GENESIS;
  let events = 0;
  let lineNo = 0;
  let unparsed: number | undefined;
  let headSeen = head === null;
  let broken: ChainReport | undefined;
  const fail = (line: number, kind: BreakKind, reason: string): ChainReport => ({ ...base, ok: false, events, broken: { line, kind, reason }, lastHash: prev });
  /** A line that is no event: torn by a crash if the chain goes on past it, else edited. */
  const notAnEvent = (n: number): ChainReport | undefined => {
    if (unparsed !== undefined) return fail(unparsed, 'modified', `line ${unparsed} is not a valid event and the chain does not continue past it (edited)`);
    unparsed = n;
    return undefined;
  };
  // The first broken link ends the check: the reader is stopped there.
  const stop = new Error('chain broken');
  const brk = (r: ChainReport): never => {
    broken = r;
    throw stop;
  };
  try {
    const stats = await readLines(path, {
      line(text, n) {
        lineNo = n;
        if (text.trim() === '') return;
        let event: AuditEvent;
        try {
          event = JSON.parse(text) as AuditEvent;
          if (typeof event !== 'object' || event === null || typeof event.prev !== 'string' || typeof event.hash !== 'string') throw new Error('not an event');
        } catch {
          const r = notAnEvent(n);
          if (r !== undefined) brk(r);
          return;
        }
        if (event.prev !== prev) {
          if (unparsed !== undefined) brk(fail(unparsed, 'modified', `line ${unparsed} is not a valid event and the chain does not continue past it (edited or replaced)`));
          brk(fail(n, 'deleted_or_reordered', 'prev does not match the previous event (deleted, inserted or reordered)'));
        }
        if (unparsed !== undefined) base.torn.push(unparsed);
        unparsed = undefined;
        if (chainHash(event, hmacKey) !== event.hash) brk(fail(n, 'modified', 'hash does not match the content (modified)'));
        prev = event.hash;
        events++;
        if (!headSeen && prev === head!.hash) headSeen = true;
      },
      problem(_kind, n) {
        lineNo = n;
        // Oversized or not UTF-8: not an event the writer wrote.
        const r = notAnEvent(n);
        if (r !== undefined) brk(r);
      },
    });
    lineNo = stats.lines;
  } catch (err) {
    if (err === stop) return broken!;
    if (head !== null && isVhError(err) && err.code === 'NOT_FOUND') {
      return { ...base, ok: false, events: 0, broken: { line: 1, kind: 'truncated', reason: `the log is gone but its signed head records events up to ${head.ts}` }, lastHash: GENESIS };
    }
    throw err;
  }
  // A last line that is not JSON: torn by a crash (the writer never reported it written) — or, without a head
  // to compare with, indistinguishable from an edit of the last event.
  if (unparsed !== undefined) base.torn.push(unparsed);
  if (!headSeen) {
    return fail(lineNo + 1, 'truncated', `the log ends before its signed head (event ${head!.hash.slice(0, 12)}…, ${head!.size} bytes, ${head!.ts}): events were removed from its end`);
  }
  return { ...base, ok: true, events, broken: null, lastHash: prev };
}
