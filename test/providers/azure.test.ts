import openAzure from '../../src/providers/azure.js';
import { testStore } from './contract.js';
import { peerSkip } from './peers.js';

// No Azure Key Vault test double can be installed from this machine's registries (lowkey-vault-app is not
// served by its Maven Central; the Go fallback emulator is not on its module proxy). Point
// VH_TEST_AZURE_URL (and the credential environment DefaultAzureCredential needs) at one to run the suite.
const url = process.env.VH_TEST_AZURE_URL;

testStore({
  name: 'azure',
  skip: url ? await peerSkip('azure', url, 'start lowkey-vault') : 'VH_TEST_AZURE_URL is not set (no Azure Key Vault test double is installable here)',
  open: async () => openAzure({ vault_url: url!, disable_challenge_resource_verification: true }, { alias: 'azure', home: '/nonexistent' }),
});
