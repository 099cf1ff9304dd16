import zlib from 'node:zlib';
/**
 * Fake credentials for tests, assembled at run time so the repository itself holds nothing a scanner would
 * flag (`vh-secrets scan --path .` on this repository must stay clean). Deterministic: the same seed gives
 * the same values, so a failing test is reproducible.
 */
let state = 0x2545f491;

export function reseed(seed: number): void {
  state = seed >>> 0 || 1;
}

function next(): number {
  // xorshift32
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state;
}

export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const DIGITS = '0123456789';
export const ALNUM = UPPER + LOWER + DIGITS;
export const HEX = '0123456789abcdef';
export const B64 = `${ALNUM}+/`;

export function rand(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[next() % alphabet.length];
  return s;
}

/** Joins parts; written as a function so that prefixes never sit next to their bodies in the source. */
export const cat = (...parts: string[]): string => parts.join('');

/**
 * A token body as GitHub and npm issue them (github.blog, 2021-04-05 and 2021-09-23): 30 random base62
 * characters and their CRC32 (zlib's) in 6 base62 digits, 0-9 A-Z a-z, zero-padded. Computed here from the
 * published format, not with the scanner's code.
 */
export function checksummed(random = rand(ALNUM, 30)): string {
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let n = zlib.crc32(random);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = digits[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return random + out;
}

export const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export const fake = {
  awsKeyId: () => cat('AK', 'IA', rand('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)),
  awsSecret: () => rand(B64, 40),
  githubPat: () => cat('gh', 'p_', checksummed()),
  slackBot: () => cat('xo', 'xb-', rand(DIGITS, 12), '-', rand(DIGITS, 13), '-', rand(ALNUM, 24)),
  stripeLive: () => cat('sk', '_live_', rand(ALNUM, 24)),
  jwt: () => cat(b64url({ alg: 'HS256', typ: 'JWT' }), '.', b64url({ sub: rand(DIGITS, 8), name: 'svc', iat: 1700000000 }), '.', rand(`${ALNUM}_-`, 43)),
  pemBody: () => Array.from({ length: 4 }, () => rand(B64, 64)).join('\n'),
  password: () => cat(rand(UPPER, 2), rand(LOWER, 4), rand(DIGITS, 3), '#', rand(ALNUM, 6)),
};

export function privateKey(kind = 'RSA '): string {
  return cat('-----BEGIN ', kind, 'PRIV', 'ATE KEY-----\n', 'MIIE', fake.pemBody(), '\n-----END ', kind, 'PRIV', 'ATE KEY-----\n');
}
