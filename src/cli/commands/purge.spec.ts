import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'purge',
  description: 'destroy a secret and every version, irreversibly (needs --yes; on a terminal, the name typed back)',
  arguments: [{ name: '<ref>', description: 'secret reference' }],
  options: [
    { flags: '--force', description: 'purge from any state, not only ARCHIVED or REVOKED' },
    { flags: '--reason <text>', description: 'reason recorded in the audit log' },
  ],
  help: '\nAllowed from ARCHIVED or REVOKED; --force allows any state. --yes is always required; on a terminal you\nalso type the secret name back (never asked under CI=true or without a TTY).\nExit: 0 purged, 64 without --yes, name not matching, or a state that does not allow it, 66 no such secret.',
});

export default spec;
export type PurgeOptions = OptionsOf<typeof spec>;
