import openGcp from '../../src/providers/gcp.js';
import { testStore } from './contract.js';
import { peerSkip } from './peers.js';

// The GCP Secret Manager emulator (blackwell-systems) is not served by this machine's Go module proxy.
// Point VH_TEST_GCP_ENDPOINT (host:port) at an emulator or a test project to run the suite.
const endpoint = process.env.VH_TEST_GCP_ENDPOINT;
const project = process.env.VH_TEST_GCP_PROJECT ?? 'test-project';

testStore({
  name: 'gcp',
  skip: endpoint ? await peerSkip('gcp', endpoint, 'start the GCP Secret Manager emulator') : 'VH_TEST_GCP_ENDPOINT is not set (no GCP Secret Manager emulator is installable here)',
  open: async () => openGcp({ endpoint: endpoint!, project }, { alias: 'gcp', home: '/nonexistent' }),
  deviations: { concurrentConflict: 'emulators do not enforce etags; real Secret Manager rejects the stale updateSecret' },
});
