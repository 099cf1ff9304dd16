import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'copy',
  description: 'copy a secret (value and metadata) to another store or name, as restore writes it: never over a newer value without --force',
  arguments: [
    { name: '[src]', description: 'secret reference to copy from' },
    { name: '[dst]', description: 'secret reference to copy to; STORE: keeps the name' },
  ],
  options: [
    { flags: '--all', description: 'every secret of --from-store (default: the default store) under --prefix' },
    { flags: '--prefix <prefix>', description: 'with --all: only names starting with this' },
    { flags: '--from-store <alias>', description: 'with --all: the store to copy from' },
    { flags: '--to-store <alias>', description: 'with --all: the store to copy to' },
    { flags: '--dry-run', description: 'print what would be done (names and actions only), change nothing' },
    { flags: '--force', description: 'overwrite target secrets holding a newer or unknown-age different value (needs --yes without a TTY)' },
  ],
  help: '\nPer secret, as restore: created, updated (the target held an older, different value), skipped (the same\nvalue), conflict (a newer or unknown-age different value: left alone unless --force), failed. Only the\ncurrent value is copied; rotation markers are not. Exit: 0 all created/updated/skipped, 1 a conflict, 2 a\nfailure, 66 no such source. With --json: {dry_run, force, results:[{secret,source,action,reason,versions,version,error}], summary}.',
  examples: [
    'vh-secrets copy local:app/db prod-vault:',
    'vh-secrets copy --all --prefix app/ --from-store local --to-store prod-vault --dry-run',
  ],
});

export default spec;
export type CopyOptions = OptionsOf<typeof spec>;
