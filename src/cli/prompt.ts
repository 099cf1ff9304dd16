import type { Io } from './io.js';

/** Ctrl-C at a prompt: nothing was changed; the CLI exits 130. */
export class PromptAborted extends Error {
  constructor() {
    super('aborted at the prompt; nothing was changed');
    this.name = 'PromptAborted';
  }
}

function isAbort(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError';
}

/** Prompts go to stderr so stdout stays clean data even in an interactive session. */
async function ask<T>(io: Io, run: (prompts: typeof import('@inquirer/prompts'), context: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream }) => Promise<T>): Promise<T> {
  const prompts = await import('@inquirer/prompts');
  try {
    return await run(prompts, { input: io.streams.stdin, output: io.streams.stderr });
  } catch (err) {
    if (isAbort(err)) throw new PromptAborted();
    throw err;
  }
}

export function confirm(io: Io, message: string): Promise<boolean> {
  return ask(io, (p, context) => p.confirm({ message, default: false }, context));
}

export function secretInput(io: Io, message: string): Promise<string> {
  return ask(io, (p, context) => p.password({ message, mask: '*' }, context));
}

/** Free text typed back (e.g. a secret's name before destroying it). */
export function typedConfirmation(io: Io, message: string): Promise<string> {
  return ask(io, (p, context) => p.input({ message }, context));
}
