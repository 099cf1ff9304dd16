import { readFileSync, promises as fs } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { VhError, type ErrorCode } from '../base/errors.js';
import { NETWORK_ERRNOS } from '../base/net.js';
import { withRetry, writeOnce, type WriteOnceOptions } from '../base/retry.js';
import type { Stage } from '../core/ref.js';
import type {
  ListFilter,
  Metadata,
  Observation,
  PromoteOptions,
  PingResult,
  PutOptions,
  ReadSelector,
  RevokeResult,
  SecretDescription,
  SecretStore,
  SecretSummary,
  SecretValue,
  VersionInfo,
  OptionType,
  PostureProbe,
} from '../core/store.js';
import { NOT_SENT_ERRNOS, defineProvider, applyPatch, httpsPosture, matchesFilter, noAnswer, requestTimeoutMs } from './shared.js';

/** `[stores.<alias>] provider = "vault"` — HashiCorp Vault or OpenBao, KV version 2. */
export interface VaultStoreOptions {
  /** @default $VAULT_ADDR, else http://127.0.0.1:8200 */
  address?: string;
  /**
   * Written here it wins over every login method; $VAULT_TOKEN, the fallback, is used only when no login method
   * (AppRole, Kubernetes) is configured. @default $VAULT_TOKEN
   */
  token?: string;
  /** Enterprise / OpenBao namespace. @default $VAULT_NAMESPACE */
  namespace?: string;
  /** PEM file of the CA that signs the server certificate. @default $VAULT_CACERT */
  ca_cert?: string;
  /** KV v2 mount. @default "secret" */
  mount?: string;
  /** AppRole login instead of a token. @default $VAULT_ROLE_ID / $VAULT_SECRET_ID */
  role_id?: string;
  secret_id?: string;
  /** @default "approle" */
  approle_path?: string;
  /** Kubernetes auth: the Vault role to log in as with the pod's service-account token. @default $VAULT_ROLE */
  kubernetes_role?: string;
  /** The service-account token (a JWT), read at login. @default /var/run/secrets/kubernetes.io/serviceaccount/token */
  kubernetes_token_file?: string;
  /** Mount path of the Kubernetes auth method. @default "kubernetes" */
  kubernetes_path?: string;
  /** Deadline of one request. @default $VH_SECRETS_TIMEOUT, else 15000 */
  timeout_ms?: number;
}

/** The `[stores.<alias>]` settings this provider takes (anything else is refused when the store is opened). */
export const options = { address: 'string', token: 'string', namespace: 'string', ca_cert: 'path', mount: 'string', role_id: 'string', secret_id: 'string', approle_path: 'string', kubernetes_role: 'string', kubernetes_token_file: 'path', kubernetes_path: 'string', timeout_ms: 'integer' } as const satisfies Record<keyof Required<VaultStoreOptions>, OptionType>;

export const DEFAULT_KUBERNETES_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** How a store authenticates: the first that applies (docs/providers.md, "Authentication"). */
export type VaultAuth =
  | { method: 'token'; token: string }
  | { method: 'approle'; roleId: string; secretId: string | undefined; path: string }
  | { method: 'kubernetes'; role: string; tokenFile: string; path: string }
  | { method: 'none' };

const given = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/**
 * A token written in the store's settings; else AppRole (`role_id` or $VAULT_ROLE_ID); else Kubernetes
 * (`kubernetes_role` or $VAULT_ROLE); else $VAULT_TOKEN. An empty value (`${VAULT_TOKEN:-}`) counts as unset.
 */
export function vaultAuth(options: VaultStoreOptions, environ: NodeJS.ProcessEnv): VaultAuth {
  const token = given(options.token);
  if (token) return { method: 'token', token };
  const roleId = given(options.role_id) ?? given(environ.VAULT_ROLE_ID);
  if (roleId) return { method: 'approle', roleId, secretId: given(options.secret_id) ?? given(environ.VAULT_SECRET_ID), path: trimPath(options.approle_path ?? 'approle') };
  const role = given(options.kubernetes_role) ?? given(environ.VAULT_ROLE);
  if (role) return { method: 'kubernetes', role, tokenFile: given(options.kubernetes_token_file) ?? DEFAULT_KUBERNETES_TOKEN_FILE, path: trimPath(options.kubernetes_path ?? 'kubernetes') };
  const envToken = given(environ.VAULT_TOKEN);
  return envToken ? { method: 'token', token: envToken } : { method: 'none' };
}

const trimPath = (p: string): string => p.replace(/^\/+|\/+$/g, '');

function addressOf(options: VaultStoreOptions, environ: NodeJS.ProcessEnv): string {
  return options.address ?? environ.VAULT_ADDR ?? 'http://127.0.0.1:8200';
}

export const posture: PostureProbe<VaultStoreOptions> = (options, _context, environ = process.env) => ({
  transport: httpsPosture(addressOf(options, environ), 'address'),
  atRest: async () => ({ status: 'not-measurable', detail: 'Vault/OpenBao encrypt all storage behind their barrier by design; the client cannot observe the storage backend' }),
});

