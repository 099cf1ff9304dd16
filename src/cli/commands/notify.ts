import { EXIT, VhError } from '../../base/errors.js';
import { sendNotices, type NotifyReport } from '../../lifecycle/notify.js';
import { parseTags } from '../../core/metadata.js';
import { parseSecretType } from '../../core/types.js';
import { windowText } from '../../notify/types.js';
import type { CommandContext } from '../context.js';
import type { NotifyOptions } from './notify.spec.js';

/**
 * `vh-secrets notify`. Exit: 0 every due notice delivered (or none due); 69 a channel could not be reached, or a
 * store could not be read; 75 a channel was reached but did not take a notice (HTTP error status, hook exit ≠ 0,
 * timeout) or a notice could not be recorded as sent, or another notify run holds this host's lock; 77 the access
 * policy denied notices for some secrets (the others were sent); 78 no channels configured. What failed is
 * retried next run.
 */
export function exitCodeOf(r: NotifyReport): number {
  const failures = r.notices.flatMap((n) => n.failed);
  if (failures.some((f) => f.reason === 'unreachable') || r.errors.some((e) => e.code !== 'PERMISSION_DENIED')) return EXIT.UNAVAILABLE;
  if (r.errors.length > 0) return EXIT.NOPERM;
  if (failures.length > 0 || r.notices.some((n) => n.mark_error !== null)) return EXIT.TEMPFAIL;
  return EXIT.OK;
}

async function render(ctx: CommandContext, r: NotifyReport): Promise<void> {
  const c = await ctx.io.chalk();
  if (r.notices.length > 0) {
    const paint = (s: string) => (s === 'sent' ? c.green(s) : s === 'planned' ? s : c.red(s));
    const rows = r.notices.map((n) => [
      n.secret,
      paint(n.status),
      n.windows.map(windowText).join('; '),
      [...n.delivered.map((d) => `${d} ok`), ...n.failed.map((f) => `${f.channel}: ${f.reason} (${f.message})`), ...(n.mark_error ? [`not recorded: ${n.mark_error}`] : [])].join(', ') || '-',
    ]);
    ctx.io.out(`${await ctx.io.table(['SECRET', 'NOTICE', 'WHY', 'CHANNELS'], rows)}\n`);
  }
  const s = r.summary;
  ctx.io.note(
    `${s.secrets} secret(s) checked: ${r.dry_run ? `${s.planned} notice(s) would be sent` : `${s.sent} notice(s) sent, ${s.failed} not (retried next run)`}, ${s.already_notified} already notified${s.expired_recorded ? `, ${s.expired_recorded} newly expired` : ''}`,
  );
  for (const e of r.errors) ctx.io.err(`vh-secrets: store ${e.store}: ${e.message} (${e.code})`);
}

export async function run(ctx: CommandContext, _args: string[], opts: NotifyOptions): Promise<number> {
  let withinDays: number | undefined;
  if (opts.withinDays !== undefined) {
    const text = String(opts.withinDays);
    if (!/^\d+$/.test(text)) throw new VhError('USAGE', `--within-days takes a whole number of days, not "${text}"`);
    withinDays = Number(text);
  }
  const type = opts.type === undefined ? undefined : parseSecretType(opts.type);
  const tags = parseTags(opts.tag);
  const rt = await ctx.runtime();
  const report = await sendNotices(rt, {
    dryRun: opts.dryRun === true,
    ...(withinDays !== undefined ? { withinDays } : {}),
    ...(type ? { type } : {}),
    tags,
    ...(opts.store !== undefined ? { store: opts.store } : {}),
  });
  if (ctx.io.json) ctx.io.outJson(report);
  else await render(ctx, report);
  return exitCodeOf(report);
}
