import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'set',
  description: 'write a new version from a value issued elsewhere (stdin, --value-file, or typed at a terminal): staged, applied at its target, verified, promoted',
  arguments: [{ name: '<ref>', description: 'secret reference (without @VERSION; #KEY sets one field of a JSON value)' }],
  options: [
    { flags: '--value-file <file>', description: 'read the value from a file (- for stdin)' },
    { flags: '--cas <version>', description: 'write only while this version is current (exit 75 otherwise)' },
    { flags: '--reason <text>', description: 'reason recorded in the audit log' },
    { flags: '--force', description: 'cut a previous version still inside its grace period' },
    { flags: '--dry-run', description: 'show what would happen, change nothing' },
  ],
  help: '\nThe previous version stays valid for its grace period, as after a rotation. The value never comes from the\ncommand line. Exit: 0 written, 75 --cas version no longer current or another rotation holds the secret,\n64 the current value again, 65 an empty or oversized value, 77 a policy rule broken.',
  examples: [
    'printf %s "$NEW_KEY" | vh-secrets set app/stripe --reason "reissued by vendor"',
    'vh-secrets set app/tls#key --value-file new.key --cas 3',
  ],
});

export default spec;
export type SetOptions = OptionsOf<typeof spec>;
