import type { IAMClient, IAMClientConfig } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import { VhError, type ErrorCode } from '../base/errors.js';
import { withRetry } from '../base/retry.js';
import { targetError, targetUnchanged } from './errors.js';
import { TargetOptions } from './options.js';
import type { Credential, IssueRequest, IssuedCredential, RotationTarget, TargetContext, TargetFactory } from '../core/target.js';

/**
 * An IAM user's access key pair. IAM makes the secret half itself (CreateAccessKey answers it once), so this
 * target *issues* the new value instead of taking a generated one, and a user holds at most two keys, so it has
 * two slots. The secret's value is `{"access_key_id": …, "secret_access_key": …}` (other fields are kept).
 *
 * - generate (`issue`): frees a slot if the user has two keys — the other key when it is Inactive, or a previous
 *   key this rotation retires anyway; an Active key vh-secrets does not know only with --force — then creates
 *   the new key.
 * - stage (`apply`): the new key exists and is Active. verify: sts:GetCallerIdentity signed with the new key names
 *   the user, polled with backoff through IAM's propagation delay until `verify_timeout_ms`.
 * - rollback / discard: the new key is deleted. cleanup: the previous key is deactivated; it is deleted when the
 *   next rotation needs its slot (until then an operator can switch it back on).
 * - inUse: 1 when IAM says the previous key was used after it was superseded, else 0.
 *
 * vh-secrets calls IAM with the AWS default credential chain (or the target's `profile`), never with the key
 * being rotated; the new key signs nothing but the GetCallerIdentity probe.
 */

type IamSdk = typeof import('@aws-sdk/client-iam');
type StsSdk = typeof import('@aws-sdk/client-sts');

interface KeyPair {
  id: string;
  secret: string;
  /** The whole stored object, so that a rotation keeps the fields beside the key pair. */
  fields: Record<string, unknown>;
}

interface AccessKey {
  id: string;
  active: boolean;
  created: number;
}

