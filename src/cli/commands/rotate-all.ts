import { EXIT, VhError } from '../../base/errors.js';
import { parseTags } from '../../core/metadata.js';
import { parseConcurrency, rotateAll, type RotateAllResult } from '../../rotation/rotate-all.js';
import { parseShard } from '../../base/shard.js';
import { parseSecretType } from '../../core/types.js';
import type { CommandContext } from '../context.js';
import { withProgress } from '../progress.js';
import { confirm } from '../prompt.js';
import type { RotateAllOptions } from './rotate-all.spec.js';

/** Counts per store and type, largest first: what an unfiltered run is about to touch. */
function breakdown(items: RotateAllResult[]): string[][] {
  const counts = new Map<string, { store: string; type: string; n: number }>();
  for (const r of items) {
    const k = `${r.store}\u0000${r.type}`;
    const c = counts.get(k) ?? { store: r.store, type: r.type, n: 0 };
    c.n++;
    counts.set(k, c);
  }
  return [...counts.values()].sort((a, b) => a.store.localeCompare(b.store) || b.n - a.n || a.type.localeCompare(b.type)).map((c) => [c.store, c.type, String(c.n)]);
}

export async function renderResults(ctx: CommandContext, results: RotateAllResult[]): Promise<void> {
  if (results.length === 0) return;
  const c = await ctx.io.chalk();
  const paint = (s: string) => (s === 'rotated' || s === 'aborted' ? c.green(s) : s === 'failed' ? c.red(s) : s === 'interrupted' ? c.magenta(s) : s === 'skipped' || s === 'unmanaged' || s === 'deferred' ? c.yellow(s) : s);
  const rows = results.map((r) => [r.secret, paint(r.status), r.version ?? '-', r.error ? `${r.error.code}: ${r.error.message}${r.note ? ` (${r.note})` : ''}` : (r.note ?? '')]);
  ctx.io.out(`${await ctx.io.table(['SECRET', 'STATUS', 'VERSION', 'DETAIL'], rows)}\n`);
}

/** 2 when anything failed, 1 (WARNING) when a rotation waits for resume or abort, else 0. */
export function exitFor(summary: { failed: number; interrupted: number }): number {
  return summary.failed > 0 ? EXIT.CRITICAL : summary.interrupted > 0 ? EXIT.WARNING : EXIT.OK;
}

export async function run(ctx: CommandContext, _args: string[], opts: RotateAllOptions): Promise<number> {
  const type = opts.type === undefined ? undefined : parseSecretType(opts.type);
  const tags = parseTags(opts.tag);
  const concurrency = parseConcurrency(opts.concurrency);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const dryRun = opts.dryRun === true;
  const includeUnmanaged = opts.includeUnmanaged === true;
  const cleanupOnly = opts.cleanupOnly === true;
  if (cleanupOnly && dryRun) throw new VhError('USAGE', '--cleanup-only changes only what is already due; --dry-run has nothing to show for it', { hint: '`vh-secrets health` lists each previous version waiting for its cleanup' });
  const unfiltered = type === undefined && Object.keys(tags).length === 0 && shard === undefined && opts.store === undefined;
  const rt = await ctx.runtime();
  const input = { tags, concurrency, includeUnmanaged, ...(cleanupOnly ? { cleanupOnly } : {}), ...(type ? { type } : {}), ...(shard ? { shard } : {}), ...(opts.store !== undefined ? { store: opts.store } : {}) };

  // Cleanups due are what earlier rotations promised: they need no confirmation.
  if (!dryRun && !cleanupOnly && !ctx.io.globals.yes && opts.confirm !== true) {
    if (!ctx.io.interactive) throw new VhError('USAGE', 'rotate-all changes every matching secret and needs confirmation', { hint: 'pass --confirm (or --yes) when not running interactively' });
    const plan = await rotateAll(rt, { ...input, dryRun: true });
    const planned = plan.results.filter((r) => r.status === 'planned');
    const left = plan.results.filter((r) => r.status === 'unmanaged').length;
    const stuck = plan.results.filter((r) => r.status === 'interrupted').length;
    ctx.io.err(`${planned.length} secret(s) would be rotated:\n${planned.map((t) => `  ${t.secret}`).join('\n')}`);
    if (left) ctx.io.err(`${left} secret(s) whose values are issued elsewhere are left alone (unmanaged; --include-unmanaged rotates them too)`);
    if (stuck) ctx.io.err(`${stuck} secret(s) have an interrupted rotation and are left alone: see \`vh-secrets rotations\``);
    if (planned.length === 0 || !(await confirm(ctx.io, `Rotate these ${planned.length} secret(s)?`))) {
      ctx.io.err('vh-secrets: nothing was changed');
      return EXIT.OK;
    }
    if (unfiltered) {
      // No filter at all: every store, every type. Show the scale of it and ask once more.
      const stores = new Set(planned.map((r) => r.store)).size;
      ctx.io.err(`\nNo --store, --type, --tag or --shard: this is every rotatable secret in ${stores} store(s):\n${await ctx.io.table(['STORE', 'TYPE', 'SECRETS'], breakdown(planned))}`);
      if (!(await confirm(ctx.io, `Really rotate all ${planned.length} secret(s) in every store?`))) {
        ctx.io.err('vh-secrets: nothing was changed');
        return EXIT.OK;
      }
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
    await renderResults(ctx, report.results);
    const s = report.summary;
    const extra = [s.interrupted ? `${s.interrupted} interrupted` : '', s.unmanaged ? `${s.unmanaged} unmanaged` : '', s.deferred ? `${s.deferred} deferred (a credential still in its grace period)` : '', s.planned ? `${s.planned} planned` : ''].filter(Boolean);
    ctx.io.note(`${s.total} secret(s): ${s.rotated} rotated, ${s.skipped} skipped, ${s.failed} failed${extra.map((e) => `, ${e}`).join('')}${s.cleanups ? `; ${s.cleanups} old version(s) revoked after their grace period` : ''}`);
    for (const h of report.held) ctx.io.err(`vh-secrets: ${h.secret}: cleanup of version ${h.version} held: ${h.sessions} session(s) at target ${h.target} still use it`);
    if (s.interrupted) ctx.io.err(`vh-secrets: ${s.interrupted} secret(s) have an interrupted rotation: \`vh-secrets rotations\` lists them, \`vh-secrets rotate --resume --all\` (or --abort --all) finishes them`);
  }
  return exitFor(report.summary);
}