/** custom_metadata keys the provider keeps for staging; hidden from the metadata it reports. */
const PIN = 'vh-stage-current';
const PENDING = 'vh-stage-pending';
const PREVIOUS = 'vh-stage-previous';
const TOKEN = 'vh-stage-token';
const REVOKED = 'vh-revoked';
/** The version a rollback wrote as Vault's latest: a copy of the (pinned) current value. */
const RESTORED = 'vh-stage-restored';
const INTERNAL = new Set([PIN, PENDING, PREVIOUS, TOKEN, REVOKED, RESTORED]);
/**
 * A rotation's claim on the pending slot, one key per rotation (`vh-stage-claim-<hash of its token>`), holding
 * the version it read as current. Keys of their own, so that a claim made from a stale read never overwrites
 * another rotation's claim nor a promotion's pin (see pinOf).
 */
const CLAIM = 'vh-stage-claim-';
const claimKey = (token: string): string => `${CLAIM}${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
const isInternal = (key: string): boolean => INTERNAL.has(key) || key.startsWith(CLAIM);

interface VaultVersionMeta {
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

interface VaultMetadata {
  created_time: string;
  updated_time: string;
  current_version: number;
  custom_metadata: Record<string, string> | null;
  versions: Record<string, VaultVersionMeta>;
}

interface VaultRead {
  data: Record<string, unknown> | null;
  metadata: { version: number; created_time: string; deletion_time: string; destroyed: boolean; custom_metadata: Record<string, string> | null };
}

interface VaultClient {
  token?: string;
  /** `timeout` goes to each request: node-vault applies its `requestOptions` only to its own verbs, never to `request`. */
  request(options: { path: string; method: string; json?: unknown; headers?: Record<string, string>; timeout: number }): Promise<{ data?: unknown; auth?: { client_token?: string } } | undefined>;
}

/** axios (under node-vault) aborting a request at its `timeout`. */
function timedOut(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT') && /timeout/i.test(e.message ?? '');
}

/** Network-level failures worth retrying: the socket errnos, and the codes axios (under node-vault) gives an aborted or timed-out request. */
const NETWORK_CODES: ReadonlySet<string> = new Set([...NETWORK_ERRNOS, 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/** Maps node-vault / axios failures to the shared codes. Never carries the request (it may hold a value). */
export function mapVaultError(err: unknown, address: string, what: string): VhError {
  const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
  const message = (err as { message?: string }).message ?? String(err);
  const errno = (err as { code?: string }).code;
  const make = (code: ErrorCode, text: string, hint?: string, applied?: false) =>
    new VhError(code, `vault ${address}: ${what}: ${text}`, { ...(hint ? { hint } : {}), ...(applied === false ? { details: { applied } } : {}) });
  if (status === undefined) {
    if (errno && NETWORK_CODES.has(errno)) return make('NETWORK', `cannot reach the server (${errno})`, 'check VAULT_ADDR and that the server is up and unsealed', NOT_SENT_ERRNOS.has(errno) ? false : undefined);
    if (/certificate|self[- ]signed|SSL|TLS/i.test(message)) return make('NETWORK', `TLS failure (${errno ?? message})`, 'set VAULT_CACERT (or ca_cert) to the CA that signed the server certificate');
    return make('NETWORK', message);
  }
  if (status === 400 && /check-and-set/i.test(message)) return make('CONFLICT', 'the secret changed concurrently (check-and-set mismatch)', 'read it again and retry');
  if (status === 400) return make('INVALID_FORMAT', message);
  if (status === 401 || status === 403) {
    if (/invalid token|permission denied|missing client token/i.test(message) && /token/i.test(message)) {
      return make('AUTH_FAILED', message, 'the token is invalid or expired: run `vault login` (or `bao login`) or set VAULT_TOKEN');
    }
    return make('PERMISSION_DENIED', message, 'the token is invalid or expired, or its policy does not allow this path: run `vault login` or set VAULT_TOKEN; see docs/providers.md for the minimal policy');
  }
  if (status === 404) return make('NOT_FOUND', 'not found');
  if (status === 412) return make('CONFLICT', message);
  if (status === 429) return make('THROTTLED', 'rate limited (429)', undefined, false);
  if (status >= 500) return make('NETWORK', `server error ${status}${status === 503 ? ' (sealed or standby)' : ''}: ${message}`);
  return make('INTERNAL', `unexpected status ${status}: ${message}`);
}

/** The pod's service-account token: read at each login, never logged or quoted; only its file is named. */
async function readServiceAccountToken(file: string, address: string): Promise<string> {
  let jwt: string;
  try {
    jwt = (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code})`;
    throw new VhError('AUTH_FAILED', `vault ${address}: Kubernetes login: the service-account token file ${file} ${why}`, {
      hint: 'run inside a pod with a mounted service-account token, or set kubernetes_token_file',
    });
  }
  if (jwt === '') throw new VhError('AUTH_FAILED', `vault ${address}: Kubernetes login: the service-account token file ${file} is empty`);
  return jwt;
}

/**
 * A refused Kubernetes login (a role the method does not know, a JWT the TokenReview did not accept, a service
 * account the role is not bound to) is AUTH_FAILED; the server's words are kept, the JWT is cut from them.
 */
