import type { TokenCredential } from '@azure/identity';
import type { SecretClient, SecretProperties } from '@azure/keyvault-secrets';
import { VhError, type ErrorCode } from '../base/errors.js';
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
import { NOT_SENT_ERRNOS, defineProvider, applyPatch, httpsPosture, matchesFilter, noAnswer, requestTimeoutMs, timedPing } from './shared.js';

/** `[stores.<alias>] provider = "azure"` — Azure Key Vault secrets. Credentials: DefaultAzureCredential. */
export interface AzureStoreOptions {
  /** https://<name>.vault.azure.net @default $AZURE_KEYVAULT_URL */
  vault_url?: string;
  /** Client id of a user-assigned managed identity (DefaultAzureCredential). */
  managed_identity_client_id?: string;
  /** Tenant for DefaultAzureCredential. */
  tenant_id?: string;
  /** Accept a challenge from a resource other than *.vault.azure.net (emulators, sovereign clouds). @default false */
  disable_challenge_resource_verification?: boolean;
  /** Deadline of one request. @default $VH_SECRETS_TIMEOUT, else 15000 */
  timeout_ms?: number;
}

/** The `[stores.<alias>]` settings this provider takes (anything else is refused when the store is opened). */
export const options = { vault_url: 'string', managed_identity_client_id: 'string', tenant_id: 'string', disable_challenge_resource_verification: 'boolean', timeout_ms: 'integer' } as const satisfies Record<keyof Required<AzureStoreOptions>, OptionType>;

function vaultUrlOf(options: AzureStoreOptions, environ: NodeJS.ProcessEnv): string | undefined {
  return options.vault_url ?? environ.AZURE_KEYVAULT_URL;
}

export const posture: PostureProbe<AzureStoreOptions> = (options, _context, environ = process.env) => {
  const url = vaultUrlOf(options, environ);
  return {
    transport: url ? httpsPosture(url, 'vault_url') : { status: 'not-measurable', detail: 'no vault_url configured' },
    atRest: async () => ({ status: 'not-measurable', detail: 'Azure Key Vault encrypts secrets at rest by design; not observable from the client' }),
  };
};

/**
 * Per-version tags the provider keeps. Key Vault has no staging labels and no compare-and-swap: a version's
 * stage is a tag, and the secret's metadata lives in the tags of its current version (copied forward on
 * every new version). Key Vault allows 15 tags per version.
 */
const NAME = 'vh-name';
const STAGE = 'vh-stage';
const TOKEN = 'vh-token';
const INTERNAL = new Set([NAME, STAGE, TOKEN]);
const MAX_TAGS = 15;
const BINARY_CONTENT_TYPE = 'application/octet-stream; base64';
/** Key Vault's limit on a secret's value (the string it stores). */
const MAX_VALUE = 25 * 1024;

/** Key Vault names allow [0-9a-zA-Z-]: `/` becomes `--`, `_ . + =` become `-`; `vh-name` keeps the real name. */
export function vaultNameFor(name: string): string {
  return name.replace(/\//g, '--').replace(/[_.+=]/g, '-');
}

export function mapAzureError(err: unknown, where: string, what: string): VhError {
  const e = err as { statusCode?: number; code?: string; message?: string; name?: string };
  const message = (e.message ?? String(err)).split('\n')[0]!;
  const make = (code: ErrorCode, text: string, hint?: string, applied?: false) =>
    new VhError(code, `azure ${where}: ${what}: ${text}`, { ...(hint ? { hint } : {}), ...(applied === false ? { details: { applied } } : {}) });
  if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError' || e.name === 'AggregateAuthenticationError') {
    return make('AUTH_FAILED', 'no usable Azure credential', 'run `az login`, or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or use a managed identity');
  }
  switch (e.statusCode) {
    case 401:
      return make('AUTH_FAILED', message, 'run `az login` or check the service principal / managed identity');
    case 403:
      if (/disabled/i.test(message)) return make('NOT_FOUND', 'the version is disabled (revoked)');
      return make('PERMISSION_DENIED', message, 'the identity needs the "Key Vault Secrets Officer" role (or get/set/list/delete access policy) on this vault');
    case 404:
      return make('NOT_FOUND', 'not found');
    case 409:
      return make('CONFLICT', /deleted/i.test(message) ? 'a deleted secret with this name is being kept for recovery: recover or purge it first' : message);
    case 429:
      return make('THROTTLED', message, undefined, false);
    case 400:
      return make('INVALID_FORMAT', message);
    default:
      break;
  }
  if (e.statusCode !== undefined && e.statusCode >= 500) return make('NETWORK', `server error ${e.statusCode}: ${message}`);
  if (e.statusCode === undefined) {
    const notSent = e.code !== undefined && NOT_SENT_ERRNOS.has(e.code);
    return make('NETWORK', `${e.code ?? e.name ?? 'error'}: ${message}`, 'check the vault URL and the network', notSent ? false : undefined);
  }
  return make('INTERNAL', message);
}

