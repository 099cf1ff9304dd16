import { EXIT, VhError } from '../../base/errors.js';
import { lifecycleOf, lifecycleReport, LIFECYCLE_STATES, type LifecycleReport, type LifecycleView } from '../../lifecycle/lifecycle.js';
import { parseSecretType } from '../../core/types.js';
import type { CommandContext } from '../context.js';
import type { LifecycleOptions } from './lifecycle.spec.js';

/**
 * `vh-secrets lifecycle <ref>` (state and history of one secret) and `vh-secrets lifecycle report` (summary by
 * type). One positional: the word `report`, or a secret reference — a secret literally named "report" in the
 * default store is `lifecycle local:report`.
 */

async function renderView(ctx: CommandContext, v: LifecycleView): Promise<void> {
  const c = await ctx.io.chalk();
  const paint = (s: string) => (s === 'PURGED' || s === 'REVOKED' || s === 'EXPIRED' ? c.red(s) : s === 'ARCHIVED' || s === 'DEPRECATED' ? c.yellow(s) : c.green(s));
  let text = `${c.bold(v.ref)}  ${paint(v.state)}${v.type ? `  (${v.type})` : ''}\n`;
  text += `  created ${v.created_at ?? '-'}, rotated ${v.rotated_at ?? '-'}, expires ${v.expires_at ?? '-'}, current version ${v.current_version ?? '-'}\n\n`;
  const rows = v.history.map((h) => [
    h.ts,
    h.scope === 'version' ? `version ${h.version ?? '?'} ${h.event}` : paint(h.state),
    h.success ? (h.count > 1 ? `${h.count}× until ${h.last_ts}` : (h.reason ?? '')) : c.red(`refused/failed (${h.error_code ?? 'error'})`),
    h.actor ?? '-',
  ]);
  if (rows.length > 0) text += `${await ctx.io.table(['WHEN', 'STATE', 'DETAIL', 'ACTOR'], rows)}\n`;
  if (v.versions.length > 0) {
    text += `\n${await ctx.io.table(['VERSION', 'STATE', 'STAGES', 'CREATED'], v.versions.map((x) => [x.version, x.state, x.stages.join(',') || '-', x.created_at ?? '-']))}\n`;
  }
  ctx.io.out(text);
  for (const n of v.notes) ctx.io.note(`note: ${n}`);
}

async function renderReport(ctx: CommandContext, r: LifecycleReport): Promise<void> {
  const c = await ctx.io.chalk();
  const states = LIFECYCLE_STATES.filter((s) => s !== 'CREATED');
  const rows = r.types.map((t) => [t.type, String(t.total), ...states.map((s) => String(t.states[s])), t.overdue_rotations ? c.red(String(t.overdue_rotations)) : '0', t.mean_age_days === null ? '-' : `${t.mean_age_days}d`]);
  rows.push(['all', String(r.totals.secrets), ...states.map((s) => String(r.totals.states[s])), String(r.totals.overdue_rotations), '']);
  ctx.io.out(`${await ctx.io.table(['TYPE', 'TOTAL', ...states, 'OVERDUE', 'MEAN AGE'], rows)}\n`);
  for (const t of r.types) for (const ref of t.overdue) ctx.io.out(`overdue rotation: ${ref} (${t.type})\n`);
  for (const e of r.errors) ctx.io.err(`vh-secrets: store ${e.store}: ${e.message} (${e.code})`);
}

export async function run(ctx: CommandContext, [target]: string[], opts: LifecycleOptions): Promise<number> {
  if (target === undefined) throw new VhError('USAGE', 'which secret? vh-secrets lifecycle <ref>, or vh-secrets lifecycle report');
  const rt = await ctx.runtime();
  if (target === 'report') {
    const type = opts.type === undefined ? undefined : parseSecretType(opts.type);
    const report = await lifecycleReport(rt, { ...(type ? { type } : {}), ...(opts.store !== undefined ? { store: opts.store } : {}) });
    if (ctx.io.json) ctx.io.outJson(report);
    else await renderReport(ctx, report);
    return report.errors.length > 0 ? EXIT.UNAVAILABLE : EXIT.OK;
  }
  if (opts.type !== undefined || opts.store !== undefined) throw new VhError('USAGE', '--type and --store belong to `lifecycle report`');
  const view = await lifecycleOf(rt, target);
  if (ctx.io.json) ctx.io.outJson(view);
  else await renderView(ctx, view);
  return EXIT.OK;
}