function classify(e: Record<string, unknown>): ErrorCode | undefined {
  const name = typeof e.name === 'string' ? e.name : '';
  switch (name) {
    case 'AccessDenied':
    case 'AccessDeniedException':
    case 'UnauthorizedOperation':
      return 'PERMISSION_DENIED';
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'UnrecognizedClientException':
    case 'CredentialsProviderError':
      return 'AUTH_FAILED';
    case 'NoSuchEntity':
    case 'NoSuchEntityException':
      return 'CONFIG';
    case 'LimitExceeded':
    case 'LimitExceededException':
    case 'ConcurrentModification':
    case 'ConcurrentModificationException':
      return 'CONFLICT';
    case 'Throttling':
    case 'ThrottlingException':
      return 'THROTTLED';
    case 'TimeoutError':
    case 'RequestTimeout':
    case 'ServiceFailure':
    case 'ServiceFailureException':
    case 'ServiceUnavailable':
      return 'NETWORK';
    default:
      break;
  }
  // Raised by the SDK before any request: no region in the settings, the environment or the profile.
  if (typeof e.message === 'string' && /^Region is missing/.test(e.message)) return 'CONFIG';
  const status = (e.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
  if (status !== undefined && status >= 500) return 'NETWORK';
  return undefined;
}

const isGone = (err: unknown) => /^NoSuchEntity/.test(String((err as { name?: unknown } | undefined)?.name ?? ''));

/** IAM answered and refused: the request changed nothing. Anything else (no answer, 5xx) may have been carried out. */
function refused(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class AwsIamUserTarget implements RotationTarget {
  readonly kind = 'aws-iam-user';
  readonly alternating = false;
  readonly slots = 2;
  private readonly user: string;
  private readonly region: string | undefined;
  private readonly profile: string | undefined;
  private readonly endpoint: string | undefined;
  private readonly timeoutMs: number;
  private readonly verifyTimeoutMs: number;
  private iam: { sdk: IamSdk; client: IAMClient } | undefined;
  private userArn: string | undefined;

  constructor(
    options: Record<string, unknown>,
    private readonly context: TargetContext,
  ) {
    const o = new TargetOptions(options, context.name);
    this.user = o.required('user');
    this.region = o.string('region');
    this.profile = o.string('profile');
    this.endpoint = o.string('endpoint');
    this.timeoutMs = o.int('connect_timeout_ms', 10_000, 100, 600_000);
    this.verifyTimeoutMs = o.int('verify_timeout_ms', 30_000, 1_000, 600_000);
    o.done();
    if (context.admin) {
      throw new VhError('CONFIG', `targets.${context.name}.admin: an aws-iam-user target calls IAM with the AWS credential chain (or its profile), not with an admin secret`, { hint: 'remove admin; set profile, or the AWS_* environment, for the identity that manages the user' });
    }
  }

  get name(): string {
    return this.context.name;
  }

  /** Names the target, the user and the endpoint's host — never a URL's user info. */
  private get where(): string {
    let at = '';
    if (this.endpoint) {
      try {
        at = ` at ${new URL(this.endpoint).host}`;
      } catch {
        at = ' at a custom endpoint';
      }
    }
    return `target ${this.name} (aws-iam-user ${this.user}${at})`;
  }

  /** The key pair in a stored value; never echoes the value. */
  private pair(c: Credential): KeyPair {
    let fields: unknown;
    try {
      fields = JSON.parse(c.value.toString('utf8'));
    } catch {
      fields = undefined;
    }
    const f = fields as Record<string, unknown> | undefined;
    if (typeof f !== 'object' || f === null || Array.isArray(f) || typeof f.access_key_id !== 'string' || typeof f.secret_access_key !== 'string' || f.access_key_id === '' || f.secret_access_key === '') {
      throw new VhError('INVALID_FORMAT', `${this.where}: the secret's value must be a JSON object with "access_key_id" and "secret_access_key"`, { hint: 'store it as {"access_key_id": "AKIA…", "secret_access_key": "…"}' });
    }
    return { id: f.access_key_id, secret: f.secret_access_key, fields: f };
  }

  private idOf(c: Credential): string | undefined {
    try {
      return this.pair(c).id;
    } catch {
      return undefined;
    }
  }

  private secretsOf(...cs: Credential[]): string[] {
    const out: string[] = [];
    for (const c of cs) {
      out.push(c.password);
      try {
        out.push(this.pair(c).secret);
      } catch {
        // not a key pair: the whole value is already there
      }
    }
    return out;
  }

  /** throwOnRequestTimeout: without it the SDK only warns when requestTimeout passes, and waits on. */
  private requestHandler() {
    return { connectionTimeout: this.timeoutMs, requestTimeout: this.timeoutMs, throwOnRequestTimeout: true };
  }

  private async client(): Promise<{ sdk: IamSdk; client: IAMClient }> {
    if (!this.iam) {
      // The SDK warns on every run under Node 20 about its own future releases (see providers/aws.ts).
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const sdk = await import('@aws-sdk/client-iam');
      const config: IAMClientConfig = {
        // Reads and idempotent writes are retried here (withRetry); CreateAccessKey never blindly.
        maxAttempts: 1,
        requestHandler: this.requestHandler(),
        ...(this.region ? { region: this.region } : {}),
        ...(this.endpoint ? { endpoint: this.endpoint } : {}),
        ...(this.profile ? { profile: this.profile } : {}),
      };
      this.iam = { sdk, client: new sdk.IAMClient(config) };
    }
    return this.iam;
  }

  /**
   * One IAM request, its error named after the target with any secret in `secrets` removed. Retried on network
   * errors and throttling unless `once` (a request IAM does not make idempotent). `gone`: what a NoSuchEntity
   * answer means instead of an error (a key already deleted is deleted).
   */
  private async send<T>(what: string, make: (sdk: IamSdk) => object, secrets: readonly string[], options: { once?: boolean; gone?: () => T } = {}): Promise<T> {
    const { sdk, client } = await this.client();
    const attempt = async () => {
      try {
        return (await client.send(make(sdk) as Parameters<IAMClient['send']>[0])) as T;
      } catch (err) {
        if (options.gone && isGone(err)) return options.gone();
        throw targetError(err, `${this.where}: ${what}`, classify, secrets, refused(err));
      }
    };
    return options.once ? attempt() : withRetry(attempt);
  }

  private async keys(secrets: readonly string[]): Promise<AccessKey[]> {
    const out: AccessKey[] = [];
    let marker: string | undefined;
    do {
      const page = await this.send<{ AccessKeyMetadata?: { AccessKeyId?: string; Status?: string; CreateDate?: Date }[]; IsTruncated?: boolean; Marker?: string }>(
        'ListAccessKeys',
        (s) => new s.ListAccessKeysCommand({ UserName: this.user, ...(marker ? { Marker: marker } : {}) }),
        secrets,
      );
      for (const k of page.AccessKeyMetadata ?? []) {
        if (k.AccessKeyId) out.push({ id: k.AccessKeyId, active: k.Status === 'Active', created: k.CreateDate?.getTime() ?? 0 });
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return out;
  }

  /** Deletes a key of the user; one already gone is done. */
  private async deleteKey(id: string, secrets: readonly string[]): Promise<void> {
    await this.send('DeleteAccessKey', (s) => new s.DeleteAccessKeyCommand({ UserName: this.user, AccessKeyId: id }), secrets, { gone: () => undefined });
  }

  private async arn(secrets: readonly string[]): Promise<string> {
    if (!this.userArn) {
      const out = await this.send<{ User?: { Arn?: string } }>('GetUser', (s) => new s.GetUserCommand({ UserName: this.user }), secrets);
      if (!out.User?.Arn) throw new VhError('INTERNAL', `${this.where}: GetUser answered no ARN`);
      this.userArn = out.User.Arn;
    }
    return this.userArn;
  }

  nextUser(): string {
    return this.user;
  }

  async issue(current: Credential, request: IssueRequest): Promise<IssuedCredential> {
    const now = this.pair(current);
    const secrets = this.secretsOf(current, ...request.retiring);
    const keys = await this.keys(secrets);
    if (!keys.some((k) => k.id === now.id)) {
      throw new VhError('CONFIG', `${this.where}: the secret's access key ${now.id} is not a key of IAM user ${this.user}`, { hint: `check targets.${this.name}.user, and that the secret holds that user's key` });
    }
    const other = keys.find((k) => k.id !== now.id);
    if (other && keys.length >= 2) {
      const retiring = new Set(request.retiring.map((c) => this.idOf(c)));
      if (other.active && !retiring.has(other.id) && !request.force) {
        // The hint is said in the message too: a failed rotation reports its error's message only.
        throw new VhError('CONFLICT', `${this.where}: IAM user ${this.user} already has two access keys, and the other one, ${other.id}, is Active (created ${new Date(other.created).toISOString()}) and not a previous version of this secret: vh-secrets will not delete it without --force (or deactivate it first, once nothing uses it)`, {
          hint: `make sure nothing uses ${other.id}, then deactivate it (aws iam update-access-key --status Inactive) or rotate with --force to delete it`,
        });
      }
      // Inactive (retired by a past cleanup), or retired by this rotation anyway, or --force: its slot is needed.
      await this.deleteKey(other.id, secrets);
    }
    const before = new Set(keys.map((k) => k.id));
    let made: { AccessKey?: { AccessKeyId?: string; SecretAccessKey?: string } };
    try {
      made = await this.send('CreateAccessKey', (s) => new s.CreateAccessKeyCommand({ UserName: this.user }), secrets, { once: true });
    } catch (err) {
      // No answer (or a 5xx) may hide a key that was made: its secret went with the answer, so it goes too.
      if (!targetUnchanged(err)) await this.removeNew(before, secrets).catch(() => undefined);
      throw err;
    }
    const id = made.AccessKey?.AccessKeyId;
    const secret = made.AccessKey?.SecretAccessKey;
    if (!id || !secret) {
      if (id) await this.deleteKey(id, secrets).catch(() => undefined);
      throw new VhError('INTERNAL', `${this.where}: CreateAccessKey answered no key pair`);
    }
    return { id, value: Buffer.from(JSON.stringify({ ...now.fields, access_key_id: id, secret_access_key: secret })) };
  }

  /** Deletes the keys that appeared since `before` was listed (what a CreateAccessKey whose answer was lost made). */
  private async removeNew(before: Set<string>, secrets: readonly string[]): Promise<void> {
    for (const k of await this.keys(secrets)) if (!before.has(k.id)) await this.deleteKey(k.id, secrets);
  }

  async discard(id: string, current: Credential): Promise<void> {
    if (id === this.pair(current).id) return;
    await this.deleteKey(id, this.secretsOf(current));
  }

  async apply(current: Credential, next: Credential): Promise<void> {
    const secrets = this.secretsOf(current, next);
    const id = this.pair(next).id;
    const key = (await this.keys(secrets)).find((k) => k.id === id);
    if (!key) throw new VhError('CONFLICT', `${this.where}: the staged access key ${id} is not a key of IAM user ${this.user} (deleted meanwhile?)`);
    if (!key.active) await this.send('UpdateAccessKey', (s) => new s.UpdateAccessKeyCommand({ UserName: this.user, AccessKeyId: id, Status: 'Active' }), secrets);
  }

  /**
   * sts:GetCallerIdentity signed with the new key must name the user. IAM takes a few seconds to accept a new
   * key everywhere; until then the probe is refused (or, on some emulators, answered for someone else), so it is
   * asked again with backoff until `verify_timeout_ms`.
   */
  async verify(next: Credential): Promise<void> {
    const pair = this.pair(next);
    const secrets = this.secretsOf(next);
    const expected = await this.arn(secrets);
    const { client: iam } = await this.client();
    const sts: StsSdk = await import('@aws-sdk/client-sts');
    const probe: STSClient = new sts.STSClient({
      maxAttempts: 1,
      requestHandler: this.requestHandler(),
      region: await iam.config.region(),
      credentials: { accessKeyId: pair.id, secretAccessKey: pair.secret },
      ...(this.endpoint ? { endpoint: this.endpoint } : {}),
    });
    const deadline = Date.now() + this.verifyTimeoutMs;
    let delay = 250;
    let last = '';
    try {
      for (;;) {
        try {
          const who = await probe.send(new sts.GetCallerIdentityCommand({}));
          if (who.Arn === expected) return;
          last = `it signs in as ${who.Arn ?? 'nobody'}`;
        } catch (err) {
          last = targetError(err, 'sts:GetCallerIdentity', classify, secrets).message;
        }
        if (Date.now() + delay > deadline) break;
        await sleep(delay);
        delay = Math.min(delay * 2, 4_000);
      }
    } finally {
      probe.destroy();
    }
    throw new VhError('AUTH_FAILED', `${this.where}: the new access key ${pair.id} did not sign in as ${expected} within ${this.verifyTimeoutMs} ms (last: ${last})`, {
      hint: `IAM may take a few seconds to accept a new key; raise targets.${this.name}.verify_timeout_ms if it is slower here`,
    });
  }

  /** The key this rotation made is deleted; the current one is untouched. */
  async rollback(current: Credential, next: Credential): Promise<void> {
    const id = this.pair(next).id;
    if (id === this.pair(current).id) return;
    await this.deleteKey(id, this.secretsOf(current, next));
  }

  /** The previous key is deactivated (kept, Inactive, until the next rotation needs its slot). */
  async cleanup(previous: Credential, current: Credential): Promise<void> {
    const id = this.pair(previous).id;
    if (id === this.pair(current).id) return;
    await this.send('UpdateAccessKey', (s) => new s.UpdateAccessKeyCommand({ UserName: this.user, AccessKeyId: id, Status: 'Inactive' }), this.secretsOf(previous, current), { gone: () => undefined });
  }

  /** 1 when IAM recorded a use of the previous key after `since`, else 0 (IAM records uses with some delay). */
  async inUse(previous: Credential, current: Credential, since: Date): Promise<number> {
    const id = this.pair(previous).id;
    if (id === this.pair(current).id) return 0;
    const out = await this.send<{ AccessKeyLastUsed?: { LastUsedDate?: Date } }>('GetAccessKeyLastUsed', (s) => new s.GetAccessKeyLastUsedCommand({ AccessKeyId: id }), this.secretsOf(previous, current), { gone: () => ({}) });
    const used = out.AccessKeyLastUsed?.LastUsedDate;
    return used && used.getTime() > since.getTime() ? 1 : 0;
  }

  async close(): Promise<void> {
    this.iam?.client.destroy();
    this.iam = undefined;
  }
}

const factory: TargetFactory = (options, context) => new AwsIamUserTarget(options, context);
export default factory;
