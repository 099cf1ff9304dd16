/**
 * Replaces every configured header value (tokens) in a message. Node's own errors never quote header values;
 * this is the belt to that pair of braces, because a collector's error body may echo a request back.
 */
export function redactor(values: string[]): (message: string) => string {
  const secrets = values.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
  return (message) => {
    let out = message;
    for (const s of secrets) {
      out = out.split(s).join('[redacted]');
      // A bearer token is often echoed without its scheme.
      const bare = s.replace(/^(Bearer|Basic|Token)\s+/i, '');
      if (bare !== s && bare.length >= 4) out = out.split(bare).join('[redacted]');
    }
    return out;
  };
}
