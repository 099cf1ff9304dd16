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
}

async function main(argv: string[]): Promise<number> {
  silenceSdkLoggers(process.env);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${readVersion()}\n`);
    return 0;
  }
  // Every TAB in a shell runs this: answer before commander and the runtime load.
  if (argv[0] === '__complete') return (await import('./commands/complete.js')).completeFromMain(argv.slice(1));
  const { runCli } = await import('./run.js');
  return runCli(argv, readVersion(), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain (pipes), then leave even if an SDK keeps a socket open.
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`vh-secrets: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(70);
  },
);
