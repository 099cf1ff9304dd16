import { VhError, isVhError } from '../../base/errors.js';
import { parseTags } from '../../core/metadata.js';
import { createSecret } from '../../core/secrets.js';
import { parseSecretType } from '../../core/types.js';
import type { CommandContext } from '../context.js';
import { readValueSource } from '../value-input.js';
import type { CreateOptions } from './create.spec.js';

export function parseDays(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new VhError('USAGE', `${flag} takes a whole number of days, not "${value}"`);
  return Number(value);
}

export async function run(ctx: CommandContext, [ref]: string[], opts: CreateOptions): Promise<number> {
  const type = parseSecretType(opts.type);
  const tags = parseTags(opts.tag);
  const expiresInDays = parseDays('--expires-in-days', opts.expiresInDays);
  const rotationDays = parseDays('--rotation-days', opts.rotationDays);
  const rt = await ctx.runtime();
  const source = await readValueSource(ctx.io, { generate: opts.generate, valueFile: opts.valueFile });
  if (ctx.invokedAs === 'put' && source.kind === 'bytes') {
    // `put` on an existing secret writes a new version, as `set` does (a rotation with the value supplied).
    const { describeSecret } = await import('../../core/secrets.js');
    const exists = await describeSecret(rt, ref!).then(() => true, (err: unknown) => !(isVhError(err) && err.code === 'NOT_FOUND'));
    if (exists) {
      const given = [opts.type !== 'generic' && '--type', tags && Object.keys(tags).length > 0 && '--tag', expiresInDays !== undefined && '--expires-in-days', rotationDays !== undefined && '--rotation-days', opts.owner !== undefined && '--owner', opts.target !== undefined && '--target', opts.reload?.length && '--reload'].filter(Boolean);
      if (given.length > 0) throw new VhError('USAGE', `${ref} exists: put writes a new value only, not ${given.join(', ')}`, { hint: `change metadata with \`vh-secrets update ${ref} …\`` });
      const { RotationEngine } = await import('../../rotation/engine.js');
      const { render, runRotation } = await import('./rotate.js');
      const engine = new RotationEngine(rt);
      const plan = await engine.plan(ref!, { value: source.value });
      if (!plan.ready) return render(ctx, plan.summary);
      return runRotation(ctx, ref!, (onPhase) => engine.execute({ ...plan, options: { ...plan.options, onPhase } }));
    }
  }
  const result = await createSecret(rt, {
    ref: ref!,
    type,
    source,
    tags,
    ...(expiresInDays !== undefined ? { expiresInDays } : {}),
    ...(rotationDays !== undefined ? { rotationDays } : {}),
    ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
    ...(opts.target !== undefined ? { target: opts.target } : {}),
    ...(opts.reload?.length ? { reload: opts.reload! } : {}),
  });
  if (ctx.io.json) ctx.io.outJson(result);
  else ctx.io.note(`created ${result.ref} (version ${result.version}, type ${result.type}${result.generated ? ', generated' : ''})`);
  return 0;
}
