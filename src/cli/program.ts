import { Argument, Command, Option } from 'commander';
import type { CommandContext, CommandModule, LegacyCommandModule } from './context.js';
import programSpec from './program.spec.js';
import { helpAfter, type CommandSpec, type OptionsOf } from './spec.js';
import createSpec from './commands/create.spec.js';
import getSpec from './commands/get.spec.js';
import updateSpec from './commands/update.spec.js';
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
import rotateSpec from './commands/rotate.spec.js';
import rotateAllSpec from './commands/rotate-all.spec.js';
import rotationsSpec from './commands/rotations.spec.js';
import backupSpec from './commands/backup.spec.js';
import restoreSpec from './commands/restore.spec.js';
import runSpec from './commands/run.spec.js';

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
  entry(rotateSpec, () => import('./commands/rotate.js')),
  entry(rotateAllSpec, () => import('./commands/rotate-all.js')),
  entry(rotationsSpec, () => import('./commands/rotations.js')),
  entry(backupSpec, () => import('./commands/backup.js')),
  entry(restoreSpec, () => import('./commands/restore.js')),
  entry(runSpec, () => import('./commands/run.js')),
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
