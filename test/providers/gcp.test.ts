import openGcp from '../../src/providers/gcp.js';
import { testStore } from './contract.js';
import { peerSkip } from './peers.js';

/**
 * The contract on the wire, against the blackwell-systems GCP Secret Manager emulator that scripts/peers.sh
 * builds (v0.1.0, the one version this machine's Go module proxy serves). VH_TEST_GCP_ENDPOINT (host:port)
 * points elsewhere; VH_TEST_GCP_EMULATOR=0 says it is a Secret Manager with the whole API (nothing tolerated).
 */
const endpoint = process.env.VH_TEST_GCP_ENDPOINT ?? '127.0.0.1:59090';
const project = process.env.VH_TEST_GCP_PROJECT ?? 'test-project';
const emulator = process.env.VH_TEST_GCP_EMULATOR !== '0';

// v0.1.0 answers UNIMPLEMENTED for UpdateSecret, ListSecretVersions and Enable/Disable/DestroySecretVersion.
// The adapter follows the real service; what it cannot do there it refuses with NOT_IMPLEMENTED, and it reads
// versions one GetSecretVersion at a time where ListSecretVersions is missing.
const noUpdate = 'the emulator has no UpdateSecret: labels, annotations and stage pins cannot change after create';
const noDisable = 'the emulator has no DisableSecretVersion';

testStore({
  name: 'gcp (emulator)',
  skip: await peerSkip('gcp', endpoint, 'scripts/peers.sh start gcp'),
  open: async () => openGcp({ endpoint, project }, { alias: 'gcp', home: '/nonexistent' }),
  ...(emulator
    ? {
        deviations: { concurrentConflict: 'the emulator keeps no etags (and has no UpdateSecret): concurrent writers all add a version; real Secret Manager refuses the stale updateSecret' },
        unsupported: { twoPhase: noUpdate, tokenIdempotent: noUpdate, discardPending: noUpdate, metadata: noUpdate, revokeVersion: noDisable, revokeSecret: noDisable },
      }
    : { deviations: {} }),
});

/**
 * The whole contract, with nothing tolerated, against the project's Secret Manager double
 * (test/peers/gcp-double.ts, `scripts/peers.sh start gcp-double`): UpdateSecret with etags and aliases,
 * ListSecretVersions and Disable/Destroy, which the emulator above lacks.
 */
const doubleEndpoint = process.env.VH_TEST_GCP_DOUBLE_ENDPOINT ?? '127.0.0.1:59091';
testStore({
  name: 'gcp (full-API double)',
  skip: await peerSkip('gcp-double', doubleEndpoint, 'scripts/peers.sh start gcp-double'),
  open: async () => openGcp({ endpoint: doubleEndpoint, project }, { alias: 'gcp', home: '/nonexistent' }),
});
