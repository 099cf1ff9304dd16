import { VhError } from '../../base/errors.js';
import { parseTags } from '../../core/metadata.js';
import { parseSecretType } from '../../core/types.js';
import { updateSecret } from '../../core/update.js';
import type { CommandContext } from '../context.js';
import { parseDays } from './create.js';
import type { UpdateOptions } from './update.spec.js';

export async function run(ctx: CommandContext, [ref]: string[], opts: UpdateOptions): Promise<number> {
  if (opts.expiresInDays !== undefined && opts.expiry === false) throw new VhError('USAGE', '--expires-in-days and --no-expiry cannot be used together');
  const rotationDays = parseDays('--rotation-days', opts.rotationDays);
  const expiresInDays = opts.expiry === false ? null : parseDays('--expires-in-days', opts.expiresInDays);
  const rt = await ctx.runtime();
  const result = await updateSecret(rt, {
    ref: ref!,
    tags: parseTags(opts.tag),
    untag: opts.untag,
    ...(opts.owner !== undefined ? { owner: opts.owner === '' ? null : opts.owner } : {}),
    ...(rotationDays !== undefined ? { rotationDays } : {}),
    ...(expiresInDays !== undefined ? { expiresInDays } : {}),
    ...(opts.target === false ? { target: null } : typeof opts.target === 'string' ? { target: opts.target } : {}),
    ...(opts.type !== undefined ? { type: parseSecretType(opts.type) } : {}),
  });
  if (ctx.io.json) ctx.io.outJson(result);
  else ctx.io.note(result.changed.length ? `updated ${result.ref}: ${result.changed.join(', ')}` : `${result.ref}: already so, nothing changed`);
  return 0;
}
