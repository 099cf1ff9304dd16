import { runEntry } from './entry.js';

/**
 * The process around the CLI (entry.ts): its streams and environment, the process-wide listeners, and the exit.
 */
function listen(env: NodeJS.ProcessEnv): void {
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

listen(process.env);
runEntry(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }, { beforeCommand: (run) => run.endOnStopSignals() }).then(
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
