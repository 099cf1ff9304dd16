import type { Io } from './io.js';

export interface Progress {
  text(message: string): void;
  succeed(message: string): void;
  fail(message: string): void;
  stop(): void;
}

const silent: Progress = { text: () => undefined, succeed: () => undefined, fail: () => undefined, stop: () => undefined };

/** An ora spinner on stderr — only on a TTY, never with --quiet or --json; otherwise nothing at all. */
export async function progress(io: Io, initial: string): Promise<Progress> {
  if (!io.streams.stderr.isTTY || io.quiet || io.json) return silent;
  const { default: ora } = await import('ora');
  const spinner = ora({ text: initial, stream: io.streams.stderr as NodeJS.WriteStream, color: 'cyan', isEnabled: io.colorLevel > 0 || undefined }).start();
  return {
    text: (m) => {
      spinner.text = m;
    },
    succeed: (m) => spinner.succeed(m),
    fail: (m) => spinner.fail(m),
    stop: () => spinner.stop(),
  };
}
