import { archiveSecret } from '../../lifecycle/lifecycle.js';
import type { CommandContext } from '../context.js';
import { renderTransition } from '../transition.js';
import type { ArchiveOptions } from './archive.spec.js';

export async function run(ctx: CommandContext, [ref]: string[], opts: ArchiveOptions): Promise<number> {
  const rt = await ctx.runtime();
  return renderTransition(ctx, 'archived', await archiveSecret(rt, ref!, { ...(typeof opts.reason === 'string' ? { reason: opts.reason } : {}) }));
}
