import type { TransitionResult } from '../lifecycle/lifecycle.js';
import type { CommandContext } from './context.js';

/** Output of deprecate / archive / purge: JSON, or one line on stderr. */
export function renderTransition(ctx: CommandContext, verb: string, r: TransitionResult): number {
  if (ctx.io.json) ctx.io.outJson(r);
  else if (r.status === 'unchanged') ctx.io.note(`${r.ref} is already ${r.to}; nothing to do`);
  else ctx.io.note(`${verb} ${r.ref}: ${r.from} → ${r.to}${r.versions.length > 0 ? ` (versions ${r.versions.join(', ')})` : ''}`);
  return 0;
}
