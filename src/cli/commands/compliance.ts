import { VhError } from '../../base/errors.js';
import { buildComplianceReport, parseFramework, type ComplianceReport, type ControlStatus } from '../../compliance/compliance.js';
import type { CommandContext } from '../context.js';
import type { ComplianceOptions } from './compliance.spec.js';

const LABEL: Record<ControlStatus, string> = { pass: 'PASS', fail: 'FAIL', 'not-measurable': 'N/M' };

async function renderText(ctx: CommandContext, report: ComplianceReport): Promise<void> {
  const c = await ctx.io.chalk();
  const paint = (s: ControlStatus) => (s === 'pass' ? c.green(LABEL[s]) : s === 'fail' ? c.red(LABEL[s]) : c.yellow(LABEL[s]));
  const rows = report.controls.map((ctl) => [paint(ctl.status), ctl.framework, ctl.control, ctl.title, ctl.reason]);
  ctx.io.out(`${await ctx.io.table(['STATUS', 'FRAMEWORK', 'CONTROL', 'TITLE', 'WHY'], rows)}\n\nEvidence:\n`);
  for (const e of report.evidence) {
    ctx.io.out(`  ${paint(e.status)} ${e.id}: ${e.summary}\n        source: ${e.source}\n`);
    for (const f of e.findings.filter((x) => x.status !== 'pass' || e.findings.length <= 10)) ctx.io.out(`        ${LABEL[f.status]} ${f.subject}: ${f.detail}\n`);
  }
  const s = report.summary;
  ctx.io.out(`\n${report.status.toUpperCase()}: ${s.controls} controls — ${s.pass} pass, ${s.fail} fail, ${s.not_measurable} not measurable\n`);
}

export async function run(ctx: CommandContext, _args: string[], opts: ComplianceOptions): Promise<number> {
  const frameworks = parseFramework(opts.framework);
  let days: number | undefined;
  if (opts.days !== undefined) {
    if (!/^\d+$/.test(String(opts.days))) throw new VhError('USAGE', `--days takes a whole number of days, not "${String(opts.days)}"`);
    days = Number(opts.days);
  }
  const rt = await ctx.runtime();
  const report = await buildComplianceReport(rt, { frameworks, ...(days !== undefined ? { days } : {}) });
  if (ctx.io.json) ctx.io.outJson(report);
  else await renderText(ctx, report);
  return report.summary.fail > 0 ? 1 : 0;
}
