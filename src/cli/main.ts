import { readFileSync } from 'node:fs';

/**
 * Entry point. `--version` and shell completion queries are answered before anything else loads; every other
 * path builds the commander program, whose actions import only the command that runs.
 */
function readVersion(): string {
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
function silenceSdkLoggers(env: NodeJS.ProcessEnv): void {
  for (const name of ['DEBUG', 'AZURE_LOG_LEVEL', 'GRPC_TRACE']) delete env[name];
  env.GRPC_VERBOSITY = 'NONE';
  // SDK warnings (google-auth's MetadataLookupWarning off Google Cloud, …) are not ours to print; --debug shows them.
  const debug = env.VH_SECRETS_DEBUG === '1' || env.VH_SECRETS_DEBUG === 'true' || process.argv.includes('--debug');
  process.removeAllListeners('warning');
  if (debug) process.on('warning', (w) => process.stderr.write(`vh-secrets: debug: ${w.name}: ${w.message}\n`));
  // A promise an SDK rejects where nobody awaits it still ends in one line and exit 70, never a stack trace.
  process.on('unhandledRejection', (err) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vh-secrets: internal error: ${message.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 500)}\n  hint: run again with --debug for details, and report it if it persists\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exit(70);
  });
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

async function main(argv: string[]): Promise<number> {
  silenceSdkLoggers(process.env);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${readVersion()}\n`);
    return 0;
  }
  const text = precomputed(argv);
  if (text !== undefined) {
    process.stdout.write(text);
    return 0;
  }
  // Every TAB in a shell runs this: answer before commander and the runtime load.
  if (argv[0] === '__complete') return (await import('./commands/complete.js')).completeFromMain(argv.slice(1));
  const { runCli, endOnStopSignals } = await import('./run.js');
  endOnStopSignals();
  return runCli(argv, readVersion(), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain (pipes), then leave even if an SDK keeps a socket open (a store that did not answer).
    process.stdout.write('', () => process.exit(code));
    // A reader that never reads must not keep a finished command either.
    setTimeout(() => process.exit(code), 5_000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`vh-secrets: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(70);
  },
);
