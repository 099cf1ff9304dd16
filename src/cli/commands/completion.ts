import { VhError } from '../../base/errors.js';
import { bashScript, fishScript, zshScript } from '../completion.js';
import type { CommandContext } from '../context.js';

export async function run(ctx: CommandContext, [shell]: string[]): Promise<number> {
  const { program } = ctx;
  const scripts: Record<string, () => string> = { bash: () => bashScript(program), zsh: () => zshScript(program), fish: () => fishScript(program) };
  const make = scripts[shell ?? ''];
  if (!make) throw new VhError('USAGE', `unknown shell "${shell}"`, { hint: 'use bash, zsh or fish' });
  ctx.io.out(make());
  return 0;
}
