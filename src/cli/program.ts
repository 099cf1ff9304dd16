import { Argument, Command, Option } from 'commander';
import type { CommandContext, CommandModule } from './context.js';
import programSpec from './program.spec.js';
import { helpAfter, type CommandSpec, type OptionsOf } from './spec.js';
import getSpec from './commands/get.spec.js';
import createSpec from './commands/create.spec.js';
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
import templateSpec from './commands/template.spec.js';
import exportSpec from './commands/export.spec.js';
import copySpec from './commands/copy.spec.js';
import auditSpec from './commands/audit.spec.js';
import complianceSpec from './commands/compliance.spec.js';
import indexSpec from './commands/index.spec.js';
import scanSpec from './commands/scan.spec.js';
import completionSpec from './commands/completion.spec.js';
import completeSpec from './commands/complete.spec.js';

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
  entry(templateSpec, () => import('./commands/template.js')),
  entry(exportSpec, () => import('./commands/export.js')),
  entry(copySpec, () => import('./commands/copy.js')),
  entry(auditSpec, () => import('./commands/audit.js')),
  entry(complianceSpec, () => import('./commands/compliance.js')),
  entry(indexSpec, () => import('./commands/index.js')),
  entry(scanSpec, () => import('./commands/scan.js')),
  entry(completionSpec, () => import('./commands/completion.js')),
  entry(completeSpec, () => import('./commands/complete.js')),
];

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export interface ProgramHooks {
  /** Runs the command (`start` loads its module and calls its `run`), and records its exit code. */
  invoke(cmd: Command, start: (ctx: CommandContext) => Promise<number>): Promise<void>;
}

function action(hooks: ProgramHooks, start: Start) {
  return async (...params: unknown[]): Promise<void> => {
    const cmd = params[params.length - 1] as Command;
    // A variadic last argument (`run -- COMMAND ARGS…`) takes all that is left.
    const args = cmd.registeredArguments.at(-1)?.variadic ? cmd.args : cmd.args.slice(0, cmd.registeredArguments.length);
    await hooks.invoke(cmd, (ctx) => start(ctx, cmd, args));
  };
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
