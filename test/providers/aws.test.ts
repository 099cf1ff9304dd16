import openAws from '../../src/providers/aws.js';
import { peerSkip } from './peers.js';
import { testStore } from './contract.js';

const endpoint = process.env.VH_TEST_AWS_ENDPOINT ?? 'http://127.0.0.1:5055';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

testStore({
  name: 'aws (moto)',
  skip: await peerSkip('aws', endpoint, 'scripts/peers.sh start moto'),
  open: async () => openAws({ endpoint, region: 'us-east-1' }, { alias: 'aws', home: '/nonexistent' }),
});
