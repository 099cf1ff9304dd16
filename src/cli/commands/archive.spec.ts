import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'archive',
  description: 'archive a revoked or expired secret: every version disabled (not destroyed), marked ARCHIVED',
  arguments: [{ name: '<ref>', description: 'secret reference' }],
  options: [
    { flags: '--reason <text>', description: 'reason recorded in the audit log' },
  ],
  help: "\nAllowed from REVOKED or EXPIRED (exit 64 otherwise: revoke it first); 0 when already archived.\nThe versions stay in the store, disabled, so the store's own tools can still bring them back.",
});

export default spec;
export type ArchiveOptions = OptionsOf<typeof spec>;