interface VersionView {
  id: string;
  enabled: boolean;
  createdOn: Date | undefined;
  tags: Record<string, string>;
}

class AzureStore implements SecretStore {
  readonly provider = 'azure';
  readonly capabilities = {
    versions: true,
    stagedWrites: true,
    // Key Vault offers no conditional write: expectedCurrent is checked, but not atomically.
    compareAndSwap: false,
    revokeVersion: true,
    // 25 KiB per value; binary values are base64 inside that, so 3/4 of it.
    maxValueBytes: MAX_VALUE,
    maxBinaryValueBytes: (MAX_VALUE / 4) * 3,
  };

  private client: SecretClient | undefined;
  private credential: TokenCredential | undefined;
  private readonly url: string;
  /** The deadline of each request (a pipeline policy sets it; see connect). */
  private readonly timeoutMs: number;

  constructor(private readonly options: AzureStoreOptions) {
    this.timeoutMs = requestTimeoutMs(options.timeout_ms);
    const url = vaultUrlOf(options, process.env);
    if (!url) throw new VhError('CONFIG', 'azure store needs vault_url', { hint: 'set vault_url = "https://<name>.vault.azure.net" or AZURE_KEYVAULT_URL' });
    this.url = url.replace(/\/$/, '');
  }

  private async connect(): Promise<SecretClient> {
    if (this.client) return this.client;
    // One after the other: they share @azure/core-* modules, and jest's ESM loader trips over two concurrent
    // imports of the same graph ("request for … is not in cache").
    const { DefaultAzureCredential } = await import('@azure/identity');
    const { SecretClient: Client } = await import('@azure/keyvault-secrets');
    const credential = (this.credential = new DefaultAzureCredential({
      ...(this.options.managed_identity_client_id ? { managedIdentityClientId: this.options.managed_identity_client_id } : {}),
      ...(this.options.tenant_id ? { tenantId: this.options.tenant_id } : {}),
    }));
    this.client = new Client(this.url, credential, {
      disableChallengeResourceVerification: this.options.disable_challenge_resource_verification === true,
      // vh-secrets retries NETWORK/THROTTLED itself, uniformly across providers.
      retryOptions: { maxRetries: 0 },
      // Every request has a deadline: a frozen vault fails a call instead of hanging it.
      additionalPolicies: [{ position: 'perCall', policy: { name: 'vh-secrets-timeout', sendRequest: (req, next) => ((req.timeout = this.timeoutMs), next(req)) } }],
    });
    return this.client;
  }

  /** One request: retried when it is a read or an idempotent update; a new version passes `write` and is reconciled. */
  private async call<T>(what: string, fn: (c: SecretClient) => Promise<T>, write?: WriteOnceOptions<T>): Promise<T> {
    const client = await this.connect();
    const once = async (): Promise<T> => {
      try {
        return await fn(client);
      } catch (err) {
        // The only abort is the deadline policy's (see connect): the vault did not answer within timeout_ms.
        if ((err as { name?: string }).name === 'AbortError') throw noAnswer(`azure ${this.url}`, what, this.timeoutMs);
        throw mapAzureError(err, this.url, what);
      }
    };
    return write ? writeOnce(once, write) : withRetry(once);
  }

