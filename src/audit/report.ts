import type { Anomaly, AnomalyKind, DetectionResult } from './anomalies.js';
import { INPUT_PROBLEM_KINDS, type AuditRecord, type IncidentInfo, type InputProblemKind, type ProblemSink, type SourceKind, type SourceStats } from './sources/types.js';

/**
 * Aggregation of normalized records into the `vh-secrets audit` report. Bounded memory whatever the input:
 * every per-key map stops taking new keys at MAX_KEYS (later keys go to an `other` bucket), lists of recent
 * rotations and failures are rings, input problems keep a count and the first few line numbers.
 * The JSON shape is versioned by `schema`; fields are only ever added within one version.
 */

export const REPORT_SCHEMA = 'vh-secrets.audit-report/1';
const MAX_KEYS = 50_000;
const RECENT = 50;
const PROBLEM_LINES = 20;

export interface CountRow {
  key: string;
  total: number;
  success: number;
  failure: number;
  last_seen: string;
}

export interface Breakdown {
  /** Distinct keys counted (up to the cap). */
  distinct: number;
  /** The `top` keys by total, most first. */
  top: CountRow[];
  /** Everything not in `top`: keys beyond the list or beyond the cap. */
  other: { keys: number; total: number; success: number; failure: number; beyond_cap: boolean };
}

export interface EventRow {
  ts: string;
  id: string;
  source: SourceKind;
  event: string;
  action: string;
  secret: string | null;
  actor: string;
  success: boolean;
  error_code: string | null;
  file: string;
  line: number;
}

export interface IncidentRow extends IncidentInfo {
  ts: string;
  actor: string;
  success: boolean;
}

export interface ProblemReport {
  count: number;
  /** The first PROBLEM_LINES occurrences: where, and why (never the line's content). */
  first: { file: string; line: number; detail: string }[];
}

export interface AuditReport {
  schema: typeof REPORT_SCHEMA;
  generated_at: string;
  period: { since: string; until: string };
  sources: SourceStats[];
  totals: {
    /** Records inside the period (all the breakdowns below count these). */
    events: number;
    success: number;
    failure: number;
    /** Records before the period: read for baselines only. */
    before_period: number;
    /** Records after the period: ignored. */
    after_period: number;
  };
  by_event: Breakdown;
  by_secret: Breakdown;
  by_actor: Breakdown;
  by_store: Breakdown;
  by_source: Breakdown;
  rotations: {
    started: number;
    completed: number;
    failed: number;
    rolled_back: number;
    emergency: number;
    recent: EventRow[];
  };
  failures: {
    total: number;
    by_error_code: Breakdown;
    recent: EventRow[];
  };
  /** Incidents (scan --rotate-leaked): how many in the period, and the most recent, oldest first. */
  incidents: { total: number; contained: number; recent: IncidentRow[] };
  anomalies: Anomaly[];
  anomaly_counts: Record<AnomalyKind, number>;
  /** Anomalies found but not listed (the list is capped, most severe first). */
  anomalies_omitted: number;
  input_problems: { total: number; by_kind: Partial<Record<InputProblemKind, ProblemReport>> };
  /** Things the reader should know about this report (out-of-order events, caps reached, missing geo data). */
  notes: string[];
}

class Tally {
  total = 0;
  success = 0;
  failure = 0;
  last = 0;
}

class CappedCounter {
  private readonly map = new Map<string, Tally>();
  private readonly overflow = new Tally();

  add(key: string, r: AuditRecord): void {
    let t = this.map.get(key);
    if (t === undefined) {
      if (this.map.size >= MAX_KEYS) {
        t = this.overflow;
      } else {
        t = new Tally();
        this.map.set(key, t);
      }
    }
    t.total++;
    if (r.success) t.success++;
    else t.failure++;
    if (r.ts > t.last) t.last = r.ts;
  }

  breakdown(top: number): Breakdown {
    const rows = [...this.map].sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1));
    const shown = rows.slice(0, top);
    const rest = rows.slice(top);
    const other = { keys: rest.length, total: this.overflow.total, success: this.overflow.success, failure: this.overflow.failure, beyond_cap: this.overflow.total > 0 };
    for (const [, t] of rest) {
      other.total += t.total;
      other.success += t.success;
      other.failure += t.failure;
    }
    return {
      distinct: this.map.size,
      top: shown.map(([key, t]) => ({ key, total: t.total, success: t.success, failure: t.failure, last_seen: new Date(t.last).toISOString() })),
      other,
    };
  }
}

class Ring {
  private readonly items: AuditRecord[] = [];
  private pos = 0;

  push(r: AuditRecord): void {
    if (this.items.length < RECENT) this.items.push(r);
    else {
      this.items[this.pos] = r;
      this.pos = (this.pos + 1) % RECENT;
    }
  }

  rows(): EventRow[] {
    return [...this.items]
      .sort((a, b) => a.ts - b.ts)
      .map((r) => ({ ts: new Date(r.ts).toISOString(), id: r.id, source: r.source, event: r.event, action: r.action, secret: r.secret, actor: r.actor, success: r.success, error_code: r.errorCode, file: r.file, line: r.line }));
  }
}

