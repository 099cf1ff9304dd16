import { Argument, Command, Option } from 'commander';
import type { CommandContext, CommandModule, LegacyCommandModule } from './context.js';
import programSpec from './program.spec.js';
import { helpAfter, type CommandSpec, type OptionsOf } from './spec.js';
import createSpec from './commands/create.spec.js';
import getSpec from './commands/get.spec.js';
import updateSpec from './commands/update.spec.js';
import { ROTATION_MODE_KEY } from './help-words.js';
import setSpec from './commands/set.spec.js';
import listSpec from './commands/list.spec.js';
import describeSpec from './commands/describe.spec.js';
import revokeSpec from './commands/revoke.spec.js';
import lifecycleSpec from './commands/lifecycle.spec.js';
import deprecateSpec from './commands/deprecate.spec.js';
import archiveSpec from './commands/archive.spec.js';
import purgeSpec from './commands/purge.spec.js';
import notifySpec from './commands/notify.spec.js';
import healthSpec from './commands/health.spec.js';
import exporterSpec from './commands/exporter.spec.js';

/**
 * The command-line surface, assembled from the specs (`commands/<name>.spec.ts`, `program.spec.ts`) so that
 * `--help`, the man page and completion come from the same definitions. Nothing here imports a command's
 * implementation; each action loads its module on demand.
 */

export { ENVIRONMENT, EXIT_CODES } from './program.spec.js';

/** Starts a command: loads its module and runs it with the arguments and options commander parsed. */
type Start = (ctx: CommandContext, cmd: Command, args: string[]) => Promise<number>;

/** A command's spec and the loader of its implementation, whose options the compiler holds to the spec. */
interface CommandEntry {
  spec: CommandSpec;
  start: Start;
}

function entry<S extends CommandSpec>(spec: S, load: () => Promise<CommandModule<OptionsOf<S>>>): CommandEntry {
  return {
    spec,
    async start(ctx, cmd, args) {
      const opts = { ...cmd.opts<OptionsOf<S>>() };
      // The hidden copies of the global options are the program's, not the command's.
      for (const o of cmd.options) if (o.hidden) Reflect.deleteProperty(opts, o.attributeName());
      return (await load()).run(ctx, args, opts);
    },
  };
}

/** In program order: the order of `--help`, the man page and completion. */
const COMMANDS: CommandEntry[] = [
  entry(getSpec, () => import('./commands/get.js')),
  entry(createSpec, () => import('./commands/create.js')),
  entry(updateSpec, () => import('./commands/update.js')),
  entry(setSpec, () => import('./commands/set.js')),
  entry(listSpec, () => import('./commands/list.js')),
  entry(describeSpec, () => import('./commands/describe.js')),
  entry(revokeSpec, () => import('./commands/revoke.js')),
  entry(lifecycleSpec, () => import('./commands/lifecycle.js')),
  entry(deprecateSpec, () => import('./commands/deprecate.js')),
  entry(archiveSpec, () => import('./commands/archive.js')),
  entry(purgeSpec, () => import('./commands/purge.js')),
  entry(notifySpec, () => import('./commands/notify.js')),
  entry(healthSpec, () => import('./commands/health.js')),
  entry(exporterSpec, () => import('./commands/exporter.js')),
];

type Loader = () => Promise<LegacyCommandModule>;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export interface ProgramHooks {
  /** Runs the command (`start` loads its module), and records its exit code. */
  invoke(cmd: Command, args: string[], start: (ctx: CommandContext) => Promise<number>): Promise<void>;
}

function action(hooks: ProgramHooks, start: Start) {
  return async (...params: unknown[]): Promise<void> => {
    const cmd = params[params.length - 1] as Command;
    // A variadic last argument (`run -- COMMAND ARGS…`) takes all that is left.
    const args = cmd.registeredArguments.at(-1)?.variadic ? cmd.args : cmd.args.slice(0, cmd.registeredArguments.length);
    await hooks.invoke(cmd, args, (ctx) => start(ctx, cmd, args));
  };
}

function legacy(hooks: ProgramHooks, load: Loader) {
  return action(hooks, async (ctx, cmd, args) => {
    const own = { ...cmd.opts() };
    for (const o of cmd.options) if (o.hidden) Reflect.deleteProperty(own, o.attributeName());
    return (await load()).run(ctx, args, own);
  });
}

