import type { ChalkInstance } from 'chalk';
import type { Anomaly, Severity } from '../../audit/anomalies.js';
import type { AuditReport, Breakdown } from '../../audit/report.js';
import { buildAuditReport, parseSourceSpec, resolvePeriod, verifyAuditLog } from '../../audit/review.js';
import { EXIT, VhError } from '../../base/errors.js';
import { writeFileAtomic } from '../../base/fsutil.js';
import type { CommandContext } from '../context.js';
import type { AuditOptions } from './audit.spec.js';

/**
 * `vh-secrets audit [report]` and `vh-secrets audit verify`.
 * Exit codes: 0 report produced (anomalies or not) / chain intact; 1 chain broken, or anomalies at or above
 * the `--fail-on-anomalies` severity; 66/77 log missing or unreadable; 64 bad options; 73 --output unwritable.
 */

const SEVERITIES: Severity[] = ['low', 'medium', 'high'];
const HUMAN_ROWS = 5;

const num = (n: number) => n.toLocaleString('en-US');
const optString = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function failThreshold(v: unknown): Severity | null {
  if (v === undefined || v === false) return null;
  if (v === true) return 'low';
  if (typeof v === 'string' && (SEVERITIES as string[]).includes(v)) return v as Severity;
  throw new VhError('USAGE', `--fail-on-anomalies: "${String(v)}" is not a severity`, { hint: 'use low, medium or high (no value: any anomaly)' });
}

function paintSeverity(c: ChalkInstance, s: Severity): string {
  const label = s.toUpperCase().padEnd(6);
  return s === 'high' ? c.red.bold(label) : s === 'medium' ? c.yellow(label) : c.cyan(label);
}

function breakdownRows(label: string, b: Breakdown, limit: number): string[][] {
  const rows = b.top.slice(0, limit).map((r) => [label, r.key, num(r.total), num(r.success), num(r.failure)]);
  const hidden = b.top.slice(limit);
  const rest = { keys: hidden.length + b.other.keys, total: b.other.total, success: b.other.success, failure: b.other.failure };
  for (const r of hidden) {
    rest.total += r.total;
    rest.success += r.success;
    rest.failure += r.failure;
  }
  if (rest.total > 0) rows.push([label, `(${num(rest.keys)} more${b.other.beyond_cap ? ', and keys beyond the cap' : ''})`, num(rest.total), num(rest.success), num(rest.failure)]);
  return rows;
}

function anomalyText(c: ChalkInstance, a: Anomaly): string {
  const who = [a.actor ? `actor ${a.actor}` : null, a.secret ? `secret ${a.secret}` : null].filter(Boolean).join(', ');
  const where = a.evidence.events.slice(0, 3).map((e) => `${e.file}:${e.line}`).join(', ');
  const more = a.evidence.total > 3 ? ` (+${num(a.evidence.total - 3)} more)` : '';
  return `  ${paintSeverity(c, a.severity)} ${c.bold(a.kind)}  ${who}  ${a.window.start} → ${a.window.end}\n         ${a.reason}\n         ${c.dim(`evidence: ${where}${more}`)}\n`;
}

async function renderReport(ctx: CommandContext, report: AuditReport): Promise<void> {
  const c = await ctx.io.chalk();
  const t = report.totals;
  let text = `${c.bold('Audit report')} ${report.period.since} → ${report.period.until}\n`;
  for (const s of report.sources) {
    text += `  source ${s.kind} ${s.path}: ${num(s.lines)} lines, ${num(s.records)} records${s.ignored ? `, ${num(s.ignored)} ignored` : ''}${s.problems ? `, ${c.yellow(`${num(s.problems)} bad`)}` : ''}\n`;
  }
  text += `  ${num(t.events)} events in the period (${num(t.success)} ok, ${t.failure ? c.red(`${num(t.failure)} failed`) : '0 failed'}); ${num(t.before_period)} earlier events used as baseline\n\n`;
  if (t.events > 0) {
    const rows = [
      ...breakdownRows('event', report.by_event, 20),
      ...breakdownRows('secret', report.by_secret, HUMAN_ROWS),
      ...breakdownRows('actor', report.by_actor, HUMAN_ROWS),
      ...breakdownRows('store', report.by_store, HUMAN_ROWS),
      ...breakdownRows('error', report.failures.by_error_code, HUMAN_ROWS),
    ];
    text += `${await ctx.io.table(['BY', 'NAME', 'TOTAL', 'OK', 'FAILED'], rows)}\n\n`;
  }
  const r = report.rotations;
  text += `Rotations: ${r.started} started, ${r.completed} completed, ${r.failed ? c.red(`${r.failed} failed`) : '0 failed'}, ${r.rolled_back} rolled back, ${r.emergency} emergency\n`;
  const inc = report.incidents;
  if (inc.total > 0) {
    text += `\n${c.bold(`Incidents (${num(inc.total)})`)}: ${inc.contained} contained${inc.total > inc.contained ? `, ${c.red(`${inc.total - inc.contained} not contained`)}` : ''}\n`;
    for (const i of inc.recent) {
      text += `  ${i.ts} ${i.id} ${i.success ? c.green(i.outcome) : c.red(i.outcome)} by ${i.actor}: ${i.findings} finding${i.findings === 1 ? '' : 's'}; ${i.actions}\n`;
    }
    text += '\n';
  }
  const total = Object.values(report.anomaly_counts).reduce((a, b) => a + b, 0);
  if (total === 0) text += `Anomalies: ${c.green('none')}\n`;
  else {
    text += `\n${c.bold(`Anomalies (${num(total)})`)}${report.anomalies_omitted ? ` — ${num(report.anomalies.length)} most severe listed, all in the JSON report up to its cap` : ''}\n`;
    for (const a of report.anomalies) text += anomalyText(c, a);
  }
  const problems = report.input_problems;
  if (problems.total > 0) {
    text += `\n${c.yellow(`Input problems (${num(problems.total)} lines not read as events)`)}\n`;
    for (const [kind, p] of Object.entries(problems.by_kind)) {
      const where = p.first.slice(0, 5).map((f) => `${f.file}:${f.line}`).join(', ');
      text += `  ${kind.padEnd(20)} ${String(num(p.count)).padStart(8)}  ${where}${p.count > 5 ? ', …' : ''}\n`;
    }
  }
  for (const n of report.notes) text += `${c.dim(`note: ${n}`)}\n`;
  ctx.io.out(text);
}

