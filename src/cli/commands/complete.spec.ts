import { defineCommand } from '../spec.js';

const spec = defineCommand({
  name: '__complete',
  description: '',
  arguments: [
    { name: '<what>' },
    { name: '[prefix]' },
  ],
  hidden: true,
});

export default spec;
