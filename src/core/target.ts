/**
 * A rotation target: the system that uses a credential (a database, a cache, an operator's own hook) and must
 * accept the new value before the store promotes it. The rotation engine calls a target in the stage and
 * verify phases, on rollback, and at cleanup; every call must be idempotent, because a rotation resumed after
 * a crash repeats the phase it was in.
 */

/**
 * Every kind of rotation target, by the name `[targets.<name>] kind = "…"` takes: the one list. The config checks
 * against it; the registry (targets/index.ts) keeps one loader per kind, its keys typed by TargetKind.
 */
export const TARGET_KINDS = ['postgres', 'mysql', 'redis', 'command'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** A credential as the target sees it. `value` is the whole stored secret (a JSON object or a bare password). */
export interface Credential {
  /** The user the password belongs to: the value's `username` field, else the target's configured user. */
  username: string | undefined;
  password: string;
  value: Buffer;
}

export interface RotationTarget {
  /** The `[targets.<name>]` this was built from. */
  readonly name: string;
  readonly kind: string;
  /** Alternating users: each rotation moves the secret to the other of two users. */
  readonly alternating: boolean;
  /** The user the next credential is for: the same user, or the inactive one of an alternating pair. */
  nextUser(current: Credential): string | undefined;
  /** Stage: make `next` work at the target (single user: instead of `current`; alternating: beside it). */
  apply(current: Credential, next: Credential): Promise<void>;
  /** Verify: prove `next` works (log in with it and run a probe). */
  verify(next: Credential): Promise<void>;
  /** Rollback: leave the target accepting `current`, and `next` (about to be discarded) refused where possible. */
  rollback(current: Credential, next: Credential): Promise<void>;
  /** Cleanup after the grace period: `previous` stops working, `current` keeps working. */
  cleanup(previous: Credential, current: Credential): Promise<void>;
  /**
   * How many sessions at the target still use `previous` (superseded at `since`): those of its user where the
   * previous credential has a user of its own (alternating users), else those of the shared user opened before
   * `since`. `undefined` when the target cannot tell. Never a session's query or address, only the count.
   */
  inUse?(previous: Credential, current: Credential, since: Date): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface TargetContext {
  /** The target's name, for messages. */
  name: string;
  /** An administrative credential from the target's `admin` secret, when it has one. */
  admin: Credential | undefined;
  /** The secret being rotated (`store:name`), for messages and hook environments; never a value. */
  secret: string;
}

export type TargetFactory = (options: Record<string, unknown>, context: TargetContext) => RotationTarget;
