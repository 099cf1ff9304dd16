import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'index',
  description: 'build the index of managed values that `scan --managed` matches against (keyed fingerprints, never values)',
  options: [
    { flags: '--store <alias>', description: 'only this store (repeatable; the others keep what the index held)', repeatable: true },
    { flags: '--prefix <prefix>', description: "only secrets whose names start with this (a team's part of a shared store)" },
    { flags: '--versions <n>', description: 'versions of each secret to index, the current one first (default 3)' },
  ],
  help: "\nFor every current and recent version of every secret it may read, the index keeps HMAC-SHA-256\nfingerprints of the value and of each field of a JSON object, under a key of its own (index.key beside the\nfile store's key, 0600). It holds refs, versions, lengths and fingerprints: no value, nothing anyone can\ncompute from a value without that key. Every read is audited (purpose=index). create and each rotation add\ntheir new value to it as they go.\nExit: 0 indexed, 1 some secrets could not be read (warned), other codes: a store could not be listed.",
  examples: [
    'vh-secrets index',
    'vh-secrets scan --git --managed --rotate-leaked',
  ],
});

export default spec;
export type IndexOptions = OptionsOf<typeof spec>;
