/**
 * Socket and DNS error codes (`err.code` as node:net, node:dns and the drivers on them set it), kept here once
 * so that every store, target and sink counts the same failures as the network's.
 */

/** The peer could not be reached, or the connection to it broke: a NETWORK failure, whoever raised it. */
export const NETWORK_ERRNOS: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Those of them raised before a request reached the peer (connection refused, name or route not found): a write
 * that failed so was certainly not carried out, and may be sent again (see retry.ts).
 */
export const NOT_SENT_ERRNOS: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

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
