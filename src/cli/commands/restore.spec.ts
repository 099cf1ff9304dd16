import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'restore',
  description: 'restore secrets from a backup archive into any store; never overwrites a newer value without --force',
  arguments: [{ name: '<file>', description: 'archive written by vh-secrets backup' }],
  options: [
    { flags: '--identity <keyfile>', description: 'age identity file (age-keygen output; must not be readable by group or others)' },
    { flags: '--to-store <alias>', description: "restore everything into this store (default: each secret's source store alias)" },
    { flags: '--dry-run', description: 'print what would be done (names and actions only), change nothing' },
    { flags: '--force', description: 'overwrite target secrets holding a newer or unknown-age different value (needs --yes without a TTY)' },
  ],
  help: "\nPer secret: created (absent in the target; with an --all-versions archive its history is written oldest\nfirst), updated (the target's current value differs and was created before the archive's), skipped\n(identical value, or nothing restorable), conflict (the target's different value is newer or of unknown age:\nleft alone unless --force), failed. Metadata is restored with the value; rotation markers are not.\nExit: 0 all created/updated/skipped, 1 at least one conflict, 2 at least one secret failed, 65 not a backup or\ndamaged, 66 archive or identity file missing, 77 identity file readable by others or not a recipient.\nWith --json: {archive, archive_created_at, format_version, all_versions, dry_run, force,\nresults:[{secret,source,action,reason,versions,version,error}], summary}.",
});

export default spec;
export type RestoreOptions = OptionsOf<typeof spec>;
