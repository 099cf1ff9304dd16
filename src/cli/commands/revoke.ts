import { VhError } from '../../base/errors.js';
import { revokeSecret } from '../../core/secrets.js';
import type { CommandContext } from '../context.js';
import { confirm } from '../prompt.js';
import type { RevokeOptions } from './revoke.spec.js';

export async function run(ctx: CommandContext, [ref]: string[], opts: RevokeOptions): Promise<number> {
  const version = opts.at;
  const target = version === undefined ? `every version of ${ref!} (the secret becomes unreadable)` : `version ${version} of ${ref!}`;
  if (!ctx.io.globals.yes) {
    if (!ctx.io.interactive) {
      throw new VhError('USAGE', `revoking ${target} needs confirmation`, { hint: 'pass --yes to confirm when not running interactively' });
    }
    if (!(await confirm(ctx.io, `Revoke ${target}?`))) {
      ctx.io.err('vh-secrets: not confirmed; nothing was changed');
      return 0;
    }
  }
  const rt = await ctx.runtime();
  const result = await revokeSecret(rt, ref!, { ...(version !== undefined ? { version } : {}), allowCurrent: opts.force === true });
  if (ctx.io.json) ctx.io.outJson(result);
  else ctx.io.note(`revoked ${result.whole_secret ? 'secret' : 'version'} ${result.ref} (versions ${result.revoked_versions.join(', ') || 'none'})`);
  return 0;
}
