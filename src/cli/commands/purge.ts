import { EXIT, VhError } from '../../base/errors.js';
import { purgeSecret } from '../../lifecycle/lifecycle.js';
import { parseRef } from '../../core/ref.js';
import type { CommandContext } from '../context.js';
import { typedConfirmation } from '../prompt.js';
import { renderTransition } from '../transition.js';
import type { PurgeOptions } from './purge.spec.js';

/**
 * Destroys a secret for good. `--yes` is always required; on a terminal the name must also be typed back.
 * Never prompts under CI=true or without a TTY. Exit 64 without --yes, when the name typed back differs, or
 * when the secret is not archived/revoked (without --force).
 */
export async function run(ctx: CommandContext, [ref]: string[], opts: PurgeOptions): Promise<number> {
  const force = opts.force === true;
  if (!ctx.io.globals.yes) {
    throw new VhError('USAGE', `purging ${ref!} destroys it and every version irreversibly: it needs --yes`, {
      hint: ctx.io.interactive ? 'run it again with --yes; you will then be asked to type the name back' : 'pass --yes (without a terminal, or under CI=true, nothing is asked)',
    });
  }
  if (ctx.io.interactive) {
    const name = parseRef(ref!).name;
    const typed = await typedConfirmation(ctx.io, `This destroys ${ref!} and all its versions for good. Type the secret name (${name}) to confirm:`);
    if (typed.trim() !== name) {
      ctx.io.err('vh-secrets: the name did not match; nothing was purged');
      return EXIT.USAGE;
    }
  }
  const rt = await ctx.runtime();
  return renderTransition(ctx, 'purged', await purgeSecret(rt, ref!, { force, ...(typeof opts.reason === 'string' ? { reason: opts.reason } : {}) }));
}
