import { promises as fs } from 'node:fs';
import { VhError, fromSystemError } from '../../base/errors.js';
import { writeFileAtomic } from '../../base/fsutil.js';
import { renderTemplate } from '../../core/template.js';
import type { CommandContext } from '../context.js';
import type { TemplateOptions } from './template.spec.js';

/** `template IN [-o OUT]`: placeholders filled in; OUT written atomically, mode 0600, or nothing at all. */
export async function run(ctx: CommandContext, [input]: string[], opts: TemplateOptions): Promise<number> {
  const output = opts.output;
  let text: string;
  try {
    text = input === '-' ? await readAll(ctx.io.streams.stdin) : await fs.readFile(input!, 'utf8');
  } catch (err) {
    throw fromSystemError(err, 'cannot read the template', input!);
  }
  if (output === undefined && ctx.io.streams.stdout.isTTY && !ctx.io.globals.yes) {
    throw new VhError('USAGE', 'the rendered template holds secret values: refusing to print it on a terminal', { hint: 'write it with -o FILE (0600), pipe it, or pass --yes' });
  }
  const rendered = await renderTemplate(await ctx.runtime(), text, input === '-' ? 'stdin' : input!);
  if (output === undefined) {
    ctx.io.out(rendered.text);
    return 0;
  }
  await writeFileAtomic(output, rendered.text, 0o600);
  ctx.io.note(`rendered ${input} → ${output} (${rendered.secrets} secret${rendered.secrets === 1 ? '' : 's'}, mode 0600)`);
  return 0;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