function kubernetesLoginError(err: unknown, address: string, what: string, jwt: string): VhError {
  const scrub = (text: string) => text.split(jwt).join('<service-account token>');
  const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
  if (status === 404) return new VhError('AUTH_FAILED', `vault ${address}: ${what}: no Kubernetes auth method is mounted there`, { hint: 'set kubernetes_path to the mount path of the Kubernetes auth method' });
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    const said = scrub(((err as { message?: string }).message ?? `status ${status}`).replace(/\s+/g, ' ').trim());
    return new VhError('AUTH_FAILED', `vault ${address}: ${what}: refused: ${said}`, {
      hint: 'check kubernetes_path (where the Kubernetes auth method is mounted), and that the role exists there and is bound to this service account and namespace',
    });
  }
  const mapped = mapVaultError(err, address, what);
  const message = scrub(mapped.message);
  return message === mapped.message ? mapped : new VhError(mapped.code, message, { ...(mapped.hint ? { hint: mapped.hint } : {}) });
}

/**
 * Vault stores a map per version. A value that is canonical JSON with string fields — compact, keys in the
 * sorted order Vault hands maps back in — is stored as that map (so `vault kv get -field=password` works);
 * anything else as {value} or, when not UTF-8, {value_base64}, so that every value reads back byte for byte.
 */
export function encodeValue(value: Buffer): Record<string, string> {
  const text = value.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(value)) return { value_base64: value.toString('base64') };
  try {
    const parsed = JSON.parse(text) as unknown;
    if (
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) &&
      Object.values(parsed).every((v) => typeof v === 'string') &&
      JSON.stringify(parsed, Object.keys(parsed).sort()) === text
    ) {
      const keys = Object.keys(parsed);
      if (keys.length > 0 && !(keys.length === 1 && (keys[0] === 'value' || keys[0] === 'value_base64'))) return parsed as Record<string, string>;
    }
  } catch {
    // not JSON: stored as {value}
  }
  return { value: text };
}

export function decodeValue(data: Record<string, unknown>): Buffer {
  const keys = Object.keys(data);
  if (keys.length === 1 && typeof data.value === 'string') return Buffer.from(data.value, 'utf8');
  if (keys.length === 1 && typeof data.value_base64 === 'string') return Buffer.from(data.value_base64, 'base64');
  return Buffer.from(JSON.stringify(data));
}

function encodePath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

function isDeleted(v: VaultVersionMeta | undefined): boolean {
  return !v || v.destroyed || (v.deletion_time !== '' && v.deletion_time !== undefined);
}

/**
 * What a read of a version's data saw of the secret (see Observation): its custom metadata and its newest
 * version. Vault answers a data read with both, so a rotation's own reads can stand in for the metadata reads
 * its claim and its promotion would otherwise make.
 */
class VaultView implements Observation {
  readonly observedAt = performance.now();
  constructor(
    readonly name: string,
    readonly custom: Readonly<Record<string, string>>,
    readonly latest: number,
  ) {}
}

class VaultStore implements SecretStore {
  readonly provider = 'vault';
  readonly capabilities = {
    versions: true,
    stagedWrites: true,
    compareAndSwap: true,
    revokeVersion: true,
    // KV v2 has no hard value cap short of the 32 MiB request limit; keep values sane.
    maxValueBytes: 1024 * 1024,
  };

  private client: VaultClient | undefined;
  private loggingIn: Promise<void> | undefined;
  private readonly address: string;
  private readonly mount: string;
  /** The deadline of each request (connect included). */
  private readonly timeoutMs: number;

  constructor(private readonly options: VaultStoreOptions) {
    this.timeoutMs = requestTimeoutMs(options.timeout_ms);
    this.address = addressOf(options, process.env).replace(/\/$/, '');
    this.mount = (options.mount ?? 'secret').replace(/^\/|\/$/g, '');
  }