  private async versions(name: string): Promise<VersionView[]> {
    const id = vaultNameFor(name);
    const out: VersionView[] = [];
    try {
      await this.call(`versions of ${name}`, async (c) => {
        out.length = 0;
        for await (const p of c.listPropertiesOfSecretVersions(id)) out.push(view(p));
      });
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') throw new VhError('NOT_FOUND', `secret "${name}" not found in azure ${this.url}`);
      throw err;
    }
    if (out.length === 0) throw new VhError('NOT_FOUND', `secret "${name}" not found in azure ${this.url}`);
    const owner = out.find((v) => v.tags[NAME])?.tags[NAME];
    if (owner !== undefined && owner !== name) throw new VhError('NOT_FOUND', `secret "${name}" not found (its Key Vault name holds "${owner}")`);
    // Our writes carry a sequence number (createdOn has one-second resolution); others sort by creation time.
    return out.sort((a, b) => {
      const sa = a.tags['vh-seq'];
      const sb = b.tags['vh-seq'];
      if (sa !== undefined && sb !== undefined && sa !== sb) return Number(sa) - Number(sb);
      return (a.createdOn?.getTime() ?? 0) - (b.createdOn?.getTime() ?? 0);
    });
  }

  private static stageOf(all: VersionView[], stage: Stage): VersionView | undefined {
    const tagged = all.filter((v) => v.enabled && v.tags[STAGE] === stage);
    if (tagged.length > 0) return tagged[tagged.length - 1];
    if (stage !== 'current') return undefined;
    // Versions written by other tools carry no stage: the newest enabled one that is not pending is current.
    return [...all].reverse().find((v) => v.enabled && v.tags[STAGE] !== 'pending' && v.tags[STAGE] !== 'previous');
  }

  private async setTags(name: string, v: VersionView, tags: Record<string, string>): Promise<void> {
    if (Object.keys(tags).length > MAX_TAGS) {
      throw new VhError('INVALID_FORMAT', `Azure Key Vault keeps at most ${MAX_TAGS} tags per secret; "${name}" would need ${Object.keys(tags).length}`);
    }
    await this.call(`tag ${name}@${v.id}`, (c) => c.updateSecretProperties(vaultNameFor(name), v.id, { tags }));
    v.tags = tags;
  }

  private async restage(name: string, v: VersionView, stage: Stage | null, extra: Record<string, string | null> = {}): Promise<void> {
    await this.setTags(name, v, applyPatch({ ...v.tags }, { ...extra, [STAGE]: stage }));
  }

  private async write(name: string, value: Buffer, tags: Record<string, string>): Promise<string> {
    if (Object.keys(tags).length > MAX_TAGS) {
      throw new VhError('INVALID_FORMAT', `Azure Key Vault keeps at most ${MAX_TAGS} tags per secret; "${name}" would need ${Object.keys(tags).length}`);
    }
    const text = value.toString('utf8');
    const utf8 = Buffer.from(text, 'utf8').equals(value);
    if (utf8 && value.length > MAX_VALUE) {
      throw new VhError('INVALID_FORMAT', `"${name}" is ${value.length} bytes; Azure Key Vault takes at most ${MAX_VALUE}`);
    }
    if (!utf8 && Math.ceil(value.length / 3) * 4 > MAX_VALUE) {
      throw new VhError('INVALID_FORMAT', `"${name}" is ${value.length} bytes of binary; Azure Key Vault stores binary as base64 within its 25 KiB limit, so at most ${(MAX_VALUE / 4) * 3} bytes`);
    }
    // setSecret adds a version each time it is sent: after an ambiguous failure, the versions are read and ours
    // is the one with this write's sequence tag and exactly these bytes.
    return this.call(`write ${name}`, async (c) => (await c.setSecret(vaultNameFor(name), utf8 ? text : value.toString('base64'), { tags, ...(utf8 ? {} : { contentType: BINARY_CONTENT_TYPE }) })).properties.version ?? '', {
      reconcile: async () => {
        let all: VersionView[];
        try {
          all = await this.versions(name);
        } catch (err) {
          if ((err as VhError).code === 'NOT_FOUND') return undefined;
          throw err;
        }
        for (const v of all.filter((x) => x.tags['vh-seq'] === tags['vh-seq'])) {
          if ((await this.read(name, v.id).catch(() => undefined))?.value.equals(value)) return v.id;
        }
        return undefined;
      },
    });
  }

