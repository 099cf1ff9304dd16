import { defineCommand } from '../spec.js';

const spec = defineCommand({
  name: 'describe',
  description: 'show metadata and versions of a secret (never the value)',
  arguments: [{ name: '<ref>', description: 'secret reference' }],
});

export default spec;