async function report(ctx: CommandContext, opts: AuditOptions): Promise<number> {
  const threshold = failThreshold(opts.failOnAnomalies);
  const period = resolvePeriod({ hours: optString(opts.hours), since: optString(opts.since), until: optString(opts.until) });
  const sources = opts.source.map(parseSourceSpec);
  const rt = await ctx.runtime();
  const result = await buildAuditReport(rt.config.audit, { log: optString(opts.log), sources, period });
  const output = optString(opts.output);
  if (output !== undefined) {
    try {
      // Reports name secrets and actors: private to the operator, and never a half-written file.
      await writeFileAtomic(output, `${JSON.stringify(result, null, 2)}\n`, 0o600);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new VhError('CANT_CREATE', `cannot write --output ${output}: ${why}`, { hint: 'check that the directory exists and is writable; nothing was written', details: { path: output } });
    }
  }
  if (ctx.io.json) ctx.io.outJson(result);
  else await renderReport(ctx, result);
  if (output !== undefined) ctx.io.note(`vh-secrets: report written to ${output}`);
  if (threshold !== null) {
    const min = SEVERITIES.indexOf(threshold);
    if (result.anomalies.some((a) => SEVERITIES.indexOf(a.severity) >= min)) return EXIT.WARNING;
  }
  return EXIT.OK;
}

async function verify(ctx: CommandContext, opts: AuditOptions): Promise<number> {
  const rt = await ctx.runtime();
  const log = optString(opts.log);
  const chain = await verifyAuditLog(rt.config.audit, log, optString(opts.anchor));
  if (ctx.io.json) ctx.io.outJson(chain);
  else {
    const c = await ctx.io.chalk();
    const path = log ?? rt.config.audit.log;
    if (chain.ok) {
      ctx.io.out(`${c.green('intact')}: ${path}: ${num(chain.events)} events, hash chain unbroken${chain.anchored ? ', matches the signed head' : ' (no signed head configured: a cut-off end would not show)'}; last hash ${chain.lastHash}\n`);
      if (chain.torn.length > 0) ctx.io.err(`vh-secrets: warning: ${chain.torn.length} line(s) torn by a crash mid-write, skipped by the chain: line ${chain.torn.slice(0, 10).join(', ')}${chain.torn.length > 10 ? ', …' : ''}`);
    } else {
      const b = chain.broken;
      ctx.io.out(`${c.red('BROKEN')}: ${path}${b ? ` line ${b.line}: ${b.kind} — ${b.reason}` : ''} (${num(chain.events)} events verified before it)\n`);
    }
  }
  return chain.ok ? EXIT.OK : EXIT.WARNING;
}

/** Delivers what remote sinks have not received yet; waits up to the sinks' own timeouts, at least 30 s. */
async function flush(ctx: CommandContext): Promise<number> {
  const rt = await ctx.runtime();
  const cfg = rt.config.audit;
  if (cfg.sinks.length === 0) {
    ctx.io.note('vh-secrets: no remote audit sinks are configured ([[audit.sinks]]); nothing to flush');
    if (ctx.io.json) ctx.io.outJson({ sinks: [] });
    return EXIT.OK;
  }
  const { flushAuditSinks } = await import('../../audit/forward.js');
  const bound = Math.max(30_000, ...cfg.sinks.map((s) => s.timeoutMs * 3));
  const statuses = await flushAuditSinks(cfg, Date.now() + bound);
  if (ctx.io.json) ctx.io.outJson({ sinks: statuses });
  else {
    const rows = statuses.map((s) => [s.name, s.ok ? 'ok' : (s.problem ?? 'failed'), num(s.delivered), num(s.pending), s.error ?? '']);
    ctx.io.out(`${await ctx.io.table(['SINK', 'STATE', 'DELIVERED', 'PENDING', 'DETAIL'], rows)}\n`);
  }
  return statuses.every((s) => s.ok) ? EXIT.OK : EXIT.TEMPFAIL;
}

export async function run(ctx: CommandContext, args: string[], opts: AuditOptions): Promise<number> {
  const action = args[0] ?? 'report';
  switch (action) {
    case 'report':
      return report(ctx, opts);
    case 'verify':
      return verify(ctx, opts);
    case 'flush':
      return flush(ctx);
    default:
      throw new VhError('USAGE', `unknown audit action "${action}"`, { hint: 'use `vh-secrets audit` (report), `audit verify` or `audit flush`' });
  }
}
