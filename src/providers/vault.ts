import { readFileSync, promises as fs } from 'node:fs';
import { VhError, type ErrorCode } from '../base/errors.js';
import { NETWORK_ERRNOS } from '../base/net.js';
import { withRetry, writeOnce, type WriteOnceOptions } from '../base/retry.js';
import type { Stage } from '../core/ref.js';
import type {
  ListFilter,
  Metadata,
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
import { NOT_SENT_ERRNOS, defineProvider, applyPatch, httpsPosture, matchesFilter, requestTimeoutMs } from './shared.js';

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
  request(options: { path: string; method: string; json?: unknown; headers?: Record<string, string> }): Promise<{ data?: unknown; auth?: { client_token?: string } } | undefined>;
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

  constructor(private readonly options: VaultStoreOptions) {
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
      requestOptions: { timeout: requestTimeoutMs(this.options.timeout_ms), ...(ca ? { ca } : {}) },
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
      client.request({ path: `/auth/${path}/login`, method: 'POST', json: body })
        .catch((e: unknown) => {
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
        return (await client.request({ path, method, ...headers, ...(json !== undefined ? { json } : {}) })) as T;
      } catch (err) {
        throw mapVaultError(err, this.address, what);
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
    await this.call(`write metadata of ${name}`, 'PATCH', this.metaPath(name), { custom_metadata: patch });
    md.custom_metadata = applyPatch({ ...(md.custom_metadata ?? {}) }, patch);
  }

  private static currentOf(md: VaultMetadata): string | undefined {
    const pin = md.custom_metadata?.[PIN];
    if (pin && !isDeleted(md.versions[pin])) return pin;
    const latest = String(md.current_version);
    return isDeleted(md.versions[latest]) ? undefined : latest;
  }

  private static stageVersion(md: VaultMetadata, stage: Stage): string | undefined {
    if (stage === 'current') return VaultStore.currentOf(md);
    const v = md.custom_metadata?.[stage === 'pending' ? PENDING : PREVIOUS];
    if (v && !isDeleted(md.versions[v])) return v;
    if (stage !== 'pending') return undefined;
    // A version newer than the pinned current one that no stage names: a staged write whose bookkeeping never
    // landed (answer lost, process killed). Pending, never current, until verified and promoted or discarded.
    const latest = String(md.current_version);
    const pin = md.custom_metadata?.[PIN];
    return pin && Number(latest) > Number(pin) && md.custom_metadata?.[RESTORED] !== latest && !isDeleted(md.versions[latest]) ? latest : undefined;
  }

  private static publicMeta(custom: Record<string, string> | null): Metadata {
    const out: Metadata = {};
    for (const [k, v] of Object.entries(custom ?? {})) if (!INTERNAL.has(k)) out[k] = v;
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
      return this.readVersion(name, select.version);
    }
    if (select.stage === 'current') {
      // One round trip in the usual case: the latest version carries custom_metadata, including any pin.
      let res: { data: VaultRead } | undefined;
      try {
        res = await this.call<{ data: VaultRead }>(`read ${name}`, 'GET', this.dataPath(name));
      } catch (err) {
        if ((err as VhError).code !== 'NOT_FOUND') throw err;
      }
      const pin = res?.data.metadata.custom_metadata?.[PIN];
      if (res?.data.data && (!pin || pin === String(res.data.metadata.version))) {
        return { value: decodeValue(res.data.data), version: String(res.data.metadata.version) };
      }
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
    const md = await this.readMeta(name);
    const custom = md.custom_metadata ?? {};
    if (options.token && custom[TOKEN] === options.token) {
      // Asked again after a write whose answer was lost: the version it staged, if it landed.
      const staged = VaultStore.stageVersion(md, 'pending');
      if (staged) return { version: staged };
    }
    const current = VaultStore.currentOf(md);
    if (options.expectedCurrent !== undefined && current !== options.expectedCurrent) {
      throw new VhError('CONFLICT', `"${name}" changed: current version is ${current ?? 'none'}, expected ${options.expectedCurrent}`);
    }
    const latest = String(md.current_version);
    // The write is conditional on Vault's latest version (cas), and only allowed when that latest version is the
    // current one (or a restore copy of it): so of two writers only one gets a version past the current one —
    // the pending slot is a lock.
    if (VaultStore.stageVersion(md, 'pending') || (latest !== current && custom[RESTORED] !== latest)) {
      throw new VhError('CONFLICT', `"${name}" already has a pending version ${custom[PENDING] ?? latest}`);
    }
    if (options.stage === 'pending') {
      // One metadata write before the data write, and none after: the current version pinned, the token and
      // the caller's metadata (the rotation marker) claimed. The new version, newer than the pin and named by no
      // stage, is then the pending one (see stageVersion) — also when the answer to the data write is lost or
      // the process is killed right after it: never current until promoted, for `--resume` to verify or
      // `--abort` to discard.
      const claim = { ...options.metadata, [PIN]: current ?? null, [TOKEN]: options.token ?? null };
      await this.writeCustom(name, md, claim);
      try {
        return { version: await this.writeData(`write ${name}`, name, value, md.current_version) };
      } catch (err) {
        if ((err as VhError).code === 'CONFLICT' && options.token) {
          // Lost the race: take back what we claimed, if it is still ours (the pin names the current version).
          const now = await this.readMeta(name).catch(() => undefined);
          const mine = now?.custom_metadata ?? {};
          if (now && mine[TOKEN] === options.token && !VaultStore.stageVersion(now, 'pending')) {
            const undo: Record<string, string | null> = { [TOKEN]: null };
            for (const [k, v] of Object.entries(options.metadata ?? {})) if (mine[k] === v) undo[k] = null;
            await this.writeCustom(name, now, undo).catch(() => undefined);
          }
        }
        throw err;
      }
    }
    const version = await this.writeData(`write ${name}`, name, value, md.current_version);
    await this.writeCustom(name, md, { ...options.metadata, [PIN]: null, [PREVIOUS]: current ?? null, [REVOKED]: null, [RESTORED]: null });
    return { version };
  }

  async promote(name: string, version: string, options: PromoteOptions = {}): Promise<void> {
    const md = await this.readMeta(name);
    const current = VaultStore.currentOf(md);
    const custom = md.custom_metadata ?? {};
    if (current === version) {
      const ours = custom[PENDING] === version || (!custom[PENDING] && custom[TOKEN] !== undefined);
      if (ours || options.metadata) await this.writeCustom(name, md, { ...options.metadata, ...(ours ? { [PENDING]: null, [TOKEN]: null } : {}) });
      return;
    }
    if (options.expectedCurrent !== undefined && current !== options.expectedCurrent) {
      throw new VhError('CONFLICT', `"${name}" changed: current version is ${current ?? 'none'}, expected ${options.expectedCurrent}`);
    }
    if (isDeleted(md.versions[version])) throw new VhError('NOT_FOUND', `version ${version} of "${name}" does not exist or is revoked`);
    const latest = String(md.current_version);
    await this.writeCustom(name, md, {
      ...options.metadata,
      [PIN]: version === latest ? null : version,
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
    if (md && custom[TOKEN] === token && !custom[PENDING]) await this.writeCustom(name, md, { [TOKEN]: null });
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
    const patch: Record<string, string | null> = {};
    if (custom[PENDING] === version) Object.assign(patch, { [PENDING]: null, [TOKEN]: null });
    else if (!custom[PENDING] && custom[TOKEN]) Object.assign(patch, { [TOKEN]: null });
    // Plain KV readers follow Vault's latest version. If the discarded version was latest, write the current
    // value again as the new latest so they keep reading it; the pin keeps vh-secrets' current version as it was.
    if (String(md.current_version) === version && current) {
      const keep = await this.readVersion(name, current);
      const restored = await this.writeData(`restore ${name}`, name, keep.value, md.current_version);
      md.current_version = Number(restored);
      Object.assign(patch, { [PIN]: current, [RESTORED]: restored });
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
    for (const k of Object.keys(patch)) if (INTERNAL.has(k)) throw new VhError('USAGE', `metadata key ${k} is reserved`);
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
    if (version === undefined) await this.writeCustom(name, md, { [REVOKED]: 'true', [PENDING]: null, [TOKEN]: null });
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
      await client.request({ path: '/sys/health', method: 'GET' });
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
