import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

/**
 * IAM as an operator sees it, on moto (test code only): users and keys made and read back with the SDK under
 * moto's admin identity, and what a key signs in as. Nothing here prints a secret access key.
 */

export const AWS_TEST_ENDPOINT = process.env.VH_TEST_AWS_ENDPOINT ?? 'http://127.0.0.1:5055';
export const AWS_ADMIN = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface KeyPair {
  access_key_id: string;
  secret_access_key: string;
}

/** The environment vh-secrets manages IAM with: the default credential chain (moto accepts any key). */
export const awsAdminEnv = (): NodeJS.ProcessEnv => ({ AWS_ACCESS_KEY_ID: AWS_ADMIN.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS_ADMIN.secretAccessKey, AWS_REGION: 'us-east-1' });

export class IamAdmin {
  readonly client: IAMClient;

  constructor(readonly endpoint = AWS_TEST_ENDPOINT) {
    this.client = new IAMClient({ endpoint, region: 'us-east-1', credentials: AWS_ADMIN });
  }

  async createUser(user: string): Promise<void> {
    await this.client.send(new CreateUserCommand({ UserName: user }));
  }

  async newKey(user: string): Promise<KeyPair> {
    const k = (await this.client.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
    return { access_key_id: k.AccessKeyId!, secret_access_key: k.SecretAccessKey! };
  }

  async setStatus(user: string, id: string, status: 'Active' | 'Inactive'): Promise<void> {
    await this.client.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: id, Status: status }));
  }

  /** The user's keys as IAM lists them: id → Active / Inactive. */
  async keysOf(user: string): Promise<Record<string, string>> {
    return Object.fromEntries(((await this.client.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId!, k.Status!]));
  }

  /** Who a key signs in as (STS GetCallerIdentity signed with it); undefined when refused. */
  async signsInAs(pair: KeyPair): Promise<string | undefined> {
    const sts = new STSClient({ endpoint: this.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: pair.access_key_id, secretAccessKey: pair.secret_access_key } });
    try {
      return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    } catch {
      return undefined;
    } finally {
      sts.destroy();
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}
