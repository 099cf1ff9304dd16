import { ROTATION_MODE_KEY } from '../help-words.js';
import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'rotate',
  description: 'rotate one secret: prepare, generate, stage, verify, promote, cleanup — with rollback',
  arguments: [{ name: '[ref]', description: 'secret reference' }],
  options: [
    { flags: '--secret-id <ref>', description: 'secret reference (alternative form)' },
    { flags: '--emergency', description: 'revoke the previous version immediately after promote (needs --reason)' },
    { flags: '--dry-run', description: 'show what would happen, change nothing' },
    { flags: '--resume', description: 'finish an interrupted rotation' },
    { flags: '--abort', description: 'roll back an interrupted rotation' },
    { flags: '--all', description: 'with --resume/--abort: every interrupted rotation (see `vh-secrets rotations`)' },
    { flags: '--store <alias>', description: 'with --all: only this store' },
    { flags: '--type <type>', description: 'with --all: only this secret type' },
    { flags: '--tag <key=value>', description: 'with --all: only secrets with this tag (repeatable)', repeatable: true },
    { flags: '--confirm', description: 'with --all: same as --yes' },
    { flags: '--reason <text>', description: 'reason recorded in the audit log' },
    { flags: '--value-file <file>', description: 'stage this value (a credential issued elsewhere) instead of a generated one (- for stdin)' },
    { flags: '--force', description: 'cut a credential still inside its grace period, or rotate a secret whose value is issued elsewhere (see below); with --resume/--abort: take over a rotation another host started, before its timeout' },
  ],
  help: `\nEach previous version stays valid through its own grace period, whatever rotations follow. Where the target\nholds only two credentials (alternating users, an IAM user's keys), a rotation that would cut one still in\nits grace is deferred (exit 75, naming the version and when its grace ends) unless --force or --emergency; on\na terminal it asks.\nA secret whose value is issued elsewhere — type generic, oauth_client_secret or tls_private_key, or an api_key\nwithout a rotation target — is replaced by a generated value only with --force (on a terminal, after a\nquestion); one with a rotation target, or marked ${ROTATION_MODE_KEY}=generate in its metadata, rotates like any other.\n--resume --all / --abort --all finish every interrupted rotation \`vh-secrets rotations\` lists (filters:\n--store, --type, --tag); without a TTY they need --yes or --confirm, and never prompt under CI=true. A rotation\nwhose secret is gone from the store is cleared by --abort (nothing to discard).\nExit: 0 rotated (or nothing to resume), 75 skipped because another rotation holds the secret, or deferred,\n64 a value issued elsewhere without --force (no TTY), 66 no such secret, 65 type without a generator; a failed\nrotation is rolled back and exits with its error's code. --all: 0 all finished, 2 at least one failed.\nWith --all --json: {action,results:[{secret,store,type,status,version,note,error}],summary}.\nEnvironment: VOICEHIVE_GRACE_PERIOD_HOURS (24), VOICEHIVE_ROTATION_TIMEOUT_MINUTES (30), VH_SECRETS_FAILPOINT (tests).`,
});

export default spec;
export type RotateOptions = OptionsOf<typeof spec>;
