import { VhError, isVhError, type ErrorCode } from '../base/errors.js';
import { NETWORK_ERRNOS } from '../base/net.js';
import { redact } from '../base/text.js';

export { redact };

/**
 * A driver's error as a VhError naming the target: a stable code from the driver's own classification, the
 * driver's message with any credential removed (a syntax error may quote the statement), never a stack.
 */
export function targetError(err: unknown, where: string, classify: (err: Record<string, unknown>) => ErrorCode | undefined, secrets: readonly string[], unchanged = false): VhError {
  if (isVhError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const errno = typeof e.code === 'string' ? e.code : undefined;
  const code: ErrorCode = (errno && NETWORK_ERRNOS.has(errno) ? 'NETWORK' : undefined) ?? classify(e) ?? 'INTERNAL';
  const raw = typeof e.message === 'string' && e.message !== '' ? e.message : (errno ?? String(err));
  const message = redact(raw.split('\n')[0]!, secrets);
  const hint =
    code === 'NETWORK' ? 'check that the target is running and reachable (host, port, TLS)'
    : code === 'AUTH_FAILED' ? 'the credential was refused: check the user and the secret holding its password'
    : code === 'PERMISSION_DENIED' ? 'the account lacks a privilege this strategy needs (see docs/targets.md)'
    : undefined;
  // `target_unchanged`: the failure happened before anything changed at the target (it refused the connection or
  // the statement), so a rollback has nothing to undo there.
  return new VhError(code, `${where}: ${message}`, { ...(hint ? { hint } : {}), ...(unchanged ? { details: { target_unchanged: true } } : {}) });
}

/** Whether an error came from a target that did not change anything. */
export function targetUnchanged(err: unknown): boolean {
  return isVhError(err) && err.details.target_unchanged === true;
}
