import type { AnomalyConfig } from './anomaly-config.js';
import { AnomalyDetector, type GeoLookup } from './anomalies.js';
import { ProblemCollector, ReportBuilder, type AuditReport } from './report.js';
import { sourceReader } from './sources/index.js';
import { SOURCE_KINDS, type SourceKind, type SourceSpec, type SourceStats } from './sources/types.js';
import { AuditLog } from './log.js';
import type { ChainReport } from './verify.js';
import type { AuditRecorder } from './logger.js';
import type { AuditConfig } from './config.js';
import { VhError, isVhError } from '../base/errors.js';

/**
 * What `vh-secrets audit` asks of core: resolve the period and the sources, stream every source once through
 * the anomaly detectors and the report builder, and return the report. Also the integrity check.
 */

export interface PeriodInput {
  hours?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export interface Period {
  since: Date;
  until: Date;
}

const RELATIVE = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `2h`, `30m`, `7d`, `1w` (before now), `now`, or an ISO 8601 date / date-time. */
export function parseTime(text: string, now: Date, option: string): Date {
  const t = text.trim();
  if (t.toLowerCase() === 'now') return now;
  const rel = RELATIVE.exec(t);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!);
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new VhError('USAGE', `${option}: cannot read "${text}" as a time`, { hint: 'use ISO 8601 (2026-01-31, 2026-01-31T08:00:00Z) or a duration before now (30m, 2h, 7d, 1w)' });
}

/** `--hours N` (relative to now), or `--since`/`--until`; the default is the last 24 hours. */
export function resolvePeriod(input: PeriodInput, now = new Date()): Period {
  if (input.hours !== undefined) {
    if (input.since !== undefined) throw new VhError('USAGE', '--hours and --since cannot be used together', { hint: 'use --hours N, or --since/--until' });
    const hours = Number(input.hours);
    if (!Number.isFinite(hours) || hours <= 0) throw new VhError('USAGE', `--hours: "${input.hours}" is not a positive number of hours`);
    const until = input.until !== undefined ? parseTime(input.until, now, '--until') : now;
    return { since: new Date(until.getTime() - hours * 3_600_000), until };
  }
  const until = input.until !== undefined ? parseTime(input.until, now, '--until') : now;
  const since = input.since !== undefined ? parseTime(input.since, now, '--since') : new Date(until.getTime() - 24 * 3_600_000);
  if (since.getTime() > until.getTime()) throw new VhError('USAGE', `--since (${since.toISOString()}) is after --until (${until.toISOString()})`);
  return { since, until };
}

/** `KIND:PATH` with KIND one of native, vault-audit, cloudtrail. */
export function parseSourceSpec(spec: string): SourceSpec {
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : '';
  const path = colon > 0 ? spec.slice(colon + 1) : '';
  if (!(SOURCE_KINDS as readonly string[]).includes(kind) || path === '') {
    throw new VhError('USAGE', `--source "${spec}": expected KIND:PATH with KIND one of ${SOURCE_KINDS.join(', ')}`, { hint: 'e.g. --source vault-audit:/var/log/vault/audit.log --source cloudtrail:./trail.json.gz' });
  }
  return { kind: kind as SourceKind, path };
}

export interface AuditReportRequest {
  /** The vh-secrets log to read; default the configured one. */
  log?: string | undefined;
  /** Other sources (`--source`). With sources and no `log`, the configured log is not read. */
  sources?: SourceSpec[];
  period: Period;
  /** Rows per breakdown in the JSON report. @default 100 */
  top?: number;
  now?: Date;
  /** Sees every JSON value of the vh-secrets log as it is read (health's counters ride the report's pass). */
  tap?: (value: unknown) => void;
}

async function openGeo(cfg: AnomalyConfig, notes: string[]): Promise<{ geo: GeoLookup; close: () => void }> {
  const geo: GeoLookup = { ranges: null, countries: null };
  if (cfg.allowedIpRanges.length === 0 && cfg.allowedCountries.length === 0 && cfg.geoipDb === undefined) return { geo, close: () => undefined };
  const { parseIpRanges, openCountryDb } = await import('./geo.js');
  if (cfg.allowedIpRanges.length > 0) geo.ranges = parseIpRanges(cfg.allowedIpRanges);
  if (cfg.geoipDb !== undefined) geo.countries = await openCountryDb(cfg.geoipDb);
  else if (cfg.allowedCountries.length > 0) {
    notes.push('allowed countries are configured but no geoip_db is: country checks were skipped (set [audit.anomalies] geoip_db to a MaxMind .mmdb file)');
  }
  const db = geo.countries;
  return { geo, close: () => db?.close() };
}