  private async connect(): Promise<VaultClient> {
    if (this.client) return this.client;
    const { default: makeVault } = await import('node-vault');
    const caFile = this.options.ca_cert ?? process.env.VAULT_CACERT;
    let ca: Buffer | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile);
      } catch {
        throw new VhError('CONFIG', `cannot read the Vault CA certificate ${caFile}`, { hint: 'fix VAULT_CACERT / ca_cert' });
      }
    }
    const namespace = this.options.namespace ?? process.env.VAULT_NAMESPACE;
    const auth = vaultAuth(this.options, process.env);
    const token = auth.method === 'token' ? auth.token : undefined;
    const client = makeVault({
      apiVersion: 'v1',
      endpoint: this.address,
      // node-vault's own debug output prints request bodies (secret values): never let it speak.
      debug: () => undefined,
      ...(namespace ? { namespace } : {}),
      ...(token ? { token } : {}),
      ...(ca ? { requestOptions: { ca } } : {}),
    }) as unknown as VaultClient;
    this.client = client;
    return client;
  }

  private async login(client: VaultClient): Promise<void> {
    const auth = vaultAuth(this.options, process.env);
    if (auth.method === 'none') {
      throw new VhError('AUTH_FAILED', `vault ${this.address}: no token`, { hint: 'set VAULT_TOKEN, run `vault login`, configure AppRole (role_id / secret_id), or Kubernetes auth (VAULT_ROLE / kubernetes_role)' });
    }
    if (auth.method === 'token') return;
    let what: string;
    let path: string;
    let body: Record<string, string>;
    let secret: string | undefined;
    if (auth.method === 'approle') {
      what = 'AppRole login';
      path = auth.path;
      body = { role_id: auth.roleId, ...(auth.secretId ? { secret_id: auth.secretId } : {}) };
    } else {
      what = `Kubernetes login as role "${auth.role}" (auth/${auth.path})`;
      path = auth.path;
      secret = await readServiceAccountToken(auth.tokenFile, this.address);
      body = { role: auth.role, jwt: secret };
    }
    const res = await withRetry(() =>
      client.request({ path: `/auth/${path}/login`, method: 'POST', json: body, timeout: this.timeoutMs })
        .catch((e: unknown) => {
          if (timedOut(e)) throw noAnswer(`vault ${this.address}`, what, this.timeoutMs);
          throw auth.method === 'kubernetes' ? kubernetesLoginError(e, this.address, what, secret!) : mapVaultError(e, this.address, what);
        }),
    );
    const tok = res?.auth?.client_token;
    if (!tok) throw new VhError('AUTH_FAILED', `vault ${this.address}: ${what} returned no token`);
    client.token = tok;
  }

  /**
   * One request. Reads and idempotent writes (metadata merge patches, soft delete and destroy of named versions)
   * are retried; a data write (a new version, conditional on `cas`) passes `write` and is reconciled instead.
   */
  private async call<T>(what: string, method: string, path: string, json?: unknown, write?: WriteOnceOptions<T>): Promise<T> {
    const client = await this.connect();
    this.loggingIn ??= this.login(client);
    await this.loggingIn;
    const headers = method === 'PATCH' ? { headers: { 'Content-Type': 'application/merge-patch+json' } } : {};
    const once = async (): Promise<T> => {
      try {
        return (await client.request({ path, method, ...headers, ...(json !== undefined ? { json } : {}), timeout: this.timeoutMs })) as T;
      } catch (err) {
        throw timedOut(err) ? noAnswer(`vault ${this.address}`, what, this.timeoutMs) : mapVaultError(err, this.address, what);
      }
    };
    return write ? writeOnce(once, write) : withRetry(once);
  }

  /**
   * Writes `value` as the version after `cas`. Asked after an ambiguous failure, the store answers from the
   * version `cas + 1`: ours if it holds exactly these bytes (a value is not written twice by anyone else), another
   * writer's otherwise (CONFLICT), and not written yet when it does not exist.
   */
  private async writeData(what: string, name: string, value: Buffer, cas: number): Promise<string> {
    const res = await this.call<{ data: { version: number } }>(what, 'POST', this.dataPath(name), { options: { cas }, data: encodeValue(value) }, {
      reconcile: async () => {
        let md: VaultMetadata;
        try {
          md = await this.readMeta(name);
        } catch (err) {
          if ((err as VhError).code === 'NOT_FOUND' && cas === 0) return undefined;
          throw err;
        }
        if (md.current_version <= cas) return undefined;
        const mine = await this.readVersion(name, String(cas + 1)).then((v) => v.value.equals(value), () => false);
        if (!mine) throw new VhError('CONFLICT', `"${name}" was written concurrently (version ${cas + 1} is not ours)`);
        return { data: { version: cas + 1 } };
      },
    });
    return String(res.data.version);
  }

  private dataPath(name: string, version?: string): string {
    return `/${this.mount}/data/${encodePath(name)}${version ? `?version=${encodeURIComponent(version)}` : ''}`;
  }

  private metaPath(name: string): string {
    return `/${this.mount}/metadata/${encodePath(name)}`;
  }

  private async readMeta(name: string): Promise<VaultMetadata> {
    try {
      const res = await this.call<{ data: VaultMetadata }>(`read metadata of ${name}`, 'GET', this.metaPath(name));
      return res.data;
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') throw new VhError('NOT_FOUND', `secret "${name}" not found in vault ${this.address} (mount ${this.mount})`);
      throw err;
    }
  }

  /**
   * A JSON merge patch of custom_metadata: only the keys named change, so a writer holding an older snapshot
   * never puts back keys another writer has changed since.
   */
  private async writeCustom(name: string, md: VaultMetadata, patch: Record<string, string | null>): Promise<void> {
    await this.patchCustom(name, patch);
    md.custom_metadata = applyPatch({ ...(md.custom_metadata ?? {}) }, patch);
  }

  private async patchCustom(name: string, patch: Record<string, string | null>): Promise<void> {
    await this.call(`write metadata of ${name}`, 'PATCH', this.metaPath(name), { custom_metadata: patch });
  }

  /** `seen` when it is a view of `name` this store made. */
  private static viewOf(name: string, seen: Observation | undefined): VaultView | undefined {
    return seen instanceof VaultView && seen.name === name ? seen : undefined;
  }

  /** The newest version's data, with what it says of the secret; undefined where the newest is not readable. */
  private async readNewest(name: string): Promise<VaultRead | undefined> {
    try {
      const res = await this.call<{ data: VaultRead }>(`read ${name}`, 'GET', this.dataPath(name));
      return res.data.data ? res.data : undefined;
    } catch (err) {
      if ((err as VhError).code !== 'NOT_FOUND') throw err;
      return undefined;
    }
  }

  private static valueOf(name: string, read: VaultRead): SecretValue {
    return { value: decodeValue(read.data!), version: String(read.metadata.version), seen: new VaultView(name, read.metadata.custom_metadata ?? {}, read.metadata.version) };
  }

  /**
   * The version vh-secrets holds current where Vault's latest may not be: the highest of the pin a promotion
   * wrote and the versions claims name. A claim made from a stale read names an older version than the truth,
   * so the highest is the one that stands.
   */
  private static pinOf(custom: Readonly<Record<string, string>>): string | undefined {
    let best: number | undefined;
    for (const [k, v] of Object.entries(custom)) if ((k === PIN || k.startsWith(CLAIM)) && /^\d+$/.test(v)) best = Math.max(best ?? 0, Number(v));
    return best === undefined ? undefined : String(best);
  }

  /** Whether a rotation holds the pending slot: a claim (or the token and pending keys earlier releases wrote). */
  private static inFlight(custom: Readonly<Record<string, string>>): boolean {
    return custom[PENDING] !== undefined || custom[TOKEN] !== undefined || Object.keys(custom).some((k) => k.startsWith(CLAIM));
  }

  /**
   * Whether Vault's latest version `latest` is also vh-secrets' current one, by what custom_metadata says: no pin,
   * the pin on it, or a newer version written while no rotation held the slot (a plain `vault kv put`: current,
   * as Vault says) that is not a rollback's restore copy.
   */
  private static latestIsCurrent(custom: Readonly<Record<string, string>>, latest: string): boolean {
    const pin = VaultStore.pinOf(custom);
    return !pin || pin === latest || (Number(latest) > Number(pin) && custom[RESTORED] !== latest && !VaultStore.inFlight(custom));
  }

  private static currentOf(md: VaultMetadata): string | undefined {
    const custom = md.custom_metadata ?? {};
    const latest = String(md.current_version);
    const latestLive = !isDeleted(md.versions[latest]);
    if (latestLive && VaultStore.latestIsCurrent(custom, latest)) return latest;
    const pin = VaultStore.pinOf(custom);
    if (pin && !isDeleted(md.versions[pin])) return pin;
    return latestLive ? latest : undefined;
  }

  private static stageVersion(md: VaultMetadata, stage: Stage): string | undefined {
    if (stage === 'current') return VaultStore.currentOf(md);
    const custom = md.custom_metadata ?? {};
    const v = custom[stage === 'pending' ? PENDING : PREVIOUS];
    if (v && !isDeleted(md.versions[v])) return v;
    if (stage !== 'pending') return undefined;
    // A version newer than the pinned current one, written while a rotation holds the slot, that no stage names:
    // a staged write whose bookkeeping never landed (answer lost, process killed). Pending, never current, until
    // verified and promoted or discarded.
    const latest = String(md.current_version);
    const pin = VaultStore.pinOf(custom);
    return pin && Number(latest) > Number(pin) && custom[RESTORED] !== latest && VaultStore.inFlight(custom) && !isDeleted(md.versions[latest]) ? latest : undefined;
  }

  /** Deletes every claim `custom` names (a promotion or a discard ends them all: the slot is settled). */
  private static endClaims(custom: Readonly<Record<string, string>>): Record<string, null> {
    const out: Record<string, null> = {};
    for (const k of Object.keys(custom)) if (k.startsWith(CLAIM)) out[k] = null;
    return out;
  }

  private static publicMeta(custom: Record<string, string> | null): Metadata {
    const out: Metadata = {};
    for (const [k, v] of Object.entries(custom ?? {})) if (!isInternal(k)) out[k] = v;
    return out;
  }

  private async readVersion(name: string, version: string): Promise<SecretValue> {
    let res: { data: VaultRead };
    try {
      res = await this.call<{ data: VaultRead }>(`read ${name}@${version}`, 'GET', this.dataPath(name, version));
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') throw new VhError('NOT_FOUND', `version ${version} of "${name}" not found, revoked or destroyed`);
      throw err;
    }
    if (!res.data.data) throw new VhError('NOT_FOUND', `version ${version} of "${name}" is revoked or destroyed`);
    return { value: decodeValue(res.data.data), version: String(res.data.metadata.version) };
  }

  async get(name: string, select: ReadSelector = { stage: 'current' }): Promise<SecretValue> {
    if ('version' in select) {
      if (!/^\d+$/.test(select.version)) throw new VhError('NOT_FOUND', `version ${select.version} of "${name}" not found (Vault versions are numbers)`);
      if (select.newest) {
        // Read as the newest, the answer also says what the secret's metadata is now (see VaultView).
        const read = await this.readNewest(name);
        if (read && String(read.metadata.version) === select.version) return VaultStore.valueOf(name, read);
      }
      return this.readVersion(name, select.version);
    }
    if (select.stage === 'current') {
      // One round trip in the usual case: the latest version carries custom_metadata, including any pin.
      const read = await this.readNewest(name);
      if (read && VaultStore.latestIsCurrent(read.metadata.custom_metadata ?? {}, String(read.metadata.version))) return VaultStore.valueOf(name, read);
    }
    const md = await this.readMeta(name);
    const version = VaultStore.stageVersion(md, select.stage);
    if (!version) throw new VhError('NOT_FOUND', `"${name}" has no readable ${select.stage} version${md.custom_metadata?.[REVOKED] === 'true' ? ' (revoked)' : ''}`);
    return this.readVersion(name, version);
  }

  async create(name: string, value: Buffer, metadata: Metadata): Promise<{ version: string }> {
    // cas=0: write only if the path has no version yet — an atomic create.
    let version: string;
    try {
      version = await this.writeData(`create ${name}`, name, value, 0);
    } catch (err) {
      if ((err as VhError).code === 'CONFLICT') throw new VhError('CONFLICT', `secret "${name}" already exists in vault ${this.address}`, { hint: 'rotate it, or choose another name' });
      throw err;
    }
    if (Object.keys(metadata).length > 0) {
      await this.call(`write metadata of ${name}`, 'POST', this.metaPath(name), { custom_metadata: metadata });
    }
    return { version };
  }

  async put(name: string, value: Buffer, options: PutOptions): Promise<{ version: string }> {
    // A rotation's read of the version it starts from, just made, stands in for the metadata read when it shows
    // the plain state a claim starts from: that version newest and current, and no rotation holding the slot.
    // It proves no more than the read below would: either may be stale by the time the claim lands, which is why
    // a claim is a key of its own (see pinOf) and the data write's cas refuses a version written since.
    const view = options.stage === 'pending' ? VaultStore.viewOf(name, options.seen) : undefined;
    const plain = view && !VaultStore.inFlight(view.custom) && VaultStore.latestIsCurrent(view.custom, String(view.latest)) ? view : undefined;
    const md: VaultMetadata = plain ? { created_time: '', updated_time: '', current_version: plain.latest, custom_metadata: { ...plain.custom }, versions: {} } : await this.readMeta(name);
    const custom = md.custom_metadata ?? {};
    if (!plain && options.token && (custom[claimKey(options.token)] !== undefined || custom[TOKEN] === options.token)) {
      // Asked again after a write whose answer was lost: the version it staged, if it landed.
      const staged = VaultStore.stageVersion(md, 'pending');
      if (staged) return { version: staged };
    }
    const current = plain ? String(plain.latest) : VaultStore.currentOf(md);
    if (options.expectedCurrent !== undefined && current !== options.expectedCurrent) {
      throw new VhError('CONFLICT', `"${name}" changed: current version is ${current ?? 'none'}, expected ${options.expectedCurrent}`);
    }
    const latest = String(md.current_version);
    // The write is conditional on Vault's latest version (cas), and only allowed when that latest version is the
    // current one (or a restore copy of it): so of two writers only one gets a version past the current one —
    // the pending slot is a lock.
    if (!plain && (VaultStore.stageVersion(md, 'pending') || (latest !== current && custom[RESTORED] !== latest))) {
      throw new VhError('CONFLICT', `"${name}" already has a pending version ${custom[PENDING] ?? latest}`);
    }
    if (options.stage === 'pending') {
      if (current === undefined) throw new VhError('NOT_FOUND', `"${name}" has no current version to stage a new one against`);
      // One metadata write before the data write, and none after: the claim (this rotation's key, naming the
      // current version) and the caller's metadata (the rotation marker). The new version, newer than the
      // version claimed, is then the pending one (see stageVersion) — also when the answer to the data write is
      // lost or the process is killed right after it: never current until promoted, for `--resume` to verify
      // or `--abort` to discard.
      const claim = claimKey(options.token ?? randomBytes(16).toString('hex'));
      await this.writeCustom(name, md, { ...options.metadata, [claim]: current });
      try {
        return { version: await this.writeData(`write ${name}`, name, value, md.current_version) };
      } catch (err) {
        if ((err as VhError).code === 'CONFLICT') {
          // Lost the race (another version was written since the read): the claim goes, and the caller's
          // metadata where it is still ours. The claim is ours alone, so no other writer's state is touched.
          const now = await this.readMeta(name).catch(() => undefined);
          const mine = now?.custom_metadata ?? {};
          const undo: Record<string, string | null> = { [claim]: null };
          for (const [k, v] of Object.entries(options.metadata ?? {})) if (mine[k] === v) undo[k] = null;
          if (now) await this.writeCustom(name, now, undo).catch(() => undefined);
        }
        throw err;
      }
    }
    const version = await this.writeData(`write ${name}`, name, value, md.current_version);
    // The pin names the version written: claims made from reads older than it name older versions and never
    // stand above it (see pinOf).
    await this.writeCustom(name, md, { ...options.metadata, [PIN]: version, [PREVIOUS]: current ?? null, [REVOKED]: null, [RESTORED]: null });
    return { version };
  }

  async promote(name: string, version: string, options: PromoteOptions = {}): Promise<void> {
    // The rotation's read-back of the version it staged, just made, stands in for the metadata read when it shows
    // that version newest and the rotation's claim standing on the version it started from: then the promotion
    // is exactly the patch the read below would lead to.
    const view = VaultStore.viewOf(name, options.seen);
    const from = options.expectedCurrent;
    if (view && options.token && from !== undefined && from !== version && String(view.latest) === version && view.custom[claimKey(options.token)] === from && VaultStore.pinOf(view.custom) === from && !view.custom[PENDING]) {
      await this.patchCustom(name, {
        ...options.metadata,
        ...VaultStore.endClaims(view.custom),
        [PIN]: version,
        [PREVIOUS]: from,
        ...(view.custom[TOKEN] !== undefined ? { [TOKEN]: null } : {}),
        ...(view.custom[RESTORED] !== undefined ? { [RESTORED]: null } : {}),
      });
      return;
    }
    const md = await this.readMeta(name);
    const current = VaultStore.currentOf(md);
    const custom = md.custom_metadata ?? {};
    if (current === version) {
      // Promoted already (resumed after the promotion landed): only the bookkeeping is left.
      const ours = custom[PENDING] === version || (!custom[PENDING] && VaultStore.inFlight(custom));
      if (ours || options.metadata) await this.writeCustom(name, md, { ...options.metadata, ...(ours ? { ...VaultStore.endClaims(custom), [PENDING]: null, [TOKEN]: null } : {}) });
      return;
    }
    if (options.expectedCurrent !== undefined && current !== options.expectedCurrent) {
      throw new VhError('CONFLICT', `"${name}" changed: current version is ${current ?? 'none'}, expected ${options.expectedCurrent}`);
    }
    if (isDeleted(md.versions[version])) throw new VhError('NOT_FOUND', `version ${version} of "${name}" does not exist or is revoked`);
    const latest = String(md.current_version);
    // The pin moves to the version promoted (always written: a claim made from a stale read names an older
    // version, and the pin above it keeps that claim from counting). Every claim ends: the slot is settled.
    await this.writeCustom(name, md, {
      ...options.metadata,
      ...VaultStore.endClaims(custom),
      [PIN]: version,
      [PREVIOUS]: current ?? null,
      [PENDING]: custom[PENDING] === version ? null : (custom[PENDING] ?? null),
      // The token belongs to the pending version: to this one, or (written before the data) to none yet.
      [TOKEN]: custom[PENDING] && custom[PENDING] !== version ? (custom[TOKEN] ?? null) : null,
      // A restore copy older than the version promoted names nothing any more.
      ...(custom[RESTORED] !== undefined && version === latest ? { [RESTORED]: null } : {}),
    });
  }

  async releaseClaim(name: string, token: string): Promise<void> {
    const md = await this.readMeta(name).catch((err: unknown) => {
      if ((err as VhError).code === 'NOT_FOUND') return undefined;
      throw err;
    });
    const custom = md?.custom_metadata ?? {};
    const patch: Record<string, null> = {};
    if (custom[claimKey(token)] !== undefined) patch[claimKey(token)] = null;
    if (custom[TOKEN] === token && !custom[PENDING]) patch[TOKEN] = null;
    if (md && Object.keys(patch).length > 0) await this.writeCustom(name, md, patch);
  }

  async discardPending(name: string, version: string): Promise<void> {
    let md: VaultMetadata;
    try {
      md = await this.readMeta(name);
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') return;
      throw err;
    }
    const current = VaultStore.currentOf(md);
    if (current === version) return;
    if (md.versions[version] && !md.versions[version]!.destroyed) {
      await this.call(`destroy ${name}@${version}`, 'POST', `/${this.mount}/destroy/${encodePath(name)}`, { versions: [Number(version)] });
    }
    const custom = md.custom_metadata ?? {};
    // The slot is free again: every claim ends (a rival's claim named a version that is no longer writable at).
    const patch: Record<string, string | null> = { ...VaultStore.endClaims(custom) };
    if (custom[PENDING] === version) Object.assign(patch, { [PENDING]: null, [TOKEN]: null });
    else if (!custom[PENDING] && custom[TOKEN]) Object.assign(patch, { [TOKEN]: null });
    // Plain KV readers follow Vault's latest version. If the discarded version was latest, write the current
    // value again as the new latest so they keep reading it; the pin keeps vh-secrets' current version as it was.
    if (String(md.current_version) === version && current) {
      const keep = await this.readVersion(name, current);
      const restored = await this.writeData(`restore ${name}`, name, keep.value, md.current_version);
      md.current_version = Number(restored);
      Object.assign(patch, { [PIN]: current, [RESTORED]: restored });
    } else if (current) {
      // The pin stays on the current version once the claims that held it are gone.
      patch[PIN] = current;
    }
    if (Object.keys(patch).length > 0) await this.writeCustom(name, md, patch);
  }

  private async listKeys(prefix: string): Promise<string[]> {
    try {
      // GET ?list=true rather than the LIST verb: proxies and load balancers often refuse unknown methods.
      const res = await this.call<{ data: { keys: string[] } }>(`list ${prefix || '/'}`, 'GET', `/${this.mount}/metadata/${encodePath(prefix.replace(/\/$/, ''))}${prefix ? '/' : ''}?list=true`);
      return res.data.keys;
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') return [];
      throw err;
    }
  }

  async *list(filter?: ListFilter): AsyncIterable<SecretSummary> {
    const want = filter?.prefix ?? '';
    // Walk from the deepest folder the prefix names; LIST returns folders with a trailing '/'.
    const startDir = want.includes('/') ? want.slice(0, want.lastIndexOf('/') + 1) : '';
    const names: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const key of await this.listKeys(dir)) {
        const full = `${dir}${key}`;
        if (key.endsWith('/')) {
          if (full.startsWith(want) || want.startsWith(full)) await walk(full);
        } else if (full.startsWith(want)) names.push(full);
      }
    };
    await walk(startDir);
    names.sort();
    const concurrency = 8;
    for (let i = 0; i < names.length; i += concurrency) {
      const batch = await Promise.all(
        names.slice(i, i + concurrency).map(async (name) => {
          try {
            return { name, md: await this.readMeta(name) };
          } catch (err) {
            if ((err as VhError).code === 'NOT_FOUND') return undefined;
            throw err;
          }
        }),
      );
      for (const entry of batch) {
        if (!entry) continue;
        const metadata = VaultStore.publicMeta(entry.md.custom_metadata);
        if (!matchesFilter(metadata, filter)) continue;
        yield { name: entry.name, metadata, currentVersion: VaultStore.currentOf(entry.md), updatedAt: entry.md.updated_time, description: VaultStore.description(entry.name, entry.md) };
      }
    }
  }

  async describe(name: string): Promise<SecretDescription> {
    return VaultStore.description(name, await this.readMeta(name));
  }

  private static description(name: string, md: VaultMetadata): SecretDescription {
    const current = VaultStore.currentOf(md);
    const pending = VaultStore.stageVersion(md, 'pending');
    const previous = VaultStore.stageVersion(md, 'previous');
    const versions: VersionInfo[] = Object.entries(md.versions)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([id, v]) => {
        const stages: Stage[] = [];
        if (id === current) stages.push('current');
        if (id === pending) stages.push('pending');
        if (id === previous) stages.push('previous');
        return { version: id, createdAt: v.created_time, state: v.destroyed ? 'destroyed' : isDeleted(v) ? 'disabled' : 'enabled', stages };
      });
    return {
      name,
      metadata: VaultStore.publicMeta(md.custom_metadata),
      createdAt: md.created_time,
      updatedAt: md.updated_time,
      currentVersion: current,
      pendingVersion: pending,
      versions,
      revoked: md.custom_metadata?.[REVOKED] === 'true' || current === undefined,
    };
  }

  async setMetadata(name: string, patch: Record<string, string | null>): Promise<void> {
    for (const k of Object.keys(patch)) if (isInternal(k)) throw new VhError('USAGE', `metadata key ${k} is reserved`);
    const md = await this.readMeta(name);
    await this.writeCustom(name, md, patch);
  }

  async revoke(name: string, version?: string): Promise<RevokeResult> {
    const md = await this.readMeta(name);
    const targets = version !== undefined ? [version] : Object.entries(md.versions).filter(([, v]) => !isDeleted(v)).map(([id]) => id);
    if (version !== undefined && !md.versions[version]) throw new VhError('NOT_FOUND', `version ${version} of "${name}" not found`);
    const live = targets.filter((id) => !isDeleted(md.versions[id]));
    if (live.length > 0) {
      // KV v2 soft delete: reversible with `vault kv undelete`.
      await this.call(`revoke ${name}`, 'POST', `/${this.mount}/delete/${encodePath(name)}`, { versions: live.map(Number) });
    }
    if (version === undefined) await this.writeCustom(name, md, { ...VaultStore.endClaims(md.custom_metadata ?? {}), [REVOKED]: 'true', [PENDING]: null, [TOKEN]: null });
    return { revoked: targets };
  }

  async destroy(name: string, version?: string): Promise<void> {
    if (version === undefined) {
      await this.call(`destroy ${name}`, 'DELETE', this.metaPath(name));
      return;
    }
    await this.readMeta(name);
    await this.call(`destroy ${name}@${version}`, 'POST', `/${this.mount}/destroy/${encodePath(name)}`, { versions: [Number(version)] });
  }

  /**
   * The token's display name as Vault records it in its own audit device (`token-ci-bot`, `approle`, `root`),
   * with the AppRole role name where the login gave one (`approle:ci`).
   */
  async identity(): Promise<string | undefined> {
    const res = await this.call<{ data?: { display_name?: string; meta?: Record<string, string> | null } }>('token lookup', 'GET', '/auth/token/lookup-self');
    const name = res.data?.display_name;
    if (!name) return undefined;
    const role = res.data?.meta?.role_name ?? res.data?.meta?.role;
    return role ? `${name}:${role}` : name;
  }

  async ping(): Promise<PingResult> {
    const start = performance.now();
    const client = await this.connect();
    try {
      await client.request({ path: '/sys/health', method: 'GET', timeout: this.timeoutMs });
    } catch (err) {
      const mapped = mapVaultError(err, this.address, 'health');
      if (mapped.code === 'NETWORK') return { reachable: false, authenticated: false, latencyMs: performance.now() - start };
    }
    try {
      await this.call('token lookup', 'GET', '/auth/token/lookup-self');
      return { reachable: true, authenticated: true, latencyMs: performance.now() - start };
    } catch (err) {
      const code = (err as VhError).code;
      if (code === 'AUTH_FAILED' || code === 'PERMISSION_DENIED') return { reachable: true, authenticated: false, latencyMs: performance.now() - start };
      throw err;
    }
  }
}

export default defineProvider((options: VaultStoreOptions) => new VaultStore(options));
