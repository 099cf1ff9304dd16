import { EXIT, VhError, exitCodeFor, type ErrorCode } from '../../base/errors.js';
import { RotationEngine, type RotationOutcome } from '../../rotation/engine.js';
import type { CommandContext } from '../context.js';
import { progress } from '../progress.js';
import { confirm } from '../prompt.js';

interface RotateOptions {
  secretId?: string;
  emergency?: boolean;
  dryRun?: boolean;
  resume?: boolean;
  abort?: boolean;
  force?: boolean;
  reason?: string;
}

function render(ctx: CommandContext, o: RotationOutcome): number {
  if (ctx.io.json) ctx.io.outJson(o);
  switch (o.status) {
    case 'rotated':
      if (!ctx.io.json) {
        const cleanup = o.cleanup === 'revoked' ? `previous version ${o.previous_version} revoked` : o.cleanup === 'deferred' ? `previous version ${o.previous_version} stays valid for the grace period` : 'cleanup pending';
        ctx.io.note(`rotated ${o.secret}: version ${o.previous_version} → ${o.version} (${cleanup})`);
        if (o.note) ctx.io.err(`vh-secrets: ${o.note}`);
      }
      return o.error ? EXIT.CRITICAL : EXIT.OK;
    case 'planned':
      if (!ctx.io.json) ctx.io.out(`${o.secret}: ${o.note}\n`);
      return EXIT.OK;
    case 'nothing':
    case 'aborted':
      if (!ctx.io.json) ctx.io.note(`${o.secret}: ${o.note}`);
      return EXIT.OK;
    case 'skipped':
    case 'deferred':
      if (!ctx.io.json) ctx.io.err(`vh-secrets: ${o.secret} not rotated: ${o.note}`);
      return EXIT.TEMPFAIL;
    case 'failed':
      if (!ctx.io.json) {
        ctx.io.err(`vh-secrets: error: rotation of ${o.secret} failed in phase ${o.error?.phase ?? '?'}: ${o.error?.message ?? ''}`);
        if (o.note) ctx.io.err(`  ${o.note}`);
      }
      return o.error ? exitCodeFor(o.error.code as ErrorCode) : EXIT.SOFTWARE;
  }
}

export async function run(ctx: CommandContext, [positional]: string[], raw: Record<string, unknown>): Promise<number> {
  const opts = raw as RotateOptions;
  if (positional && opts.secretId && positional !== opts.secretId) throw new VhError('USAGE', 'give the secret once: as an argument or with --secret-id');
  const ref = positional ?? opts.secretId;
  if (!ref) throw new VhError('USAGE', 'which secret? vh-secrets rotate <ref> (or --secret-id <ref>)');
  if (opts.resume && opts.abort) throw new VhError('USAGE', '--resume and --abort cannot be used together');
  if (opts.emergency && !opts.reason) throw new VhError('USAGE', '--emergency needs --reason "…" (it is recorded in the audit log)');
  const rt = await ctx.runtime();
  const engine = new RotationEngine(rt);

  if (opts.abort) return render(ctx, await engine.abort(ref, { force: opts.force === true }));

  const base = { ...(opts.emergency ? { emergency: true } : {}), ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.force ? { force: true } : {}) };
  if (!opts.resume) {
    let plan = await engine.rotate(ref, { ...base, dryRun: true });
    if (plan.status === 'deferred' && !opts.dryRun && ctx.io.interactive && !ctx.io.globals.yes) {
      // A credential inside its grace period would stop working: say which, and let the operator decide.
      ctx.io.err(`${plan.secret}: ${plan.note}`);
      if (!(await confirm(ctx.io, `Cut it now and rotate ${plan.secret}?`))) {
        ctx.io.err('vh-secrets: not confirmed; nothing was changed');
        return EXIT.TEMPFAIL;
      }
      Object.assign(base, { force: true });
      plan = await engine.rotate(ref, { ...base, dryRun: true });
    }
    if (opts.dryRun || plan.status !== 'planned') return render(ctx, plan);
    if (!ctx.io.globals.yes) {
      if (!ctx.io.interactive) throw new VhError('USAGE', `rotating ${plan.secret} needs confirmation`, { hint: 'pass --yes to confirm when not running interactively' });
      ctx.io.err(`${plan.secret} (current version ${plan.version}): ${plan.note}`);
      if (!(await confirm(ctx.io, `Rotate ${plan.secret}${opts.emergency ? ' NOW, revoking the current value' : ''}?`))) {
        ctx.io.err('vh-secrets: not confirmed; nothing was changed');
        return EXIT.OK;
      }
    }
  }
  const spinner = await progress(ctx.io, `rotating ${ref}`);
  const onPhase = (phase: string) => spinner.text(`rotating ${ref}: ${phase}`);
  try {
    const result = opts.resume ? await engine.resume(ref, { ...base, onPhase, force: opts.force === true }) : await engine.rotate(ref, { ...base, onPhase });
    if (result.status === 'rotated') spinner.succeed(`rotated ${result.secret}`);
    else if (result.status === 'failed') spinner.fail(`rotation of ${result.secret} failed`);
    else spinner.stop();
    return render(ctx, result);
  } catch (err) {
    spinner.stop();
    throw err;
  }
}
