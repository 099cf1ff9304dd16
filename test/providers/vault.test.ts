import openVault from '../../src/providers/vault.js';
import { peerSkip } from './peers.js';
import { testStore } from './contract.js';

const address = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const token = process.env.VH_TEST_VAULT_TOKEN ?? 'root';

testStore({
  name: 'vault (OpenBao)',
  skip: await peerSkip('vault', address, 'scripts/peers.sh start openbao'),
  open: async () => openVault({ address, token }, { alias: 'vault', home: '/nonexistent' }),
});
