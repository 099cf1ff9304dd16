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

/** Letter pairs frequent in English and in code: a keyword is better found by any other pair it contains. */
const COMMON_PAIRS = new Set(
  ('th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de hi ri ro ic ne ea ' +
    'ra ce li ch ll be ma si om ur ca el ta la ns ge ly ei ac et ec ct ke pa ut ul pe tr ss un ol us id no ad sh di ac ow em ' +
    'ap pr po ex fi fo lo mo nc op pl rt so su tu ue um ag ai am av bl bu ck ct cu da do fe gr ie ig il im iv lu mp na ni ot ' +
    'pt qu rd rs ru sa sc sp sk ts ty ua ub ud ug ui up ur ut wa we wi wo ya ye yp ok').split(' '),
);

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** How often a pair of (lower-case) characters is expected in text: lower is rarer. */
function pairCost(a: number, b: number): number {
  if (isLetter(a) && isLetter(b)) return COMMON_PAIRS.has(String.fromCharCode(a, b)) ? 4 : 2;
  // Punctuation next to a letter (`e.`, `_t`, `s-`) is frequent in code; digits and two symbols are not.
  if (isLetter(a) || isLetter(b)) return (a >= 48 && a <= 57) || (b >= 48 && b <= 57) ? 1 : 3;
  return a === 32 || b === 32 ? 3 : 1;
}

/** Where in `keyword` to look it up: the start of its rarest pair (the earliest among equals). */
function anchorOf(keyword: string): number {
  let best = 0;
  let bestCost = Infinity;
  for (let o = 0; o + 1 < keyword.length; o++) {
    const cost = pairCost(keyword.charCodeAt(o), keyword.charCodeAt(o + 1));
    if (cost < bestCost) [best, bestCost] = [o, cost];
  }
  return best;
}

/**
 * Finds which of a set of keywords occur in a text, ignoring ASCII case. Each keyword is anchored on its rarest
 * pair of characters (`dp.pt.` on `p.`, `token` on `ok`): a table indexed by pairs (both cases) points at the
 * keywords anchored there, so each position costs one lookup and common pairs (`co`, `re`, `pa`) rarely lead
 * anywhere. A second table of the characters that follow each anchor drops most near misses before any
 * comparison; a keyword already found is not compared again. Keywords that do not fit the table (one character
 * long, or not ASCII) are looked for in the lower-cased text.
 */
export class KeywordIndex {
  readonly keywords: readonly string[];
  /** (char << 7 | next char) → index in `groups`, or -1. */
  private readonly pairs = new Int16Array(128 * 128).fill(-1);
  /** By group: the keywords anchored on that pair. */
  private readonly groups: number[][] = [];
  /** By keyword: the offset of its anchor pair. */
  private readonly anchors: number[] = [];
  /** At group * 129 + c: 1 when character c (128: the end of the text or not ASCII) can follow the pair in one of the
   * group's keywords. One flat array, so the check is one load. */
  private thirds = new Uint8Array(0);
  /** Keywords searched in the lower-cased text instead. */
  private readonly others: number[] = [];

  constructor(keywords: Iterable<string>) {
    this.keywords = [...new Set([...keywords].map((k) => k.toLowerCase()))];
    const thirds: Uint8Array[] = [];
    this.keywords.forEach((k, i) => {
      this.anchors.push(0);
      // eslint-disable-next-line no-control-regex
      if (k.length < 2 || !/^[\x00-\x7f]+$/.test(k)) {
        this.others.push(i);
        return;
      }
      const o = anchorOf(k);
      this.anchors[i] = o;
      const a = k.charCodeAt(o);
      const b = k.charCodeAt(o + 1);
      for (const x of bothCases(a)) {
        for (const y of bothCases(b)) {
          const slot = (x << 7) | y;
          if (this.pairs[slot] === -1) {
            this.pairs[slot] = this.groups.length;
            this.groups.push([]);
            thirds.push(new Uint8Array(129));
          }
          const g = this.pairs[slot]!;
          this.groups[g]!.push(i);
          if (o + 2 >= k.length) thirds[g]!.fill(1);
          else for (const z of bothCases(k.charCodeAt(o + 2))) thirds[g]![z] = 1;
        }
      }
    });
    this.thirds = new Uint8Array(thirds.length * 129);
    thirds.forEach((t, g) => this.thirds.set(t, g * 129));
  }

  /** Flags, by position in `keywords`: 1 where the keyword occurs in `text`. */
  find(text: string): Uint8Array {
    const found = new Uint8Array(this.keywords.length);
    const keywords = this.keywords;
    const anchors = this.anchors;
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
      if (thirds[g * 129 + third] === 0) continue;
      const members = groups[g]!;
      for (let m = 0; m < members.length; m++) {
        const k = members[m]!;
        if (found[k] === 0 && this.occursAt(text, i - anchors[k]!, keywords[k]!)) found[k] = 1;
      }
    }
    if (this.others.length) {
      const lower = text.toLowerCase();
      for (const k of this.others) if (lower.includes(keywords[k]!)) found[k] = 1;
    }
    return found;
  }

  /** `keyword` (lower case) starts at `at`, ignoring ASCII case. */
  private occursAt(text: string, at: number, keyword: string): boolean {
    if (at < 0 || at + keyword.length > text.length) return false;
    for (let j = 0; j < keyword.length; j++) if (lowerAscii(text.charCodeAt(at + j)) !== keyword.charCodeAt(j)) return false;
    return true;
  }
}
