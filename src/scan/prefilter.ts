/**
 * The two whole-text passes of the detector, written as plain loops over character codes: which rule keywords a
 * text contains, and where its base64 runs are. Every other step works on the few places these find, so these
 * two passes are most of a scan's CPU time. In V8 a case-insensitive alternation of every keyword takes about
 * twice as long as the table lookup below, and a base64-run regex looks at every character where the loop
 * below skips most of them.
 */

const BASE64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const IS_BASE64 = new Uint8Array(128);
for (const c of BASE64_CHARS) IS_BASE64[c.charCodeAt(0)] = 1;

/** The characters JavaScript's `\s` matches. */
export function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Before a base64 run: a quote, `=`, `:` or a space. */
function opensValue(c: number): boolean {
  return c === 0x22 || c === 0x27 || c === 0x60 || c === 0x3d || c === 0x3a || isSpace(c);
}

/** After a base64 run (and its `=` padding): a quote, a space, `,`, `;`, `)` or the end. */
function closesValue(c: number): boolean {
  return c === 0x22 || c === 0x27 || c === 0x60 || c === 0x2c || c === 0x3b || c === 0x29 || isSpace(c);
}

export const BASE64_MIN = 24;
export const BASE64_MAX = 8192;

/**
 * Base64 runs worth decoding, as [start, end) pairs (padding included): a value after a quote, `=`, `:` or a
 * space, of 24 to 8192 base64 characters and at most two `=`, ending at a quote, a space, `,`, `;`, `)` or the
 * end of the text. (The same spans as `/["'`=:\s]([A-Za-z0-9+/]{24,8192}={0,2})(?=["'`\s,;)]|$)/g`.)
 */
export function base64Runs(text: string): number[] {
  const runs: number[] = [];
  const n = text.length;
  const isBase64 = (at: number) => {
    const c = text.charCodeAt(at);
    return c < 128 && IS_BASE64[c] === 1;
  };
  // Everything before `start` is settled, and `start` is where a run may begin. A run of BASE64_MIN characters
  // from there covers `probe`; when `probe` is not base64, no such run can start before probe + 1, and when a
  // character between them is not, none can start before it. So most of the text is never looked at.
  let start = 0;
  while (start + BASE64_MIN <= n) {
    const probe = start + BASE64_MIN - 1;
    if (!isBase64(probe)) {
      start = probe + 1;
      continue;
    }
    let back = probe - 1;
    while (back >= start && isBase64(back)) back--;
    if (back >= start) {
      start = back + 1;
      continue;
    }
    // start..probe is all base64 and the character before `start` is not: a run of at least BASE64_MIN.
    let end = probe + 1;
    while (end < n && isBase64(end)) end++;
    if (end - start <= BASE64_MAX && start > 0 && opensValue(text.charCodeAt(start - 1))) {
      let padded = end;
      while (padded < n && padded - end < 2 && text.charCodeAt(padded) === 0x3d) padded++;
      if (padded === n || closesValue(text.charCodeAt(padded))) runs.push(start, padded);
    }
    start = end + 1;
  }
  return runs;
}

function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function bothCases(c: number): number[] {
  return c >= 97 && c <= 122 ? [c, c - 32] : [c];
}

/**
 * Finds which of a set of keywords occur in a text, ignoring ASCII case. A table indexed by the first two
 * characters of each keyword (both cases) points at the keywords starting with them, so each position costs
 * one lookup, and a second table of the third characters they allow drops most near misses before any
 * comparison; a keyword already found is not compared again. Keywords that do not fit the table (one
 * character long, or not ASCII) are looked for in the lower-cased text.
 */
export class KeywordIndex {
  readonly keywords: readonly string[];
  /** (first char << 7 | second char) → index in `groups`, or -1. */
  private readonly pairs = new Int16Array(128 * 128).fill(-1);
  private readonly groups: number[][] = [];
  /** By group: which third characters (128: the end of the text or not ASCII) can continue one of its keywords. */
  private readonly thirds: Uint8Array[] = [];
  /** Keywords searched in the lower-cased text instead. */
  private readonly others: number[] = [];

  constructor(keywords: Iterable<string>) {
    this.keywords = [...new Set([...keywords].map((k) => k.toLowerCase()))];
    this.keywords.forEach((k, i) => {
      // eslint-disable-next-line no-control-regex
      if (k.length < 2 || !/^[\x00-\x7f]+$/.test(k)) {
        this.others.push(i);
        return;
      }
      const a = k.charCodeAt(0);
      const b = k.charCodeAt(1);
      for (const x of bothCases(a)) {
        for (const y of bothCases(b)) {
          const slot = (x << 7) | y;
          if (this.pairs[slot] === -1) {
            this.pairs[slot] = this.groups.length;
            this.groups.push([]);
            this.thirds.push(new Uint8Array(129));
          }
          const g = this.pairs[slot]!;
          this.groups[g]!.push(i);
          if (k.length === 2) this.thirds[g]!.fill(1);
          else for (const z of bothCases(k.charCodeAt(2))) this.thirds[g]![z] = 1;
        }
      }
    });
  }

  /** Flags, by position in `keywords`: 1 where the keyword occurs in `text`. */
  find(text: string): Uint8Array {
    const found = new Uint8Array(this.keywords.length);
    const keywords = this.keywords;
    const pairs = this.pairs;
    const groups = this.groups;
    const thirds = this.thirds;
    const last = text.length - 1;
    let next = last >= 0 ? text.charCodeAt(0) : 0;
    for (let i = 0; i < last; i++) {
      const c = next;
      next = text.charCodeAt(i + 1);
      if ((c | next) >= 128) continue;
      const g = pairs[(c << 7) | next]!;
      if (g === -1) continue;
      const third = i + 2 <= last ? Math.min(text.charCodeAt(i + 2), 128) : 128;
      if (thirds[g]![third] === 0) continue;
      const members = groups[g]!;
      for (let m = 0; m < members.length; m++) {
        const k = members[m]!;
        if (found[k] === 0 && this.occursAt(text, i, keywords[k]!)) found[k] = 1;
      }
    }
    if (this.others.length) {
      const lower = text.toLowerCase();
      for (const k of this.others) if (lower.includes(keywords[k]!)) found[k] = 1;
    }
    return found;
  }

  /** `keyword` (lower case; its first two characters already matched) starts at `at`, ignoring ASCII case. */
  private occursAt(text: string, at: number, keyword: string): boolean {
    if (at + keyword.length > text.length) return false;
    for (let j = 2; j < keyword.length; j++) if (lowerAscii(text.charCodeAt(at + j)) !== keyword.charCodeAt(j)) return false;
    return true;
  }
}
