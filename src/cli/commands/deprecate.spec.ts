import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'deprecate',
  description: 'mark a secret DEPRECATED: still readable and rotatable, flagged for retirement',
  arguments: [{ name: '<ref>', description: 'secret reference' }],
  options: [
    { flags: '--reason <text>', description: 'reason recorded in the audit log' },
  ],
  help: '\nAllowed from ACTIVATED, ACCESSED, ROTATED or EXPIRED; exit 64 from REVOKED or ARCHIVED, 0 when already deprecated.',
});

export default spec;
export type DeprecateOptions = OptionsOf<typeof spec>;
