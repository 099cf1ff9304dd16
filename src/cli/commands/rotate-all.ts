import { EXIT, VhError } from '../../base/errors.js';
import { parseTags } from '../../core/metadata.js';
import { parseConcurrency, rotateAll } from '../../rotation/rotate-all.js';
import { parseShard } from '../../base/shard.js';
import { parseSecretType } from '../../core/types.js';
import type { CommandContext } from '../context.js';
import { withProgress } from '../progress.js';
import { confirm } from '../prompt.js';

export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const type = opts.type === undefined ? undefined : parseSecretType(opts.type as string);
  const tags = parseTags(opts.tag as string[]);
  const concurrency = parseConcurrency(opts.concurrency as string | undefined);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard as string);
  const dryRun = opts.dryRun === true;
  const rt = await ctx.runtime();
  const input = { tags, concurrency, ...(type ? { type } : {}), ...(shard ? { shard } : {}), ...(opts.store !== undefined ? { store: opts.store as string } : {}) };

  if (!dryRun && !ctx.io.globals.yes && opts.confirm !== true) {
    if (!ctx.io.interactive) throw new VhError('USAGE', 'rotate-all changes every matching secret and needs confirmation', { hint: 'pass --confirm (or --yes) when not running interactively' });
    const plan = await rotateAll(rt, { ...input, dryRun: true });
    const targets = plan.results.filter((r) => r.status === 'planned').map((r) => r.secret);
    ctx.io.err(`${targets.length} secret(s) would be rotated:\n${targets.map((t) => `  ${t}`).join('\n')}`);
    if (targets.length === 0 || !(await confirm(ctx.io, `Rotate these ${targets.length} secret(s)?`))) {
      ctx.io.err('vh-secrets: nothing was changed');
      return EXIT.OK;
    }
  }

  const report = await withProgress(ctx.io, 'listing secrets', (spinner) =>
    rotateAll(rt, {
      ...input,
      dryRun,
      onProgress: (done, total, failed) => spinner.text(`rotating: ${done}/${total} done${failed ? `, ${failed} failed` : ''}`),
    }),
  );
  if (ctx.io.json) {
    ctx.io.outJson(report);
  } else {
    if (report.results.length > 0) {
      const c = await ctx.io.chalk();
      const paint = (s: string) => (s === 'rotated' ? c.green(s) : s === 'failed' ? c.red(s) : s === 'skipped' ? c.yellow(s) : s);
      const rows = report.results.map((r) => [r.secret, paint(r.status), r.version ?? '-', r.error ? `${r.error.code}: ${r.error.message}` : (r.note ?? '')]);
      ctx.io.out(`${await ctx.io.table(['SECRET', 'STATUS', 'VERSION', 'DETAIL'], rows)}\n`);
    }
    const s = report.summary;
    ctx.io.note(`${s.total} secret(s): ${s.rotated} rotated, ${s.skipped} skipped, ${s.failed} failed${s.planned ? `, ${s.planned} planned` : ''}${s.cleanups ? `; ${s.cleanups} old version(s) revoked after their grace period` : ''}`);
  }
  return report.summary.failed > 0 ? EXIT.CRITICAL : EXIT.OK;
}
