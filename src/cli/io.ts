import type { ChalkInstance } from 'chalk';

import type { GlobalOptions } from './program.spec.js';

/** Global options every command sees (before the command name or after it); `--timeout` as given, a duration. */
export type { GlobalOptions };

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/**
 * The CLI's only door to the terminal: data to stdout, progress and diagnostics to stderr, colour only on a
 * TTY and never with NO_COLOR or --no-color (FORCE_COLOR forces it), prompts only when interactive.
 */
export class Io {
  private chalkInstance: ChalkInstance | undefined;

  constructor(
    readonly streams: Streams,
    readonly globals: GlobalOptions,
  ) {}

  get json(): boolean {
    return this.globals.json === true;
  }

  get quiet(): boolean {
    return this.globals.quiet === true;
  }

  get colorLevel(): 0 | 1 | 2 | 3 {
    const env = this.streams.env;
    if (this.globals.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return 0;
    if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return 1;
    return this.streams.stdout.isTTY && env.TERM !== 'dumb' ? 1 : 0;
  }

  /** A prompt may be shown: stdin and stderr are terminals, not CI, not --yes/--json automation. */
  get interactive(): boolean {
    const env = this.streams.env;
    if (env.CI === 'true' || env.CI === '1') return false;
    return Boolean(this.streams.stdin.isTTY && this.streams.stderr.isTTY);
  }

  async chalk(): Promise<ChalkInstance> {
    if (!this.chalkInstance) {
      const { Chalk } = await import('chalk');
      this.chalkInstance = new Chalk({ level: this.colorLevel });
    }
    return this.chalkInstance;
  }

  out(data: string | Buffer): void {
    this.streams.stdout.write(data);
  }

  outJson(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Progress / notes on stderr; silenced by --quiet. */
  note(message: string): void {
    if (!this.quiet) this.streams.stderr.write(`${message}\n`);
  }

  /** Diagnostics that must be seen even with --quiet. */
  err(message: string): void {
    this.streams.stderr.write(`${message}\n`);
  }

  /**
   * A table no wider than TABLE_WIDTH columns: long version ids shortened as git shortens hashes (the full id is
   * in --json), then the widest columns wrapped until it fits.
   */
  async table(head: string[], rows: string[][]): Promise<string> {
    const { default: Table } = await import('cli-table3');
    const c = await this.chalk();
    const versionCols = head.map((h, i) => (h === 'VERSION' ? i : -1)).filter((i) => i >= 0);
    const shown = rows.map((r) => r.map((cell, i) => (versionCols.includes(i) ? shortVersion(cell) : cell)));
    // On a terminal; a pipe gets whole lines, for grep and cut.
    const widths = this.streams.stdout.isTTY ? fitWidths(head, shown, TABLE_WIDTH) : undefined;
    const table = new Table({
      head: head.map((h) => c.bold(h)),
      ...(widths ? { colWidths: widths, wordWrap: true, wrapOnWordBoundary: false } : {}),
      style: { head: [], border: [], compact: true },
      chars: this.streams.stdout.isTTY ? {} : { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
    });
    for (const row of shown) table.push(row);
    return table.toString();
  }
}

const TABLE_WIDTH = 100;

/** `a3f9c2e1d0b4…` (64 hex, a UUID, an Azure id) → its first 8 characters; short ids stay as they are. */
export function shortVersion(v: string): string {
  return v.length > 12 && /^[0-9a-fA-F-]+$/.test(v) ? v.slice(0, 8) : v;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Column widths (cli-table3's, padding included) that fit `max` columns with a border between columns, or
 * undefined when the table fits as it is. The widest column gives way first, never below 12.
 */
export function fitWidths(head: string[], rows: string[][], max: number): number[] | undefined {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.max(...(r[i] ?? '').replace(ANSI, '').split('\n').map((l) => l.length)))) + 2);
  const total = () => widths.reduce((a, b) => a + b, 0) + widths.length + 1;
  if (total() <= max) return undefined;
  // Water-filling: the widest columns come down together, one column of width at a time.
  while (total() > max) {
    const top = Math.max(...widths);
    if (top <= 12) break;
    widths[widths.indexOf(top)] = top - 1;
  }
  return widths;
}
