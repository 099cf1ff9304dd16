import { EXIT, VhError, exitCodeFor, isVhError, type ErrorCode } from '../../base/errors.js';
import { mapBounded } from '../../base/pool.js';
import { parseTags } from '../../core/metadata.js';
import type { Runtime } from '../../core/runtime.js';
import type { Metadata } from '../../core/store.js';
import { parseSecretType } from '../../core/types.js';
import { RotationEngine, type RotationOutcome } from '../../rotation/engine.js';
import { findRotations, type RotationRecord } from '../../rotation/interrupted.js';
import { ROTATION_MODE, rotationManagement } from '../../rotation/managed.js';
import { parseConcurrency, type RotateAllResult } from '../../rotation/rotate-all.js';
import type { CommandContext } from '../context.js';
import { progress, withProgress } from '../progress.js';
import { confirm } from '../prompt.js';
import { renderResults } from './rotate-all.js';
import { readValueSource } from '../value-input.js';
import type { RotateOptions } from './rotate.spec.js';

export function render(ctx: CommandContext, o: RotationOutcome): number {
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
    case 'reload_failed':
      if (!ctx.io.json) {
        ctx.io.err(`vh-secrets: error: ${o.secret} rotated to version ${o.version}, but its reload failed: ${o.error?.message ?? ''}`);
        if (o.note) ctx.io.err(`  ${o.note}`);
      }
      return EXIT.CRITICAL;
    case 'failed':
      if (!ctx.io.json) {
        ctx.io.err(`vh-secrets: error: rotation of ${o.secret} failed in phase ${o.error?.phase ?? '?'}: ${o.error?.message ?? ''}`);
        if (o.note) ctx.io.err(`  ${o.note}`);
      }
      return o.error ? exitCodeFor(o.error.code as ErrorCode) : EXIT.SOFTWARE;
  }
}

/** `rotate --resume --all` / `--abort --all`: every interrupted rotation (matching the filters), with one confirmation. */
async function runAll(ctx: CommandContext, rt: Runtime, opts: RotateOptions): Promise<number> {
  const action = opts.resume ? 'resume' : 'abort';
  const type = opts.type === undefined ? undefined : parseSecretType(opts.type);
  const tags = parseTags(opts.tag ?? []);
  const force = opts.force === true;
  const found = await findRotations(rt, { tags, ...(type ? { type } : {}), ...(opts.store !== undefined ? { store: opts.store } : {}) });
  // In flight on this host: its process runs and holds the lock. Elsewhere and younger than the timeout: only --force.
  const takes = (r: RotationRecord) => r.state === 'interrupted' || (force && r.holder !== 'alive');
  const todo = found.rotations.filter(takes);
  const left = found.rotations.filter((r) => !takes(r));
  const plan = (r: RotationRecord) => (action === 'resume' ? r.resume : r.abort);

  for (const e of found.errors) ctx.io.err(`vh-secrets: could not read ${e.where}: ${e.code}: ${e.message}`);
  if (todo.length > 0 && !ctx.io.globals.yes && opts.confirm !== true) {
    if (!ctx.io.interactive) throw new VhError('USAGE', `rotate --${action} --all changes every interrupted rotation and needs confirmation`, { hint: 'pass --confirm (or --yes) when not running interactively; `vh-secrets rotations` shows what it would do' });
    ctx.io.err(`${todo.length} interrupted rotation(s) would be ${action === 'resume' ? 'resumed' : 'aborted'}:\n${todo.map((r) => `  ${r.secret}: ${plan(r)}`).join('\n')}`);
    if (left.length) ctx.io.err(`${left.length} rotation(s) still in flight are left alone${force ? '' : ' (--force takes over those another host started)'}`);
    if (!(await confirm(ctx.io, `${action === 'resume' ? 'Resume' : 'Abort'} these ${todo.length} rotation(s)?`))) {
      ctx.io.err('vh-secrets: nothing was changed');
      return EXIT.OK;
    }
  }

  const engine = new RotationEngine(rt);
  let finished = 0;
  const rows = await withProgress(ctx.io, `${action === 'resume' ? 'resuming' : 'aborting'} interrupted rotations`, (spinner) => mapBounded(todo, parseConcurrency(undefined), async (r) => {
    const base = { secret: r.secret, store: r.store, type: r.type ?? 'generic' };
    let row: RotateAllResult;
    try {
      const o = action === 'resume' ? await engine.resume(r.secret, { force }) : await engine.abort(r.secret, { force });
      row = { ...base, status: o.status, version: o.version, note: o.note, error: o.error ? { code: o.error.code, message: o.error.message } : null };
    } catch (err) {
      row = { ...base, status: 'failed', version: r.current_version, note: isVhError(err) ? (err.hint ?? null) : null, error: { code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message } };
    }
    spinner.text(`${action}: ${++finished}/${todo.length} done`);
    return row;
  }));
  const results = [
    ...rows,
    ...left.map((r) => ({ secret: r.secret, store: r.store, type: r.type ?? 'generic', status: 'skipped' as const, version: r.current_version, note: `in flight: ${r.why}`, error: null })),
    ...found.errors.map((e) => ({ secret: e.where, store: '-', type: '-', status: 'failed' as const, version: null, note: 'could not be read', error: { code: e.code, message: e.message } })),
  ];
  const count = (s: string) => results.filter((x) => x.status === s).length;
  const summary = { total: results.length, rotated: count('rotated'), aborted: count('aborted'), nothing: count('nothing'), skipped: count('skipped'), failed: count('failed') + count('reload_failed') };
  if (ctx.io.json) {
    ctx.io.outJson({ action, results, summary });
  } else {
    await renderResults(ctx, results);
    ctx.io.note(
      results.length === 0
        ? 'no interrupted rotations'
        : `${summary.total} rotation(s): ${summary.rotated} finished (rotated), ${summary.aborted} aborted, ${summary.skipped} left in flight, ${summary.failed} failed${summary.nothing ? `, ${summary.nothing} had nothing left to do` : ''}`,
    );
  }
  return summary.failed > 0 ? EXIT.CRITICAL : EXIT.OK;
}

