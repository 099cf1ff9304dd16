import { formatDuration, race } from '../base/deadline.js';
import { VhError, isVhError } from '../base/errors.js';
import type { Credential } from '../core/target.js';

/**
 * The statements of one open session, within `ms` (the target's connect_timeout_ms): a server that stops answering
 * mid-session (frozen, failing over) fails them as NETWORK, and `abandon` drops the connection, which must then not
 * be closed politely (a goodbye queued behind a statement that never ends would wait for ever). A statement may
 * have run before the server stopped answering, so this is never a clean refusal.
 */
export function withinDeadline<T>(work: Promise<T>, ms: number, where: string, abandon: () => void): Promise<T> {
  return race(work, ms, () => {
    abandon();
    return new VhError('NETWORK', `${where}: no answer within ${formatDuration(ms)}`, { hint: 'check that the target is up and not overloaded; if it is only slow, raise connect_timeout_ms' });
  });
}

/** Connects as `user` with `password`; throws a VhError (AUTH_FAILED when the password is refused). */
export type Connect<C> = (user: string, password: string) => Promise<C>;

const refused = (err: unknown) => isVhError(err) && err.code === 'AUTH_FAILED';

/**
 * An administrative session: as the admin credential when the target has one, else as the first candidate
 * whose password the target accepts (a repeated stage after a crash finds the new password already in place).
 */
export async function openSession<C>(
  connect: Connect<C>,
  admin: Credential | undefined,
  adminDefault: string,
  candidates: Credential[],
  userOf: (c: Credential) => string,
): Promise<{ conn: C; user: string; self: boolean }> {
  if (admin) {
    const user = admin.username ?? adminDefault;
    return { conn: await connect(user, admin.password), user, self: false };
  }
  let last: unknown;
  for (const c of candidates) {
    try {
      const user = userOf(c);
      return { conn: await connect(user, c.password), user, self: true };
    } catch (err) {
      last = err;
      if (!refused(err)) throw err;
    }
  }
  throw last;
}

/** Whether the target accepts the credential: true, false when it refuses the password; other errors throw. */
export async function logsIn<C>(connect: Connect<C>, user: string, password: string, close: (conn: C) => Promise<void>): Promise<boolean> {
  try {
    await close(await connect(user, password));
    return true;
  } catch (err) {
    if (refused(err)) return false;
    throw err;
  }
}
