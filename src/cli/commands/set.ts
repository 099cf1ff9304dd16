import { VhError } from '../../base/errors.js';
import { RotationEngine } from '../../rotation/engine.js';
import type { CommandContext } from '../context.js';
import { render, runRotation, suppliedValue } from './rotate.js';
import type { SetOptions } from './set.spec.js';

/**
 * `set REF`: a new version from a value issued elsewhere (stdin, --value-file, or typed twice at a terminal).
 * It is a rotation with the value supplied: staged, applied at the secret's target if it has one, verified,
 * promoted; the previous version keeps its grace period. `--cas VERSION` writes only while VERSION is current.
 */
export async function run(ctx: CommandContext, [ref]: string[], opts: SetOptions): Promise<number> {
  if (opts.cas !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(opts.cas)) throw new VhError('USAGE', '--cas takes a version id (see `vh-secrets describe`)');
  const value = await suppliedValue(ctx, opts.valueFile);
  const rt = await ctx.runtime();
  const engine = new RotationEngine(rt);
  const options = { value, ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.force ? { force: true } : {}), ...(opts.cas !== undefined ? { expectedCurrent: opts.cas } : {}) };
  const plan = await engine.plan(ref!, options);
  if (opts.dryRun || !plan.ready) {
    await engine.release(plan);
    if (opts.cas !== undefined && plan.summary.status === 'skipped' && plan.summary.version !== opts.cas) {
      throw new VhError('CONFLICT', `${plan.summary.secret} is at version ${plan.summary.version}, not ${opts.cas} (--cas): nothing was written`);
    }
    return render(ctx, plan.summary);
  }
  return runRotation(ctx, ref!, (onPhase) => engine.execute({ ...plan, options: { ...plan.options, onPhase } }));
}
