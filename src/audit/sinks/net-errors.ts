/** Short, secret-free text for a socket / TLS / DNS failure, e.g. `connect ECONNREFUSED 127.0.0.1:9`. */
export function describeNetworkError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    // Happy-eyeballs connects (localhost → ::1 and 127.0.0.1) fail with an AggregateError whose message is empty.
    return [...new Set(err.errors.map(describeNetworkError))].join('; ');
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err.message.trim();
    if (message !== '') return message;
    return code ?? err.name;
  }
  return String(err);
}

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
