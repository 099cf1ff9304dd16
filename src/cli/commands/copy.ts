import { copySecrets, type CopyInput } from '../../backup/copy.js';
import { EXIT, VhError } from '../../base/errors.js';
import type { CommandContext } from '../context.js';
import { actionPainter, confirmOverwrite, summaryText, writeExit } from './restore.js';
import type { CopyOptions } from './copy.spec.js';

export async function run(ctx: CommandContext, [from, to]: string[], opts: CopyOptions): Promise<number> {
  let input: CopyInput;
  if (opts.all) {
    if (from !== undefined || to !== undefined) throw new VhError('USAGE', '--all takes no secret references', { hint: 'vh-secrets copy --all [--prefix P] [--from-store S] --to-store T' });
    if (opts.toStore === undefined) throw new VhError('USAGE', 'copy --all needs --to-store');
    input = { all: { toStore: opts.toStore, ...(opts.fromStore !== undefined ? { fromStore: opts.fromStore } : {}), ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) }, dryRun: opts.dryRun === true, force: opts.force === true };
  } else {
    if (opts.prefix !== undefined || opts.fromStore !== undefined || opts.toStore !== undefined) throw new VhError('USAGE', '--prefix, --from-store and --to-store go with --all');
    if (from === undefined || to === undefined) throw new VhError('USAGE', 'copy what where? vh-secrets copy SRC DST (DST may be STORE: to keep the name), or --all --to-store T');
    input = { from, to, dryRun: opts.dryRun === true, force: opts.force === true };
  }
  if (!(await confirmOverwrite(ctx, 'copy', input.force && !input.dryRun))) return EXIT.OK;
  const report = await copySecrets(await ctx.runtime(), input);
  if (ctx.io.json) ctx.io.outJson(report);
  else {
    if (report.results.length > 0) {
      const paint = await actionPainter(ctx, report.dry_run);
      const rows = report.results.map((r) => [r.source, r.secret, paint(r.action), r.error ? `${r.error.code}: ${r.error.message}` : (r.reason ?? '')]);
      ctx.io.out(`${await ctx.io.table(['FROM', 'TO', 'ACTION', 'DETAIL'], rows)}\n`);
    }
    ctx.io.note(`${report.dry_run ? 'dry run, nothing was changed: ' : ''}${report.summary.total} secret(s): ${summaryText(report.summary)}`);
  }
  return writeExit(report.summary);
}
