import { secretIdFor } from '../../src/providers/gcp.js';
import type { SecretStore } from '../../src/core/store.js';
import { gcpDoubleEndpoint } from './stores.js';

/**
 * What a rotation may leave in a store's own state that the store contract does not show: private staging
 * labels, stage labels on versions that are not current, provider bookkeeping (pending slot, request token) in
 * the secret's metadata, a Vault "latest" version that plain KV readers would take for the value. Read straight
 * from the store's API, as an operator's own tooling would see it. Each finding is one sentence.
 */

const awsEndpoint = process.env.VH_TEST_AWS_ENDPOINT ?? 'http://127.0.0.1:5055';
const vaultAddr = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';

/** The AWS labels of every labelled version: what DescribeSecret's VersionIdsToStages shows. */
export async function awsStages(name: string): Promise<Record<string, string[]>> {
  const sdk = await import('@aws-sdk/client-secrets-manager');
  const client = new sdk.SecretsManagerClient({ endpoint: awsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  try {
    const res = await client.send(new sdk.DescribeSecretCommand({ SecretId: name }));
    return res.VersionIdsToStages ?? {};
  } finally {
    client.destroy();
  }
}

/** AWS: only the current version may carry a label other than AWSPREVIOUS; no version keeps a private label. */
export function awsLabelFindings(stages: Record<string, string[]>): string[] {
  const found: string[] = [];
  for (const [id, labels] of Object.entries(stages)) {
    const priv = labels.filter((l) => !l.startsWith('AWS'));
    if (priv.length) found.push(`aws version ${id} keeps private label(s) ${priv.join(', ')}`);
    if (!labels.includes('AWSCURRENT')) {
      const extra = labels.filter((l) => l.startsWith('AWS') && l !== 'AWSPREVIOUS');
      if (extra.length) found.push(`aws version ${id} is not current but is labelled ${extra.join(', ')}`);
    }
  }
  return found;
}

async function vaultFindings(name: string, store: SecretStore, currentValue: Buffer): Promise<string[]> {
  const found: string[] = [];
  const path = name.split('/').map(encodeURIComponent).join('/');
  const res = await fetch(`${vaultAddr}/v1/secret/metadata/${path}`, { headers: { 'X-Vault-Token': process.env.VH_TEST_VAULT_TOKEN ?? 'root' } });
  if (!res.ok) return [`vault metadata of ${name} unreadable: ${res.status}`];
  const md = ((await res.json()) as { data: { current_version: number; custom_metadata: Record<string, string> | null } }).data;
  const custom = md.custom_metadata ?? {};
  for (const k of Object.keys(custom)) if (k === 'vh-stage-pending' || k === 'vh-stage-token' || k.startsWith('vh-stage-claim-')) found.push(`vault custom_metadata keeps ${k}=${custom[k]}`);
  // Plain KV readers (vault kv get, agents, CSI drivers) follow Vault's latest version, not vh-secrets' pin.
  const latest = String(md.current_version);
  try {
    const plain = await store.get(name, { version: latest });
    if (!plain.value.equals(currentValue)) found.push(`vault's latest version ${latest} (what plain KV readers get) is not the current value`);
  } catch (err) {
    found.push(`vault's latest version ${latest} (what plain KV readers get) is unreadable: ${(err as Error).message}`);
  }
  return found;
}

async function gcpFindings(name: string): Promise<string[]> {
  const gcp = await import('@google-cloud/secret-manager');
  const { credentials } = await import('@grpc/grpc-js');
  const [host, port] = gcpDoubleEndpoint.split(':');
  const client = new gcp.SecretManagerServiceClient({ apiEndpoint: host, port: Number(port), sslCreds: credentials.createInsecure(), projectId: 'test-project' } as ConstructorParameters<typeof gcp.SecretManagerServiceClient>[0]);
  try {
    const [s] = await client.getSecret({ name: `projects/test-project/secrets/${secretIdFor(name)}` }, { timeout: 15_000, maxRetries: 0 });
    const a = s.annotations ?? {};
    return ['vh-stage-pending', 'vh-stage-token'].filter((k) => a[k]).map((k) => `gcp annotation ${k}=${a[k]} left on the secret`);
  } finally {
    await client.close();
  }
}

/**
 * Everything left in `name` beyond the settled state the store contract already shows (no pending version, no
 * marker): per provider, the store's own bookkeeping. `currentValue` is the value the contract reads as current.
 */
export async function storeFindings(provider: string, name: string, store: SecretStore, currentValue: Buffer): Promise<string[]> {
  switch (provider) {
    case 'aws':
      return awsLabelFindings(await awsStages(name));
    case 'vault':
      return vaultFindings(name, store, currentValue);
    case 'gcp':
      return gcpFindings(name);
    default:
      return [];
  }
}
