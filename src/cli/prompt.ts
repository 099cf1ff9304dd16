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

async function ask<T>(io: Io, question: Record<string, unknown>): Promise<T> {
  const { default: inquirer } = await import('inquirer');
  // Prompts go to stderr so stdout stays clean data even in an interactive session.
  const prompt = inquirer.createPromptModule({ input: io.streams.stdin, output: io.streams.stderr });
  try {
    const answers = (await prompt([{ ...question, name: 'answer' }] as never)) as { answer: T };
    return answers.answer;
  } catch (err) {
    if (isAbort(err)) throw new PromptAborted();
    throw err;
  }
}

export function confirm(io: Io, message: string): Promise<boolean> {
  return ask<boolean>(io, { type: 'confirm', message, default: false });
}

export function secretInput(io: Io, message: string): Promise<string> {
  return ask<string>(io, { type: 'password', message, mask: '*' });
}

/** Free text typed back (e.g. a secret's name before destroying it). */
export function typedConfirmation(io: Io, message: string): Promise<string> {
  return ask<string>(io, { type: 'input', message });
}