/** Counts input problems per kind, keeping the first few locations. */
export class ProblemCollector implements ProblemSink {
  private readonly kinds = new Map<InputProblemKind, ProblemReport>();
  total = 0;

  problem(kind: InputProblemKind, file: string, line: number, detail: string): void {
    this.total++;
    let p = this.kinds.get(kind);
    if (!p) {
      p = { count: 0, first: [] };
      this.kinds.set(kind, p);
    }
    p.count++;
    if (p.first.length < PROBLEM_LINES) p.first.push({ file, line, detail });
  }

  report(): AuditReport['input_problems'] {
    const byKind: Partial<Record<InputProblemKind, ProblemReport>> = {};
    for (const k of INPUT_PROBLEM_KINDS) {
      const p = this.kinds.get(k);
      if (p) byKind[k] = p;
    }
    return { total: this.total, by_kind: byKind };
  }
}

const ROTATION_EVENTS = new Set(['rotation_started', 'rotated', 'rotation_failed', 'rolled_back']);

export class ReportBuilder {
  private events = 0;
  private success = 0;
  private failure = 0;
  private before = 0;
  private after = 0;
  private readonly byEvent = new CappedCounter();
  private readonly bySecret = new CappedCounter();
  private readonly byActor = new CappedCounter();
  private readonly byStore = new CappedCounter();
  private readonly bySource = new CappedCounter();
  private readonly byErrorCode = new CappedCounter();
  private readonly rotations = { started: 0, completed: 0, failed: 0, rolled_back: 0, emergency: 0 };
  private readonly recentRotations = new Ring();
  private readonly recentFailures = new Ring();
  private readonly incidents: IncidentRow[] = [];
  private incidentTotal = 0;
  private incidentsContained = 0;

  constructor(
    private readonly since: number,
    private readonly until: number,
    private readonly top = 100,
  ) {}

  /** Counts a record if it falls in the period; returns whether it did. */
  add(r: AuditRecord): boolean {
    if (r.ts < this.since) {
      this.before++;
      return false;
    }
    if (r.ts > this.until) {
      this.after++;
      return false;
    }
    this.events++;
    if (r.success) this.success++;
    else this.failure++;
    this.byEvent.add(r.event, r);
    if (r.secret !== null) this.bySecret.add(r.secret, r);
    this.byActor.add(r.actor, r);
    if (r.store !== null) this.byStore.add(r.store, r);
    this.bySource.add(r.source, r);
    if (!r.success) {
      this.byErrorCode.add(r.errorCode ?? 'UNKNOWN', r);
      this.recentFailures.push(r);
    }
    if (r.incident) {
      this.incidentTotal++;
      if (r.success) this.incidentsContained++;
      this.incidents.push({ ...r.incident, ts: new Date(r.ts).toISOString(), actor: r.actor, success: r.success });
      if (this.incidents.length > RECENT) this.incidents.shift();
    }
    if (ROTATION_EVENTS.has(r.event) || r.action === 'emergency_rotation') {
      if (r.event === 'rotation_started') this.rotations.started++;
      else if (r.event === 'rotated') this.rotations.completed++;
      else if (r.event === 'rotation_failed') this.rotations.failed++;
      else if (r.event === 'rolled_back') this.rotations.rolled_back++;
      if (r.action === 'emergency_rotation') this.rotations.emergency++;
      this.recentRotations.push(r);
    }
    return true;
  }

  build(sources: SourceStats[], detection: DetectionResult, problems: ProblemCollector, notes: string[], now = new Date()): AuditReport {
    const extra = [...notes];
    if (detection.lateEvents > 0) extra.push(`${detection.lateEvents} record(s) arrived too far out of time order for the windowed detectors (excessive access, failures, concurrency, enumeration) and were only counted`);
    if (detection.untrackedEvents > 0) extra.push(`${detection.untrackedEvents} record(s) of actors beyond the tracking cap were only counted, not checked for anomalies`);
    if (detection.droppedGroups > 0) extra.push(`${detection.droppedGroups} anomaly candidate(s) beyond the grouping cap were not evaluated`);
    return {
      schema: REPORT_SCHEMA,
      generated_at: now.toISOString(),
      period: { since: new Date(this.since).toISOString(), until: new Date(this.until).toISOString() },
      sources,
      totals: { events: this.events, success: this.success, failure: this.failure, before_period: this.before, after_period: this.after },
      by_event: this.byEvent.breakdown(this.top),
      by_secret: this.bySecret.breakdown(this.top),
      by_actor: this.byActor.breakdown(this.top),
      by_store: this.byStore.breakdown(this.top),
      by_source: this.bySource.breakdown(this.top),
      rotations: { ...this.rotations, recent: this.recentRotations.rows() },
      incidents: { total: this.incidentTotal, contained: this.incidentsContained, recent: [...this.incidents].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)) },
      failures: { total: this.failure, by_error_code: this.byErrorCode.breakdown(this.top), recent: this.recentFailures.rows() },
      anomalies: detection.anomalies,
      anomaly_counts: detection.counts,
      anomalies_omitted: detection.omitted,
      input_problems: problems.report(),
      notes: extra,
    };
  }
}
