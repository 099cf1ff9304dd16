import { EXIT } from '../../base/errors.js';
import { parseTags } from '../../core/metadata.js';
import { parseSecretType } from '../../core/types.js';
import { findRotations, type RotationRecord, type RotationsReport } from '../../rotation/interrupted.js';
import type { CommandContext } from '../context.js';
import { progress } from '../progress.js';
import type { RotationsOptions } from './rotations.spec.js';

function age(s: number | null): string {
  if (s === null) return '?';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** The report without the metadata the filters used. */
export function publicReport(report: RotationsReport): RotationsReport {
  return { ...report, rotations: report.rotations.map(({ metadata: _m, ...r }) => r as RotationRecord) };
}

/** Nagios-style, like health: 0 nothing interrupted, 1 something is, 3 a store or journal could not be read. */
export function rotationsExit(report: RotationsReport): number {
  if (report.errors.length > 0) return 3; // UNKNOWN, as health's
  return report.summary.interrupted > 0 ? EXIT.WARNING : EXIT.OK;
}

export async function run(ctx: CommandContext, _args: string[], opts: RotationsOptions): Promise<number> {
  const type = opts.type === undefined ? undefined : parseSecretType(opts.type);
  const tags = parseTags(opts.tag);
  const rt = await ctx.runtime();
  const spinner = await progress(ctx.io, 'reading journal and store markers');
  let report: RotationsReport;
  try {
    report = publicReport(await findRotations(rt, { tags, ...(type ? { type } : {}), ...(opts.store !== undefined ? { store: opts.store } : {}) }));
  } finally {
    spinner.stop();
  }
  if (ctx.io.json) {
    ctx.io.outJson(report);
    return rotationsExit(report);
  }
  const c = await ctx.io.chalk();
  if (report.rotations.length > 0) {
    const rows = report.rotations.map((r) => [
      r.secret,
      r.state === 'interrupted' ? c.magenta('interrupted') : c.cyan('in flight'),
      r.phase ?? '-',
      r.host ?? '-',
      r.pid === null ? '-' : String(r.pid),
      age(r.age_seconds),
      r.rotation_id ?? '-',
    ]);
    ctx.io.out(`${await ctx.io.table(['SECRET', 'STATE', 'PHASE', 'HOST', 'PID', 'AGE', 'ROTATION'], rows)}\n`);
    for (const r of report.rotations) {
      ctx.io.out(`\n${r.secret}: ${r.state === 'interrupted' ? 'interrupted' : 'in flight'}, ${r.why}\n`);
      if (!r.secret_exists) ctx.io.out('  the secret is gone from the store\n');
      ctx.io.out(`  --resume: ${r.resume}\n  --abort:  ${r.abort}\n`);
    }
  }
  for (const e of report.errors) ctx.io.err(`vh-secrets: could not read ${e.where}: ${e.code}: ${e.message}`);
  const s = report.summary;
  ctx.io.note(
    s.total === 0
      ? `no interrupted or in-flight rotations${report.errors.length ? ' found in what could be read' : ''}`
      : `${s.total} rotation(s): ${s.interrupted} interrupted, ${s.in_flight} in flight${s.interrupted ? '; `vh-secrets rotate --resume --all` (or --abort --all) finishes the interrupted ones' : ''}`,
  );
  return rotationsExit(report);
}
