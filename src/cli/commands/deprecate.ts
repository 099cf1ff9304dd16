import { deprecateSecret } from '../../lifecycle/lifecycle.js';
import type { CommandContext } from '../context.js';
import { renderTransition } from '../transition.js';
import type { DeprecateOptions } from './deprecate.spec.js';

export async function run(ctx: CommandContext, [ref]: string[], opts: DeprecateOptions): Promise<number> {
  const rt = await ctx.runtime();
  return renderTransition(ctx, 'deprecated', await deprecateSecret(rt, ref!, { ...(typeof opts.reason === 'string' ? { reason: opts.reason } : {}) }));
}
