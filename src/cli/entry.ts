import { readFileSync } from 'node:fs';
import type { Streams } from './io.js';

/**
 * The CLI as a function: argv and the process's streams and environment in, an exit code out. `--version` and
 * shell completion queries are answered before anything else loads; every other path builds the commander
 * program, whose actions import only the command that runs. It touches no process-wide state (exit code,
 * signal handlers, listeners): main.ts does that for the real process, and the tests call it in-process.
 */
export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * SDK debug switches print request headers (tokens) and sometimes bodies (values) to stderr: `DEBUG=*` makes
 * axios' follow-redirects dump the X-Vault-Token header. vh-secrets never lets them speak; `--debug` is ours.
 */
export function silenceSdkDebug(env: NodeJS.ProcessEnv): void {
  for (const name of ['DEBUG', 'AZURE_LOG_LEVEL', 'GRPC_TRACE']) delete env[name];
  env.GRPC_VERBOSITY = 'NONE';
}

/**
 * `--help` of the program or of one command, and `completion <shell>`, served from text generated at build time
 * from the same commander definitions (dist/help.json by scripts/gen-help.mjs; completions/ by
 * gen-completions.mjs, drift-checked by the tests) — so the commonest first commands skip loading commander.
 * Anything else, or a missing file, goes the normal way.
 */
function precomputed(argv: string[]): string | undefined {
  try {
    if (argv.length === 2 && argv[0] === 'completion') {
      const file = { bash: 'vh-secrets.bash', zsh: '_vh-secrets', fish: 'vh-secrets.fish' }[argv[1]!];
      return file ? readFileSync(new URL(`../../../completions/${file}`, import.meta.url), 'utf8') : undefined;
    }
    const help = argv.length === 1 ? argv[0] : argv.length === 2 ? argv[1] : undefined;
    if (help !== '--help' && help !== '-h') return undefined;
    const cache = JSON.parse(readFileSync(new URL('../../help.json', import.meta.url), 'utf8')) as { version: string; help: Record<string, string> };
    if (cache.version !== readVersion()) return undefined;
    return cache.help[argv.length === 1 ? '' : argv[0]!];
  } catch {
    return undefined;
  }
}

export interface EntryHooks {
  /** Called once a command is about to be parsed and run (not for the fast paths): main.ts installs its signal handlers. */
  beforeCommand?(run: typeof import('./run.js')): void;
}

export async function runEntry(argv: string[], streams: Streams, hooks: EntryHooks = {}): Promise<number> {
  silenceSdkDebug(streams.env);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    streams.stdout.write(`${readVersion()}\n`);
    return 0;
  }
  const text = precomputed(argv);
  if (text !== undefined) {
    streams.stdout.write(text);
    return 0;
  }
  // Every TAB in a shell runs this: answer before commander and the runtime load.
  if (argv[0] === '__complete') return (await import('./commands/complete.js')).completeFromEntry(argv.slice(1), streams);
  const run = await import('./run.js');
  hooks.beforeCommand?.(run);
  return run.runCli(argv, readVersion(), streams);
}
