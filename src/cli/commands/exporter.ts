import { VhError } from '../../base/errors.js';
import { formatDuration, parseDuration, stopSignal } from '../../base/deadline.js';
import { checkHealth } from '../../health/evaluate.js';
import { DEFAULT_EXPORTER_INTERVAL_MS, MetricsExporter, isLoopback, parseListen, type Listen } from '../../health/exporter.js';
import { renderMetrics } from '../../health/metrics.js';
import type { CommandContext } from '../context.js';
import { budgetMs } from './health.js';
import type { ExporterOptions } from './exporter.spec.js';

/** The shortest --interval: an evaluation lists and describes every secret of every store. */
const MIN_INTERVAL_MS = 1_000;

function hostPort(l: Listen): string {
  return l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

/** `vh-secrets exporter`: serves /metrics and /healthz until SIGTERM / SIGINT, then exits 0. */
export async function run(ctx: CommandContext, _args: string[], opts: ExporterOptions): Promise<number> {
  const listen = parseListen(opts.listen ?? '127.0.0.1:9469');
  if (!isLoopback(listen.host) && opts.allowRemote !== true) {
    throw new VhError('USAGE', `--listen ${hostPort(listen)} is not a loopback address: refusing to serve metrics beyond this host without --allow-remote`, {
      hint: 'pass --allow-remote to listen there (e.g. 0.0.0.0:9469 in a pod, behind a NetworkPolicy), or listen on 127.0.0.1',
    });
  }
  const intervalMs = opts.interval === undefined ? DEFAULT_EXPORTER_INTERVAL_MS : parseDuration(opts.interval, '--interval');
  if (intervalMs < MIN_INTERVAL_MS) throw new VhError('USAGE', `--interval: "${String(opts.interval)}" is shorter than ${formatDuration(MIN_INTERVAL_MS)}`, { hint: 'use e.g. 30s, 60s, 5m' });
  const timeoutMs = budgetMs(ctx);
  const names = opts.metricsNames === true;
  const rt = await ctx.runtime();

  const exporter = new MetricsExporter({
    listen,
    intervalMs,
    log: (line) => ctx.io.err(`vh-secrets exporter: ${line}`),
    evaluate: async () => {
      const report = await checkHealth(rt, { tags: {}, timeoutMs });
      const text = await renderMetrics(report, rt.config.audit, names);
      const { OK, WARNING, CRITICAL, UNKNOWN } = report.summary;
      return { text, status: report.status, secrets: report.summary.secrets, counts: { OK, WARNING, CRITICAL, UNKNOWN }, stores: report.stores.length, storesDown: report.stores.filter((s) => s.status !== 'OK').length };
    },
  });
  if (stopSignal.aborted) return 0;
  const bound = await exporter.start();
  ctx.io.err(`vh-secrets exporter: listening on http://${hostPort(bound)} (/metrics, /healthz); evaluating every ${formatDuration(intervalMs)}`);
  await new Promise<void>((resolve) => {
    if (stopSignal.aborted) resolve();
    else stopSignal.addEventListener('abort', () => resolve(), { once: true });
  });
  await exporter.stop();
  ctx.io.err(`vh-secrets exporter: stopped by ${String(stopSignal.reason ?? 'a signal')}`);
  return 0;
}
