import { VhError } from '../../base/errors.js';
import { parseTags } from '../../core/metadata.js';
import { createSecret } from '../../core/secrets.js';
import { parseSecretType } from '../../core/types.js';
import type { CommandContext } from '../context.js';
import { readValueSource } from '../value-input.js';

interface CreateOptions {
  type: string;
  generate?: boolean;
  valueFile?: string;
  expiresInDays?: string;
  rotationDays?: string;
  owner?: string;
  target?: string;
  tag: string[];
}

export function parseDays(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new VhError('USAGE', `${flag} takes a whole number of days, not "${value}"`);
  return Number(value);
}

export async function run(ctx: CommandContext, [ref]: string[], raw: Record<string, unknown>): Promise<number> {
  const opts = raw as unknown as CreateOptions;
  const type = parseSecretType(opts.type);
  const tags = parseTags(opts.tag);
  const expiresInDays = parseDays('--expires-in-days', opts.expiresInDays);
  const rotationDays = parseDays('--rotation-days', opts.rotationDays);
  const rt = await ctx.runtime();
  const source = await readValueSource(ctx.io, { generate: opts.generate, valueFile: opts.valueFile });
  const result = await createSecret(rt, {
    ref: ref!,
    type,
    source,
    tags,
    ...(expiresInDays !== undefined ? { expiresInDays } : {}),
    ...(rotationDays !== undefined ? { rotationDays } : {}),
    ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
    ...(opts.target !== undefined ? { target: opts.target } : {}),
  });
  if (ctx.io.json) ctx.io.outJson(result);
  else ctx.io.note(`created ${result.ref} (version ${result.version}, type ${result.type}${result.generated ? ', generated' : ''})`);
  return 0;
}
