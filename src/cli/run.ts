import { constants } from 'node:os';
import { CommanderError, type Command } from 'commander';
import type { SinkStatus } from '../audit/forward.js';
import type { Actor } from '../audit/logger.js';
import { EXIT } from '../base/errors.js';
import type { Runtime } from '../core/runtime.js';
import type { CommandContext } from './context.js';
import { Io, type GlobalOptions, type Streams } from './io.js';
import { buildProgram } from './program.js';
import { renderError } from './render-error.js';
import { stopAllProgress } from './progress.js';
import { parseDuration, requestStop } from '../base/deadline.js';

const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version']);
export const HELP_WIDTH = 80;

/** Parses argv, runs one command, and returns its exit code. Prints only through `Io`. */
export async function runCli(argv: string[], version: string, streams: Streams): Promise<number> {
  let exitCode: number = EXIT.OK;
  let runtime: Promise<Runtime> | undefined;
  let io = new Io(streams, {});
  const debugEnv = streams.env.VH_SECRETS_DEBUG === '1' || streams.env.VH_SECRETS_DEBUG === 'true';

  const program = buildProgram(version, {
    async invoke(cmd: Command, start) {
      // A global given after the command name lives on the subcommand; one given before, on the program.
      const globals: GlobalOptions = { ...program.opts<GlobalOptions>() };
      // (Only the hidden copies: `run --env NAME=REF` is run's own option, not the config environment.)
      for (const copy of cmd.options.filter((o) => o.hidden)) {
        const key = copy.attributeName();
        if (cmd.getOptionValueSource(key) === 'cli') Reflect.set(globals, key, cmd.getOptionValue(key));
      }
      io = new Io(streams, globals);
      // A mistyped --timeout is a usage error for every command, not only for the ones that wait on it.
      if (globals.timeout !== undefined) {
        parseDuration(globals.timeout, '--timeout');
        // Every store request of this run gets it as its deadline (providers read VH_SECRETS_TIMEOUT).
        streams.env.VH_SECRETS_TIMEOUT = globals.timeout;
      }
      const ctx: CommandContext = {
        io,
        program,
        command: cmd.name(),
        invokedAs: program.args.find((a) => a === cmd.name() || cmd.aliases().includes(a)) ?? cmd.name(),
        runtime: () => {
          runtime ??= Promise.all([import('../core/runtime.js'), import('../providers/index.js'), import('../targets/index.js'), import('../audit/logger.js')]).then(([{ Runtime: R }, providers, targets, { detectActor }]) => {
            // The environment and terminal are this run's streams' (the process's, but for an in-process test).
            const options: { environ: NodeJS.ProcessEnv; actor: Actor; configFile?: string; env?: string; actorName?: string; policyFile?: string } = {
              environ: streams.env,
              actor: detectActor(streams.env, Boolean(streams.stdin.isTTY)),
            };
            if (globals.config !== undefined) options.configFile = globals.config;
            if (globals.env !== undefined) options.env = globals.env;
            if (globals.actor !== undefined) options.actorName = globals.actor;
            if (globals.policy !== undefined) options.policyFile = globals.policy;
            return R.create({ store: providers.openStore, posture: providers.storePosture, target: targets.openTarget }, options);
          });
          return runtime;
        },
      };
      exitCode = await start(ctx);
    },
  });

  program.exitOverride();
  for (const sub of program.commands) sub.exitOverride();
  // With --json, a usage error is one JSON object on stderr like every other error (parsing failed, so the
  // flag is looked for in argv itself, before any `--`).
  const end = argv.indexOf('--');
  const jsonWanted = (end === -1 ? argv : argv.slice(0, end)).includes('--json');
  let usageError: string | undefined;
  const configure = {
    writeOut: (s: string) => void streams.stdout.write(s),
    writeErr: (s: string) => {
      if (jsonWanted && usageError !== undefined) return;
      streams.stderr.write(s);
    },
    outputError: (s: string, write: (s: string) => void) => {
      if (jsonWanted) usageError = s.replace(/^error: /, '').trim();
      else write(`vh-secrets: ${s}`);
    },
    // Help is laid out for 80 columns whatever the terminal, so it is the same text everywhere — and can be
    // served from the cache `scripts/gen-help.mjs` writes at build time (see entry.ts).
    getOutHelpWidth: () => HELP_WIDTH,
    getErrHelpWidth: () => HELP_WIDTH,
  };
  program.configureOutput(configure);
  for (const sub of program.commands) sub.configureOutput(configure);

  if (argv.length === 0) {
    streams.stderr.write(program.helpInformation());
    return EXIT.USAGE;
  }
  // -V / --version means the program's version wherever it stands (no command has an option of that name).
  if ((end === -1 ? argv : argv.slice(0, end)).some((a) => a === '-V' || a === '--version')) {
    streams.stdout.write(`${version}\n`);
    return EXIT.OK;
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      exitCode = COMMANDER_OK.has(err.code) || (err.code === 'commander.help' && err.exitCode === 0) ? EXIT.OK : EXIT.USAGE;
      if (usageError !== undefined && exitCode === EXIT.USAGE) {
        streams.stderr.write(`${JSON.stringify({ error: { code: 'USAGE', message: usageError, hint: 'run with --help for usage', exit_code: EXIT.USAGE } })}\n`);
      }
    } else {
      exitCode = renderError(io, err, io.globals.debug === true || debugEnv);
    }
  } finally {
    // Whatever way the command ended, no spinner outlives it.
    stopAllProgress();
    if (runtime) {
      const warnings = await runtime.then((r) => r.warnings).catch((): string[] => []);
      for (const w of warnings) io.err(`vh-secrets: warning: ${w}`);
      const sinks = await runtime.then((r) => r.close()).catch((): SinkStatus[] => []);
      for (const s of sinks) if (!s.ok) io.note(`vh-secrets: ${sinkWarning(s)}`);
    }
  }
  return exitCode;
}

/** How long a stop request lets the current step finish (and journal itself) before the process leaves anyway. */
const STOP_GRACE_MS = 5_000;

function leave(code: number): never {
  stopAllProgress();
  process.exit(code);
}

/**
 * For the process entry (main.ts) only. SIGTERM / SIGINT always end the process: the first asks work in flight
 * to stop after the step it is in (`stopSignal` in base/deadline.ts) and leaves at the latest after a short
 * grace; a second leaves at once. Exit 128 + the signal's number (130 SIGINT, 143 SIGTERM) unless the command
 * finished first. (Ora's stdin discarder turns Ctrl-C on a raw-mode terminal into a SIGINT event too.)
 */
export function endOnStopSignals(): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = 128 + constants.signals[signal];
    if (stopping) leave(code);
    stopping = true;
    requestStop(signal);
    stopAllProgress();
    process.stderr.write(`vh-secrets: ${signal}: stopping after the current step (at most ${STOP_GRACE_MS / 1000}s; ${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to stop now)\n`);
    setTimeout(() => leave(code), STOP_GRACE_MS).unref();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, onSignal);
}

/** One line per remote audit sink that is behind; the exit code does not change. */
function sinkWarning(s: SinkStatus): string {
  const why = s.error ? ` (${s.error})` : '';
  const state =
    s.problem === 'unreachable' ? `unreachable${why}`
    : s.problem === 'rejected' ? `did not accept events${why}`
    : s.problem === 'timeout' ? `did not answer in time${why}`
    : s.problem === 'busy' ? `is being fed by another vh-secrets process${why}`
    : `could not be fed${why}`;
  return `audit sink "${s.name}" ${state}; ${s.pending} event${s.pending === 1 ? '' : 's'} spooled, replayed on the next run`;
}
