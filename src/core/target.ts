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
export const TARGET_KINDS = ['postgres', 'mysql', 'redis', 'command', 'aws-iam-user', 'vault-transit'] as const;
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
  /**
   * How many credentials the target can hold at once, the current one included, where that is a hard limit (an
   * IAM user's two access keys). With two, as with alternating users, a rotation that would cut a previous
   * credential still in its grace period is deferred unless --force or --emergency. Unset: no such limit.
   */
  readonly slots?: number;
  /** The user the next credential is for: the same user, or the inactive one of an alternating pair. */
  nextUser(current: Credential): string | undefined;
  /**
   * For a target whose service makes the credential itself (an AWS access key pair): makes the next one, in the
   * generate phase, instead of the type's generator, and returns the whole value to store. Making it is not
   * idempotent, and its secret exists only in the answer: the engine journals the returned `id` before the value
   * is stored, and calls `discard(id)` if it never is (killed before the pending write, a refused write, an
   * abort), so a resumed rotation never leaves an extra credential behind.
   */
  issue?(current: Credential, request: IssueRequest): Promise<IssuedCredential>;
  /** Retires what `issue` made under `id` whose value never reached the store; never `current`'s. Idempotent. */
  discard?(id: string, current: Credential): Promise<void>;
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
  /**
   * What `describe` shows of the target's own state (a transit key's versions), for a target that keeps state
   * worth showing beside the store's. Reads the target only, never the secret's value (describe needs no read
   * permission on it), and returns plain data, never a secret; rendering is the CLI's.
   */
  describe?(): Promise<TargetState>;
  close(): Promise<void>;
}

/** A target's own state as `describe` shows it. */
export interface TargetState {
  /** Label → value, in display order (`latest_version`, `min_decryption_version`, …). */
  fields: Record<string, string | number | boolean | null>;
  /** The versions the target keeps of its own, oldest first, when it versions the credential itself. */
  versions?: { version: string; created_at: string | null; state: string }[];
}

/** What a target that issues credentials (`issue`) is told. */
export interface IssueRequest {
  /**
   * Previous credentials this rotation retires anyway — their grace is over, or --force / --emergency cuts it —
   * whose slots the target may free to make room for the new one.
   */
  retiring: Credential[];
  /** `--force`: the operator accepts retiring a credential vh-secrets does not know, when there is no room. */
  force: boolean;
}

export interface IssuedCredential {
  /** The whole value to store: what the secret's readers get. */
  value: Buffer;
  /** Names the new credential at the target (an access key id), never a secret: it is journaled. */
  id: string;
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
