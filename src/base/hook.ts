import { spawn } from 'node:child_process';
import { VhError } from './errors.js';
import { redact } from './text.js';

/** Hook process groups still running: ended with the process, so no hook outlives the run that started it. */
const running = new Set<number>();
let reaping = false;

function reapOnExit(pid: number): void {
  running.add(pid);
  if (reaping) return;
  reaping = true;
  process.once('exit', () => {
    for (const group of running) {
      try {
        process.kill(-group, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });
}

export interface HookOptions {
  /** What the hook reads on stdin (a value goes here, never in argv or the environment). */
  stdin?: Buffer;
  /** Added to this process's environment: names, phases, versions — never a value. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Names the hook in errors, e.g. `target app (command apply: /usr/local/bin/x)`. */
  where: string;
  /** Values to remove from anything the hook said on stderr before it goes into an error. */
  secrets: readonly string[];
  /** Keep what it prints on stdout (64 bytes at most); otherwise stdout is ignored. */
  keepStdout?: boolean;
}

/**
 * Runs an operator's executable (argv, never a shell string) in a process group of its own, so that a timeout
 * kills everything it started and none of it outlives this process. Exit 0 is success; anything else, or the
 * timeout, is a one-line error carrying the last lines of its stderr with `secrets` redacted. Resolves with
 * what it printed on stdout when `keepStdout`.
 */
export function runHook(argv: readonly string[], options: HookOptions): Promise<string> {
  const { where } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', options.keepStdout ? 'pipe' : 'ignore', 'pipe'],
      detached: true,
      env: { ...process.env, ...options.env },
    });
    if (child.pid !== undefined) reapOnExit(child.pid);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < 64) stdout += d.toString('utf8');
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString('utf8');
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.stdin ?? Buffer.alloc(0));
    child.once('error', (err) => {
      clearTimeout(timer);
      const code = (err as NodeJS.ErrnoException).code;
      reject(new VhError(code === 'EACCES' ? 'PERMISSION_DENIED' : 'CONFIG', `${where}: cannot run it (${code ?? err.message})`));
    });
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
      if (timedOut) return reject(new VhError('TIMEOUT', `${where}: no answer within ${options.timeoutMs} ms (killed)`));
      if (status === 0) return resolve(stdout);
      const said = redact(stderr.trim().split('\n').slice(-3).join(' | '), options.secrets).slice(0, 400);
      reject(new VhError('INTERNAL', `${where}: ${signal ? `killed by ${signal}` : `exit ${status}`}${said ? `: ${said}` : ''}`));
    });
  });
}
