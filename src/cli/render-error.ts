import { EXIT, exitCodeFor, isVhError } from '../base/errors.js';
import { oneLine } from '../base/text.js';
import type { Io } from './io.js';

/** Turns any failure into one clear message on stderr and an exit code; stack traces only with --debug. */
export function renderError(io: Io, err: unknown, debug: boolean): number {
  if ((err as { name?: string } | undefined)?.name === 'PromptAborted') {
    io.err('vh-secrets: aborted; nothing was changed');
    return EXIT.INTERRUPTED;
  }
  if (isVhError(err)) {
    const code = exitCodeFor(err.code);
    if (io.json) {
      io.err(JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint ?? null, exit_code: code } }));
    } else {
      // Messages echo input (refs, paths, server text): one line each, whatever that input holds.
      io.err(`vh-secrets: error: ${oneLine(err.message)}`);
      if (err.hint) io.err(`  hint: ${oneLine(err.hint)}`);
    }
    if (debug && err.stack) io.err(err.stack);
    return code;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (io.json) io.err(JSON.stringify({ error: { code: 'INTERNAL', message, hint: null, exit_code: EXIT.SOFTWARE } }));
  else {
    io.err(`vh-secrets: internal error: ${oneLine(message)}`);
    io.err('  hint: run again with --debug for details, and report it if it persists');
  }
  if (debug && err instanceof Error && err.stack) io.err(err.stack);
  return EXIT.SOFTWARE;
}
