import { EventTallier, type DurationHistogram } from '../audit/counters.js';
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
  histogram(name: string, help: string, bounds: readonly number[], samples: [Record<string, string>, DurationHistogram][]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (const [l, h] of samples) {
      let cumulative = 0;
      bounds.forEach((b, i) => {
        cumulative += h.counts[i] ?? 0;
        this.lines.push(`${name}_bucket${labels({ ...l, le: String(b) })} ${cumulative}`);
      });
      this.lines.push(`${name}_bucket${labels({ ...l, le: '+Inf' })} ${h.count}`, `${name}_sum${labels(l)} ${Math.round(h.sum * 1e6) / 1e6}`, `${name}_count${labels(l)} ${h.count}`);
    }
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** Upper bounds (seconds) of `secret_operation_duration_seconds`: a local read to a slow multi-phase rotation. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

/** The operations timed, and the audit events that record their durations. */
export const OPERATIONS: Record<string, readonly string[]> = { get: ['accessed'], create: ['created'], rotate: ['rotated', 'rotation_failed'], revoke: ['revoked'], list: ['listed'] };

const NETWORK_CODES = ['NETWORK', 'TIMEOUT'] as const;
const AUTH_CODES = ['AUTH_FAILED', 'PERMISSION_DENIED'] as const;

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
  x.metric('voicehive_secrets_expiry_warnings_total', 'gauge', 'Secrets now inside their expiry warning window or expired: a current count, hence a gauge (the name is kept from the seed).', sorted.map((g) => [{ store: g.store, type: g.type }, g.expiry]));
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
  // One pass over the local log: the counters below ride along the anomaly detectors' read (the same detectors as
  // `vh-secrets audit`, over the whole log; anomalies are about actors, so their label is the kind, not store/type).
  const tallier = new EventTallier({ kinds: ['rotated', 'rotation_failed', 'accessed'], typeOf: (secret) => types.get(secret), bySecret: includeNames, bounds: DURATION_BUCKETS });
  const { buildAuditReport } = await import('../audit/review.js');
  const anomalies = await buildAuditReport(audit, { period: { since: new Date(0), until: now }, top: 1, now, tap: (value) => tallier.add(value) });
  const tally = tallier.tally;
  const byStoreType = new Map<string, number>();
  for (const [k, v] of tally.events) {
    const [event, store, type, , success] = k.split('\u0000');
    const key = `${event}\u0000${store}\u0000${type}\u0000${success}`;
    byStoreType.set(key, (byStoreType.get(key) ?? 0) + v);
  }
  const series = (event: string, success: boolean): [Record<string, string>, number][] =>
    [...byStoreType.entries()]
      .filter(([k]) => k.startsWith(`${event}\u0000`) && k.endsWith(`\u0000${success ? 1 : 0}`))
      .map(([k, v]) => {
        const [, store, type] = k.split('\u0000');
        return [{ store: store!, type: type! }, v] as [Record<string, string>, number];
      })
      .sort((a, b) => `${a[0].store}${a[0].type}`.localeCompare(`${b[0].store}${b[0].type}`));
  x.metric('voicehive_secrets_rotation_total', 'counter', 'Rotations completed (promoted), from the local audit log.', series('rotated', true));
  x.metric('voicehive_rotation_failures_total', 'counter', 'Rotations that failed and were rolled back, from the local audit log.', series('rotation_failed', false));
  x.metric('voicehive_secrets_access_total', 'counter', 'Successful reads of secret values, from the local audit log.', series('accessed', true));

  // The seed's names for the same counts (aliases of the voicehive_* series above, from the same audit log).
  // Exposed as client libraries expose a counter of that name: with `_total`. By secret only with includeNames.
  const seed = (event: string, success: boolean): [Record<string, string>, number][] => {
    if (!includeNames) return series(event, success);
    return [...tally.events.entries()]
      .filter(([k]) => k.startsWith(`${event}\u0000`) && k.endsWith(`\u0000${success ? 1 : 0}`))
      .map(([k, v]) => {
        const [, store, type, secret] = k.split('\u0000');
        return [{ store: store!, type: type!, secret_name: secret! }, v] as [Record<string, string>, number];
      })
      .sort((a, b) => `${a[0].store}${a[0].type}${a[0].secret_name}`.localeCompare(`${b[0].store}${b[0].type}${b[0].secret_name}`));
  };
  x.metric('secret_retrieval_success_count_total', 'counter', 'Successful reads of secret values, from the local audit log (alias of voicehive_secrets_access_total).', seed('accessed', true));
  x.metric('secret_retrieval_failure_count_total', 'counter', 'Reads of secret values that failed (not found, denied, store unavailable), from the local audit log.', seed('accessed', false));
  x.metric('secret_rotation_success_count_total', 'counter', 'Rotations completed (promoted), from the local audit log (alias of voicehive_secrets_rotation_total).', seed('rotated', true));
  x.metric('secret_rotation_failure_count_total', 'counter', 'Rotations that failed, from the local audit log (alias of voicehive_rotation_failures_total).', seed('rotation_failed', false));
  const storeNames = [...new Set([...report.stores.map((s) => s.store), ...[...tally.errors.keys()].map((k) => k.split('\u0000')[1]!).filter((s) => s !== '')])].sort();
  const errorsOf = (codes: readonly string[]): [Record<string, string>, number][] =>
    storeNames.map((store) => [{ store }, codes.reduce((n, code) => n + (tally.errors.get(`${code}\u0000${store}`) ?? 0), 0)]);
  x.metric('secret_network_errors_total', 'counter', `Operations that failed because a store could not be reached or did not answer (${NETWORK_CODES.join(', ')}), from the local audit log.`, errorsOf(NETWORK_CODES));
  x.metric('secret_auth_failures_total', 'counter', `Operations refused for authentication or authorisation (${AUTH_CODES.join(', ')}), from the local audit log.`, errorsOf(AUTH_CODES));

  // Operation timing: the durations the audit events record (details.duration_ms), by operation and store.
  const histograms: [Record<string, string>, DurationHistogram][] = [];
  const opStores = [...new Set([...storeNames, ...[...tally.durations.keys()].map((k) => k.split('\u0000')[1]!).filter((s) => s !== '')])].sort();
  for (const [operation, events] of Object.entries(OPERATIONS)) {
    for (const store of opStores) {
      const h: DurationHistogram = { counts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      for (const event of events) {
        const d = tally.durations.get(`${event}\u0000${store}`);
        if (!d) continue;
        d.counts.forEach((c, i) => (h.counts[i]! += c));
        h.sum += d.sum;
        h.count += d.count;
      }
      histograms.push([{ operation, store }, h]);
    }
  }
  x.histogram('secret_operation_duration_seconds', 'Duration of secret operations (get, create, rotate, revoke, list; failed ones too), from the durations recorded in the local audit log.', DURATION_BUCKETS, histograms);
  x.metric(
    'voicehive_secret_access_anomalies_total',
    'counter',
    'Access anomalies found in the local audit log by `vh-secrets audit` detectors, by kind.',
    Object.entries(anomalies.anomaly_counts).sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => [{ kind }, n]),
  );
  return x.toString();
}
