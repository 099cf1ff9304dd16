import { VhError } from '../../base/errors.js';
import { exportSecrets } from '../../core/export.js';
import type { CommandContext } from '../context.js';
import { formatPairs, valuePairs } from '../value-format.js';
import type { ExportOptions } from './export.spec.js';

export async function run(ctx: CommandContext, _args: string[], opts: ExportOptions): Promise<number> {
  const format = opts.format ?? (ctx.io.json ? 'json' : 'dotenv');
  if (format !== 'dotenv' && format !== 'env' && format !== 'json') throw new VhError('USAGE', `unknown --format "${format}"`, { hint: 'use dotenv, env or json' });
  // Values go to stdout only, and not to a terminal's scrollback unless asked.
  if (ctx.io.streams.stdout.isTTY && !ctx.io.globals.yes) {
    throw new VhError('USAGE', 'export prints secret values: refusing to write them to a terminal', { hint: 'redirect or pipe stdout (> .env), or pass --yes' });
  }
  const secrets = await exportSecrets(await ctx.runtime(), { ...(opts.store !== undefined ? { store: opts.store } : {}), ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) });
  const pairs = secrets.map((s) => [s.variable, valuePairs(s.value, s.ref, s.variable)[0]![1]] as [string, string]);
  if (format === 'json') ctx.io.outJson(Object.fromEntries(pairs));
  else ctx.io.out(formatPairs(pairs, format));
  return 0;
}
