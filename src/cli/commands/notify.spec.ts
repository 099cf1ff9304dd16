import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'notify',
  description: 'send expiry and rotation notices to the configured channels (webhook, command hook), once per window',
  options: [
    { flags: '--within-days <n>', description: "warning window in days (default: each type's policy)" },
    { flags: '--dry-run', description: 'show the notices that are due, send and record nothing' },
    { flags: '--type <type>', description: 'only this secret type' },
    { flags: '--store <alias>', description: 'only this store' },
    { flags: '--tag <key=value>', description: 'only secrets with this tag (repeatable)', repeatable: true },
  ],
  help: '\nA secret gets one notice when it enters the warning window before its expiry or rotation due date, and one\nwhen the date passes; what was sent is kept in the secret\'s metadata (vh-notified), so no run on any host sends\nit twice. A rotation or a new expiry starts a new window. Channels: [[notify.channels]] kind = "webhook"\n(Slack-compatible JSON {text, blocks}, url may hold a token and is never printed) or kind = "command" (the\nnotice as JSON on stdin, killed after timeout_ms). Contacts from VOICEHIVE_EMERGENCY_CONTACTS (comma separated).\nNotices never carry a secret value. One run per host at a time (lock in VH_SECRETS_HOME/locks). Exit: 0 all\ndue notices delivered, 69 a channel or store unreachable, 75 a channel refused a notice or timed out (retried\nnext run) or another notify run holds the lock, 77 the access policy denied notices for some secrets, 78 no\nchannels configured.\nWith --json: {generated_at,dry_run,within_days,channels,notices:[{secret,type,owner,windows:[{kind,phase,\ndeadline,days_left,id}],status,delivered,failed:[{channel,reason,message}],mark_error}],summary,errors}.',
});

export default spec;
export type NotifyOptions = OptionsOf<typeof spec>;