export async function run(ctx: CommandContext, [positional]: string[], opts: RotateOptions): Promise<number> {
  if (opts.resume && opts.abort) throw new VhError('USAGE', '--resume and --abort cannot be used together');
  const filtered = opts.store !== undefined || opts.type !== undefined || (opts.tag ?? []).length > 0;
  if (opts.valueFile !== undefined && (opts.all || opts.resume || opts.abort)) {
    throw new VhError('USAGE', `--value-file does not go with --${opts.all ? 'all' : opts.resume ? 'resume' : 'abort'}`, { hint: 'a resumed rotation continues with the value it staged' });
  }
  if (opts.all) {
    if (!opts.resume && !opts.abort) throw new VhError('USAGE', '--all goes with --resume or --abort', { hint: 'to rotate every matching secret, use `vh-secrets rotate-all`' });
    if (positional || opts.secretId) throw new VhError('USAGE', '--all takes no secret reference', { hint: 'filter with --store, --type or --tag' });
    if (opts.emergency || opts.dryRun) throw new VhError('USAGE', `--${opts.emergency ? 'emergency' : 'dry-run'} does not go with --all`, { hint: '`vh-secrets rotations` shows what --resume / --abort would do' });
    return runAll(ctx, await ctx.runtime(), opts);
  }
  if (filtered) throw new VhError('USAGE', '--store, --type and --tag go with --resume --all or --abort --all', { hint: 'to rotate every matching secret, use `vh-secrets rotate-all`' });
  if (positional && opts.secretId && positional !== opts.secretId) throw new VhError('USAGE', 'give the secret once: as an argument or with --secret-id');
  const ref = positional ?? opts.secretId;
  if (!ref) throw new VhError('USAGE', 'which secret? vh-secrets rotate <ref> (or --secret-id <ref>, or --resume/--abort --all)');
  if (opts.emergency && !opts.reason) throw new VhError('USAGE', '--emergency needs --reason "…" (it is recorded in the audit log)');
  const rt = await ctx.runtime();
  const engine = new RotationEngine(rt);

  if (opts.abort) return render(ctx, await engine.abort(ref, { force: opts.force === true }));

  const base = { ...(opts.emergency ? { emergency: true } : {}), ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.force ? { force: true } : {}) };
  // A value issued elsewhere, supplied: from a file or stdin (`-`), never the command line.
  if (opts.valueFile !== undefined) Object.assign(base, { value: await suppliedValue(ctx, opts.valueFile) });
  if (opts.resume) return runRotation(ctx, ref, (onPhase) => engine.resume(ref, { ...base, onPhase, force: opts.force === true }));
  // Cleanups already due go first, as rotate-all does them: a target that asks for an idle check
  // (cleanup = "when-idle") gets it here, before a rotation could take that credential's slot.
  if (!opts.dryRun) {
    await engine.cleanupIfDue(ref).catch((err: unknown) => {
      // A secret that is not there is for the plan to report, once.
      if (isVhError(err) && err.code === 'NOT_FOUND') return;
      // A store or target that did not answer: the rotation needs it too, so end here (nothing changed) rather
      // than wait for it a second time.
      if (isVhError(err) && err.code === 'NETWORK') throw err;
      ctx.io.err(`vh-secrets: warning: the cleanup due on ${ref} was not done: ${(err as Error).message}`);
    });
  }
  // One plan: what the operator is shown and confirms is what runs.
  let plan = await engine.plan(ref, base);
  let executing = false;
  try {
    if (plan.summary.status === 'deferred' && !opts.dryRun && ctx.io.interactive && !ctx.io.globals.yes) {
      // A credential inside its grace period would stop working: say which, and let the operator decide.
      ctx.io.err(`${plan.summary.secret}: ${plan.summary.note}`);
      if (!(await confirm(ctx.io, `Cut it now and rotate ${plan.summary.secret}?`))) {
        ctx.io.err('vh-secrets: not confirmed; nothing was changed');
        return EXIT.TEMPFAIL;
      }
      Object.assign(base, { force: true });
      await engine.release(plan);
      plan = await engine.plan(ref, base);
    }
    const summary = plan.summary;
    // A supplied value is what a secret issued elsewhere needs: nothing is generated in its place.
    const unmanaged = plan.ready && opts.valueFile === undefined ? unmanagedWhy(rt, summary.secret, plan.desc.metadata) : undefined;
    if (opts.dryRun || !plan.ready) {
      if (unmanaged) summary.note = `${summary.note}; its value is issued elsewhere (${unmanaged}), so a rotation needs --force`;
      return render(ctx, summary);
    }
    let confirmed = ctx.io.globals.yes === true;
    if (unmanaged && opts.force !== true) {
      const what = `${summary.secret}'s value is issued elsewhere (${unmanaged}): a rotation replaces it with a generated value that its consumers may not accept, and nothing can make the old one again`;
      if (!ctx.io.interactive) throw new VhError('USAGE', `not rotating ${summary.secret}: ${what}`, { hint: `pass --force to rotate it anyway; or give it a rotation target, or set ${ROTATION_MODE}=generate in its metadata` });
      ctx.io.err(`${summary.secret} (current version ${summary.version}): ${what}.`);
      if (!(await confirm(ctx.io, `Replace ${summary.secret} with a generated value anyway${opts.emergency ? ', revoking the current value NOW' : ''}?`))) {
        ctx.io.err('vh-secrets: not confirmed; nothing was changed');
        return EXIT.OK;
      }
      confirmed = true;
    }
    if (!confirmed) {
      if (!ctx.io.interactive) throw new VhError('USAGE', `rotating ${summary.secret} needs confirmation`, { hint: 'pass --yes to confirm when not running interactively' });
      ctx.io.err(`${summary.secret} (current version ${summary.version}): ${summary.note}`);
      if (!(await confirm(ctx.io, `Rotate ${summary.secret}${opts.emergency ? ' NOW, revoking the current value' : ''}?`))) {
        ctx.io.err('vh-secrets: not confirmed; nothing was changed');
        return EXIT.OK;
      }
    }
    const ready = plan;
    executing = true;
    return await runRotation(ctx, ref, (onPhase) => engine.execute({ ...ready, options: { ...ready.options, onPhase } }));
  } finally {
    // execute() frees what the plan holds; a plan shown, refused or failed before it is released here.
    if (!executing) await engine.release(plan);
  }
}

