import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { finished } from 'node:stream/promises';
import { VhError, fromSystemError } from '../../base/errors.js';
import { parseEnvFile, parseEnvFlag, resolveEnv, type EnvBinding } from '../../core/inject.js';
import type { CommandContext } from '../context.js';
import { MaskStream } from '../mask.js';

interface RunOptions {
  env: string[];
  envFile?: string;
  mask?: boolean;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/**
 * `run [--env NAME=REF]… [--env-file F] [--mask|--no-mask] -- COMMAND [ARGS…]`: COMMAND with the secrets in its
 * environment. Values never pass through argv; signals are forwarded and the exit code is the child's. With
 * masking (the default when stdout or stderr is not a terminal) the child's output has every injected value
 * replaced, also when one is split across writes.
 */
export async function run(ctx: CommandContext, command: string[], raw: Record<string, unknown>): Promise<number> {
  const opts = raw as unknown as RunOptions;
  const [file, ...args] = command;
  if (!file) throw new VhError('USAGE', 'run what? vh-secrets run --env NAME=REF -- COMMAND [ARGS…]');
  const rt = await ctx.runtime();
  const bindings: EnvBinding[] = [];
  if (opts.envFile !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(opts.envFile, 'utf8');
    } catch (err) {
      throw fromSystemError(err, 'cannot read --env-file', opts.envFile);
    }
    bindings.push(...parseEnvFile(text, new Set(rt.config.stores.keys()), opts.envFile));
  }
  // Flags after the file: a --env given on the command line wins.
  bindings.push(...opts.env.map(parseEnvFlag));
  if (bindings.length === 0) throw new VhError('USAGE', 'run needs --env NAME=REF or --env-file FILE', { hint: 'e.g. vh-secrets run --env DB_PASSWORD=app/db -- ./server' });
  const { env, secrets } = await resolveEnv(rt, bindings, { purpose: 'run', command: basename(file) });

  const { stdout, stderr } = ctx.io.streams;
  const mask = opts.mask ?? !(stdout.isTTY === true && stderr.isTTY === true);
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['inherit', mask ? 'pipe' : 'inherit', mask ? 'pipe' : 'inherit'] });
  const drained: Promise<void>[] = [];
  if (mask) {
    for (const [from, to] of [[child.stdout!, stdout], [child.stderr!, stderr]] as const) {
      const filter = new MaskStream(secrets);
      from.pipe(filter).pipe(to, { end: false });
      drained.push(finished(filter).catch(() => undefined));
    }
  }
  // This process only waits now: every stop signal goes to the child, which decides when to end.
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) {
    process.removeAllListeners(signal);
    process.on(signal, forward(signal));
  }
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  await Promise.all(drained);
  if ('error' in ended) {
    const code = ended.error.code;
    ctx.io.err(`vh-secrets: error: cannot run ${basename(file)}: ${code === 'ENOENT' ? 'command not found' : code === 'EACCES' ? 'permission denied' : (code ?? ended.error.message)}`);
    return code === 'ENOENT' ? 127 : 126;
  }
  if (ended.signal) return 128 + (constants.signals[ended.signal] ?? 0);
  return ended.code ?? 1;
}
