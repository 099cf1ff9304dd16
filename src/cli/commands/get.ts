import { getSecret } from '../../core/secrets.js';
import type { CommandContext } from '../context.js';
import type { GetOptions } from './get.spec.js';
import { formatPairs, parseValueFormat, valuePairs } from '../value-format.js';

export async function run(ctx: CommandContext, [ref]: string[], opts: GetOptions): Promise<number> {
  const format = opts.format === undefined ? (ctx.io.json ? 'json' : 'raw') : parseValueFormat(opts.format);
  const rt = await ctx.runtime();
  const result = await getSecret(rt, ref!, opts.at, opts.field);
  if (format === 'json') {
    const text = result.value.toString('utf8');
    const utf8 = Buffer.from(text, 'utf8').equals(result.value);
    ctx.io.outJson({
      ref: result.ref,
      store: result.store,
      name: result.name,
      key: result.key,
      version: result.version,
      encoding: utf8 ? 'utf8' : 'base64',
      value: utf8 ? text : result.value.toString('base64'),
    });
    return 0;
  }
  if (format !== 'raw') {
    ctx.io.out(formatPairs(valuePairs(result.value, result.name, result.key), format));
    return 0;
  }
  ctx.io.out(result.value);
  if (ctx.io.streams.stdout.isTTY && result.value[result.value.length - 1] !== 0x0a) ctx.io.out('\n');
  return 0;
}
