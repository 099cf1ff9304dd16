import type { Io } from './io.js';

export interface Progress {
  text(message: string): void;
  succeed(message: string): void;
  fail(message: string): void;
  /** Idempotent; every path out of a command that started progress calls it (see `withProgress`). */
  stop(): void;
}

const silent: Progress = { text: () => undefined, succeed: () => undefined, fail: () => undefined, stop: () => undefined };

/** Progress still on screen; `stopAllProgress` ends them when the process leaves by any path (signal, error). */
const live = new Set<Progress>();

export function stopAllProgress(): void {
  for (const p of [...live]) p.stop();
}

type Stream = NodeJS.WriteStream;

/** A usable width: a terminal that reports 0 columns (or none) has none to animate in. */
function columnsOf(stream: Stream): number | undefined {
  const c = stream.columns;
  return typeof c === 'number' && Number.isFinite(c) && c > 0 ? c : undefined;
}

/**
 * The stream as ora sees it, with a width that is never 0: ora divides by it to count the lines it clears, and
 * a terminal resized to 0 columns mid-run would make that Infinity — a synchronous loop writing `\e[0K\e[1A`
 * forever that no signal handler can interrupt.
 */
function widthGuarded(stream: Stream): Stream {
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === 'columns') return columnsOf(target) ?? 80;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Lines instead of an animation: the outcome once, no cursor movement (terminals without a width). */
function lines(stream: Stream): Progress {
  let done = false;
  const end = (mark: string, m: string) => {
    if (done) return;
    done = true;
    live.delete(p);
    stream.write(`${mark} ${m}\n`);
  };
  const p: Progress = {
    text: () => undefined,
    succeed: (m) => end('✔', m),
    fail: (m) => end('✖', m),
    stop: () => {
      done = true;
      live.delete(p);
    },
  };
  live.add(p);
  return p;
}

/**
 * An ora spinner on stderr — only on a TTY that has a width, never with --quiet or --json; a TTY without a
 * width gets the outcome as one line; otherwise nothing at all.
 */
export async function progress(io: Io, initial: string): Promise<Progress> {
  if (!io.streams.stderr.isTTY || io.quiet || io.json) return silent;
  const stream = io.streams.stderr as Stream;
  if (columnsOf(stream) === undefined) return lines(stream);
  const { default: ora } = await import('ora');
  const spinner = ora({ text: initial, stream: widthGuarded(stream), color: 'cyan', isEnabled: io.colorLevel > 0 || undefined }).start();
  let done = false;
  const finish = (how: () => void) => {
    if (done) return;
    done = true;
    live.delete(p);
    how();
  };
  const p: Progress = {
    text: (m) => {
      if (!done) spinner.text = m;
    },
    succeed: (m) => finish(() => spinner.succeed(m)),
    fail: (m) => finish(() => spinner.fail(m)),
    stop: () => finish(() => spinner.stop()),
  };
  live.add(p);
  return p;
}

/** Runs `fn` with progress shown, and stops it however `fn` ends. */
export async function withProgress<T>(io: Io, initial: string, fn: (p: Progress) => Promise<T>): Promise<T> {
  const p = await progress(io, initial);
  try {
    return await fn(p);
  } finally {
    p.stop();
  }
}
