import { countEvents } from '../audit/counters.js';
import type { AuditConfig } from '../audit/config.js';
import { STATUS_CODE, worst, type HealthReport, type HealthStatus } from './evaluate.js';

/**
 * Prometheus text exposition of a health report plus cumulative counts from the audit log. Labels are store
 * and type; secret names only with `includeNames` (names can be sensitive). Never a value.
 */

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
}

class Exposition {
  private lines: string[] = [];
  metric(name: string, type: 'gauge' | 'counter', help: string, samples: [Record<string, string>, number][]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) this.lines.push(`${name}${labels(l)} ${Number.isFinite(v) ? v : 0}`);
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export async function renderMetrics(report: HealthReport, audit: AuditConfig, includeNames: boolean, now = new Date()): Promise<string> {
  const x = new Exposition();
  const groups = new Map<string, { store: string; type: string; statuses: HealthStatus[]; expiry: number }>();
  for (const s of report.secrets) {
    const key = `${s.store}\u0000${s.type}`;
    const g = groups.get(key) ?? { store: s.store, type: s.type, statuses: [], expiry: 0 };
    g.statuses.push(s.status);
    if (s.checks.some((c) => c.check === 'expiry' && c.status !== 'OK')) g.expiry++;
    groups.set(key, g);
  }
  const sorted = [...groups.values()].sort((a, b) => `${a.store}${a.type}`.localeCompare(`${b.store}${b.type}`));
  x.metric('voicehive_secrets_health_status', 'gauge', 'Worst health of the secrets of this store and type: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.', sorted.map((g) => [{ store: g.store, type: g.type }, STATUS_CODE[worst(g.statuses)]]));
  x.metric('voicehive_secrets_expiry_warnings_total', 'counter', 'Secrets now inside their expiry warning window or expired (a current count; the name is kept from the seed).', sorted.map((g) => [{ store: g.store, type: g.type }, g.expiry]));
  const byStatus: [Record<string, string>, number][] = [];
  for (const g of sorted) {
    for (const st of ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const) byStatus.push([{ store: g.store, type: g.type, status: st }, g.statuses.filter((v) => v === st).length]);
  }
  x.metric('voicehive_secrets', 'gauge', 'Managed secrets by store, type and health status.', byStatus);
  const violations = new Map<string, { store: string; type: string; mode: string; n: number }>();
  for (const s of report.secrets) {
    for (const v of s.policy_violations) {
      const key = `${s.store}\u0000${s.type}\u0000${v.mode}`;
      const e = violations.get(key) ?? { store: s.store, type: s.type, mode: v.mode, n: 0 };
      e.n++;
      violations.set(key, e);
    }
  }
  x.metric(
    'voicehive_secrets_policy_violations',
    'gauge',
    'Policy rules broken by the secrets of this store and type, by rule mode (enforce, warn).',
    [...violations.values()].sort((a, b) => `${a.store}${a.type}${a.mode}`.localeCompare(`${b.store}${b.type}${b.mode}`)).map((e) => [{ store: e.store, type: e.type, mode: e.mode }, e.n]),
  );
  x.metric('voicehive_secrets_store_up', 'gauge', '1 when the store is reachable and authenticated and answered within the health budget.', report.stores.map((s) => [{ store: s.store, provider: s.provider }, s.reachable && s.authenticated && s.error === null ? 1 : 0]));
  x.metric('voicehive_secrets_store_health_status', 'gauge', 'Health of the store itself: 0 OK, 2 CRITICAL (down, not authenticated, or no answer within the health budget).', report.stores.map((s) => [{ store: s.store, provider: s.provider }, STATUS_CODE[s.status]]));
  x.metric('voicehive_secrets_store_unknown_secrets', 'gauge', 'Secrets of the store that could not be evaluated (UNKNOWN), e.g. because the store did not answer; known from its last listing on this host.', report.stores.map((s) => [{ store: s.store, provider: s.provider }, s.unknown_secrets]));
  x.metric('voicehive_secrets_store_latency_seconds', 'gauge', 'Latency of the store health probe.', report.stores.filter((s) => s.latency_ms !== null).map((s) => [{ store: s.store, provider: s.provider }, (s.latency_ms ?? 0) / 1000]));
  if (includeNames) {
    x.metric('voicehive_secret_health_status', 'gauge', 'Health of one secret: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.', report.secrets.map((s) => [{ store: s.store, type: s.type, secret: s.secret }, STATUS_CODE[s.status]]));
  }
  const types = new Map(report.secrets.map((s) => [s.secret, s.type]));
  const { counts } = await countEvents(audit.log, ['rotated', 'rotation_failed', 'accessed'], (secret) => types.get(secret));
  const series = (event: string): [Record<string, string>, number][] =>
    [...counts.entries()]
      .filter(([k]) => k.startsWith(`${event}\u0000`))
      .map(([k, v]) => {
        const [, store, type] = k.split('\u0000');
        return [{ store: store!, type: type! }, v] as [Record<string, string>, number];
      })
      .sort((a, b) => `${a[0].store}${a[0].type}`.localeCompare(`${b[0].store}${b[0].type}`));
  x.metric('voicehive_secrets_rotation_total', 'counter', 'Rotations completed (promoted), from the local audit log.', series('rotated'));
  x.metric('voicehive_rotation_failures_total', 'counter', 'Rotations that failed and were rolled back, from the local audit log.', series('rotation_failed'));
  x.metric('voicehive_secrets_access_total', 'counter', 'Successful reads of secret values, from the local audit log.', series('accessed'));
  // The same detectors as `vh-secrets audit`, over the whole local log (anomalies are about actors, so the
  // label is the anomaly kind rather than store/type).
  const { buildAuditReport } = await import('../audit/review.js');
  const anomalies = await buildAuditReport(audit, { period: { since: new Date(0), until: now }, top: 1, now });
  x.metric(
    'voicehive_secret_access_anomalies_total',
    'counter',
    'Access anomalies found in the local audit log by `vh-secrets audit` detectors, by kind.',
    Object.entries(anomalies.anomaly_counts).sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => [{ kind }, n]),
  );
  return x.toString();
}
