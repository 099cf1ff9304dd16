import openAzure from '../../src/providers/azure.js';
import { testStore } from './contract.js';
import { azureEnv, azureUrl } from '../helpers/stores.js';
import { peerSkip } from './peers.js';

/**
 * The contract on the wire with the real Azure SDK, against the project's Key Vault test double
 * (test/peers/keyvault-double.ts, started by `scripts/peers.sh start azure`): lowkey-vault, the double PEERS.md
 * names, is not served by this machine's Maven Central. The SDK authenticates as a managed identity (App Service
 * protocol) through DefaultAzureCredential and trusts the double's certificate through NODE_EXTRA_CA_CERTS.
 * VH_TEST_AZURE_URL (plus the credential environment DefaultAzureCredential needs) points at a real vault.
 */
const url = azureUrl;
if (azureEnv.IDENTITY_ENDPOINT) {
  process.env.IDENTITY_ENDPOINT = azureEnv.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = azureEnv.IDENTITY_HEADER;
}

testStore({
  name: 'azure (Key Vault double)',
  skip: await peerSkip('azure', url, 'scripts/peers.sh start azure, then eval "$(scripts/peers.sh env)" (NODE_EXTRA_CA_CERTS)'),
  open: async () => openAzure({ vault_url: url, disable_challenge_resource_verification: true }, { alias: 'azure', home: '/nonexistent' }),
});