function addCommand(program: Command, hooks: ProgramHooks, { spec, start }: CommandEntry): void {
  const cmd = program.command(spec.name, spec.hidden ? { hidden: true } : {});
  for (const alias of spec.aliases ?? []) cmd.alias(alias);
  cmd.description(spec.description);
  for (const a of spec.arguments ?? []) {
    const argument = new Argument(a.name, a.description);
    if (a.choices) argument.choices(a.choices);
    if (a.default !== undefined) argument.default(a.default);
    cmd.addArgument(argument);
  }
  for (const o of spec.options ?? []) {
    const option = new Option(o.flags, o.description);
    if (o.choices) option.choices(o.choices);
    if (o.default !== undefined) option.default(o.default);
    if (o.repeatable) option.default([]).argParser(collect);
    cmd.addOption(option);
  }
  if (spec.passThroughOptions) cmd.passThroughOptions();
  const after = helpAfter(spec);
  if (after !== undefined) cmd.addHelpText('after', after);
  cmd.action(action(hooks, start));
}

export function buildProgram(version: string, hooks: ProgramHooks): Command {
  const program = new Command(programSpec.name)
    .description(programSpec.description)
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    // Program options are parsed before the subcommand only; each subcommand carries hidden copies of the
    // global options (added below) so `vh-secrets list --json` works. -V/--version is global everywhere (see
    // runCli): a version of a secret is `REF@VERSION` or `--at VERSION`.
    .enablePositionalOptions()
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError(true)
    .showHelpAfterError('  hint: run with --help for usage')
    .addHelpText('after', programSpec.help);

  for (const c of COMMANDS) addCommand(program, hooks, c);

  program
    .command('rotate')
    .description('rotate one secret: prepare, generate, stage, verify, promote, cleanup — with rollback')
    .argument('[ref]', 'secret reference')
    .option('--secret-id <ref>', 'secret reference (alternative form)')
    .option('--emergency', 'revoke the previous version immediately after promote (needs --reason)')
    .option('--dry-run', 'show what would happen, change nothing')
    .option('--resume', 'finish an interrupted rotation')
    .option('--abort', 'roll back an interrupted rotation')
    .option('--all', 'with --resume/--abort: every interrupted rotation (see `vh-secrets rotations`)')
    .option('--store <alias>', 'with --all: only this store')
    .option('--type <type>', 'with --all: only this secret type')
    .option('--tag <key=value>', 'with --all: only secrets with this tag (repeatable)', collect, [])
    .option('--confirm', 'with --all: same as --yes')
    .option('--reason <text>', 'reason recorded in the audit log')
    .option('--value-file <file>', 'stage this value (a credential issued elsewhere) instead of a generated one (- for stdin)')
    .option('--force', 'cut a credential still inside its grace period, or rotate a secret whose value is issued elsewhere (see below); with --resume/--abort: take over a rotation another host started, before its timeout')
    .addHelpText(
      'after',
      `\nEach previous version stays valid through its own grace period, whatever rotations follow. Where the target\nholds only two credentials (alternating users, an IAM user's keys), a rotation that would cut one still in\nits grace is deferred (exit 75, naming the version and when its grace ends) unless --force or --emergency; on\na terminal it asks.\nA secret whose value is issued elsewhere — type generic, oauth_client_secret or tls_private_key, or an api_key\nwithout a rotation target — is replaced by a generated value only with --force (on a terminal, after a\nquestion); one with a rotation target, or marked ${ROTATION_MODE_KEY}=generate in its metadata, rotates like any other.\n--resume --all / --abort --all finish every interrupted rotation \`vh-secrets rotations\` lists (filters:\n--store, --type, --tag); without a TTY they need --yes or --confirm, and never prompt under CI=true. A rotation\nwhose secret is gone from the store is cleared by --abort (nothing to discard).\nExit: 0 rotated (or nothing to resume), 75 skipped because another rotation holds the secret, or deferred,\n64 a value issued elsewhere without --force (no TTY), 66 no such secret, 65 type without a generator; a failed\nrotation is rolled back and exits with its error's code. --all: 0 all finished, 2 at least one failed.\nWith --all --json: {action,results:[{secret,store,type,status,version,note,error}],summary}.\nEnvironment: VOICEHIVE_GRACE_PERIOD_HOURS (24), VOICEHIVE_ROTATION_TIMEOUT_MINUTES (30), VH_SECRETS_FAILPOINT (tests).`,
    )
    .action(legacy(hooks, () => import('./commands/rotate.js')));

  program
    .command('rotate-all')
    .description('rotate every secret matching a filter, with bounded concurrency; safe to run from cron on many hosts')
    .option('--type <type>', 'only this secret type')
    .option('--store <alias>', 'only this store')
    .option('--tag <key=value>', 'only secrets with this tag (repeatable)', collect, [])
    .option('--concurrency <n>', 'parallel rotations (default VOICEHIVE_MAX_CONCURRENT_ROTATIONS or 3)')
    .option('--shard <i/n>', 'only shard i of n')
    .option('--include-unmanaged', 'also rotate secrets whose values are issued elsewhere (see below)')
    .option('--cleanup-only', 'only retire previous versions whose grace is over (and held cleanups now idle); rotate nothing')
    .option('--dry-run', 'show what would happen, change nothing')
    .option('--confirm', 'same as --yes')
    .addHelpText(
      'after',
      `\nOnly secrets vh-secrets can make again are rotated: those with a rotation target (vh-target, or a\n[targets.x] secrets pattern), and types whose generated value is what consumers accept (database_password,\njwt_secret, encryption_key, webhook_secret). Values issued elsewhere — generic, oauth_client_secret,\ntls_private_key, and api_key without a target — are left alone (status unmanaged) unless --include-unmanaged,\nor the secret's metadata says ${ROTATION_MODE_KEY}=generate (${ROTATION_MODE_KEY}=manual leaves any secret alone).\nA secret whose earlier rotation was interrupted (its process gone, or older than the rotation timeout) is\nreported interrupted: \`vh-secrets rotations\` lists them, \`rotate --resume --all\` finishes them. One locked by a\nrun that is alive elsewhere is skipped. Without a filter, on a terminal, it shows the count per store and\ntype and asks a second time.\nExit: 0 nothing failed (rotated, skipped or unmanaged), 1 (WARNING) at least one interrupted rotation and\nnothing failed, 2 at least one rotation failed.\nA target with cleanup = "when-idle" retires a previous credential only once no session uses it (held ones are
listed as held and asked again on the next run; cron \`rotate-all --cleanup-only\` every few minutes for that).
With --json: {results:[{secret,store,type,status,version,note,error:{code,message}}], cleanups,
held:[{secret,version,sessions,target}], summary}.\nEnvironment: VOICEHIVE_MAX_CONCURRENT_ROTATIONS (3), VOICEHIVE_ROTATION_TIMEOUT_MINUTES (30), VOICEHIVE_GRACE_PERIOD_HOURS (24).`,
    )
    .action(legacy(hooks, () => import('./commands/rotate-all.js')));

  program
    .command('rotations')
    .description('list interrupted and in-flight rotations (local journal and the stores\' markers) and what --resume / --abort would do')
    .option('--store <alias>', 'only this store')
    .option('--type <type>', 'only this secret type')
    .option('--tag <key=value>', 'only secrets with this tag (repeatable)', collect, [])
    .addHelpText(
      'after',
      '\nA rotation is in flight while its holder may still run: on this host while its process holds the rotation\nlock; from another host until it is older than VOICEHIVE_ROTATION_TIMEOUT_MINUTES (30). Otherwise it is\ninterrupted and waits for `vh-secrets rotate <ref> --resume` or `--abort` (or `rotate --resume --all`).\nExit (like health): 0 nothing interrupted, 1 (WARNING) at least one interrupted rotation, 3 (UNKNOWN) a store or\na journal file could not be read.\nWith --json: {generated_at, rotations:[{secret,store,rotation_id,source,type,phase,host,pid,started_at,\nage_seconds,holder,state,why,from_version,current_version,pending_version,secret_exists,resume,abort}],\nerrors:[{where,code,message}], summary:{total,interrupted,in_flight}}.',
    )
    .action(legacy(hooks, () => import('./commands/rotations.js')));

  program
    .command('backup')
    .description('write the secrets of a store (or of every configured store) to an age-encrypted archive')
    .option('--store <alias>', 'only this store (default: every configured store)')
    .option('--prefix <prefix>', 'only secrets whose name starts with this')
    .option('--type <type>', 'only this secret type')
    .option('--tag <key=value>', 'only secrets with this tag (repeatable)', collect, [])
    .option('--all-versions', 'every readable version, not only the current one')
    .option('--recipient <age1...>', 'age public key to encrypt to (repeatable)', collect, [])
    .option('--recipients-file <file>', 'file of age public keys, one per line (repeatable)', collect, [])
    .option('--output <file>', 'archive to write (atomically, mode 0600; an existing file is replaced)')
    .addHelpText('after', '\nThe archive opens with the standard age tool: age -d -i KEYFILE FILE (a JSON document, format\nvh-secrets-backup version 1, values base64; see docs/backup.md). Revoked versions and secrets are listed\nwithout values. Every secret read is an `accessed` audit event; the backup itself a `backed_up` event.\nExit: 0 written, 64 bad recipient or option, 73 output cannot be written (nothing is left behind),\n69/77 a store cannot be reached or read (no archive is written).\nWith --json: {output, created_at, format_version, all_versions, stores, recipients, secrets:[{ref,versions,revoked}],\nskipped, total_secrets, total_versions, bytes}.\nExample:\n  vh-secrets backup --store prod-vault --recipient "$(age-keygen -y backup.key)" --output prod.age')
    .action(legacy(hooks, () => import('./commands/backup.js')));

  program
    .command('restore')
    .description('restore secrets from a backup archive into any store; never overwrites a newer value without --force')
    .argument('<file>', 'archive written by vh-secrets backup')
    .option('--identity <keyfile>', 'age identity file (age-keygen output; must not be readable by group or others)')
    .option('--to-store <alias>', 'restore everything into this store (default: each secret\'s source store alias)')
    .option('--dry-run', 'print what would be done (names and actions only), change nothing')
    .option('--force', 'overwrite target secrets holding a newer or unknown-age different value (needs --yes without a TTY)')
    .addHelpText('after', '\nPer secret: created (absent in the target; with an --all-versions archive its history is written oldest\nfirst), updated (the target\'s current value differs and was created before the archive\'s), skipped\n(identical value, or nothing restorable), conflict (the target\'s different value is newer or of unknown age:\nleft alone unless --force), failed. Metadata is restored with the value; rotation markers are not.\nExit: 0 all created/updated/skipped, 1 at least one conflict, 2 at least one secret failed, 65 not a backup or\ndamaged, 66 archive or identity file missing, 77 identity file readable by others or not a recipient.\nWith --json: {archive, archive_created_at, format_version, all_versions, dry_run, force,\nresults:[{secret,source,action,reason,versions,version,error}], summary}.')
    .action(legacy(hooks, () => import('./commands/restore.js')));

  program
    .command('run')
    .description('start a command with secrets in its environment (values never on a command line); its output masked, its exit code returned')
    .option('--env <NAME=REF>', 'an environment variable from a secret reference (repeatable)', collect, [])
    .option('--env-file <file>', 'NAME=VALUE lines; a value starting with a configured STORE: is a reference, any other a literal')
    .option('--mask', 'replace every injected value in the command\'s output (default when stdout or stderr is not a terminal)')
    .option('--no-mask', 'pass the command\'s output through untouched')
    .option('--watch', 'restart the command with the new values when a referenced secret gets a new version')
    .option('--watch-interval <duration>', 'with --watch: how often to check the store for new versions (default 30s)')
    .option('--restart-grace <duration>', 'with --watch: how long a restart waits after SIGTERM before SIGKILL (default 10s)')
    .argument('<command...>', 'the command and its arguments, after --')
    .passThroughOptions()
    .addHelpText('after', '\nSignals are forwarded to the command; the exit code is the command\'s (128+N when a signal ended it; 127\nnot found). Masked output shows <concealed by vh-secrets> for a value (and each string field of a JSON\nvalue) of 4 bytes or more, also when it is split across writes. Each value read is audited as `accessed`\nwith the command\'s name (never its environment).\nWith --watch, the version of each referenced secret is checked every --watch-interval (metadata only, not\naudited); when one has a new version, all values are read again (audited) and the command gets SIGTERM,\nSIGKILL after --restart-grace, and is started again with the new values (not when the values are the same).\nOutput stays masked for old and new values. A reference pinned to a version id (@3) is not watched. A check\nthat fails (store unreachable) prints one warning and the command keeps running. A command that exits on its\nown is not restarted: run exits with its code, as it does after SIGINT/SIGTERM (forwarded, then no restart).\nExamples:\n  vh-secrets run --env DB_PASSWORD=prod-vault:app/db#password -- ./server --port 8080\n  vh-secrets run --env-file app.env -- npm start\n  vh-secrets run --watch --watch-interval 1m --env API_KEY=aws:prod/api -- ./worker')
    .action(legacy(hooks, () => import('./commands/run.js')));

  program
    .command('template')
    .description('render {{ secret "REF" }} placeholders (| base64, | json) into a file written atomically with mode 0600')
    .argument('<input>', 'the template (- for stdin)')
    .option('-o, --output <file>', 'write here (atomically, 0600) instead of stdout')
    .addHelpText('after', '\nEvery secret is read before anything is written: a missing one (or a placeholder vh-secrets does not know)\nis an error naming its line, and no output is produced. Each value read is audited as `accessed`. Printing\nto a terminal needs --yes.\nExample:\n  vh-secrets template app.conf.tmpl -o /etc/app/app.conf')
    .action(legacy(hooks, () => import('./commands/template.js')));

  program
    .command('export')
    .description('print the current values of one store (under --prefix) as a .env file, shell export lines or JSON — to a pipe or file, not a terminal')
    .option('--store <alias>', 'the store to export (default: the default store)')
    .option('--prefix <prefix>', 'only names starting with this; variable names are made from the rest')
    .addOption(new Option('--format <format>', 'dotenv (default), env (export lines) or json').choices(['dotenv', 'env', 'json']))
    .addHelpText('after', '\nVariable names: the secret name after --prefix, upper case, other characters as "_" (app/db-password with\n--prefix app/ → DB_PASSWORD); two names that would become one variable are refused (65) before anything is\nprinted. Each value read is audited as `accessed`. On a terminal it needs --yes. A value that is not UTF-8\ntext exits 65.\nExamples:\n  vh-secrets export --store prod-vault --prefix app/ > .env\n  vh-secrets export --prefix ci/ --format json | jq .')
    .action(legacy(hooks, () => import('./commands/export.js')));

  program
    .command('copy')
    .description('copy a secret (value and metadata) to another store or name, as restore writes it: never over a newer value without --force')
    .argument('[src]', 'secret reference to copy from')
    .argument('[dst]', 'secret reference to copy to; STORE: keeps the name')
    .option('--all', 'every secret of --from-store (default: the default store) under --prefix')
    .option('--prefix <prefix>', 'with --all: only names starting with this')
    .option('--from-store <alias>', 'with --all: the store to copy from')
    .option('--to-store <alias>', 'with --all: the store to copy to')
    .option('--dry-run', 'print what would be done (names and actions only), change nothing')
    .option('--force', 'overwrite target secrets holding a newer or unknown-age different value (needs --yes without a TTY)')
    .addHelpText('after', '\nPer secret, as restore: created, updated (the target held an older, different value), skipped (the same\nvalue), conflict (a newer or unknown-age different value: left alone unless --force), failed. Only the\ncurrent value is copied; rotation markers are not. Exit: 0 all created/updated/skipped, 1 a conflict, 2 a\nfailure, 66 no such source. With --json: {dry_run, force, results:[{secret,source,action,reason,versions,version,error}], summary}.\nExamples:\n  vh-secrets copy local:app/db prod-vault:\n  vh-secrets copy --all --prefix app/ --from-store local --to-store prod-vault --dry-run')
    .action(legacy(hooks, () => import('./commands/copy.js')));

  program
    .command('audit')
    .description('summarise the audit log and detect anomalies; `audit verify` checks the hash chain; `audit flush` delivers events spooled for remote sinks')
    .addArgument(new Argument('[action]', 'report (default), verify or flush').choices(['report', 'verify', 'flush']).default('report'))
    .option('--hours <n>', 'events from the last N hours (default 24)')
    .option('--since <time>', 'events from this time (ISO 8601, or before now: 30m, 12h, 7d)')
    .option('--until <time>', 'events until this time (ISO 8601 or before now)')
    .option('--log <path>', 'audit log to read (default: the configured log)')
    .option('--source <kind:path>', 'more sources: vault-audit:PATH (Vault/OpenBao file audit device), cloudtrail:PATH (repeatable)', collect, [])
    .option('--output <file>', 'also write the JSON report to this file (mode 0600); the summary is still printed')
    .option('--fail-on-anomalies [severity]', 'exit 1 when an anomaly of this severity or worse is found (low, medium, high; default: any)')
    .option('--anchor <file>', 'verify: signed head to check the log against (default: [audit] anchor)')
    .addHelpText('after', '\nWithout --source the configured audit log is read; --log names another one; with --source and no --log only\nthe named sources are read. Default period: the last 24 hours; earlier events are read as each actor\'s baseline.\nAnomalies: UNUSUAL_TIME, UNUSUAL_LOCATION, GEOGRAPHIC_VIOLATION, EXCESSIVE_ACCESS, CONCURRENT_ACCESS,\nFAILED_ATTEMPTS, PRIVILEGE_ESCALATION, SUSPICIOUS_PATTERN; thresholds in [audit.anomalies];\nVOICEHIVE_ALLOWED_IP_RANGES and VOICEHIVE_ALLOWED_COUNTRIES (comma separated) replace the configured lists.\nExit: report 0, anomalies or not (1 with --fail-on-anomalies when one is found); verify 0 intact, 1 broken\n(names the first broken line); flush 0 all delivered, 75 events still spooled; 66 log not found, 77 not readable.\nWith --json / --output: {schema, period, sources, totals, by_event, by_secret, by_actor, by_store, rotations,\nfailures, anomalies:[{kind,severity,actor,secret,window,count,reason,evidence}], anomaly_counts, input_problems, notes}.')
    .action(legacy(hooks, () => import('./commands/audit.js')));

  program
    .command('compliance')
    .description('map NIST 800-53, SOC 2, ISO 27001, HIPAA, PCI DSS and GDPR controls to evidence vh-secrets can measure')
    .addOption(new Option('--framework <name>', 'framework to report').choices(['nist-800-53', 'soc2', 'iso27001', 'hipaa', 'pci-dss', 'gdpr', 'all']).default('all'))
    .option('--days <n>', 'days of audit log the anomaly detectors examine (default 30)')
    .addHelpText('after', '\nEvidence: rotation ages vs policy (store metadata; for PCI DSS 8.3.9 also passwords and account credentials\nno older than 90 days), the audit log hash chain, anomalies in the audit log, the access policy, encryption\nat rest of each store, TLS to each store and audit sink. Each control is pass, fail or not-measurable (the\ntool cannot observe it; the reason is given) — never pass on faith. Controls vh-secrets has no evidence for\n(GDPR Art. 30, PCI DSS 10.5, …) are left out: see docs/compliance.md.\nExit: 0 no control fails (some may be not-measurable), 1 at least one control fails.\nWith --json: {schema, generated_at, frameworks, status, summary, period, policy,\ncontrols:[{framework,control,title,status,reason,evidence:[{id,status,summary,source}]}],\nevidence:[{id,title,status,summary,source,findings:[{subject,status,detail}]}]}.')
    .action(legacy(hooks, () => import('./commands/compliance.js')));

  program
    .command('index')
    .description('build the index of managed values that `scan --managed` matches against (keyed fingerprints, never values)')
    .option('--store <alias>', 'only this store (repeatable; the others keep what the index held)', collect, [])
    .option('--prefix <prefix>', 'only secrets whose names start with this (a team\'s part of a shared store)')
    .option('--versions <n>', 'versions of each secret to index, the current one first (default 3)')
    .addHelpText('after', '\nFor every current and recent version of every secret it may read, the index keeps HMAC-SHA-256\nfingerprints of the value and of each field of a JSON object, under a key of its own (index.key beside the\nfile store\'s key, 0600). It holds refs, versions, lengths and fingerprints: no value, nothing anyone can\ncompute from a value without that key. Every read is audited (purpose=index). create and each rotation add\ntheir new value to it as they go.\nExit: 0 indexed, 1 some secrets could not be read (warned), other codes: a store could not be listed.\nExamples:\n  vh-secrets index\n  vh-secrets scan --git --managed --rotate-leaked')
    .action(legacy(hooks, () => import('./commands/index.js')));

  program
    .command('scan')
    .description('find leaked credentials in files, git history, staged changes or stdin')
    .argument('[path]', 'directory or file to scan (default: the current directory)')
    .option('--path <path>', 'directory or file to scan (same as the argument)')
    .option('--git', 'scan git history (all commits, or the range given with --log-opts)')
    .option('--log-opts <range>', 'git log range or options, e.g. main..HEAD or --since=2024-01-01')
    .option('--staged', 'scan staged changes (pre-commit)')
    .option('--stdin', 'scan standard input')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--output <file>', 'write the report to a file')
    .option('--fail-on-secrets', 'exit 1 when secrets are found')
    .option('--baseline <file>', 'ignore findings recorded in this baseline (a JSON report from an earlier scan)')
    .option('--rules <file>', 'rules and allowlists from a .gitleaks.toml-style file (default: .gitleaks.toml in the scanned root)')
    .option('--redact', 'mask secrets in the report (default)')
    .option('--no-redact', 'show secrets in the report')
    .option('--max-file-size <mb>', 'skip (and report) files larger than this many MB (default 10)')
    .option('--jobs <n>', 'worker threads (default: one per CPU)')
    .option('--shard <i/n>', 'only shard i of n (by a stable hash of the path)')
    .option('--no-ignore', 'scan ignored files too: .gitignore, the repository exclude file and .vhsecretsignore are not read')
    .option('--hidden', 'scan dot files and directories (default; .git is never scanned)')
    .option('--no-hidden', 'leave out dot files and directories (.env included: they are counted as skipped)')
    .option('--managed', 'name the managed secret each found value is, and find managed values verbatim (needs `vh-secrets index`)')
    .option('--rotate-leaked', 'with --managed: rotate every secret whose current value was found (emergency), revoke leaked earlier versions')
    .option('--dry-run', 'with --rotate-leaked: say what would be rotated or revoked, and change nothing')
    .option('--force', 'with --rotate-leaked: also rotate a leaked secret whose value is issued elsewhere (replaced by a generated value)')
    .addHelpText('after', '\nExit: 0 no secrets (or secrets without --fail-on-secrets), 1 secrets found with --fail-on-secrets,\n2 the scan could not read what it was asked to (missing or unreadable path, not a git repository, bad range).\nFiles, as ripgrep picks them: .vhsecretsignore always applies; .gitignore (and .git/info/exclude) only inside\na git work tree (a .git directory or file in the directory or an ancestor), so an unpacked artifact or a copied\ntree is scanned whole; --no-ignore reads no ignore file. Dot files are scanned (--no-hidden leaves them out).\nThe summary always counts what was skipped and why (ignored, hidden, binary, too large, not regular files,\nsymlink loops, unreadable), in text, JSON (summary.skipped_by_reason) and SARIF (run properties).\nSuppress a line with a `vh-secrets:allow` (or `gitleaks:allow`) comment. Rules and allowlists also come from\nthe [scan] section of the config (rules, use_default, disabled_rules, allowlist_paths, allowlist_regexes,\nstopwords, max_file_size_mb, managed).\nWith --managed (or [scan] managed = true) a finding that is a managed value says which secret and version\n(JSON and SARIF: managed {ref, version, current}), and any managed value of 12 or more characters found\nverbatim is a finding of its own (rule managed-secret), rule or not. --rotate-leaked then acts, as one incident\nin the audit log: each secret whose current value leaked is rotated as an emergency (the leaked value revoked\nat once), each leaked earlier version still valid is revoked. It asks first on a terminal and needs --yes\notherwise; it exits 2 when any of it failed.\nExamples:\n  vh-secrets scan --path . --format sarif --output security-scan-results.sarif --fail-on-secrets\n  vh-secrets scan --staged --fail-on-secrets\n  vh-secrets scan --git --log-opts origin/main..HEAD --format json\n  vh-secrets scan --git --managed --rotate-leaked --dry-run')
    .action(legacy(hooks, () => import('./commands/scan.js')));

  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', '\nbash: vh-secrets completion bash > /etc/bash_completion.d/vh-secrets\nzsh:  vh-secrets completion zsh > "${fpath[1]}/_vh-secrets"\nfish: vh-secrets completion fish > ~/.config/fish/completions/vh-secrets.fish\nSecret names are completed from the configured stores through a 60 s private cache ($VH_SECRETS_HOME/cache)\nand a 1.5 s deadline, so a slow store never freezes the shell.')
    .action(legacy(hooks, () => import('./commands/completion.js')));

  program
    .command('__complete', { hidden: true })
    .argument('<what>')
    .argument('[prefix]')
    .action(legacy(hooks, () => import('./commands/complete.js')));

  for (const sub of program.commands) {
    for (const { flags, description } of programSpec.options) {
      // `run --env NAME=REF` is run's own; the config environment goes before the command there.
      if (sub.options.some((o) => o.long === new Option(flags).long)) continue;
      sub.addOption(new Option(flags, description).hideHelp());
    }
  }
  for (const { flags, description } of programSpec.options) program.option(flags, description);
  return program;
}
