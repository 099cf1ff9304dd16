import { defineCommand, type OptionsFrom } from './spec.js';

/** The program itself: what `vh-secrets --help` and the man page say around the commands. */

export const EXIT_CODES: [number, string][] = [
  [0, 'success (health: OK; scan: no findings)'],
  [1, 'health WARNING; rotations / rotate-all: an interrupted rotation waits for --resume or --abort; compliance: a control fails; scan found secrets (with --fail-on-secrets); audit verify: chain broken; audit: anomalies (with --fail-on-anomalies); restore: a conflict was left alone'],
  [2, 'health CRITICAL; rotate-all: at least one rotation failed; restore: at least one secret failed; scan could not read its input'],
  [3, 'health UNKNOWN'],
  [64, 'usage error: unknown command or option, bad argument; a lifecycle transition the state does not allow'],
  [65, 'bad data: empty or oversized value, malformed input'],
  [66, 'not found: no such secret, version or file'],
  [69, 'unavailable: a store (or a notify channel) cannot be reached (network, throttling)'],
  [70, 'internal error (or a rotation phase that failed without a more specific cause)'],
  [73, 'cannot create an output file'],
  [74, 'I/O error'],
  [75, 'temporary failure: conflicting concurrent change or lock held; a notify channel refused; retry'],
  [77, 'permission denied: authentication or authorisation failed, or an enforced policy rule forbids the action'],
  [78, 'configuration error (config or policy file)'],
  [130, 'interrupted: Ctrl-C at a prompt (nothing was changed), or SIGINT while working'],
  [143, 'stopped by SIGTERM (a rotation in flight is journaled: `rotate --resume` or `--abort` finishes it)'],
];

export const ENVIRONMENT: [string, string][] = [
  ['VH_SECRETS_HOME', 'directory for the embedded store, its key, journal, audit log and locks (default ~/.local/share/vh-secrets)'],
  ['VH_SECRETS_CONFIG', 'config file (instead of ./vh-secrets.toml or ~/.config/vh-secrets/config.toml)'],
  ['VH_SECRETS_ENV', 'environment: merge config/<name>.toml over the base config (when --env is not given)'],
  ['VH_SECRETS_FILE_KEY', 'key of the embedded file store: 32 bytes as hex/base64, or a passphrase of 16+ characters'],
  ['VH_SECRETS_AUDIT_HMAC_KEY', 'key for an HMAC-keyed audit hash chain'],
  ['VH_SECRETS_ACTOR', 'actor name recorded in audit events and checked by the policy (default: the OS user; --actor wins)'],
  ['VH_SECRETS_POLICY', 'policy file (when neither --policy nor the config names one)'],
  ['VOICEHIVE_EMERGENCY_CONTACTS', 'notify: addresses included in notices (comma separated; overrides [notify] contacts)'],
  ['VOICEHIVE_ALLOWED_IP_RANGES', 'audit: CIDR ranges source IPs must fall in (comma separated; overrides [audit.anomalies])'],
  ['VOICEHIVE_ALLOWED_COUNTRIES', 'audit: ISO country codes source IPs must be placed in (comma separated; needs geoip_db)'],
  ['VH_SECRETS_TIMEOUT', 'how long to wait for the stores when --timeout is not given (e.g. 10s; health: its whole budget)'],
  ['VH_SECRETS_DEBUG', 'set to 1 to print stack traces'],
  ['NO_COLOR, FORCE_COLOR', 'turn colour off / on'],
  ['CI', 'when true, never prompt'],
];

const spec = defineCommand({
  name: 'vh-secrets',
  description: 'Secrets operations for Vault/OpenBao, AWS Secrets Manager, Azure Key Vault, Google Secret Manager and an embedded encrypted file store.',
  /** Options every command accepts, before or after the command name. */
  options: [
    { flags: '--config <file>', description: 'config file (TOML)' },
    { flags: '--env <name>', description: 'merge config/<name>.toml over the base config (default VH_SECRETS_ENV)' },
    { flags: '--json', description: 'machine-readable JSON on stdout' },
    { flags: '-q, --quiet', description: 'no progress or notes on stderr' },
    { flags: '--no-color', description: 'no colour (also NO_COLOR)' },
    { flags: '-y, --yes', description: 'assume yes for confirmations (required for destructive actions without a TTY)' },
    { flags: '--debug', description: 'print stack traces on errors' },
    { flags: '--actor <name>', description: 'actor recorded in audit events and checked by the policy (default VH_SECRETS_ACTOR, else the OS user)' },
    { flags: '--policy <file>', description: 'policy file (TOML; default [policy] file in the config, else VH_SECRETS_POLICY)' },
    { flags: '--timeout <duration>', description: 'how long to wait for the stores (500ms, 10s, 2m; default VH_SECRETS_TIMEOUT; health: its whole budget, 20s)' },
  ],
  help: `\nSecret references: STORE:NAME[#KEY][@VERSION]  e.g. prod-vault:app/db#password@3\n  without STORE the default store (the embedded file store "local") is used.\n\nExit codes:\n${EXIT_CODES.map(([c, t]) => `  ${String(c).padStart(3)}  ${t}`).join('\n')}\n\nEnvironment:\n${ENVIRONMENT.map(([k, t]) => `  ${k.padEnd(26)} ${t}`).join('\n')}\n`,
});

export default spec;
/** The global options as parsed (given before the command, or after it as its hidden copies). */
export type GlobalOptions = OptionsFrom<typeof spec.options>;
