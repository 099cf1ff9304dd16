import { hostname } from 'node:os';
import { VhError, fromSystemError } from '../../base/errors.js';
import { writeFileAtomic } from '../../base/fsutil.js';
import { parseDuration } from '../../base/deadline.js';
import { DEFAULT_HEALTH_TIMEOUT_MS, STATUS_CODE, checkHealth, type HealthReport, type HealthStatus, type StoreHealth } from '../../health/evaluate.js';
import { parseTags } from '../../core/metadata.js';
import { renderMetrics } from '../../health/metrics.js';
import { parseSecretType } from '../../core/types.js';
import type { CommandContext } from '../context.js';
import type { HealthOptions } from './health.spec.js';

const ORDER: HealthStatus[] = ['CRITICAL', 'UNKNOWN', 'WARNING', 'OK'];

async function pushMetrics(url: string, body: string): Promise<void> {
  const target = `${url.replace(/\/$/, '')}/metrics/job/vh-secrets/instance/${encodeURIComponent(hostname())}`;
  const res = await fetch(target, { method: 'PUT', body, headers: { 'Content-Type': 'text/plain; version=0.0.4' }, signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

/** What went wrong with a store, and what became of its secrets. */
function storeDetail(s: StoreHealth): string {
  const error = s.error ? `${s.error.message} (${s.error.code})` : '';
  const plural = (n: number) => `${n} secret${n === 1 ? '' : 's'}`;
  const unknown =
    s.unknown_secrets > 0 ? `${plural(s.unknown_secrets)} not evaluated (UNKNOWN)${s.last_listed_at ? `, as listed at ${s.last_listed_at}` : ''}`
    : s.status !== 'OK' && s.secrets === 0 ? 'its secrets are unknown: never listed from this host' : '';
  return [error, unknown].filter(Boolean).join('; ');
}

/** `--timeout`, else VH_SECRETS_TIMEOUT, else the default budget. */
export function budgetMs(ctx: CommandContext): number {
  if (ctx.io.globals.timeout !== undefined) return parseDuration(ctx.io.globals.timeout, '--timeout');
  const env = ctx.io.streams.env.VH_SECRETS_TIMEOUT;
  return env !== undefined && env !== '' ? parseDuration(env, 'VH_SECRETS_TIMEOUT') : DEFAULT_HEALTH_TIMEOUT_MS;
}

async function renderTable(ctx: CommandContext, report: HealthReport): Promise<void> {
  const c = await ctx.io.chalk();
  const paint = (s: HealthStatus) => (s === 'OK' ? c.green(s) : s === 'WARNING' ? c.yellow(s) : c.red(s));
  const rows: string[][] = [];
  for (const st of ORDER) {
    for (const s of report.stores.filter((x) => x.status === st && st !== 'OK')) {
      rows.push([paint(st), `store ${s.store}`, s.provider, '-', '-', '-', storeDetail(s)]);
    }
    for (const s of report.secrets.filter((x) => x.status === st)) {
      const detail = s.checks.filter((k) => k.status !== 'OK').map((k) => k.message).join('; ') || (s.checks[0]?.message ?? '');
      rows.push([paint(st), s.secret, s.type, s.age_days === null ? '-' : `${s.age_days}d`, s.rotation_due_at?.slice(0, 10) ?? '-', s.expires_at?.slice(0, 10) ?? '-', detail]);
    }
  }
  if (rows.length > 0) ctx.io.out(`${await ctx.io.table(['STATUS', 'SECRET', 'TYPE', 'AGE', 'ROTATE BY', 'EXPIRES', 'DETAIL'], rows)}\n`);
  const m = report.summary;
  const stores = report.stores.map((s) => `${s.store} ${s.error?.code === 'TIMEOUT' ? 'NO ANSWER' : s.reachable && s.authenticated ? `up ${s.latency_ms}ms` : 'DOWN'}`).join(', ');
  ctx.io.out(`${report.status}: ${m.secrets} secrets — ${m.CRITICAL} critical, ${m.WARNING} warning, ${m.UNKNOWN} unknown, ${m.OK} ok; stores: ${stores}\n`);
}

export async function run(ctx: CommandContext, _args: string[], opts: HealthOptions): Promise<number> {
  const type = opts.type === undefined ? undefined : parseSecretType(opts.type);
  const tags = parseTags(opts.tag);
  const timeoutMs = budgetMs(ctx);
  const rt = await ctx.runtime();
  const report = await checkHealth(rt, { tags, timeoutMs, ...(type ? { type } : {}), ...(opts.store !== undefined ? { store: opts.store } : {}) });

  const metricsFile = opts.metricsFile;
  const pushgateway = opts.pushgateway;
  if (metricsFile || pushgateway) {
    const text = await renderMetrics(report, rt.config.audit, opts.metricsNames === true);
    if (metricsFile) {
      try {
        // node_exporter's textfile collector reads it: world-readable, and never a partial file.
        await writeFileAtomic(metricsFile, text, 0o644);
      } catch (err) {
        const e = err instanceof VhError ? err : fromSystemError(err, 'cannot write --metrics-file', metricsFile);
        throw new VhError('CANT_CREATE', `cannot write --metrics-file ${metricsFile}: ${e.message}`, { hint: 'check that the directory exists and is writable; nothing was written', details: { path: metricsFile } });
      }
    }
    if (pushgateway) {
      await pushMetrics(pushgateway, text).catch((err: unknown) => {
        ctx.io.err(`vh-secrets: warning: could not push metrics to ${pushgateway}: ${(err as Error).message} (the exit code still reflects health)`);
      });
    }
  }

  if (ctx.io.json) ctx.io.outJson(report);
  else await renderTable(ctx, report);
  return STATUS_CODE[report.status];
}
