import { createHash, randomUUID } from 'node:crypto';
import type {
  SecretsManagerClient,
  SecretsManagerClientConfig,
  Tag,
} from '@aws-sdk/client-secrets-manager';
import { VhError, isVhError, type ErrorCode } from '../base/errors.js';
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
import { NOT_SENT_ERRNOS, defineProvider, httpsPosture, matchesFilter, noAnswer, requestTimeoutMs, timedPing } from './shared.js';

/** `[stores.<alias>] provider = "aws"` — AWS Secrets Manager. Credentials: the SDK's default chain. */
export interface AwsStoreOptions {
  /** @default $AWS_REGION / $AWS_DEFAULT_REGION / the profile's region */
  region?: string;
  /** Named profile from ~/.aws/config ($AWS_CONFIG_FILE) and ~/.aws/credentials ($AWS_SHARED_CREDENTIALS_FILE); `credentials_profile` in a `[secrets]` table. @default $AWS_PROFILE */
  profile?: string;
  /** Custom endpoint (VPC endpoint, emulator). */
  endpoint?: string;
  /** Days a revoked (deleted) secret stays recoverable, 7–30. @default 7 */
  recovery_window_days?: number;
  /** KMS key for new secrets. @default aws/secretsmanager */
  kms_key_id?: string;
  /** Deadline of one request, connection included. @default $VH_SECRETS_TIMEOUT, else 15000 */
  timeout_ms?: number;
}

/** The `[stores.<alias>]` settings this provider takes (anything else is refused when the store is opened). */
export const options = { region: 'string', profile: 'string', endpoint: 'string', recovery_window_days: 'integer', kms_key_id: 'string', timeout_ms: 'integer' } as const satisfies Record<keyof Required<AwsStoreOptions>, OptionType>;

export const posture: PostureProbe<AwsStoreOptions> = (options) => ({
  transport:
    options.endpoint !== undefined ? httpsPosture(options.endpoint, 'endpoint')
    : { status: 'pass', detail: 'no endpoint override: the SDK uses https://secretsmanager.<region>.amazonaws.com' },
  atRest: async () => ({
    status: 'not-measurable',
    detail: `AWS Secrets Manager encrypts every secret with KMS (${options.kms_key_id !== undefined ? `configured key ${options.kms_key_id}` : 'aws/secretsmanager by default'}); not observable from the client`,
  }),
});

const STAGE_LABEL: Record<Stage, string> = { current: 'AWSCURRENT', pending: 'AWSPENDING', previous: 'AWSPREVIOUS' };
/** Tag listing version ids revoked through vh-secrets (AWS has no per-version disable). */
const REVOKED_TAG = 'vh-revoked-versions';
const MAX_REVOKED = 6;

type AwsSdk = typeof import('@aws-sdk/client-secrets-manager');

/**
 * The SDK's names for a timeout or an unavailable service, and every socket errno the other providers count. A
 * connect that found no route (EHOSTUNREACH, ENETUNREACH) sent nothing, like a refused one: marked unsent, so a
 * write that failed so is sent again rather than reconciled (as Vault's mapping has always done).
 */
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError', ...NETWORK_ERRNOS, 'InternalServiceError', 'ServiceUnavailable', 'ServiceUnavailableException']);

