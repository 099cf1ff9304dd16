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
