import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { oneLine } from '../base/text.js';
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
import { defineProvider, applyPatch, matchesFilter, noAnswer, requestTimeoutMs, timedPing } from './shared.js';

/** `[stores.<alias>] provider = "gcp"` — Google Cloud Secret Manager. Credentials: application-default. */
export interface GcpStoreOptions {
  /** @default $GOOGLE_CLOUD_PROJECT / $GCLOUD_PROJECT */
  project?: string;
  /** host:port of another endpoint (an emulator, a private endpoint). */
  endpoint?: string;
  /** Plaintext gRPC, for a local emulator only. @default true when endpoint is on loopback */
  insecure?: boolean;
  /** Service-account key file instead of application-default credentials. */
  key_file?: string;
  /** Per-call deadline. @default 15000 */
  timeout_ms?: number;
}

/** The `[stores.<alias>]` settings this provider takes (anything else is refused when the store is opened). */
export const options = { project: 'string', endpoint: 'string', insecure: 'boolean', key_file: 'path', timeout_ms: 'integer' } as const satisfies Record<keyof Required<GcpStoreOptions>, OptionType>;

/** An endpoint's host and port, and whether it is spoken to in plaintext gRPC (`insecure`, by default on loopback). */
function endpointOf(endpoint: string, insecure: boolean | undefined): { host: string; port: string | undefined; plaintext: boolean } {
  const [host = '', port] = endpoint.split(':');
  const loopback = host === 'localhost' || host.startsWith('127.');
  return { host, port, plaintext: insecure ?? loopback };
}

export const posture: PostureProbe<GcpStoreOptions> = ({ endpoint, insecure }) => ({
  transport:
    endpoint === undefined ? { status: 'pass', detail: 'no endpoint override: gRPC over TLS to secretmanager.googleapis.com:443' }
    : endpointOf(endpoint, insecure).plaintext ? { status: 'fail', detail: `endpoint ${endpoint} is plaintext gRPC (insecure)` }
    : { status: 'pass', detail: `endpoint ${endpoint} over TLS` },
  atRest: async () => ({ status: 'not-measurable', detail: 'Google Secret Manager encrypts secrets at rest (Google-managed or CMEK); not observable from the client' }),
});

type Gcp = typeof import('@google-cloud/secret-manager');
type ISecret = import('@google-cloud/secret-manager').protos.google.cloud.secretmanager.v1.ISecret;
type ISecretVersion = import('@google-cloud/secret-manager').protos.google.cloud.secretmanager.v1.ISecretVersion;

/** Annotations the provider keeps for itself; hidden from reported metadata. */
const NAME = 'vh-name';
const PIN = 'vh-stage-current';
const PENDING = 'vh-stage-pending';
const PREVIOUS = 'vh-stage-previous';
const TOKEN = 'vh-stage-token';
const REVOKED = 'vh-revoked';
const INTERNAL = new Set([NAME, PIN, PENDING, PREVIOUS, TOKEN, REVOKED]);
/** Without ListSecretVersions, versions beyond this many are not enumerated one by one. */
const MAX_ENUMERATED = 1000;
const LABEL_RE = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE_RE = /^[a-z0-9_-]{0,63}$/;

/**
 * Secret ids allow only [A-Za-z0-9_-]: `/` becomes `__` and `.`, `+`, `=` become `-`. The real name is kept in
 * the `vh-name` annotation, and a create whose id collides with a different name is refused.
 */
