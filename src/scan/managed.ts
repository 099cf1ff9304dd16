import { createHmac } from 'node:crypto';
import type { ManagedRef, Rule } from './types.js';

export type { ManagedRef };

/**
 * Matching scanned text against the values vh-secrets manages, without holding any of them: the index keeps only
 * keyed fingerprints (HMAC-SHA-256 under a local key) and, for the verbatim search, a keyed 32-bit hash of each
 * value's first WINDOW characters. Neither is a hash anyone can compute without the key, so the index file says
 * nothing about a value to whoever reads it alone.
 *
 * The verbatim search is Rabin–Karp with one window size: a rolling polynomial hash (its base drawn from the key)
 * over every WINDOW-character window of the text, a bit-table test per position, and only on a hit the HMAC of
 * the candidate spans of the lengths that hash stands for. It costs a few integer operations per character,
 * whatever the number of managed values.
 */

/** The rule id of a managed value found where no rule matched. */
export const MANAGED_RULE_ID = 'managed-secret';

/** How reports describe `managed-secret` (SARIF's rule list). The detector does not run it as a rule. */
export const MANAGED_RULE: Rule = {
  id: MANAGED_RULE_ID,
  description: 'A value vh-secrets manages, found verbatim',
  keywords: [],
  regex: /(?!)/dg,
  secretGroup: 0,
  help: 'This is a value held in one of your secret stores. If it is the current version, rotate it now (`vh-secrets scan --managed --rotate-leaked`, or `vh-secrets rotate --emergency`); if an earlier one, revoke that version. Then remove it from the file and its history.',
  tags: ['managed'],
};

/** Values shorter than this are never searched for verbatim (a rule's finding still matches them exactly). */
export const WINDOW = 12;
/** Bits of the rolling hash that pick a slot of the bit table (2^22 bits = 512 KiB: few false hits at 10^5 values). */
const TABLE_BITS = 22;


/** One indexed value: plain data, no value, nothing computable without the key. */
export interface ManagedEntry extends ManagedRef {
  /** Length in UTF-16 code units (what a scan's text is made of). */
  length: number;
  /** HMAC-SHA-256 of the value's UTF-8 bytes, base64url. */
  digest: string;
  /** Keyed rolling hash of the first WINDOW code units; absent when the value is shorter. */
  prefix?: number;
}

/** What a scan (and each of its worker threads) needs to match: the key and the entries. */
export interface ManagedSpec {
  /** The index key, base64. */
  key: string;
  entries: ManagedEntry[];
}

/** The keyed fingerprint of one value. */
export function valueDigest(key: Buffer, value: string | Buffer): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

/**
 * The rolling hash's base (odd, so that multiplying by it loses nothing) and the mask its result is xored with, both
 * drawn from the key; `top` is base^(WINDOW-1), what the character leaving the window contributed.
 */
function hashParams(key: Buffer): { base: number; mask: number; top: number } {
  const d = createHmac('sha256', key).update('vh-secrets rolling hash v1').digest();
  const base = d.readInt32LE(0) | 1;
  const mask = d.readInt32LE(4);
  let top = 1;
  for (let i = 0; i < WINDOW - 1; i++) top = Math.imul(top, base);
  return { base, mask, top };
}

/** Σ text[start+i]·base^(WINDOW-1-i) mod 2^32, unmasked. */
function windowHash(text: string, start: number, base: number): number {
  let h = 0;
  for (let i = start; i < start + WINDOW; i++) h = (Math.imul(h, base) + text.charCodeAt(i)) | 0;
  return h;
}

/** The keyed hash of a value's first WINDOW code units (undefined when it is shorter). */
export function prefixHash(key: Buffer, value: string): number | undefined {
  if (value.length < WINDOW) return undefined;
  const { base, mask } = hashParams(key);
  return (windowHash(value, 0, base) ^ mask) >>> 0;
}

export interface ManagedMatch {
  start: number;
  end: number;
  entry: ManagedEntry;
}

