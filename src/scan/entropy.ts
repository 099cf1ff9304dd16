/** Shannon entropy in bits per character: how random a candidate secret looks. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Whether a value is one short block written again and again (`deadbeefdeadbeefdead`, `a1a1a1a1`): its smallest
 * period (from the KMP failure function, so linear in its length) is at most half its length. A random token of
 * 12 or more characters almost never is (for 20 hex digits, one time in 16^10).
 */
export function isRepetitive(text: string): boolean {
  const n = text.length;
  if (n < 4) return false;
  const fail = new Int32Array(n);
  for (let i = 1, k = 0; i < n; i++) {
    while (k > 0 && text.charCodeAt(i) !== text.charCodeAt(k)) k = fail[k - 1]!;
    if (text.charCodeAt(i) === text.charCodeAt(k)) k++;
    fail[i] = k;
  }
  return n - fail[n - 1]! <= n / 2;
}

/** The longest run of characters that step up or down by one (`123456`, `abcdef`, `fedcba`): typed, not drawn. */
export function longestSequence(text: string): number {
  let best = Math.min(text.length, 1);
  let run = 1;
  let step = 0;
  for (let i = 1; i < text.length; i++) {
    const d = text.charCodeAt(i) - text.charCodeAt(i - 1);
    if ((d === 1 || d === -1) && (run === 1 || d === step)) run++;
    else run = d === 1 || d === -1 ? 2 : 1;
    step = d;
    if (run > best) best = run;
  }
  return best;
}
