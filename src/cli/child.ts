import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { finished } from 'node:stream/promises';
import { MaskStream } from './mask.js';

/** How a child ended: its exit code or the signal that ended it, or the error that kept it from starting. */
export type ChildEnd = { code: number | null; signal: NodeJS.Signals | null } | { error: NodeJS.ErrnoException };

export interface ChildSpec {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Values to conceal in its output; undefined passes the output through untouched. */
  mask: Buffer[] | undefined;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * The command `run` started: output piped through masking filters into ours (never ended, so a next child can
 * write there too), stdin inherited. `ended` settles once it has exited and its output is through the filters.
 */
export class RunningChild {
  readonly ended: Promise<ChildEnd>;
  /** Settles when the process is gone (its output may still be draining). */
  private readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private done = false;

  constructor(spec: ChildSpec) {
    const piped = spec.mask !== undefined;
    this.child = spawn(spec.file, spec.args, { env: spec.env, stdio: ['inherit', piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit'] });
    const drained: Promise<void>[] = [];
    if (spec.mask) {
      for (const [from, to] of [[this.child.stdout!, spec.stdout], [this.child.stderr!, spec.stderr]] as const) {
        const filter = new MaskStream(spec.mask);
        from.pipe(filter).pipe(to, { end: false });
        drained.push(finished(filter).catch(() => undefined));
      }
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.once('error', () => resolve());
    });
    this.ended = new Promise<ChildEnd>((resolve) => {
      this.child.once('error', (error: NodeJS.ErrnoException) => resolve({ error }));
      this.child.once('close', (code, signal) => resolve({ code, signal }));
    }).then(async (end) => {
      await Promise.all(drained);
      this.done = true;
      return end;
    });
  }

  /** It has ended and its output is through. */
  get finished(): boolean {
    return this.done;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /**
   * SIGTERM, then SIGKILL when it is still there after `graceMs`. Resolves once it is gone and its output has
   * drained — or, when something it started holds its output open, `drainMs` after it is gone. `killed` says
   * whether the SIGKILL was needed.
   */
  async stop(graceMs: number, drainMs: number): Promise<{ end: ChildEnd | undefined; killed: boolean }> {
    let killed = false;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      killed = this.child.exitCode === null && this.child.signalCode === null;
      this.signal('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
    let drainTimer: NodeJS.Timeout | undefined;
    const end = await Promise.race([this.ended, new Promise<undefined>((resolve) => (drainTimer = setTimeout(() => resolve(undefined), drainMs)))]);
    clearTimeout(drainTimer);
    return { end, killed };
  }
}

/** The exit code `run` returns for how its child ended (and the line to print when it never started). */
export function exitCodeOf(end: ChildEnd, name: string): { code: number; message?: string } {
  if ('error' in end) {
    const code = end.error.code;
    const why = code === 'ENOENT' ? 'command not found' : code === 'EACCES' ? 'permission denied' : (code ?? end.error.message);
    return { code: code === 'ENOENT' ? 127 : 126, message: `vh-secrets: error: cannot run ${name}: ${why}` };
  }
  if (end.signal) return { code: 128 + (constants.signals[end.signal] ?? 0) };
  return { code: end.code ?? 1 };
}
