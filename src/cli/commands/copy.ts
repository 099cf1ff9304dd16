import { copySecrets, type CopyInput } from '../../backup/copy.js';
import { EXIT, VhError } from '../../base/errors.js';
import type { CommandContext } from '../context.js';
import { confirm } from '../prompt.js';

interface CopyOptions {
  all?: boolean;
  prefix?: string;
  fromStore?: string;
  toStore?: string;
  dryRun?: boolean;
  force?: boolean;
}

export async function run(ctx: CommandContext, [from, to]: string[], raw: Record<string, unknown>): Promise<number> {
  const opts = raw as unknown as CopyOptions;
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
  if (input.force && !input.dryRun && !ctx.io.globals.yes) {
    if (!ctx.io.interactive) throw new VhError('USAGE', 'copy --force overwrites newer values and needs confirmation', { hint: 'pass --yes as well when not running interactively, or run --dry-run first' });
    if (!(await confirm(ctx.io, 'Overwrite secrets in the target that hold newer, different values?'))) {
      ctx.io.err('vh-secrets: not confirmed; nothing was changed');
      return EXIT.OK;
    }
  }
  const report = await copySecrets(await ctx.runtime(), input);
  if (ctx.io.json) ctx.io.outJson(report);
  else {
    if (report.results.length > 0) {
      const c = await ctx.io.chalk();
      const label = (a: string) => (report.dry_run && (a === 'created' || a === 'updated') ? `would be ${a}` : a);
      const paint = (a: string) => (a === 'created' || a === 'updated' ? c.green(label(a)) : a === 'failed' ? c.red(a) : a === 'conflict' ? c.yellow(a) : a);
      const rows = report.results.map((r) => [r.source, r.secret, paint(r.action), r.error ? `${r.error.code}: ${r.error.message}` : (r.reason ?? '')]);
      ctx.io.out(`${await ctx.io.table(['FROM', 'TO', 'ACTION', 'DETAIL'], rows)}\n`);
    }
    const s = report.summary;
    ctx.io.note(`${report.dry_run ? 'dry run, nothing was changed: ' : ''}${s.total} secret(s): ${s.created} created, ${s.updated} updated, ${s.skipped} skipped, ${s.conflict} conflict(s), ${s.failed} failed`);
  }
  if (report.summary.failed > 0) return EXIT.CRITICAL;
  return report.summary.conflict > 0 ? EXIT.WARNING : EXIT.OK;
}