export class ManagedMatcher {
  private readonly key: Buffer;
  private readonly base: number;
  private readonly mask: number;
  private readonly top: number;
  private readonly table = new Uint32Array((1 << TABLE_BITS) >>> 5);
  /** prefix hash → the entries with that prefix, longest first (a longer verbatim match wins). */
  private readonly byPrefix = new Map<number, ManagedEntry[]>();
  /** digest → its entries (one value can be current in one secret and a field of another). */
  private readonly byDigest = new Map<string, ManagedEntry[]>();
  readonly size: number;

  constructor(spec: ManagedSpec) {
    this.key = Buffer.from(spec.key, 'base64');
    ({ base: this.base, mask: this.mask, top: this.top } = hashParams(this.key));
    for (const e of spec.entries) {
      const same = this.byDigest.get(e.digest);
      if (same) same.push(e);
      else this.byDigest.set(e.digest, [e]);
      if (e.prefix === undefined || e.length < WINDOW) continue;
      const h = e.prefix >>> 0;
      const slot = h >>> (32 - TABLE_BITS);
      this.table[slot >>> 5]! |= 1 << (slot & 31);
      const list = this.byPrefix.get(h);
      if (!list) this.byPrefix.set(h, [e]);
      else if (!list.some((x) => x.digest === e.digest)) list.push(e);
    }
    for (const list of this.byPrefix.values()) list.sort((a, b) => b.length - a.length);
    this.size = spec.entries.length;
  }

  /**
   * The managed values a secret found by a rule is: the whole secret, else (a rule's capture being wider, such as
   * a URL or a quoted string) none. Current versions first.
   */
  lookup(secret: string): ManagedRef | undefined {
    const list = this.byDigest.get(valueDigest(this.key, secret));
    return list ? refOf(best(list)!) : undefined;
  }

  /** Every verbatim occurrence of a managed value of WINDOW or more characters in `text`, left to right, not overlapping. */
  find(text: string): ManagedMatch[] {
    const out: ManagedMatch[] = [];
    const n = text.length;
    if (n < WINDOW || this.byPrefix.size === 0) return out;
    const { base, mask, top, table } = this;
    const shift = 32 - TABLE_BITS;
    let h = windowHash(text, 0, base);
    // Positions before `skip` belong to the last match.
    let skip = 0;
    // The hot loop: every operation stays in int32 (a double in between costs twice the time).
    for (let start = 0, next = WINDOW; ; start++, next++) {
      const slot = (h ^ mask) >>> shift;
      if ((table[slot >>> 5]! & (1 << (slot & 31))) !== 0 && start >= skip) {
        const hit = this.confirm(text, start, (h ^ mask) >>> 0);
        if (hit) {
          out.push(hit);
          skip = hit.end;
        }
      }
      if (next >= n) break;
      h = (Math.imul((h - Math.imul(text.charCodeAt(start), top)) | 0, base) + text.charCodeAt(next)) | 0;
    }
    return out;
  }

  private confirm(text: string, start: number, h: number): ManagedMatch | undefined {
    const list = this.byPrefix.get(h);
    if (!list) return undefined;
    for (const e of list) {
      const end = start + e.length;
      if (end > text.length) continue;
      const same = this.byDigest.get(valueDigest(this.key, text.slice(start, end)));
      if (same?.some((x) => x.digest === e.digest)) return { start, end, entry: best(same)! as ManagedEntry };
    }
    return undefined;
  }
}

/** Of the places one value lives, the one to name: a current version before an earlier one, then the first. */
function best(list: readonly ManagedEntry[]): ManagedEntry | undefined {
  return list.find((e) => e.current) ?? list[0];
}

/** The ManagedRef part of an entry, for a finding (no digest or length leaves the matcher). */
export function refOf(e: ManagedRef): ManagedRef {
  return { ref: e.ref, version: e.version, current: e.current };
}
