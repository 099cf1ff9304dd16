/**
 * Text that came from outside (a ref typed by a user, a file name, a server's message) made safe to print on
 * one terminal line: control characters — newlines, carriage returns, ESC sequences, C1 controls, the bidi
 * overrides — are shown as escapes instead of acting. A message can then never forge a line of its own nor
 * recolour or move the terminal's cursor.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

export function oneLine(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** The candidate a mistyped word was most likely meant to be (edit distance at most 2, or a shared prefix), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.min(2, Math.max(1, Math.floor(best.length / 3))) ? best : undefined;
}

/** Damerau–Levenshtein distance (adjacent transpositions count once), two rows at a time. */
function distance(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

const globCache = new Map<string, RegExp>();

/** `*` matches within one `/`-separated segment, `**` across segments, `?` one character; the rest is literal. */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      src += '.*';
      i++;
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else src += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`, 's');
  globCache.set(glob, re);
  return re;
}

export function matchGlob(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}

/** Removes every occurrence of the given values (and their obvious encodings) from a message. */
export function redact(message: string, values: readonly string[]): string {
  let out = message;
  for (const v of values) {
    if (v.length < 4) continue;
    for (const form of [v, JSON.stringify(v).slice(1, -1), v.replace(/'/g, "''")]) out = out.split(form).join('[REDACTED]');
  }
  return out;
}