export function mapAwsError(err: unknown, where: string, what: string, profile?: string): VhError {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = e.message ?? String(err);
  const make = (code: ErrorCode, text: string, hint?: string, applied?: false) =>
    new VhError(code, `aws ${where}: ${what}: ${text}`, { ...(hint ? { hint } : {}), ...(applied === false ? { details: { applied } } : {}) });
  switch (name) {
    case 'ResourceNotFoundException':
      return make('NOT_FOUND', 'not found');
    case 'ResourceExistsException':
      return make('CONFLICT', 'already exists', 'rotate it, or choose another name');
    case 'AccessDeniedException':
    case 'AccessDenied':
      return make('PERMISSION_DENIED', message, 'the IAM identity lacks a secretsmanager permission; see docs/providers.md for the minimal policy');
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
    case 'InvalidClientTokenId':
    case 'CredentialsProviderError':
      if (profile !== undefined) return make('AUTH_FAILED', `${message} (profile "${profile}")`, `check that profile "${profile}" is in the AWS config / credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE; ~/.aws/config, ~/.aws/credentials) and holds credentials`);
      return make('AUTH_FAILED', message, 'check AWS credentials: AWS_PROFILE, `aws sso login`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY');
    case 'ThrottlingException':
    case 'TooManyRequestsException':
    case 'LimitExceededException':
      return make('THROTTLED', message, undefined, false);
    case 'InvalidRequestException':
      if (/marked for deletion|deleted/i.test(message)) return make('NOT_FOUND', 'the secret is deleted (revoked); restore it with `aws secretsmanager restore-secret`');
      return make('CONFLICT', message);
    case 'InvalidParameterException':
      if (/stage|version/i.test(message)) return make('CONFLICT', `staging label race: ${message}`);
      return make('INVALID_FORMAT', message);
    case 'DecryptionFailure':
      return make('PERMISSION_DENIED', `cannot decrypt with its KMS key: ${message}`);
    default:
      break;
  }
  if (status === undefined && /^Region is missing/.test(message)) {
    return make('CONFIG', `no region${profile !== undefined ? ` (profile "${profile}" gives none)` : ''}`, 'set region, AWS_REGION, or a region in the profile (AWS_CONFIG_FILE, ~/.aws/config)');
  }
  if (NETWORK_NAMES.has(name) || (e.code && NETWORK_NAMES.has(e.code))) {
    return make('NETWORK', `cannot reach Secrets Manager (${e.code ?? name})`, 'check the region / endpoint and network', e.code && NOT_SENT_ERRNOS.has(e.code) ? false : undefined);
  }
  if (status === 429) return make('THROTTLED', message, undefined, false);
  if (status !== undefined && status >= 500) return make('NETWORK', `server error ${status}: ${message}`);
  if (status === undefined) return make('NETWORK', `${name}: ${message}`);
  return make('INTERNAL', `${name}: ${message}`);
}

/** ClientRequestToken must be 32–64 characters: rotation ids that do not fit are hashed, deterministically. */
export function requestToken(token: string): string {
  return /^[A-Za-z0-9-]{32,64}$/.test(token) ? token : createHash('sha256').update(token).digest('hex');
}

function toBytes(res: { SecretString?: string; SecretBinary?: Uint8Array }): Buffer {
  if (res.SecretBinary !== undefined) return Buffer.from(res.SecretBinary);
  return Buffer.from(res.SecretString ?? '', 'utf8');
}

/** UTF-8 values go in SecretString (what every AWS tool reads); other bytes in SecretBinary. */
function valueParams(value: Buffer): { SecretString: string } | { SecretBinary: Uint8Array } {
  const text = value.toString('utf8');
  return Buffer.from(text, 'utf8').equals(value) ? { SecretString: text } : { SecretBinary: new Uint8Array(value) };
}

function tagsToMeta(tags: Tag[] | undefined): { metadata: Metadata; revoked: string[] } {
  const metadata: Metadata = {};
  let revoked: string[] = [];
  for (const t of tags ?? []) {
    if (t.Key === undefined) continue;
    if (t.Key === REVOKED_TAG) revoked = (t.Value ?? '').split(' ').filter(Boolean);
    else metadata[t.Key] = t.Value ?? '';
  }
  return { metadata, revoked };
}

interface Described {
  stages: Map<string, string[]>;
  metadata: Metadata;
  revokedVersions: string[];
  createdAt: string | undefined;
  updatedAt: string | undefined;
  deleted: boolean;
}

class AwsStore implements SecretStore {
  readonly provider = 'aws';
  readonly capabilities = {
    versions: true,
    stagedWrites: true,
    compareAndSwap: true,
    revokeVersion: true,
    maxValueBytes: 65_536,
  };

  private sdk: AwsSdk | undefined;
  private client: SecretsManagerClient | undefined;
  private readonly where: string;

  private readonly timeoutMs: number;

  constructor(private readonly options: AwsStoreOptions) {
    this.timeoutMs = requestTimeoutMs(options.timeout_ms);
    this.where = options.endpoint ?? options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'default region';
  }

  /** Every request's deadline. throwOnRequestTimeout: without it the SDK only warns when requestTimeout passes, and waits on. */
  private requestHandler() {
    return { requestTimeout: this.timeoutMs, throwOnRequestTimeout: true, connectionTimeout: Math.min(this.timeoutMs, 5_000) };
  }

