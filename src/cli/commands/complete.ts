import { completionRefs } from '../../core/ref-index.js';
import type { CommandContext } from '../context.js';

/** Hidden: `__complete stores` and `__complete refs [prefix]`, one candidate per line, silent on any error. */
export async function run(ctx: CommandContext, [what, prefix = '']: string[]): Promise<number> {
  try {
    const rt = await ctx.runtime();
    if (what === 'stores') {
      ctx.io.out([...rt.config.stores.keys()].sort().map((s) => `${s}\n`).join(''));
    } else if (what === 'refs') {
      const refs = await completionRefs(rt);
      const local = rt.config.defaultStore;
      // Refs in the default store complete with and without their alias.
      const candidates = prefix.includes(':') ? refs : [...refs, ...refs.filter((r) => r.startsWith(`${local}:`)).map((r) => r.slice(local.length + 1))];
      ctx.io.out(candidates.filter((r) => r.startsWith(prefix)).map((r) => `${r}\n`).join(''));
    }
  } catch {
    // A completion must never print an error into the user's command line.
  }
  return 0;
}
