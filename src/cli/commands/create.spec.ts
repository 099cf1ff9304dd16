import { SECRET_TYPES_HELP } from '../help-words.js';
import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'create',
  aliases: ['put'],
  description: 'create a secret; the value comes from stdin, --value-file or --generate, never from the command line',
  arguments: [{ name: '<ref>', description: 'secret reference (without @VERSION)' }],
  options: [
    { flags: '--type <type>', description: `secret type: ${SECRET_TYPES_HELP}`, default: 'generic' },
    { flags: '--generate', description: "generate the value with the type's generator" },
    { flags: '--value-file <file>', description: 'read the value from a file (- for stdin)' },
    { flags: '--expires-in-days <n>', description: 'expiry, in days from now' },
    { flags: '--rotation-days <n>', description: "rotation interval in days (default: the type's policy)" },
    { flags: '--owner <owner>', description: 'owner (team or person) recorded in metadata' },
    { flags: '--target <name>', description: 'rotation target from the config ([targets.<name>]) that rotations apply the new value to' },
    { flags: '--reload <name>', description: 'a [[reload]] from the config that each rotation runs after promote (repeatable)', repeatable: true },
    { flags: '--tag <key=value>', description: 'tag (repeatable)', repeatable: true },
  ],
  help: '\nAs `put`, on a secret that exists it writes a new version from the value given, as `set` does.\nUnder a policy (--policy), a rule the request breaks exits 77 naming the rule (mode "enforce") or warns (mode "warn").',
  examples: [
    'printf %s "$DB_PASS" | vh-secrets create app/db --type database_password',
    'vh-secrets create prod-vault:app/api --type api_key --generate --tag team=payments',
  ],
});

export default spec;
export type CreateOptions = OptionsOf<typeof spec>;