export async function buildAuditReport(config: AuditConfig, request: AuditReportRequest): Promise<AuditReport> {
  // VOICEHIVE_ALLOWED_IP_RANGES / _COUNTRIES are already folded into config.anomalies by loadConfig.
  const anomalyConfig = config.anomalies;
  const since = request.period.since.getTime();
  const until = request.period.until.getTime();
  const notes: string[] = [];
  const extra = request.sources ?? [];
  const specs: (SourceSpec & { optional: boolean })[] = [];
  if (request.log !== undefined) specs.push({ kind: 'native', path: request.log, optional: false });
  else if (extra.length === 0) specs.push({ kind: 'native', path: config.log, optional: true });
  for (const s of extra) specs.push({ ...s, optional: false });

  const { geo, close } = await openGeo(anomalyConfig, notes);
  try {
    const detector = new AnomalyDetector({ config: anomalyConfig, since, until, geo });
    const builder = new ReportBuilder(since, until, request.top ?? 100);
    const problems = new ProblemCollector();
    const stats: SourceStats[] = [];
    // Records before the period only build baselines, from `baselineHours` before it: the log is read from there
    // on (where its hour index says) and earlier records that a read without the index meets are left out, so the
    // report is the same whether or not the index was there. Later records are read and counted as after_period.
    const from = since - anomalyConfig.baselineHours * 3_600_000;
    const emit = (r: Parameters<AnomalyDetector['observe']>[0]) => {
      if (r.ts < from) return;
      detector.observe(r);
      builder.add(r);
    };
    const range = { from };
    for (const spec of specs) {
      const reader = await sourceReader(spec.kind);
      try {
        const native = spec.kind === 'native' ? { indexDir: config.indexDir, ...(request.tap ? { tap: request.tap } : {}) } : {};
        stats.push(await reader.read(spec.path, emit, problems, { range, ...native }));
      } catch (err) {
        // The configured log not existing yet is a fresh machine, not an error; a named file missing is.
        if (spec.optional && isVhError(err) && err.code === 'NOT_FOUND') {
          notes.push(`no audit log at ${spec.path} yet: nothing has been recorded on this machine`);
          continue;
        }
        throw err;
      }
    }
    return builder.build(stats, detector.finish(), problems, notes, request.now);
  } finally {
    close();
  }
}

/** `vh-secrets audit verify`: the hash chain (and the signed head, when configured) of the local log. */
export function verifyAuditLog(config: AuditConfig, log?: string, anchor?: string): Promise<ChainReport> {
  const options: { hmacKey?: string; anchor?: string } = {};
  if (config.hmacKey !== undefined) options.hmacKey = config.hmacKey;
  // The configured anchor describes the configured log; it says nothing about another file named with --log.
  if (anchor !== undefined) options.anchor = anchor;
  else if (config.anchor !== undefined && (log === undefined || log === config.log)) options.anchor = config.anchor;
  return new AuditLog(log ?? config.log, { ...options, indexPath: null }).verify();
}

/** What the audit log keeps of a scan finding: where and which rule — never the secret (the fingerprint hashes it). */
export interface ScanFindingRef {
  ruleId: string;
  file: string;
  line: number;
  fingerprint: string;
  commit?: string | undefined;
}

/** One `scan_finding` event per finding (DESIGN's audit events), so leaks found in CI join the same trail. */
export async function recordScanFindings(audit: AuditRecorder, findings: readonly ScanFindingRef[]): Promise<void> {
  await Promise.all(
    findings.map((f) =>
      audit.record({
        event: 'scan_finding',
        secret: null,
        secret_type: null,
        store: null,
        success: true,
        error_code: null,
        details: { rule: f.ruleId, file: f.file, line: f.line, fingerprint: f.fingerprint, ...(f.commit ? { commit: f.commit } : {}) },
      }),
    ),
  );
}
