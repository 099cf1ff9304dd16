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

/**
 * Drawn rather than typed: not one short block repeated (`a1b2a1b2…`) and no run of six characters stepping by
 * one (`123456`, `abcdef`). Rules whose values are short (16–20 characters) hold them to this instead of a high
 * entropy floor, which short random values miss by chance.
 */
export function looksDrawn(secret: string): boolean {
  return !isRepetitive(secret) && longestSequence(secret) < 6;
}

/**
 * The words of a value: runs of letters, split where camelCase starts a new word (`myFakeKEYValue` → my Fake KEY
 * Value; `UVinsert` → U Vinsert). Linear: the lookahead only ever backs off within one run of capitals.
 */
export const CAMEL_WORD = /[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+/g;

/**
 * Letter pairs common inside the words of identifiers, as first letter then the letters that follow it: each
 * pair that makes up at least 1 in 2,000 of the pairs inside the camelCase words of 20,000 identifiers from
 * JavaScript, TypeScript and Go sources (253 of the 676).
 */
const COMMON_PAIRS = new Set(
  'abcdfgiklmnprstuvxy baeijlorsuy cacehiklortuy dadeilorsuy eabcdefglmnopqrstvwxy faefilortu geilnorsu haeimort iabcdefglmnoprstvxz jes ke ladeilostuvy mabeimopsu nacdefgikmnostuv oabcdfgiklmnoprstuvw padeiloprstu qu racdefgiklmnorstuvy sacehilopstuy tacehioprstuy uabcefgilmnprst vaei waeinor xpt ynpst ze'
    .split(' ')
    .flatMap((row) => [...row.slice(1)].map((second) => row[0]! + second)),
);

/**
 * Random letters rather than an identifier: a random token with no digit in it (one 20-character base62 token
 * in 34 has none). Inside the camelCase words of an identifier (`DefaultAzureCredential`) nearly every pair of
 * letters is a common one; in random letters (`wUXRkLJeocAsMocCQErF`) about six in ten are rare. Of 20,143 other
 * words of 16+ letters of both cases from the same sources, 89 are taken for random, most of them base64
 * fragments; of random letter strings, 94 % (16 letters), 96 % (20) and 99.5 % (40) are.
 */
export function randomLetters(secret: string): boolean {
  if (secret.length < 16 || !/[a-z]/.test(secret) || !/[A-Z]/.test(secret)) return false;
  let pairs = 0;
  let rare = 0;
  for (const w of secret.match(CAMEL_WORD) ?? []) {
    const word = w.toLowerCase();
    for (let i = 1; i < word.length; i++) {
      pairs++;
      if (!COMMON_PAIRS.has(word.slice(i - 1, i + 1))) rare++;
    }
  }
  return rare >= 2 && rare * 100 >= pairs * 34 && shannonEntropy(secret) >= 3.0 && looksDrawn(secret);
}

/**
 * Alphanumerics as a vendor draws them: a digit and a letter, or random letters with no digit (one 16-character
 * token in 17 has none, one 24-character token in 68). Rules that used to require a digit use this instead.
 */
export function drawnAlphanumerics(secret: string): boolean {
  return /\d/.test(secret) ? /[A-Za-z]/.test(secret) : randomLetters(secret);
}
