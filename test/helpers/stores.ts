import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import openAws from '../../src/providers/aws.js';
import openAzure from '../../src/providers/azure.js';
import openGcp from '../../src/providers/gcp.js';
import openFile from '../../src/providers/file.js';
import openVault from '../../src/providers/vault.js';
import type { SecretStore } from '../../src/core/store.js';
import { peerSkip } from '../providers/peers.js';
import { baseEnv } from './cli.js';

/** A store alias the CLI can be pointed at, backed by the embedded store or a real peer. */
export interface StoreUnderTest {
  provider: string;
  alias: string;
  skip: string | undefined;
  /** Known peer deviations from the real service that a test may tolerate, each with its reason. */
  deviations: { atomicPendingSlot?: string; unconditionalTags?: string };
  /** The same store the CLI uses, opened directly: tests change metadata as another host or tool would. */
  open(): Promise<SecretStore>;
  /** Environment for a CLI run whose VH_SECRETS_HOME is `home` (config written there). */
  env(home: string): Promise<NodeJS.ProcessEnv>;
}

const vaultAddr = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const awsEndpoint = process.env.VH_TEST_AWS_ENDPOINT ?? 'http://127.0.0.1:5055';
export const gcpDoubleEndpoint = process.env.VH_TEST_GCP_DOUBLE_ENDPOINT ?? '127.0.0.1:59091';
export const azureUrl = process.env.VH_TEST_AZURE_URL ?? 'https://127.0.0.1:58443';
/** DefaultAzureCredential's managed-identity environment for the Key Vault double, and its CA (for CLI runs). */
export const azureEnv: NodeJS.ProcessEnv = {
  IDENTITY_ENDPOINT: process.env.VH_TEST_AZURE_IDENTITY_ENDPOINT ?? '',
  IDENTITY_HEADER: process.env.VH_TEST_AZURE_IDENTITY_HEADER ?? '',
  ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
};

async function withConfig(home: string, toml: string, extra: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  await fs.mkdir(home, { recursive: true });
  const path = join(home, 'vh-secrets.toml');
  await fs.writeFile(path, toml);
  return baseEnv(home, { ...extra, VH_SECRETS_CONFIG: path });
}

/**
 * `sharedFile` is a file store at a fixed path, so that two homes (two "hosts") share it; `vault` and `aws`
 * are the real peers started by scripts/peers.sh, `azure` the project's Key Vault double (lowkey-vault is not
 * installable here), `gcp` the project's Secret Manager double (the third-party emulator lacks UpdateSecret, so it
 * cannot stage a rotation).
 */
export async function storesUnderTest(sharedDir: string): Promise<StoreUnderTest[]> {
  return [
    {
      provider: 'file',
      alias: 'shared',
      skip: undefined,
      deviations: {},
      open: async () => openFile({ path: join(sharedDir, 'shared.vhs'), key_file: join(sharedDir, 'shared.key') }, { alias: 'shared', home: sharedDir }),
      env: (home) => withConfig(home, `default_store = "shared"\n[stores.shared]\nprovider = "file"\npath = "${join(sharedDir, 'shared.vhs')}"\nkey_file = "${join(sharedDir, 'shared.key')}"\n`, {}),
    },
    {
      provider: 'vault',
      alias: 'vault',
      deviations: {},
      open: async () => openVault({ address: vaultAddr, token: process.env.VH_TEST_VAULT_TOKEN ?? 'root' }, { alias: 'vault', home: sharedDir }),
      skip: await peerSkip('vault', vaultAddr, 'scripts/peers.sh start openbao'),
      env: (home) => withConfig(home, `default_store = "vault"\n[stores.vault]\nprovider = "vault"\naddress = "${vaultAddr}"\n`, { VAULT_TOKEN: process.env.VH_TEST_VAULT_TOKEN ?? 'root' }),
    },
    {
      provider: 'aws',
      alias: 'aws',
      open: async () => {
        process.env.AWS_ACCESS_KEY_ID ??= 'test';
        process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
        return openAws({ endpoint: awsEndpoint, region: 'us-east-1' }, { alias: 'aws', home: sharedDir });
      },
      deviations: {
        atomicPendingSlot:
          'moto lets two versions hold AWSPENDING at once (real Secrets Manager refuses to move a label another version holds without RemoveFromVersionId), so two hosts can both stage; promote still lets only one win, and a stray AWSPENDING label can remain on the loser',
      },
      skip: await peerSkip('aws', awsEndpoint, 'scripts/peers.sh start moto'),
      env: (home) =>
        withConfig(home, `default_store = "aws"\n[stores.aws]\nprovider = "aws"\nregion = "us-east-1"\nendpoint = "${awsEndpoint}"\n`, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }),
    },
    {
      provider: 'azure',
      alias: 'azure',
      open: async () => {
        Object.assign(process.env, { IDENTITY_ENDPOINT: azureEnv.IDENTITY_ENDPOINT, IDENTITY_HEADER: azureEnv.IDENTITY_HEADER });
        return openAzure({ vault_url: azureUrl, disable_challenge_resource_verification: true }, { alias: 'azure', home: sharedDir });
      },
      deviations: {
        atomicPendingSlot: 'Azure Key Vault has no conditional write (the real service neither): two hosts can both stage a version; promote lets only one win',
        unconditionalTags:
          "Key Vault replaces a version's tags whole, with no conditional update: when two hosts rotate one secret at once, the loser's marker write can put back the old version's tags, so it loses its `previous` label (the winner stays current, the old version stays enabled and is revoked by version id when its grace ends)",
      },
      skip: await peerSkip('azure', azureUrl, 'scripts/peers.sh start azure'),
      env: (home) => withConfig(home, `default_store = "azure"\n[stores.azure]\nprovider = "azure"\nvault_url = "${azureUrl}"\ndisable_challenge_resource_verification = true\n`, azureEnv),
    },
    {
      provider: 'gcp',
      alias: 'gcp',
      open: async () => openGcp({ endpoint: gcpDoubleEndpoint, project: 'test-project' }, { alias: 'gcp', home: sharedDir }),
      deviations: {},
      skip: await peerSkip('gcp-double', gcpDoubleEndpoint, 'scripts/peers.sh start gcp-double'),
      env: (home) => withConfig(home, `default_store = "gcp"\n[stores.gcp]\nprovider = "gcp"\nproject = "test-project"\nendpoint = "${gcpDoubleEndpoint}"\n`, {}),
    },
  ];
}