  private async read(name: string, version: string): Promise<SecretValue> {
    try {
      const s = await this.call(`read ${name}@${version}`, (c) => c.getSecret(vaultNameFor(name), { version }));
      const raw = s.value ?? '';
      const value = s.properties.contentType === BINARY_CONTENT_TYPE ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
      return { value, version: s.properties.version ?? version };
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') throw new VhError('NOT_FOUND', `version ${version} of "${name}" not found or revoked`);
      throw err;
    }
  }

  async get(name: string, select: ReadSelector = { stage: 'current' }): Promise<SecretValue> {
    if ('version' in select) return this.read(name, select.version);
    const v = AzureStore.stageOf(await this.versions(name), select.stage);
    if (!v) throw new VhError('NOT_FOUND', `"${name}" has no readable ${select.stage} version`);
    return this.read(name, v.id);
  }

  private seq(all: VersionView[]): string {
    return String(Math.max(0, ...all.map((v) => Number(v.tags['vh-seq'] ?? 0))) + 1);
  }

  async create(name: string, value: Buffer, metadata: Metadata): Promise<{ version: string }> {
    let exists = true;
    try {
      await this.versions(name);
    } catch (err) {
      if ((err as VhError).code !== 'NOT_FOUND') throw err;
      if (/holds/.test((err as VhError).message)) throw new VhError('CONFLICT', `the Key Vault name ${vaultNameFor(name)} is taken by another secret`);
      exists = false;
    }
    if (exists) throw new VhError('CONFLICT', `secret "${name}" already exists in azure ${this.url}`, { hint: 'rotate it, or choose another name' });
    const version = await this.write(name, value, { ...metadata, [NAME]: name, [STAGE]: 'current', 'vh-seq': '1' });
    return { version };
  }

  private static publicTags(tags: Record<string, string>): Metadata {
    const out: Metadata = {};
    for (const [k, v] of Object.entries(tags)) if (!INTERNAL.has(k) && k !== 'vh-seq') out[k] = v;
    return out;
  }

  async put(name: string, value: Buffer, options: PutOptions): Promise<{ version: string }> {
    const result = await this.putOnly(name, value, options);
    if (options.metadata && Object.keys(options.metadata).length > 0) await this.setMetadata(name, options.metadata);
    return result;
  }

  private async putOnly(name: string, value: Buffer, options: PutOptions): Promise<{ version: string }> {
    const all = await this.versions(name);
    const pending = AzureStore.stageOf(all, 'pending');
    if (options.token && pending?.tags[TOKEN] === options.token) return { version: pending.id };
    const current = AzureStore.stageOf(all, 'current');
    if (options.expectedCurrent !== undefined && current?.id !== options.expectedCurrent) {
      throw new VhError('CONFLICT', `"${name}" changed: current version is ${current?.id ?? 'none'}, expected ${options.expectedCurrent}`);
    }
    if (options.stage === 'pending' && pending) throw new VhError('CONFLICT', `"${name}" already has a pending version ${pending.id}`);
    const tags: Record<string, string> = {
      ...AzureStore.publicTags(current?.tags ?? {}),
      [NAME]: name,
      [STAGE]: options.stage,
      'vh-seq': this.seq(all),
      ...(options.stage === 'pending' && options.token ? { [TOKEN]: options.token } : {}),
    };
    const version = await this.write(name, value, tags);
    if (options.stage === 'current') {
      const previous = AzureStore.stageOf(all, 'previous');
      if (previous) await this.restage(name, previous, null);
      if (current) await this.restage(name, current, 'previous');
    }
    return { version };
  }

  async promote(name: string, version: string, options: PromoteOptions = {}): Promise<void> {
    await this.promoteOnly(name, version, options);
    if (options.metadata && Object.keys(options.metadata).length > 0) await this.setMetadata(name, options.metadata);
  }

