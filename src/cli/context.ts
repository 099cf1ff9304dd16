import type { Command } from 'commander';
import type { Runtime } from '../core/runtime.js';
import type { Io } from './io.js';

/** What a command's `run` gets: the terminal, the global options, and the core runtime on demand. */
export interface CommandContext {
  io: Io;
  /** Loads config and opens the audit log the first time it is called. */
  runtime(): Promise<Runtime>;
  /** The whole command tree, as built for this run (completion and help read it). */
  program: Command;
  /** Name of the command being run, for messages. */
  command: string;
  /** The name it was invoked by: the command's name or one of its aliases (`put` for `create`). */
  invokedAs: string;
}

/** A command's implementation, loaded only when it runs; `Opts` is `OptionsOf` its spec. */
export interface CommandModule<Opts> {
  run(ctx: CommandContext, args: string[], opts: Opts): Promise<number>;
}
