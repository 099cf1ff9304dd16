import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'backup',
  description: 'write the secrets of a store (or of every configured store) to an age-encrypted archive',
  options: [
    { flags: '--store <alias>', description: 'only this store (default: every configured store)' },
    { flags: '--prefix <prefix>', description: 'only secrets whose name starts with this' },
    { flags: '--type <type>', description: 'only this secret type' },
    { flags: '--tag <key=value>', description: 'only secrets with this tag (repeatable)', repeatable: true },
    { flags: '--all-versions', description: 'every readable version, not only the current one' },
    { flags: '--recipient <age1...>', description: 'age public key to encrypt to (repeatable)', repeatable: true },
    { flags: '--recipients-file <file>', description: 'file of age public keys, one per line (repeatable)', repeatable: true },
    { flags: '--output <file>', description: 'archive to write (atomically, mode 0600; an existing file is replaced)' },
  ],
  help: '\nThe archive opens with the standard age tool: age -d -i KEYFILE FILE (a JSON document, format\nvh-secrets-backup version 1, values base64; see docs/backup.md). Revoked versions and secrets are listed\nwithout values. Every secret read is an `accessed` audit event; the backup itself a `backed_up` event.\nExit: 0 written, 64 bad recipient or option, 73 output cannot be written (nothing is left behind),\n69/77 a store cannot be reached or read (no archive is written).\nWith --json: {output, created_at, format_version, all_versions, stores, recipients, secrets:[{ref,versions,revoked}],\nskipped, total_secrets, total_versions, bytes}.',
  examples: [
    'vh-secrets backup --store prod-vault --recipient "$(age-keygen -y backup.key)" --output prod.age',
  ],
});

export default spec;
export type BackupOptions = OptionsOf<typeof spec>;