  private async promoteOnly(name: string, version: string, options: PromoteOptions): Promise<void> {
    const all = await this.versions(name);
    const current = AzureStore.stageOf(all, 'current');
    const target = all.find((v) => v.id === version);
    if (current?.id === version) {
      if (target && (target.tags[STAGE] !== 'current' || target.tags[TOKEN])) await this.restage(name, target, 'current', { [TOKEN]: null });
      return;
    }
    if (options.expectedCurrent !== undefined && current?.id !== options.expectedCurrent) {
      throw new VhError('CONFLICT', `"${name}" changed: current version is ${current?.id ?? 'none'}, expected ${options.expectedCurrent}`);
    }
    if (!target || !target.enabled) throw new VhError('NOT_FOUND', `version ${version} of "${name}" does not exist or is disabled`);
    // Key Vault has no conditional write, so two hosts can both stage a version. Of two staged versions the first
    // in the store's order promotes; the other yields before it touches a stage.
    const rival = (v: VersionView) => v.enabled && v.id !== version && v.id !== current?.id && (v.tags[STAGE] === 'pending' || v.tags[STAGE] === 'current');
    const ahead = all.slice(0, all.indexOf(target)).find((v) => rival(v) && v.tags[STAGE] === 'pending');
    if (ahead) throw new VhError('CONFLICT', `"${name}" has another staged version ${ahead.id} ahead of ${version}`);
    // Order matters for readers: the new version is current before the old one stops being current.
    await this.restage(name, target, 'current', { [TOKEN]: null, ...AzureStore.publicTags(current?.tags ?? {}) });
    // Read back: a version another host promoted meanwhile (it could not see ours yet) wins, and ours goes back to
    // pending for the caller's rollback to discard. Both may yield, never both win.
    const after = await this.versions(name);
    const other = after.find((v) => rival(v) && v.tags[STAGE] === 'current');
    if (other) {
      const mine = after.find((v) => v.id === version);
      if (mine) await this.restage(name, mine, 'pending');
      throw new VhError('CONFLICT', `"${name}" was promoted concurrently to version ${other.id}`);
    }
    const previous = AzureStore.stageOf(all, 'previous');
    if (previous && previous.id !== version) await this.restage(name, previous, null);
    if (current) await this.restage(name, current, 'previous');
  }

  async discardPending(name: string, version: string): Promise<void> {
    let all: VersionView[];
    try {
      all = await this.versions(name);
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') return;
      throw err;
    }
    const v = all.find((x) => x.id === version);
    if (!v || AzureStore.stageOf(all, 'current')?.id === version) return;
    // Key Vault cannot delete one version: disable it and drop its stage so nothing reads it as pending.
    const tags = { ...v.tags };
    delete tags[STAGE];
    delete tags[TOKEN];
    tags['vh-discarded'] = 'true';
    await this.call(`discard ${name}@${version}`, (c) => c.updateSecretProperties(vaultNameFor(name), version, { enabled: false, tags }));
  }

  async *list(filter?: ListFilter): AsyncIterable<SecretSummary> {
    const names: string[] = [];
    await this.call('list', async (c) => {
      names.length = 0;
      for await (const p of c.listPropertiesOfSecrets()) names.push(p.tags?.[NAME] ?? p.name);
    });
    names.sort();
    for (const name of names) {
      if (filter?.prefix && !name.startsWith(filter.prefix)) continue;
      let all: VersionView[];
      try {
        all = await this.versions(name);
      } catch (err) {
        if ((err as VhError).code === 'NOT_FOUND') continue;
        throw err;
      }
      const current = AzureStore.stageOf(all, 'current');
      const metadata = AzureStore.publicTags((current ?? all[all.length - 1])?.tags ?? {});
      if (!matchesFilter(metadata, filter)) continue;
      yield { name, metadata, currentVersion: current?.id, updatedAt: all[all.length - 1]?.createdOn?.toISOString() };
    }
  }

