import { ROTATION_MODE_KEY } from '../help-words.js';
import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'rotate-all',
  description: 'rotate every secret matching a filter, with bounded concurrency; safe to run from cron on many hosts',
  options: [
    { flags: '--type <type>', description: 'only this secret type' },
    { flags: '--store <alias>', description: 'only this store' },
    { flags: '--tag <key=value>', description: 'only secrets with this tag (repeatable)', repeatable: true },
    { flags: '--concurrency <n>', description: 'parallel rotations (default VOICEHIVE_MAX_CONCURRENT_ROTATIONS or 3)' },
    { flags: '--shard <i/n>', description: 'only shard i of n' },
    { flags: '--include-unmanaged', description: 'also rotate secrets whose values are issued elsewhere (see below)' },
    { flags: '--cleanup-only', description: 'only retire previous versions whose grace is over (and held cleanups now idle); rotate nothing' },
    { flags: '--dry-run', description: 'show what would happen, change nothing' },
    { flags: '--confirm', description: 'same as --yes' },
  ],
  help: `\nOnly secrets vh-secrets can make again are rotated: those with a rotation target (vh-target, or a\n[targets.x] secrets pattern), and types whose generated value is what consumers accept (database_password,\njwt_secret, encryption_key, webhook_secret). Values issued elsewhere — generic, oauth_client_secret,\ntls_private_key, and api_key without a target — are left alone (status unmanaged) unless --include-unmanaged,\nor the secret's metadata says ${ROTATION_MODE_KEY}=generate (${ROTATION_MODE_KEY}=manual leaves any secret alone).\nA secret whose earlier rotation was interrupted (its process gone, or older than the rotation timeout) is\nreported interrupted: \`vh-secrets rotations\` lists them, \`rotate --resume --all\` finishes them. One locked by a\nrun that is alive elsewhere is skipped. Without a filter, on a terminal, it shows the count per store and\ntype and asks a second time.\nExit: 0 nothing failed (rotated, skipped or unmanaged), 1 (WARNING) at least one interrupted rotation and\nnothing failed, 2 at least one rotation failed.\nA target with cleanup = "when-idle" retires a previous credential only once no session uses it (held ones are\nlisted as held and asked again on the next run; cron \`rotate-all --cleanup-only\` every few minutes for that).\nWith --json: {results:[{secret,store,type,status,version,note,error:{code,message}}], cleanups,\nheld:[{secret,version,sessions,target}], summary}.\nEnvironment: VOICEHIVE_MAX_CONCURRENT_ROTATIONS (3), VOICEHIVE_ROTATION_TIMEOUT_MINUTES (30), VOICEHIVE_GRACE_PERIOD_HOURS (24).`,
});

export default spec;
export type RotateAllOptions = OptionsOf<typeof spec>;