/** The bytes of `--value-file FILE` (`-`: stdin), read once, before anything is planned. */
export async function suppliedValue(ctx: CommandContext, valueFile: string | undefined): Promise<Buffer> {
  const source = await readValueSource(ctx.io, valueFile === undefined ? {} : { valueFile });
  if (source.kind !== 'bytes') throw new VhError('USAGE', 'no value given');
  return source.value;
}

/** Runs one rotation under a spinner that names its phases. */
export async function runRotation(ctx: CommandContext, ref: string, rotation: (onPhase: (phase: string) => void) => Promise<RotationOutcome>): Promise<number> {
  const spinner = await progress(ctx.io, `rotating ${ref}`);
  const onPhase = (phase: string) => spinner.text(`rotating ${ref}: ${phase}`);
  try {
    const result = await rotation(onPhase);
    // The outcome is said once, by render, with its versions: the spinner only goes away.
    spinner.stop();
    return render(ctx, result);
  } catch (err) {
    spinner.stop();
    throw err;
  }
}

/** Why rotating `secret` would destroy a value issued elsewhere; undefined when the tool can make it again. */
function unmanagedWhy(rt: Runtime, secret: string, metadata: Metadata): string | undefined {
  const m = rotationManagement(rt.config, secret, metadata);
  return m.managed ? undefined : m.why;
}