  private async connect(): Promise<{ sdk: AwsSdk; client: SecretsManagerClient }> {
    if (!this.sdk || !this.client) {
      // The SDK warns on every run under Node 20 about its own future releases; vh-secrets pins the SDK, and
      // an operator's stderr is for their secrets, not our dependency's roadmap.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      this.sdk = await import('@aws-sdk/client-secrets-manager');
      const config: SecretsManagerClientConfig = {
        // vh-secrets retries NETWORK/THROTTLED itself, uniformly across providers; auth errors never.
        maxAttempts: 1,
        requestHandler: this.requestHandler(),
        ...(this.options.region ? { region: this.options.region } : {}),
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.profile ? { profile: this.options.profile } : {}),
      };
      this.client = new this.sdk.SecretsManagerClient(config);
    }
    return { sdk: this.sdk, client: this.client };
  }

  /**
   * One request. Reads and the writes AWS makes idempotent (a ClientRequestToken, tags) are retried; a write that
   * is not (a staging label move, create, delete) passes `write` and is reconciled from DescribeSecret instead.
   */
  private async send<T>(what: string, make: (sdk: AwsSdk) => object, write?: WriteOnceOptions<T>): Promise<T> {
    const { sdk, client } = await this.connect();
    const once = async (): Promise<T> => {
      try {
        return (await client.send(make(sdk) as Parameters<SecretsManagerClient['send']>[0])) as T;
      } catch (err) {
        if ((err as { name?: string }).name === 'TimeoutError') throw noAnswer(`aws ${this.where}`, what, this.timeoutMs);
        throw mapAwsError(err, this.where, what, this.options.profile || undefined);
      }
    };
    return write ? writeOnce(once, write) : withRetry(once);
  }

  /**
   * Moves (or removes) a staging label. Not idempotent on the wire (a resent move meets its own result as a
   * RemoveFromVersionId mismatch), so after an ambiguous failure the labels are read: where they already stand
   * as asked, the move landed.
   */
  private async moveLabel(what: string, name: string, label: string, move: { to?: string; from?: string }): Promise<void> {
    await this.send(what, (s) => new s.UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: label, ...(move.to ? { MoveToVersionId: move.to } : {}), ...(move.from ? { RemoveFromVersionId: move.from } : {}) }), {
      reconcile: async () => {
        const d = await this.describeRaw(name);
        const done = move.to ? d.stages.get(move.to)?.includes(label) === true : d.stages.get(move.from!)?.includes(label) !== true;
        return done ? {} : undefined;
      },
    });
  }

  private async describeRaw(name: string): Promise<Described> {
    const res = await this.send<{
      VersionIdsToStages?: Record<string, string[]>;
      Tags?: Tag[];
      CreatedDate?: Date;
      LastChangedDate?: Date;
      DeletedDate?: Date;
    }>(`describe ${name}`, (s) => new s.DescribeSecretCommand({ SecretId: name }));
    const { metadata, revoked } = tagsToMeta(res.Tags);
    return {
      stages: new Map(Object.entries(res.VersionIdsToStages ?? {})),
      metadata,
      revokedVersions: revoked,
      createdAt: res.CreatedDate?.toISOString(),
      updatedAt: res.LastChangedDate?.toISOString(),
      deleted: res.DeletedDate !== undefined,
    };
  }

  private static versionWith(d: Described, label: string): string | undefined {
    for (const [id, labels] of d.stages) if (labels.includes(label)) return id;
    return undefined;
  }

  async get(name: string, select: ReadSelector = { stage: 'current' }): Promise<SecretValue> {
    // Always name the stage or version: a bare read can return a stale default on emulators.
    const params = 'version' in select ? { SecretId: name, VersionId: select.version } : { SecretId: name, VersionStage: STAGE_LABEL[select.stage] };
    if ('version' in select) {
      const d = await this.describeRaw(name);
      if (d.revokedVersions.includes(select.version)) throw new VhError('NOT_FOUND', `version ${select.version} of "${name}" is revoked`);
    }
    try {
      const res = await this.send<{ SecretString?: string; SecretBinary?: Uint8Array; VersionId?: string }>(`read ${name}`, (s) => new s.GetSecretValueCommand(params));
      return { value: toBytes(res), version: res.VersionId ?? '' };
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') {
        const which = 'version' in select ? `version ${select.version}` : `${select.stage} version`;
        throw new VhError('NOT_FOUND', `${which} of "${name}" not found in aws ${this.where}`);
      }
      throw err;
    }
  }

  async create(name: string, value: Buffer, metadata: Metadata): Promise<{ version: string }> {
    const token = randomUUID();
    // The token makes CreateSecret idempotent for a while, but a second send after it landed may still be
    // refused as existing: after an ambiguous failure, the version with our token is the answer.
    const reconcile = async () => ((await this.describeRaw(name).catch(() => undefined))?.stages.has(token) ? { VersionId: token } : undefined);
    const res = await this.send<{ VersionId?: string }>(`create ${name}`, (s) =>
      new s.CreateSecretCommand({
        Name: name,
        ClientRequestToken: token,
        ...valueParams(value),
        ...(this.options.kms_key_id ? { KmsKeyId: this.options.kms_key_id } : {}),
        ...(Object.keys(metadata).length > 0 ? { Tags: Object.entries(metadata).map(([Key, Value]) => ({ Key, Value })) } : {}),
      }),
      { reconcile },
    );
    return { version: res.VersionId ?? token };
  }

  async put(name: string, value: Buffer, options: PutOptions): Promise<{ version: string }> {
    const result = await this.putOnly(name, value, options);
    if (options.metadata && Object.keys(options.metadata).length > 0) await this.setMetadata(name, options.metadata);
    return result;
  }

  private async putOnly(name: string, value: Buffer, options: PutOptions): Promise<{ version: string }> {
    const d = await this.describeRaw(name);
    const current = AwsStore.versionWith(d, 'AWSCURRENT');
    const pending = AwsStore.versionWith(d, 'AWSPENDING');
    // The rotation id is the ClientRequestToken: a retried put with the same token is the same version.
    const token = options.token ? requestToken(options.token) : randomUUID();
    const own = `vh-staging-${token.slice(0, 12)}`;
    // Written before (answer lost, or the process killed before the labels moved): finish staging that version.
    const resumed = options.token !== undefined && d.stages.has(token);
    if (resumed && current === token) return { version: token };
    if (!resumed) {
      if (options.expectedCurrent !== undefined && current !== options.expectedCurrent) {
        throw new VhError('CONFLICT', `"${name}" changed: current version is ${current ?? 'none'}, expected ${options.expectedCurrent}`);
      }
      if (options.stage === 'pending' && pending !== undefined && pending !== current) {
        throw new VhError('CONFLICT', `"${name}" already has a pending version ${pending}`);
      }
    }
    // The new version is written under a label of its own, so nothing else sees it yet. The token makes the write
    // idempotent: sent again, it is the same version.
    const version = resumed
      ? token
      : ((await this.send<{ VersionId?: string }>(`write ${name}`, (s) =>
          new s.PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, VersionStages: [own], ...valueParams(value) }),
        )).VersionId ?? token);
    try {
      if (options.stage === 'pending') {
        if (pending !== version) {
          // AWS refuses to move a label that another version holds unless RemoveFromVersionId names it: taking
          // AWSPENDING without it is the compare-and-swap that makes the pending slot a lock.
          if (pending !== undefined && pending === current) await this.moveLabel(`clear stale pending ${name}`, name, 'AWSPENDING', { from: pending });
          await this.moveLabel(`stage ${name}`, name, 'AWSPENDING', { to: version });
        }
        const after = await this.describeRaw(name);
        if (AwsStore.versionWith(after, 'AWSPENDING') !== version) throw new VhError('CONFLICT', `"${name}" got another pending version concurrently`);
      } else {
        await this.promote(name, version, { expectedCurrent: options.expectedCurrent ?? current ?? '' });
      }
    } catch (err) {
      // Lost: leave nothing of ours behind — neither our own label nor AWSPENDING, where it landed on our version
      // (Secrets Manager refuses the second move; an emulator may not).
      await this.dropLabels(name, version, [own, 'AWSPENDING']).catch(() => undefined);
      if (isVhError(err) && (err.code === 'CONFLICT' || err.code === 'INVALID_FORMAT')) throw new VhError('CONFLICT', `"${name}" changed concurrently: ${err.message}`);
      throw err;
    }
    await this.dropLabels(name, version, [own]);
    return { version };
  }

  /** Removes `labels` from `version` where it still holds them (AWSCURRENT never). */
  private async dropLabels(name: string, version: string, labels: string[]): Promise<void> {
    const d = await this.describeRaw(name);
    const held = d.stages.get(version) ?? [];
    if (held.includes('AWSCURRENT')) labels = labels.filter((l) => l !== 'AWSPENDING' || held.includes('AWSPENDING'));
    for (const label of labels) {
      if (label === 'AWSCURRENT' || !held.includes(label)) continue;
      await this.moveLabel(`unlabel ${name}`, name, label, { from: version });
    }
  }

  /** Our own staging labels: a version holding one was written by a vh-secrets put that has not finished. */
  private static stagingLabelOf(labels: string[]): string | undefined {
    return labels.find((l) => l.startsWith('vh-staging-'));
  }

  async promote(name: string, version: string, options: PromoteOptions = {}): Promise<void> {
    await this.promoteOnly(name, version, options);
    if (options.metadata && Object.keys(options.metadata).length > 0) await this.setMetadata(name, options.metadata);
  }

  private async promoteOnly(name: string, version: string, options: PromoteOptions): Promise<void> {
    const d = await this.describeRaw(name);
    const current = AwsStore.versionWith(d, 'AWSCURRENT');
    if (current !== version) {
      if (options.expectedCurrent !== undefined && options.expectedCurrent !== '' && current !== options.expectedCurrent) {
        throw new VhError('CONFLICT', `"${name}" changed: current version is ${current ?? 'none'}, expected ${options.expectedCurrent}`);
      }
      if (!d.stages.has(version)) throw new VhError('NOT_FOUND', `version ${version} of "${name}" not found`);
      const from = options.expectedCurrent || current;
      await this.moveLabel(`promote ${name}`, name, 'AWSCURRENT', { to: version, ...(from ? { from } : {}) });
    }
    const after = await this.describeRaw(name);
    if (AwsStore.versionWith(after, 'AWSCURRENT') !== version) {
      throw new VhError('CONFLICT', `"${name}" changed while promoting version ${version}`);
    }
    const labels = after.stages.get(version) ?? [];
    if (labels.includes('AWSPENDING')) await this.moveLabel(`clear pending ${name}`, name, 'AWSPENDING', { from: version });
    const staging = AwsStore.stagingLabelOf(labels);
    if (staging) await this.moveLabel(`unlabel ${name}`, name, staging, { from: version });
  }

  async discardPending(name: string, version: string): Promise<void> {
    let d: Described;
    try {
      d = await this.describeRaw(name);
    } catch (err) {
      if ((err as VhError).code === 'NOT_FOUND') return;
      throw err;
    }
    if (AwsStore.versionWith(d, 'AWSCURRENT') === version) return;
    // A version with no staging label is deprecated, and Secrets Manager deletes it in time.
    const labels = d.stages.get(version) ?? [];
    if (labels.includes('AWSPENDING')) await this.moveLabel(`discard ${name}@${version}`, name, 'AWSPENDING', { from: version });
    const staging = AwsStore.stagingLabelOf(labels);
    if (staging) await this.moveLabel(`discard ${name}@${version}`, name, staging, { from: version });
  }

  async *list(filter?: ListFilter): AsyncIterable<SecretSummary> {
    let next: string | undefined;
    do {
      const res = await this.send<{ SecretList?: { Name?: string; Tags?: Tag[]; LastChangedDate?: Date; SecretVersionsToStages?: Record<string, string[]>; DeletedDate?: Date }[]; NextToken?: string }>(
        'list',
        (s) =>
          new s.ListSecretsCommand({
            MaxResults: 100,
            ...(next ? { NextToken: next } : {}),
            ...(filter?.prefix ? { Filters: [{ Key: 'name', Values: [filter.prefix] }] } : {}),
          }),
      );
      for (const entry of res.SecretList ?? []) {
        if (!entry.Name || entry.DeletedDate) continue;
        if (filter?.prefix && !entry.Name.startsWith(filter.prefix)) continue;
        const { metadata } = tagsToMeta(entry.Tags);
        if (!matchesFilter(metadata, filter)) continue;
        const current = Object.entries(entry.SecretVersionsToStages ?? {}).find(([, l]) => l.includes('AWSCURRENT'))?.[0];
        yield { name: entry.Name, metadata, currentVersion: current, updatedAt: entry.LastChangedDate?.toISOString() };
      }
      next = res.NextToken;
    } while (next);
  }

  async describe(name: string): Promise<SecretDescription> {
    const d = await this.describeRaw(name);
    const created = new Map<string, string | undefined>();
    try {
      const res = await this.send<{ Versions?: { VersionId?: string; CreatedDate?: Date }[] }>(`versions of ${name}`, (s) => new s.ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
      for (const v of res.Versions ?? []) if (v.VersionId) created.set(v.VersionId, v.CreatedDate?.toISOString());
    } catch {
      // creation dates are a nicety; stages come from DescribeSecret
    }
    const versions: VersionInfo[] = [...d.stages.entries()].map(([id, labels]) => {
      const stages: Stage[] = [];
      if (labels.includes('AWSCURRENT')) stages.push('current');
      if ((labels.includes('AWSPENDING') || AwsStore.stagingLabelOf(labels)) && !labels.includes('AWSCURRENT')) stages.push('pending');
      if (labels.includes('AWSPREVIOUS')) stages.push('previous');
      return { version: id, createdAt: created.get(id), state: d.deleted || d.revokedVersions.includes(id) ? 'disabled' : 'enabled', stages };
    });
    versions.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
    const current = AwsStore.versionWith(d, 'AWSCURRENT');
    // A version still under one of our own staging labels is a put that never finished: pending, for
    // `--resume` to verify and promote or `--abort` to discard.
    const pending = AwsStore.versionWith(d, 'AWSPENDING') ?? [...d.stages].find(([id, l]) => id !== current && AwsStore.stagingLabelOf(l))?.[0];
    return {
      name,
      metadata: d.metadata,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
      currentVersion: current,
      pendingVersion: pending !== current ? pending : undefined,
      versions,
      revoked: d.deleted,
    };
  }

  async setMetadata(name: string, patch: Record<string, string | null>): Promise<void> {
    const set = Object.entries(patch).filter((e): e is [string, string] => e[1] !== null);
    const remove = Object.entries(patch).filter(([, v]) => v === null).map(([k]) => k);
    if (set.length > 0) await this.send(`tag ${name}`, (s) => new s.TagResourceCommand({ SecretId: name, Tags: set.map(([Key, Value]) => ({ Key, Value })) }));
    if (remove.length > 0) await this.send(`untag ${name}`, (s) => new s.UntagResourceCommand({ SecretId: name, TagKeys: remove }));
  }

  async revoke(name: string, version?: string): Promise<RevokeResult> {
    const d = await this.describeRaw(name);
    if (version === undefined) {
      // Soft delete: recoverable with restore-secret during the recovery window.
      const days = this.options.recovery_window_days ?? 7;
      await this.send(`revoke ${name}`, (s) => new s.DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: days }), {
        // Sent again after it landed, DeleteSecret says the secret is already deleted: read instead.
        reconcile: async () => ((await this.describeRaw(name).catch(() => undefined))?.deleted ? {} : undefined),
      });
      return { revoked: [...d.stages.keys()] };
    }
    const labels = d.stages.get(version);
    if (!labels) throw new VhError('NOT_FOUND', `version ${version} of "${name}" not found`);
    // No per-version disable in Secrets Manager: strip its labels (it becomes deprecated) and remember it so
    // vh-secrets refuses to read it by id.
    for (const label of labels) {
      if (label === 'AWSCURRENT') continue;
      await this.moveLabel(`revoke ${name}@${version}`, name, label, { from: version });
    }
    const revoked = [...d.revokedVersions.filter((v) => v !== version), version].slice(-MAX_REVOKED);
    await this.setMetadata(name, { [REVOKED_TAG]: revoked.join(' ') });
    return { revoked: [version] };
  }

  async destroy(name: string, version?: string): Promise<void> {
    if (version !== undefined) {
      await this.revoke(name, version);
      return;
    }
    await this.send(`destroy ${name}`, (s) => new s.DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  }

  async ping(): Promise<PingResult> {
    return timedPing(() => this.send('ping', (s) => new s.ListSecretsCommand({ MaxResults: 1 })));
  }

  /** The caller's ARN from STS GetCallerIdentity, with the same region, endpoint and profile as the store. */
  async identity(): Promise<string | undefined> {
    const { client } = await this.connect();
    const sts = await import('@aws-sdk/client-sts');
    const caller = new sts.STSClient({
      maxAttempts: 1,
      requestHandler: this.requestHandler(),
      region: await client.config.region(),
      credentials: client.config.credentials,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
    });
    try {
      const what = 'who am I (sts:GetCallerIdentity)';
      const out = await withRetry(async () => {
        try {
          return await caller.send(new sts.GetCallerIdentityCommand({}));
        } catch (err) {
          if ((err as { name?: string }).name === 'TimeoutError') throw noAnswer(`aws ${this.where}`, what, this.timeoutMs);
          throw mapAwsError(err, this.where, what, this.options.profile || undefined);
        }
      });
      return out.Arn;
    } finally {
      caller.destroy();
    }
  }


  async close(): Promise<void> {
    this.client?.destroy();
  }
}

export default defineProvider((options: AwsStoreOptions) => new AwsStore(options));
