import type { Stage } from './ref.js';

/**
 * Every kind of store, by the name `[stores.<alias>] provider = "…"` takes: the one list. The config checks
 * against it; the registry (providers/index.ts) keeps one loader per name, its keys typed by ProviderName.
 */
export const PROVIDERS = ['file', 'vault', 'aws', 'azure', 'gcp'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/**
 * The one contract every secret store implements (`src/providers/<name>.ts`).
 *
 * Names are store-side names (no alias, no #key, no @version). Values are bytes: providers must round-trip
 * any byte string, including binary and large values. Metadata is a flat string map that the provider keeps
 * in the store's own metadata (Vault custom_metadata, AWS tags, Azure tags, GCP labels/annotations); core owns
 * the `vh-` keys inside it (see metadata.ts).
 */
export interface SecretStore {
  readonly provider: string;
  readonly capabilities: StoreCapabilities;

  /** Read one version; defaults to the current one. NOT_FOUND if the secret or version does not exist. */
  get(name: string, select?: ReadSelector): Promise<SecretValue>;
  /** Create a new secret with a first current version. CONFLICT if it already exists. */
  create(name: string, value: Buffer, metadata: Metadata): Promise<WriteResult>;
  /**
   * Write a new version. `stage: 'current'` makes it current at once; `'pending'` stages it for `promote`.
   * With `expectedCurrent`, CONFLICT unless the current version is still that one (CAS / stage race).
   */
  put(name: string, value: Buffer, options: PutOptions): Promise<WriteResult>;
  /** Make `version` current; the old current becomes previous. CONFLICT if `expectedCurrent` no longer holds. */
  promote(name: string, version: string, options?: PromoteOptions): Promise<void>;
  /** Remove a pending version that was never promoted (rollback). No-op when it is gone already. */
  discardPending(name: string, version: string): Promise<void>;
  /**
   * Free a pending slot claimed with `token` whose version was never written (the process was killed between
   * the claim and the write). No-op unless the claim is still `token`'s and no version is pending. Absent where
   * `put` claims nothing before it writes.
   */
  releaseClaim?(name: string, token: string): Promise<void>;
  list(filter?: ListFilter): AsyncIterable<SecretSummary>;
  describe(name: string): Promise<SecretDescription>;
  /** Merge metadata: a `null` value removes the key. */
  setMetadata(name: string, patch: MetadataPatch): Promise<void>;
  /** Disable one version (reversible where the store allows it); without a version, the whole secret. */
  revoke(name: string, version?: string): Promise<RevokeResult>;
  /** Irreversibly delete one version, or the whole secret. */
  destroy(name: string, version?: string): Promise<void>;
  ping(): Promise<PingResult>;
  /**
   * The principal the store authenticates this process as (Vault token display name, AWS caller ARN, Azure
   * user or application, GCP service account), for the access policy's `actor = "store"` and for audit.
   * Absent, or undefined, where the store has no identity of its own (the file store).
   */
  identity?(): Promise<string | undefined>;
  close?(): Promise<void>;
}

export interface StoreCapabilities {
  /** Versions can be read by id. */
  versions: boolean;
  /** put(stage: 'pending') + promote are native (no emulation). */
  stagedWrites: boolean;
  /** put/promote honour expectedCurrent atomically. */
  compareAndSwap: boolean;
  /** A version can be disabled and stays listed. */
  revokeVersion: boolean;
  /** Largest value the store accepts, in bytes. */
  maxValueBytes: number;
  /**
   * Largest value that is not UTF-8 text, where the store has to encode such values and so takes fewer bytes of
   * them (Azure Key Vault keeps binary as base64). Absent: the same as maxValueBytes.
   */
  maxBinaryValueBytes?: number;
}

export type Metadata = Record<string, string>;

/**
 * `newest`: the caller expects `version` to be the secret's newest version (a rotation reading the version it
 * starts from, or the one it just staged). A store whose cheapest read is of the newest version may read that
 * and fall back to the named version when it is not; the answer is the same either way.
 */
export type ReadSelector = { version: string; newest?: boolean } | { stage: Stage };

/**
 * What a read saw of the secret's state beside its value, in a provider's own terms (opaque to callers). A
 * write made right after the read may be given it (`PutOptions.seen`, `PromoteOptions.seen`) in place of the
 * fresh read of the state it would otherwise make. A provider accepts one only where it proves the write's
 * preconditions (its own kind, the same secret, a state the write can start from) and reads afresh otherwise.
 * Callers pass one only within moments of the read (see the rotation engine): it narrows nothing the store's
 * own conditional write does not also check.
 */
export interface Observation {
  /** `performance.now()` when it was read. */
  readonly observedAt: number;
}

export interface SecretValue {
  value: Buffer;
  version: string;
  /** What the read saw of the secret's state, where the store can say (see Observation). */
  seen?: Observation;
}

export type MetadataPatch = Record<string, string | null>;

export interface PutOptions {
  stage: 'current' | 'pending';
  expectedCurrent?: string;
  /** Idempotency token (AWS ClientRequestToken); the rotation id. */
  token?: string;
  /** Metadata to merge with the same write where the store allows it (saves round trips). */
  metadata?: MetadataPatch;
  /** The state a read just saw (see Observation): the write may start from it instead of reading again. */
  seen?: Observation;
}

export interface PromoteOptions {
  expectedCurrent?: string;
  /** Metadata to merge with the promotion where the store allows it. */
  metadata?: MetadataPatch;
  /** The token the pending version was written with (`PutOptions.token`): its claim must still stand. */
  token?: string;
  /** The state a read just saw (see Observation): the promotion may start from it instead of reading again. */
  seen?: Observation;
}

export interface WriteResult {
  version: string;
}

export interface ListFilter {
  /** Only secrets whose metadata has all these key/value pairs. */
  metadata?: Metadata;
  prefix?: string;
}

export interface SecretSummary {
  name: string;
  metadata: Metadata;
  currentVersion: string | undefined;
  updatedAt: string | undefined;
  /** The full description, where listing read it anyway: a caller that needs it need not describe again. */
  description?: SecretDescription;
}

export type VersionState = 'enabled' | 'disabled' | 'destroyed';

export interface VersionInfo {
  version: string;
  createdAt: string | undefined;
  state: VersionState;
  stages: Stage[];
}

export interface SecretDescription {
  name: string;
  metadata: Metadata;
  createdAt: string | undefined;
  updatedAt: string | undefined;
  currentVersion: string | undefined;
  pendingVersion: string | undefined;
  versions: VersionInfo[];
  /** The whole secret is revoked (no version readable). */
  revoked: boolean;
}

export interface RevokeResult {
  revoked: string[];
}

export interface PingResult {
  reachable: boolean;
  authenticated: boolean;
  latencyMs: number;
}

/** What a provider module receives: its options from config plus shared paths. */
export interface ProviderContext {
  alias: string;
  /** VH_SECRETS_HOME (resolved), for providers that keep local state. */
  home: string;
}

/** The type of one `[stores.<alias>]` setting: `path` is a string resolved against the config file's folder. */
export type OptionType = 'string' | 'integer' | 'boolean' | 'path';

/**
 * The settings a provider takes, declared next to its options interface (`satisfies Record<keyof …, OptionType>`
 * keeps the two in step). The config loader refuses any other key, or a value of another type, naming the file
 * and line, when the store is opened.
 */
export type OptionSpec = Readonly<Record<string, OptionType>>;

export interface ProviderModule<O = Record<string, unknown>> {
  default: ProviderFactory<O>;
  options: OptionSpec;
  posture: PostureProbe<O>;
}

/** One fact about a store's security: measured (pass or fail), or why the client cannot observe it. */
export interface PostureFinding {
  status: 'pass' | 'fail' | 'not-measurable';
  detail: string;
}

/** What a store's settings tell of its security, for compliance evidence. */
export interface StorePosture {
  /** Whether secrets travel to the store over TLS, judged from its configured endpoint. */
  transport: PostureFinding;
  /** How far the client can see the store encrypt what it keeps (the file store reads its file to tell). */
  atRest(): Promise<PostureFinding>;
}

/**
 * A provider's judgement of a store from its checked settings, declared beside its options: it opens no
 * connection and loads no SDK. `environ` is where the provider's environment defaults (VAULT_ADDR, …) come from.
 */
export type PostureProbe<O> = (options: O, context: ProviderContext, environ?: NodeJS.ProcessEnv) => StorePosture;

export type ProviderFactory<O> = (options: O, context: ProviderContext) => SecretStore | Promise<SecretStore>;