export function secretIdFor(name: string): string {
  return name.replace(/\//g, '__').replace(/[.+=]/g, '-');
}

const GRPC: Record<number, ErrorCode> = {
  3: 'INVALID_FORMAT',
  4: 'NETWORK',
  5: 'NOT_FOUND',
  6: 'CONFLICT',
  7: 'PERMISSION_DENIED',
  8: 'THROTTLED',
  9: 'CONFLICT',
  10: 'CONFLICT',
  12: 'NOT_IMPLEMENTED',
  13: 'NETWORK',
  14: 'NETWORK',
  16: 'AUTH_FAILED',
};

export function mapGcpError(err: unknown, where: string, what: string): VhError {
  const e = err as { code?: number | string; details?: string; message?: string };
  const detail = (e.details || e.message || String(err)).split('\n')[0]!;
  const code: ErrorCode = typeof e.code === 'number' ? (GRPC[e.code] ?? 'INTERNAL') : /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN/.test(detail) ? 'NETWORK' : /credential/i.test(detail) ? 'AUTH_FAILED' : 'INTERNAL';
  const hints: Partial<Record<ErrorCode, string>> = {
    AUTH_FAILED: 'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS',
    PERMISSION_DENIED: 'the identity needs roles/secretmanager.admin (or the narrower roles in docs/providers.md) on the project',
    NETWORK: 'check the project, endpoint and network',
    NOT_IMPLEMENTED: 'Google Cloud Secret Manager has this call; a local emulator may not',
  };
  const hint = hints[code];
  // Throttled (RESOURCE_EXHAUSTED), or UNAVAILABLE before a connection existed: certainly not carried out.
  const notSent = e.code === 8 || (e.code === 14 && /ECONNREFUSED|No connection established|Name resolution failed|ENOTFOUND/i.test(detail));
  return new VhError(code, `gcp ${where}: ${what}: ${detail}`, { ...(hint ? { hint } : {}), ...(notSent ? { details: { applied: false } } : {}) });
}

function versionId(v: ISecretVersion | null | undefined): string {
  return (v?.name ?? '').split('/').pop() ?? '';
}

function iso(t: { seconds?: number | string | Long | null; nanos?: number | null } | null | undefined): string | undefined {
  if (!t || t.seconds === undefined || t.seconds === null) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}
interface Long {
  toString(): string;
}

class GcpStore implements SecretStore {
  readonly provider = 'gcp';
  readonly capabilities = {
    versions: true,
    stagedWrites: true,
    compareAndSwap: true,
    revokeVersion: true,
    maxValueBytes: 65_536,
  };

  private client: SecretManagerServiceClient | undefined;
  private readonly project: string;
  private readonly where: string;
  /** Version aliases exist on the real service; emulators may refuse them — then we stop trying. */
  private aliases = true;
  /**
   * ListSecretVersions exists on the real service; an endpoint without it (UNIMPLEMENTED: some emulators) gets
   * versions enumerated one GetSecretVersion at a time instead.
   */
  private listVersions = true;

  constructor(private readonly options: GcpStoreOptions) {
    const project = options.project ?? process.env.GOOGLE_CLOUD_PROJECT ?? process.env.GCLOUD_PROJECT;
    if (!project) throw new VhError('CONFIG', 'gcp store needs a project', { hint: 'set project = "…" in the store config or GOOGLE_CLOUD_PROJECT' });
    this.project = project;
    this.where = `projects/${project}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
  }

  private async connect(): Promise<SecretManagerServiceClient> {
    if (this.client) return this.client;
    const gcp: Gcp = await import('@google-cloud/secret-manager');
    const opts: ConstructorParameters<Gcp['SecretManagerServiceClient']>[0] & Record<string, unknown> = { projectId: this.project };
    if (this.options.key_file) opts.keyFilename = this.options.key_file;
    if (this.options.endpoint) {
      const { host, port, plaintext } = endpointOf(this.options.endpoint, this.options.insecure);
      opts.apiEndpoint = host;
      if (port) opts.port = Number(port);
      if (plaintext) {
        const { credentials } = await import('@grpc/grpc-js');
        opts.sslCreds = credentials.createInsecure();
        // A plaintext local endpoint takes no Google credentials: don't probe for a GCE metadata server
        // (which, off Google Cloud, only ends in a MetadataLookupWarning on the operator's stderr).
        process.env.METADATA_SERVER_DETECTION ??= 'none';
      }
    }
    const client = new gcp.SecretManagerServiceClient(opts);
    if (!opts.sslCreds) {
      // Find the credentials before the first request: without any, the client's own lookup fails later in a
      // promise nobody awaits. Here it is one clear error.
      try {
        await client.auth.getClient();
      } catch (err) {
        await client.close().catch(() => undefined);
        throw new VhError('AUTH_FAILED', `gcp ${this.where}: no Google credentials (${oneLine((err as Error).message).split('. ')[0]})`, {
          hint: 'set GOOGLE_APPLICATION_CREDENTIALS or key_file to a service-account key, or run `gcloud auth application-default login`',
        });
      }
    }
    this.client = client;
    return this.client;
  }

  /** One request: reads and idempotent updates are retried; adding a version passes `write` and is reconciled. */
  private async call<T>(what: string, fn: (c: SecretManagerServiceClient, o: { timeout: number; maxRetries: number }) => Promise<T>, write?: WriteOnceOptions<T>): Promise<T> {
    const client = await this.connect();
    // One retry policy for every provider: ours (NETWORK / THROTTLED only), not gax's.
    const callOptions = { timeout: requestTimeoutMs(this.options.timeout_ms), maxRetries: 0 };
    const once = async (): Promise<T> => {
      try {
        return await fn(client, callOptions);
      } catch (err) {
        // DEADLINE_EXCEEDED: the call's `timeout` (timeout_ms) passed without an answer.
        if ((err as { code?: unknown }).code === 4) throw noAnswer(`gcp ${this.where}`, what, callOptions.timeout);
        throw mapGcpError(err, this.where, what);
      }
    };
    return write ? writeOnce(once, write) : withRetry(once);
  }

  /**
   * Adds a version. addSecretVersion adds one each time it is sent: after an ambiguous failure the newest
   * version is read, and it is ours when it is newer than `after` and holds exactly these bytes.
   */
  private async addVersion(name: string, parent: string, value: Buffer, after: string | undefined): Promise<string> {
    return this.call(`write ${name}`, async (c, o) => versionId((await c.addSecretVersion({ parent, payload: { data: value } }, o))[0]), {
      reconcile: async () => {
        const newest = await this.access(name, 'latest').catch((err: unknown) => {
          if ((err as VhError).code === 'NOT_FOUND') return undefined;
          throw err;
        });
        if (!newest || (after !== undefined && Number(newest.version) <= Number(after))) return undefined;
        return newest.value.equals(value) ? newest.version : undefined;
      },
    });
  }

  private secretPath(name: string): string {
    return `projects/${this.project}/secrets/${secretIdFor(name)}`;
  }

  private async secret(name: string): Promise<ISecret> {
    try {
      const [s] = await this.call(`read ${name}`, (c, o) => c.getSecret({ name: this.secretPath(name) }, o));
      const stored = s.annotations?.[NAME];
      if (stored !== undefined && stored !== name) throw new VhError('NOT_FOUND', `secret "${name}" not found (its id holds "${stored}")`);
      return s;
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') throw new VhError('NOT_FOUND', `secret "${name}" not found in gcp ${this.where}`);
      throw err;
    }
  }

  private async versions(name: string): Promise<ISecretVersion[]> {
    const all: ISecretVersion[] = [];
    if (this.listVersions) {
      try {
        await this.call(`versions of ${name}`, async (c, o) => {
          all.length = 0;
          for await (const v of c.listSecretVersionsAsync({ parent: this.secretPath(name) }, { ...o, autoPaginate: false })) all.push(v);
        });
        return all.sort((a, b) => Number(versionId(a)) - Number(versionId(b)));
      } catch (err) {
        if ((err as VhError).code !== 'NOT_IMPLEMENTED') throw err;
        this.listVersions = false;
      }
    }
    // Version ids are 1, 2, 3 … in order of creation: ask for each up to the newest enabled one.
    let newest: ISecretVersion;
    try {
      [newest] = await this.call(`versions of ${name}`, (c, o) => c.getSecretVersion({ name: `${this.secretPath(name)}/versions/latest` }, o));
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') return [];
      throw err;
    }
    const top = Math.min(Number(versionId(newest)), MAX_ENUMERATED);
    for (let id = 1; id <= top; id++) {
      try {
        const [v] = await this.call(`version ${id} of ${name}`, (c, o) => c.getSecretVersion({ name: `${this.secretPath(name)}/versions/${id}` }, o));
        all.push(v);
      } catch (err) {
        if ((err as VhError).code !== 'NOT_FOUND') throw err;
      }
    }
    return all;
  }

  private async currentOf(name: string, s: ISecret): Promise<string | undefined> {
    const pin = s.annotations?.[PIN];
    if (pin) return pin;
    const enabled = (await this.versions(name)).filter((v) => v.state === 'ENABLED');
    return enabled.length > 0 ? versionId(enabled[enabled.length - 1]) : undefined;
  }

  /**
   * The previous version: as recorded at the last promote; for a secret without vh-secrets' stage pins (made by
   * gcloud or another tool, or on an endpoint without UpdateSecret), the enabled version before the newest.
   */
  private async previousOf(name: string, s: ISecret, all?: ISecretVersion[]): Promise<string | undefined> {
    const recorded = s.annotations?.[PREVIOUS];
    if (recorded || s.annotations?.[PIN]) return recorded || undefined;
    const enabled = (all ?? (await this.versions(name))).filter((v) => v.state === 'ENABLED');
    return enabled.length > 1 ? versionId(enabled[enabled.length - 2]) : undefined;
  }

  /** Updates annotations (and aliases) under the secret's etag: the service refuses a stale etag. */
  private async annotate(name: string, s: ISecret, patch: Record<string, string | null>, stages?: Partial<Record<Stage, string | null>>): Promise<void> {
    const annotations = applyPatch({ ...(s.annotations ?? {}) }, patch);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(annotations)) if (!INTERNAL.has(k) && LABEL_RE.test(k) && LABEL_VALUE_RE.test(v)) labels[k] = v;
    const update: ISecret = { name: s.name ?? null, annotations, labels, ...(s.etag ? { etag: s.etag } : {}) };
    const paths = ['annotations', 'labels'];
    if (stages && this.aliases) {
      const aliases: Record<string, number> = {};
      for (const [k, v] of Object.entries({ ...Object.fromEntries(Object.entries(s.versionAliases ?? {}).map(([a, n]) => [a, String(n)])), ...stages })) {
        if (v !== null && v !== undefined) aliases[k] = Number(v);
      }
      update.versionAliases = aliases;
      paths.push('version_aliases');
    }
    try {
      // Conditional on the etag, so not idempotent on the wire: after an ambiguous failure the secret is read, and
      // the update landed when its annotations are as written.
      const updated = await this.call(`update ${name}`, async (c, o) => (await c.updateSecret({ secret: update, updateMask: { paths } }, o))[0], {
        reconcile: async () => {
          const [now] = await this.call(`read ${name}`, (c, o) => c.getSecret({ name: this.secretPath(name) }, o));
          const same = JSON.stringify(Object.entries(now.annotations ?? {}).sort()) === JSON.stringify(Object.entries(annotations).sort());
          return same && now.etag !== s.etag ? now : undefined;
        },
      });
      Object.assign(s, { annotations: updated.annotations ?? annotations, etag: updated.etag, versionAliases: updated.versionAliases });
    } catch (err) {
      if (stages && this.aliases && (err as VhError).code === 'INVALID_FORMAT') {
        this.aliases = false;
        return this.annotate(name, s, patch);
      }
      if ((err as VhError).code === 'CONFLICT') throw new VhError('CONFLICT', `"${name}" changed concurrently (etag mismatch)`);
      if ((err as VhError).code === 'NOT_IMPLEMENTED') {
        throw new VhError('NOT_IMPLEMENTED', `gcp ${this.where}: this endpoint does not implement UpdateSecret, which metadata changes, staged (pending) writes and revoking need`, {
          hint: 'Google Cloud Secret Manager has it; a local emulator may not',
        });
      }
      throw err;
    }
  }

  private async access(name: string, version: string): Promise<SecretValue> {
    try {
      const [res] = await this.call(`read ${name}@${version}`, (c, o) => c.accessSecretVersion({ name: `${this.secretPath(name)}/versions/${version}` }, o));
      return { value: Buffer.from(res.payload?.data ?? new Uint8Array()), version: versionId({ name: res.name ?? null }) || version };
    } catch (err) {
      const code = (err as VhError).code;
      if (code === 'NOT_FOUND' || code === 'CONFLICT') throw new VhError('NOT_FOUND', `version ${version} of "${name}" not found, disabled or destroyed`);
      throw err;
    }
  }

  async get(name: string, select: ReadSelector = { stage: 'current' }): Promise<SecretValue> {
    if ('version' in select) {
      if (!/^\d+$/.test(select.version)) throw new VhError('NOT_FOUND', `version ${select.version} of "${name}" not found (versions are numbers)`);
      return this.access(name, select.version);
    }
    const s = await this.secret(name);
    const version = select.stage === 'current' ? await this.currentOf(name, s) : select.stage === 'pending' ? s.annotations?.[PENDING] : await this.previousOf(name, s);
    if (!version) throw new VhError('NOT_FOUND', `"${name}" has no ${select.stage} version`);
    return this.access(name, version);
  }

  async create(name: string, value: Buffer, metadata: Metadata): Promise<{ version: string }> {
    const id = secretIdFor(name);
    let created: ISecret;
    try {
      // After an ambiguous failure the secret is read: ours if it exists under our name with no version yet.
      created = await this.call(`create ${name}`, async (c, o) =>
        (await c.createSecret({
          parent: `projects/${this.project}`,
          secretId: id,
          secret: { replication: { automatic: {} }, annotations: { ...metadata, [NAME]: name } },
        }, o))[0], {
        reconcile: async () => {
          const [s] = await this.call(`read ${name}`, (c, o) => c.getSecret({ name: this.secretPath(name) }, o)).catch((err: unknown) => {
            if ((err as VhError).code === 'NOT_FOUND') return [undefined];
            throw err;
          });
          if (!s || s.annotations?.[NAME] !== name) return undefined;
          const versions = await this.access(name, 'latest').then(() => 1, () => 0);
          return versions === 0 ? s : undefined;
        },
      });
    } catch (err) {
      if ((err as VhError).code === 'CONFLICT') throw new VhError('CONFLICT', `secret "${name}" already exists in gcp ${this.where} (id ${id})`, { hint: 'rotate it, or choose another name' });
      throw err;
    }
    const version = await this.addVersion(name, created.name ?? this.secretPath(name), value, undefined);
    try {
      await this.annotate(name, created, { [PIN]: version }, { current: version });
    } catch (err) {
      // The pin only repeats what the endpoint already says: the one version is the newest enabled one.
      if ((err as VhError).code !== 'NOT_IMPLEMENTED') throw err;
    }
    return { version };
  }

  async put(name: string, value: Buffer, options: PutOptions): Promise<{ version: string }> {
    const result = await this.putOnly(name, value, options);
    if (options.metadata && Object.keys(options.metadata).length > 0) await this.setMetadata(name, options.metadata);
    return result;
  }

  private async putOnly(name: string, value: Buffer, options: PutOptions): Promise<{ version: string }> {
    const s = await this.secret(name);
    const a = s.annotations ?? {};
    if (options.token && a[TOKEN] === options.token && a[PENDING]) return { version: a[PENDING] };
    const current = await this.currentOf(name, s);
    if (options.expectedCurrent !== undefined && current !== options.expectedCurrent) {
      throw new VhError('CONFLICT', `"${name}" changed: current version is ${current ?? 'none'}, expected ${options.expectedCurrent}`);
    }
    if (options.stage === 'pending' && a[PENDING]) throw new VhError('CONFLICT', `"${name}" already has a pending version ${a[PENDING]}`);
    if (options.stage === 'pending') {
      // Claim the slot (token, current pin) before adding the version: a version added that could not then be
      // marked pending would be the newest, and read as current where no pin says otherwise.
      await this.annotate(name, s, { [PIN]: current ?? null, [TOKEN]: options.token ?? null });
    }
    const version = await this.addVersion(name, this.secretPath(name), value, current);
    try {
      if (options.stage === 'pending') {
        await this.annotate(name, s, { [PIN]: current ?? null, [PENDING]: version, [TOKEN]: options.token ?? null }, { pending: version });
      } else {
        await this.annotate(name, s, { [PIN]: version, [PREVIOUS]: current ?? null, [REVOKED]: null }, { current: version, previous: current ?? null });
      }
    } catch (err) {
      // Without UpdateSecret no pin exists: the version just added, the newest, is current, as asked.
      if (options.stage === 'current' && (err as VhError).code === 'NOT_IMPLEMENTED' && !s.annotations?.[PIN]) return { version };
      // Lost the etag race: the version we added must not linger.
      await this.call(`destroy ${name}@${version}`, (c, o) => c.destroySecretVersion({ name: `${this.secretPath(name)}/versions/${version}` }, o)).catch(() => undefined);
      throw err;
    }
    return { version };
  }

  async promote(name: string, version: string, options: PromoteOptions = {}): Promise<void> {
    await this.promoteOnly(name, version, options);
    if (options.metadata && Object.keys(options.metadata).length > 0) await this.setMetadata(name, options.metadata);
  }

  private async promoteOnly(name: string, version: string, options: PromoteOptions): Promise<void> {
    const s = await this.secret(name);
    const a = s.annotations ?? {};
    const current = await this.currentOf(name, s);
    if (current === version) {
      if (a[PENDING] === version) await this.annotate(name, s, { [PENDING]: null, [TOKEN]: null }, { pending: null });
      return;
    }
    if (options.expectedCurrent !== undefined && current !== options.expectedCurrent) {
      throw new VhError('CONFLICT', `"${name}" changed: current version is ${current ?? 'none'}, expected ${options.expectedCurrent}`);
    }
    const target = (await this.versions(name)).find((v) => versionId(v) === version);
    if (!target || target.state !== 'ENABLED') throw new VhError('NOT_FOUND', `version ${version} of "${name}" does not exist or is disabled`);
    // Marked pending, or added after the slot was claimed and never marked (see describe): the slot is ours to free.
    const clearPending = a[PENDING] === version || (!a[PENDING] && a[TOKEN] !== undefined);
    await this.annotate(
      name,
      s,
      { [PIN]: version, [PREVIOUS]: current ?? null, ...(clearPending ? { [PENDING]: null, [TOKEN]: null } : {}) },
      { current: version, previous: current ?? null, ...(clearPending ? { pending: null } : {}) },
    );
  }

  /** The secret, or undefined when it is gone (what undoing a rotation's traces needs). */
  private async secretIfAny(name: string): Promise<ISecret | undefined> {
    try {
      return await this.secret(name);
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  async releaseClaim(name: string, token: string): Promise<void> {
    const s = await this.secretIfAny(name);
    const a = s?.annotations ?? {};
    if (s && a[TOKEN] === token && !a[PENDING]) await this.annotate(name, s, { [TOKEN]: null });
  }

  async discardPending(name: string, version: string): Promise<void> {
    const s = await this.secretIfAny(name);
    if (!s) return;
    if ((await this.currentOf(name, s)) === version) return;
    await this.call(`destroy ${name}@${version}`, (c, o) => c.destroySecretVersion({ name: `${this.secretPath(name)}/versions/${version}` }, o)).catch((err: unknown) => {
      if ((err as VhError).code !== 'NOT_FOUND' && (err as VhError).code !== 'CONFLICT') throw err;
    });
    const a = s.annotations ?? {};
    if (a[PENDING] === version || (!a[PENDING] && a[TOKEN] !== undefined)) await this.annotate(name, s, { [PENDING]: null, [TOKEN]: null }, { pending: null });
  }

  async *list(filter?: ListFilter): AsyncIterable<SecretSummary> {
    const found: { name: string; s: ISecret }[] = [];
    await this.call('list', async (c, o) => {
      found.length = 0;
      for await (const s of c.listSecretsAsync({ parent: `projects/${this.project}` }, { ...o, autoPaginate: false })) {
        const name = s.annotations?.[NAME] ?? (s.name ?? '').split('/').pop() ?? '';
        found.push({ name, s });
      }
    });
    found.sort((x, y) => x.name.localeCompare(y.name));
    for (const { name, s } of found) {
      if (filter?.prefix && !name.startsWith(filter.prefix)) continue;
      const metadata = publicMeta(s.annotations);
      if (!matchesFilter(metadata, filter)) continue;
      yield { name, metadata, currentVersion: s.annotations?.[PIN] ?? undefined, updatedAt: iso(s.createTime) };
    }
  }

  async describe(name: string): Promise<SecretDescription> {
    const s = await this.secret(name);
    const a = s.annotations ?? {};
    const current = await this.currentOf(name, s);
    const all = await this.versions(name);
    const previous = await this.previousOf(name, s, all);
    const versions: VersionInfo[] = all.map((v) => {
      const id = versionId(v);
      const stages: Stage[] = [];
      if (id === current) stages.push('current');
      if (id === a[PENDING]) stages.push('pending');
      if (id === previous) stages.push('previous');
      return { version: id, createdAt: iso(v.createTime), state: v.state === 'ENABLED' ? 'enabled' : v.state === 'DISABLED' ? 'disabled' : 'destroyed', stages };
    });
    const currentState = versions.find((v) => v.version === current)?.state;
    return {
      name,
      metadata: publicMeta(a),
      createdAt: iso(s.createTime),
      updatedAt: versions.at(-1)?.createdAt,
      currentVersion: current,
      // A version newer than every other, added after the slot was claimed (token set) but never marked pending —
      // its answer lost, or the process killed — is pending too: `--resume` verifies it, `--abort` destroys it.
      pendingVersion: a[PENDING] || (a[TOKEN] && current !== undefined && all.length > 0 && Number(versionId(all.at(-1))) > Number(current) && all.at(-1)!.state === 'ENABLED' ? versionId(all.at(-1)) : undefined),
      versions,
      revoked: a[REVOKED] === 'true' || currentState !== 'enabled',
    };
  }

  async setMetadata(name: string, patch: Record<string, string | null>): Promise<void> {
    for (const k of Object.keys(patch)) if (INTERNAL.has(k)) throw new VhError('USAGE', `metadata key ${k} is reserved`);
    await this.annotate(name, await this.secret(name), patch);
  }

  async revoke(name: string, version?: string): Promise<RevokeResult> {
    const s = await this.secret(name);
    const all = await this.versions(name);
    const targets = version !== undefined ? all.filter((v) => versionId(v) === version) : all.filter((v) => v.state === 'ENABLED');
    if (version !== undefined && targets.length === 0) throw new VhError('NOT_FOUND', `version ${version} of "${name}" not found`);
    for (const v of targets) {
      if (v.state !== 'ENABLED') continue;
      await this.call(`revoke ${name}@${versionId(v)}`, (c, o) => c.disableSecretVersion({ name: v.name ?? null }, o));
    }
    if (version === undefined) await this.annotate(name, s, { [REVOKED]: 'true', [PENDING]: null, [TOKEN]: null });
    return { revoked: targets.map(versionId) };
  }

  async destroy(name: string, version?: string): Promise<void> {
    if (version === undefined) {
      await this.call(`destroy ${name}`, (c, o) => c.deleteSecret({ name: this.secretPath(name) }, o));
      return;
    }
    await this.call(`destroy ${name}@${version}`, (c, o) => c.destroySecretVersion({ name: `${this.secretPath(name)}/versions/${version}` }, o));
  }

  async ping(): Promise<PingResult> {
    return timedPing(() => this.call('ping', (c, o) => c.listSecrets({ parent: `projects/${this.project}`, pageSize: 1 }, { ...o, autoPaginate: false })));
  }


  /** The service account (or user) that application-default credentials, or `key_file`, resolve to. */
  async identity(): Promise<string | undefined> {
    const client = await this.connect();
    try {
      const creds = await client.auth.getCredentials();
      return creds.client_email ?? undefined;
    } catch (err) {
      throw mapGcpError(err, this.where, 'who am I (credentials)');
    }
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

function publicMeta(annotations: Record<string, string> | null | undefined): Metadata {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(annotations ?? {})) if (!INTERNAL.has(k)) out[k] = v;
  return out;
}

export default defineProvider((options: GcpStoreOptions) => new GcpStore(options));
