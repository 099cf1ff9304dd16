import { resolve } from 'node:path';
import { restoreBackup, type RestoreAction, type RestoreInput } from '../../backup/backup.js';
import { EXIT, VhError } from '../../base/errors.js';
import type { CommandContext } from '../context.js';
import { confirm } from '../prompt.js';
import type { RestoreOptions } from './restore.spec.js';

export async function run(ctx: CommandContext, [archive]: string[], opts: RestoreOptions): Promise<number> {
  if (opts.identity === undefined || opts.identity === '') throw new VhError('USAGE', 'restore needs --identity KEYFILE', { hint: 'the age identity file (age-keygen output) matching a recipient of the backup' });
  const input: RestoreInput = {
    archive: resolve(archive!),
    identityFile: resolve(opts.identity),
    dryRun: opts.dryRun === true,
    force: opts.force === true,
    ...(opts.toStore !== undefined ? { toStore: opts.toStore } : {}),
  };
  if (!(await confirmOverwrite(ctx, 'restore', input.force && !input.dryRun))) return EXIT.OK;
  const rt = await ctx.runtime();
  const report = await restoreBackup(rt, input);
  if (ctx.io.json) ctx.io.outJson(report);
  else {
    if (report.results.length > 0) {
      const paint = await actionPainter(ctx, report.dry_run);
      const rows = report.results.map((r) => [r.secret, paint(r.action), String(r.versions), r.error ? `${r.error.code}: ${r.error.message}` : (r.reason ?? '')]);
      ctx.io.out(`${await ctx.io.table(['SECRET', 'ACTION', 'VERSIONS', 'DETAIL'], rows)}\n`);
    }
    ctx.io.note(`${report.dry_run ? 'dry run, nothing was changed: ' : ''}${report.summary.total} secret(s) from a backup of ${report.archive_created_at}: ${summaryText(report.summary)}`);
  }
  return writeExit(report.summary);
}

/** `--force` overwrites newer values: asked on a terminal, `--yes` otherwise. False: not confirmed. */
export async function confirmOverwrite(ctx: CommandContext, command: string, forcing: boolean): Promise<boolean> {
  if (!forcing || ctx.io.globals.yes) return true;
  if (!ctx.io.interactive) throw new VhError('USAGE', `${command} --force overwrites newer values and needs confirmation`, { hint: 'pass --yes as well when not running interactively, or run --dry-run first' });
  if (await confirm(ctx.io, 'Overwrite secrets in the target that hold newer, different values?')) return true;
  ctx.io.err('vh-secrets: not confirmed; nothing was changed');
  return false;
}

/** A restore/copy action, coloured, and said as "would be …" in a dry run. */
export async function actionPainter(ctx: CommandContext, dryRun: boolean): Promise<(action: RestoreAction) => string> {
  const c = await ctx.io.chalk();
  const label = (a: string) => (dryRun && (a === 'created' || a === 'updated') ? `would be ${a}` : a);
  return (a) => (a === 'created' || a === 'updated' ? c.green(label(a)) : a === 'failed' ? c.red(a) : a === 'conflict' ? c.yellow(a) : a);
}

export function summaryText(s: Record<RestoreAction, number>): string {
  return `${s.created} created, ${s.updated} updated, ${s.skipped} skipped, ${s.conflict} conflict(s), ${s.failed} failed`;
}

/** 2 when one failed, 1 when one conflicted, else 0. */
export function writeExit(s: Record<RestoreAction, number>): number {
  if (s.failed > 0) return EXIT.CRITICAL;
  return s.conflict > 0 ? EXIT.WARNING : EXIT.OK;
}
