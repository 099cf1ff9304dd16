import { SECRET_TYPES_HELP } from '../help-words.js';
import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'update',
  description: 'change what vh-secrets knows about a secret (tags, owner, rotation interval, expiry, target, type) — metadata only, never the value',
  arguments: [{ name: '<ref>', description: 'secret reference (without @VERSION or #KEY)' }],
  options: [
    { flags: '--tag <key=value>', description: 'set a tag (repeatable)', repeatable: true },
    { flags: '--untag <key>', description: 'remove a tag (repeatable)', repeatable: true },
    { flags: '--owner <owner>', description: 'owner (team or person); "" removes it' },
    { flags: '--rotation-days <n>', description: 'rotation interval in days' },
    { flags: '--expires-in-days <n>', description: 'expiry, in days from now' },
    { flags: '--no-expiry', description: 'remove the expiry' },
    { flags: '--target <name>', description: 'rotation target from the config ([targets.<name>])' },
    { flags: '--no-target', description: "remove the secret's own rotation target" },
    { flags: '--type <type>', description: `secret type: ${SECRET_TYPES_HELP}` },
  ],
  help: '\nRefused before anything is written when the policy would not accept the result (exit 77 naming the rule),\nor — for --type and --target — while a rotation of the secret is in flight (exit 75). Audited as `updated`.',
  examples: [
    'vh-secrets update app/db --owner dba --rotation-days 30 --tag team=payments',
    'vh-secrets update prod-vault:app/api --untag legacy --no-expiry',
  ],
});

export default spec;
export type UpdateOptions = OptionsOf<typeof spec>;
