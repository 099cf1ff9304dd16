import { spawn } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/...). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(ROOT, 'bin', 'vh-secrets');
/** The Node that runs the CLI under test: `VH_TEST_NODE` (e.g. Node 24 for the end-to-end pass) or this one. */
export const NODE = process.env.VH_TEST_NODE || process.execPath;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** stdout as text */
  out: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** A clean environment: no developer config, no colour, no CI prompts suppressed by accident. */
export function baseEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    // Shells and shebangs (`#!/usr/bin/env node`) find the Node under test first.
    PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'xdg-config'),
    XDG_DATA_HOME: join(home, 'xdg-data'),
    VH_SECRETS_HOME: join(home, 'vh'),
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
  };
  return { ...env, ...extra };
}

export function tempHome(prefix = 'vh-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function run(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(NODE, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolvePromise({ code, signal, stdout, out: stdout.toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/**
 * The process-wide things a CLI run may touch, put back after each in-process run: the environment, the working
 * directory, the exit code, and the listeners of these events (a command that adds or removes one — `run`
 * forwarding signals, a hook reaping its children on exit — must not change the test process).
 */
const PROCESS_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'exit', 'beforeExit', 'warning', 'unhandledRejection', 'uncaughtException'] as const;

/** One in-process run at a time: process.env and the working directory are the process's own. */
let inProcessQueue: Promise<unknown> = Promise.resolve();

/**
 * `run` without a process: the CLI's entry (`runEntry`, what bin/vh-secrets runs) called in this process with
 * `args`, the environment (this process's for the call: core and the providers read process.env), the working
 * directory, stdin from `input`, and fake stdout/stderr — the same result shape as `run` (signal always null).
 * Anything written to the real process.stdout/stderr meanwhile is captured into the result too, so assertions
 * and the leak canary's ledger see every byte the run emitted, as they do for a child's pipes. For cases that
 * need no real process; signals, start-up, terminals and argv sampling keep `run`.
 */
export function runInProcess(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = inProcessQueue.then(() => runOnce(args, options));
  inProcessQueue = result.catch(() => undefined);
  return result;
}

/**
 * Jest's ESM loader links a module graph that two `import()`s reach at once incorrectly ("request for 'node:crypto'
 * is not in cache"); the CLI imports the runtime, the store and target registries and the audit logger together.
 * Loaded one after the other first, they come from the module cache afterwards.
 */
let warm: Promise<typeof import('../../src/cli/entry.js')> | undefined;
async function loadEntry(): Promise<typeof import('../../src/cli/entry.js')> {
  warm ??= (async () => {
    await import('../../src/cli/run.js');
    await import('../../src/core/runtime.js');
    await import('../../src/audit/logger.js');
    await import('../../src/providers/index.js');
    await import('../../src/targets/index.js');
    await import('../../src/providers/file.js');
    return import('../../src/cli/entry.js');
  })();
  return warm;
}

function replaceEnv(to: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in to)) delete process.env[name];
  for (const [name, value] of Object.entries(to)) if (value !== undefined) process.env[name] = value;
}

async function runOnce(args: string[], options: RunOptions): Promise<RunResult> {
  const { runEntry } = await loadEntry();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (to: Buffer[]) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        to.push(Buffer.from(chunk));
        done();
      },
    });
  const input = options.input === undefined ? [] : [Buffer.from(options.input)];
  const stdin = Readable.from(input);
  // The run's environment replaces this process's own for the call, in place, so that what reads it natively
  // (os.homedir() from HOME, child processes) sees it too; what the CLI sets in it (VH_SECRETS_TIMEOUT) goes.
  const env = { ...(options.env ?? process.env) };

  const saved = {
    env: { ...process.env },
    cwd: process.cwd(),
    exitCode: process.exitCode,
    listeners: PROCESS_EVENTS.map((event) => [event, (process as NodeJS.EventEmitter).listeners(event)] as const),
    stdoutWrite: process.stdout.write,
    stderrWrite: process.stderr.write,
  };
  const escaped = (to: Buffer[]): typeof process.stdout.write =>
    function write(this: unknown, chunk: Uint8Array | string, ...rest: unknown[]): boolean {
      to.push(Buffer.from(chunk));
      const done = rest.find((r): r is () => void => typeof r === 'function');
      done?.();
      return true;
    };
  let code: number;
  let timer: NodeJS.Timeout | undefined;
  try {
    replaceEnv(env);
    process.chdir(options.cwd ?? ROOT);
    process.stdout.write = escaped(out);
    process.stderr.write = escaped(err);
    // As bin/vh-secrets: SDK warnings are not printed, unless --debug asks for them.
    process.removeAllListeners('warning');
    if (env.VH_SECRETS_DEBUG === '1' || env.VH_SECRETS_DEBUG === 'true' || args.includes('--debug')) {
      process.on('warning', (w) => err.push(Buffer.from(`vh-secrets: debug: ${w.name}: ${w.message}\n`)));
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`vh-secrets ${args.join(' ')}: no exit within ${timeoutMs} ms (in-process)`)), timeoutMs);
    });
    try {
      code = await Promise.race([runEntry(args, { stdout: sink(out), stderr: sink(err), stdin, env: process.env }), timedOut]);
    } catch (e) {
      // As bin/vh-secrets ends an entry that throws.
      err.push(Buffer.from(`vh-secrets: internal error: ${e instanceof Error ? e.message : String(e)}\n`));
      code = 70;
    }
  } finally {
    clearTimeout(timer);
    process.stdout.write = saved.stdoutWrite;
    process.stderr.write = saved.stderrWrite;
    replaceEnv(saved.env);
    process.chdir(saved.cwd);
    process.exitCode = saved.exitCode;
    const emitter: NodeJS.EventEmitter = process;
    for (const [event, listeners] of saved.listeners) {
      emitter.removeAllListeners(event);
      for (const l of listeners) emitter.on(event, l as (...a: unknown[]) => void);
    }
  }
  const stdout = Buffer.concat(out);
  return { code, signal: null, stdout, out: stdout.toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Every regular file below `dir`, recursively. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Polls `check` until it holds, at most `timeoutMs`: the one way tests wait for another process (never a fixed
 * sleep). `detail` adds what was seen (a terminal screen) to the error.
 */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, detail?: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${detail ? `; the screen:\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One argument for sh, single-quoted. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Whether a process is still there (signal 0 tests without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
