/**
 * A masked secret: a few leading characters (which for tokens name their kind, `ghp_`, `AKIA`) only when the
 * secret is long enough that they give little away, then a fixed run of `*` that hides the length too.
 */
export function maskSecret(secret: string): string {
  const keep = secret.length >= 32 ? 6 : secret.length >= 16 ? 4 : 0;
  return `${secret.slice(0, keep)}${'*'.repeat(8)}`;
}