  async describe(name: string): Promise<SecretDescription> {
    const all = await this.versions(name);
    const current = AzureStore.stageOf(all, 'current');
    const pending = AzureStore.stageOf(all, 'pending');
    const previous = AzureStore.stageOf(all, 'previous');
    const versions: VersionInfo[] = all.map((v) => {
      const stages: Stage[] = [];
      if (v.id === current?.id) stages.push('current');
      if (v.id === pending?.id) stages.push('pending');
      if (v.id === previous?.id) stages.push('previous');
      return { version: v.id, createdAt: v.createdOn?.toISOString(), state: v.enabled ? 'enabled' : 'disabled', stages };
    });
    return {
      name,
      metadata: AzureStore.publicTags((current ?? all[all.length - 1])?.tags ?? {}),
      createdAt: all[0]?.createdOn?.toISOString(),
      updatedAt: all[all.length - 1]?.createdOn?.toISOString(),
      currentVersion: current?.id,
      pendingVersion: pending?.id,
      versions,
      revoked: current === undefined,
    };
  }

  async setMetadata(name: string, patch: Record<string, string | null>): Promise<void> {
    for (const k of Object.keys(patch)) if (INTERNAL.has(k) || k === 'vh-seq') throw new VhError('USAGE', `metadata key ${k} is reserved`);
    const all = await this.versions(name);
    // Metadata lives where describe reads it: on the current version (promote carries it to the next), or, on a
    // revoked secret, the newest. Never on a pending version: that one may be another rotation's, and Key Vault
    // replaces a version's tags whole — a write from an older read would undo its stage.
    const current = AzureStore.stageOf(all, 'current');
    const targets = current ? [current] : all.slice(-1);
    if (targets.length === 0) throw new VhError('NOT_FOUND', `secret "${name}" not found`);
    for (const v of targets) await this.setTags(name, v, applyPatch({ ...v.tags }, patch));
  }

  async revoke(name: string, version?: string): Promise<RevokeResult> {
    const all = await this.versions(name);
    const targets = version !== undefined ? all.filter((v) => v.id === version) : all.filter((v) => v.enabled);
    if (version !== undefined && targets.length === 0) throw new VhError('NOT_FOUND', `version ${version} of "${name}" not found`);
    for (const v of targets) {
      if (!v.enabled) continue;
      await this.call(`revoke ${name}@${v.id}`, (c) => c.updateSecretProperties(vaultNameFor(name), v.id, { enabled: false }));
    }
    return { revoked: targets.map((v) => v.id) };
  }

  async destroy(name: string, version?: string): Promise<void> {
    if (version !== undefined) {
      await this.revoke(name, version);
      return;
    }
    const id = vaultNameFor(name);
    await this.call(`delete ${name}`, async (c) => {
      const poller = await c.beginDeleteSecret(id, { intervalInMs: 250 });
      await poller.pollUntilDone();
    });
    // With soft delete on, the name stays taken until purged; purge needs the purge permission.
    await this.call(`purge ${name}`, (c) => c.purgeDeletedSecret(id)).catch(() => undefined);
  }

  /** The user or application the Key Vault token is issued to (see `principalOfToken`). */
  async identity(): Promise<string | undefined> {
    await this.connect();
    const token = await this.call('who am I (token)', async () => this.credential!.getToken('https://vault.azure.net/.default'));
    return token ? principalOfToken(token.token) : undefined;
  }

  async ping(): Promise<PingResult> {
    return timedPing(() =>
      this.call('ping', async (c) => {
        for await (const page of c.listPropertiesOfSecrets().byPage({ maxPageSize: 1 })) {
          void page;
          break;
        }
      }),
    );
  }

}

function view(p: SecretProperties): VersionView {
  return { id: p.version ?? '', enabled: p.enabled !== false, createdOn: p.createdOn, tags: { ...(p.tags ?? {}) } };
}

/**
 * Who an Entra ID access token names: the signed-in user (`upn`, `unique_name`, `preferred_username`), else the
 * application (`appid` / `azp`), else the object id. Only the payload's claims are read; the signature is the
 * service's business, and this is used for naming, never for trust decisions the service does not also make.
 */
export function principalOfToken(jwt: string): string | undefined {
  const part = jwt.split('.')[1];
  if (!part) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  for (const key of ['upn', 'unique_name', 'preferred_username', 'appid', 'azp', 'oid']) {
    const v = claims[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

export default defineProvider((options: AzureStoreOptions) => new AzureStore(options));
