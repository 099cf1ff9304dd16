import { isIP } from 'node:net';
import type { AnomalyConfig } from './anomaly-config.js';
import type { CountryDb, IpRangeSet } from './geo.js';
import type { AuditRecord, SourceKind } from './sources/types.js';

/**
 * Anomaly detectors over normalized audit records, in one streaming pass with bounded memory.
 *
 * Records are observed in (roughly) time order, including records from before the reported period: those
 * build each actor's baseline and are never reported themselves. Windowed detectors keep a few open windows
 * per actor (events up to OPEN_WINDOWS windows late are still placed correctly; later ones are counted as
 * `late_events` and left out) and a ring of the metric of the actor's last BASELINE_WINDOWS active windows.
 * Every anomaly carries a human reason that states its rule and numbers, and at most EVIDENCE_CAP events
 * (id, time, file and line) as evidence — never any content beyond names.
 */

export const ANOMALY_KINDS = [
  'UNUSUAL_TIME',
  'UNUSUAL_LOCATION',
  'GEOGRAPHIC_VIOLATION',
  'EXCESSIVE_ACCESS',
  'CONCURRENT_ACCESS',
  'FAILED_ATTEMPTS',
  'PRIVILEGE_ESCALATION',
  'SUSPICIOUS_PATTERN',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];
export type Severity = 'low' | 'medium' | 'high';
const SEVERITY_RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1 };
/** The evidence budget of baseline-only windows: they never report, so keep no events. */
const NO_EVIDENCE = { left: 0 };

export interface EvidenceRef {
  id: string;
  ts: string;
  source: SourceKind;
  file: string;
  line: number;
  action: string;
  success: boolean;
}

export interface Anomaly {
  kind: AnomalyKind;
  severity: Severity;
  actor: string | null;
  /** The secret when every event of the anomaly is about the same one; null otherwise. */
  secret: string | null;
  window: { start: string; end: string };
  /** Events behind the anomaly (all of them, not only those listed as evidence). */
  count: number;
  reason: string;
  evidence: { total: number; events: EvidenceRef[]; truncated: boolean };
}

export interface GeoLookup {
  ranges: IpRangeSet | null;
  countries: CountryDb | null;
}

export interface DetectorOptions {
  config: AnomalyConfig;
  /** Reported period, epoch ms (inclusive). Earlier records only feed baselines; later ones are ignored. */
  since: number;
  until: number;
  geo?: GeoLookup;
}

export interface DetectionResult {
  /** Most severe first, then by time; at most MAX_REPORTED. */
  anomalies: Anomaly[];
  /** All anomalies found, by kind (including those beyond MAX_REPORTED). */
  counts: Record<AnomalyKind, number>;
  /** Anomalies found but not listed (the list is capped). */
  omitted: number;
  /** Records too far out of order for the windowed detectors. */
  lateEvents: number;
  /** Records of actors beyond MAX_ACTORS, seen by no per-actor detector. */
  untrackedEvents: number;
  /** Candidate groups (actor × day, actor × place, actor × action) beyond MAX_GROUPS, not evaluated. */
  droppedGroups: number;
}

export const EVIDENCE_CAP = 20;
const OPEN_WINDOWS = 4;
const BASELINE_WINDOWS = 168;
const MAX_ACTORS = 10_000;
const MAX_GROUPS = 20_000;
const MAX_KEPT = 10_000;
const MAX_REPORTED = 500;
/** Upper bound on records held as evidence across all open windows (bounded memory whatever the actor count). */
const EVIDENCE_BUDGET = 100_000;
/** An actor needs this many earlier located events before a new location counts as unusual. */
const LOCATION_HISTORY_MIN = 10;
const MAX_KNOWN_LOCATIONS = 256;
/** Off-hours activity on this many distinct earlier days makes it the actor's habit, not an anomaly. */
const HABITUAL_OFF_HOURS_DAYS = 3;
/**
 * UNUSUAL_TIME speaks only of an actor seen on this many distinct days before the period: "unusual" needs a usual
 * to differ from. A first day's work (a new user, a fresh install, a demo run at night) is not an anomaly.
 */
const TIME_BASELINE_DAYS = 3;
const DISTINCT_CAP = 256;

/** Events whose burst counts as EXCESSIVE_ACCESS and whose spread counts as enumeration. */
const READ_EVENTS = new Set(['accessed']);
const ENUMERATION_EVENTS = new Set(['accessed', 'described']);

class Group {
  count = 0;
  first = Number.POSITIVE_INFINITY;
  last = Number.NEGATIVE_INFINITY;
  /** Allocated with the first event, so windows that stay empty of evidence cost one object. */
  refs: AuditRecord[] | null = null;
  secret: string | null | undefined = undefined;
  privileged = false;
  failures = 0;

  add(r: AuditRecord, budget: { left: number }): void {
    this.count++;
    if (r.ts < this.first) this.first = r.ts;
    if (r.ts > this.last) this.last = r.ts;
    if (this.refs === null) {
      if (budget.left > 0) {
        this.refs = [r];
        budget.left--;
      }
    } else if (this.refs.length < EVIDENCE_CAP && budget.left > 0) {
      this.refs.push(r);
      budget.left--;
    }
    if (this.secret === undefined) this.secret = r.secret;
    else if (this.secret !== r.secret) this.secret = null;
    if (r.privileged) this.privileged = true;
    if (!r.success) this.failures++;
  }

  release(budget: { left: number }): void {
    if (this.refs !== null) budget.left += this.refs.length;
    this.refs = null;
  }
}

/** One tumbling window of one actor: its events (as a Group) and, for distinct-count detectors, the values. */
class Window extends Group {
  inPeriod = false;
  /** Only once a second value appears; until then `lastDistinct` alone stands for the set. */
  distinct: Set<string> | null = null;
  /** The value added last: consecutive events mostly repeat it, and a string compare is cheaper than a Set probe. */
  lastDistinct: string | null = null;
  codes: Map<string, number> | null = null;
  constructor(
    public index: number,
    /** Whether the window reaches into the period, so may be reported: only then are events kept as evidence. */
    public mayReport: boolean,
  ) {
    super();
  }

  /** As new, for another window of the same series (a closed window is reused: short windows come by the million). */
  reset(index: number, mayReport: boolean): this {
    this.index = index;
    this.mayReport = mayReport;
    this.count = 0;
    this.first = Number.POSITIVE_INFINITY;
    this.last = Number.NEGATIVE_INFINITY;
    this.refs = null;
    this.secret = undefined;
    this.privileged = false;
    this.failures = 0;
    this.inPeriod = false;
    this.distinct = null;
    this.lastDistinct = null;
    this.codes = null;
    return this;
  }

  get group(): Group {
    return this;
  }

  distinctCount(): number {
    return this.distinct !== null ? this.distinct.size : this.lastDistinct !== null ? 1 : 0;
  }

  distinctValues(): string[] {
    return this.distinct !== null ? [...this.distinct] : this.lastDistinct !== null ? [this.lastDistinct] : [];
  }

  metric(kind: 'count' | 'distinct'): number {
    return kind === 'count' ? this.count : this.distinctCount();
  }
}

/** Tumbling windows of one actor for one detector, with a ring of closed windows' metrics as its baseline. */
class WindowSeries {
  private open: Window[] = [];
  /** The window closed last, taken up again by the next one opened (nothing keeps a closed window). */
  private spare: Window | null = null;
  private readonly hist = new Float64Array(BASELINE_WINDOWS);
  private histLen = 0;
  private histPos = 0;
  private closedBelow = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly widthMs: number,
    private readonly onClose: (w: Window, series: WindowSeries) => void,
    private readonly metricKind: 'count' | 'distinct',
    /** Start of the reported period: a window that ends by then only counts towards the baseline. */
    private readonly since: number,
  ) {}

  /** The window for `ts`, or null when it was closed already (a late event). */
  at(ts: number): Window | null {
    const index = Math.floor(ts / this.widthMs);
    const open = this.open;
    const lastW = open[open.length - 1];
    if (lastW !== undefined && lastW.index === index) return lastW;
    for (let i = open.length - 1; i >= 0; i--) if (open[i]!.index === index) return open[i]!;
    if (index < this.closedBelow) return null;
    const mayReport = (index + 1) * this.widthMs > this.since;
    const w = this.spare?.reset(index, mayReport) ?? new Window(index, mayReport);
    this.spare = null;
    let at = open.length;
    while (at > 0 && open[at - 1]!.index > index) at--;
    open.splice(at, 0, w);
    if (open.length > OPEN_WINDOWS) this.close(open.shift()!);
    return w;
  }

  /** Median metric over the actor's earlier active windows (0 when there are none). */
  baseline(): { median: number; windows: number } {
    if (this.histLen === 0) return { median: 0, windows: 0 };
    // A typed array sorts numerically, natively.
    const values = this.hist.slice(0, this.histLen).sort();
    const mid = values.length >> 1;
    const median = values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
    return { median, windows: values.length };
  }

  windowMs(): number {
    return this.widthMs;
  }

  closeAll(): void {
    while (this.open.length > 0) this.close(this.open.shift()!);
  }

  private close(w: Window): void {
    this.closedBelow = Math.max(this.closedBelow, w.index + 1);
    this.onClose(w, this);
    this.hist[this.histPos] = w.metric(this.metricKind);
    this.histPos = (this.histPos + 1) % BASELINE_WINDOWS;
    if (this.histLen < BASELINE_WINDOWS) this.histLen++;
    this.spare = w;
  }
}

interface ActorState {
  name: string;
  access: WindowSeries;
  failures: WindowSeries;
  locations: WindowSeries;
  spread: WindowSeries;
  privActions: Set<string>;
  /** Secrets this actor created (bounded): its first privileged action on one of them is not escalation. */
  created: Set<string>;
  events: number;
  knownLocations: Set<string>;
  /** Last location added to knownLocations (an interned string from the location cache). */
  lastLocation: string | null;
  /** New-location anomalies being collected for this actor, by location (rare, so usually null). */
  pendingLocations: Map<string, { group: Group; location: string; known: string[]; history: number }> | null;
  /** The UNUSUAL_TIME group of the actor's current local day, to skip a map lookup per event. */
  offHoursDay: number;
  offHoursGroup: Group | null;
  locatedEvents: number;
  offHoursDaysBefore: Set<number>;
  /** Distinct local days the actor was active before the period, up to TIME_BASELINE_DAYS. */
  activeDaysBefore: Set<number>;
}

interface Place {
  /** Country, else network; null when the address is not an IP. Interned: the same string object per IP. */
  location: string | null;
  country: string | null;
  /** Why this address breaks the allowed ranges / countries, or null. */
  violation: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** `a.b.c.0/24` for IPv4, the first 48 bits for IPv6: "the same network" for UNUSUAL_LOCATION. */
export function networkOf(ip: string): string | null {
  const v = isIP(ip);
  if (v === 4) return `${ip.slice(0, ip.lastIndexOf('.'))}.0/24`;
  if (v === 6) {
    const [head = '', tail] = ip.split('::');
    const h = head === '' ? [] : head.split(':');
    const t = tail === undefined || tail === '' ? [] : tail.split(':');
    const full = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
    return `${full.slice(0, 3).map((x) => parseInt(x, 16).toString(16)).join(':')}::/48`;
  }
  return null;
}

/** Local wall-clock hour and weekday in an IANA zone, cached per UTC hour (offsets change on hour boundaries). */
class LocalClock {
  private readonly cache = new Map<number, number>();
  /** None for UTC (the default): building one costs tens of milliseconds of ICU set-up for an offset of 0. */
  private readonly format: Intl.DateTimeFormat | null;

  constructor(timeZone: string) {
    this.format = timeZone === 'UTC' || timeZone === 'Etc/UTC' ? null : new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
  }

  /** Milliseconds to add to UTC to get local wall-clock time. */
  private lastHour = Number.NaN;
  private lastOffset = 0;

  offset(ts: number): number {
    if (this.format === null) return 0;
    const hour = Math.floor(ts / 3_600_000);
    if (hour === this.lastHour) return this.lastOffset;
    let off = this.cache.get(hour);
    if (off === undefined) {
      const at = hour * 3_600_000;
      const p: Record<string, number> = {};
      for (const part of this.format.formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
      off = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!) - at;
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(hour, off);
    }
    this.lastHour = hour;
    this.lastOffset = off;
    return off;
  }
}

export class AnomalyDetector {
  private readonly actors = new Map<string, ActorState>();
  private readonly kept: Anomaly[] = [];
  private readonly counts = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, 0])) as Record<AnomalyKind, number>;
  private readonly budget = { left: EVIDENCE_BUDGET };
  private readonly clock: LocalClock;
  private readonly offHours = new Map<string, Group>();
  private readonly newLocations = new Map<string, { group: Group; location: string; known: string[]; history: number }>();
  private readonly geoViolations = new Map<string, { group: Group; ip: string; why: string }>();
  private readonly privileged = new Map<string, { group: Group; action: string; known: string[]; history: number }>();
  /** ip → country, else network (null: not an IP); bounded. */
  private readonly locationCache = new Map<string, Place>();
  private readonly allowedCountries: Set<string>;
  private lateEvents = 0;
  private untrackedEvents = 0;
  private groupsDropped = 0;

  constructor(private readonly options: DetectorOptions) {
    this.clock = new LocalClock(options.config.timezone);
    this.allowedCountries = new Set(options.config.allowedCountries.map((c) => c.toUpperCase()));
  }

  observe(r: AuditRecord): void {
    if (r.ts > this.options.until) return;
    const inPeriod = r.ts >= this.options.since;
    const a = this.actor(r.actor);
    if (a === null) {
      this.untrackedEvents++;
      return;
    }
    if (READ_EVENTS.has(r.event)) this.inWindow(a.access, r, inPeriod, null);
    if (!r.success) {
      const w = this.inWindow(a.failures, r, inPeriod, null);
      if (w && r.errorCode) {
        w.codes ??= new Map();
        if (w.codes.size < 8 || w.codes.has(r.errorCode)) w.codes.set(r.errorCode, (w.codes.get(r.errorCode) ?? 0) + 1);
      }
    }
    const location = r.sourceIp ?? r.host;
    if (location !== null) this.inWindow(a.locations, r, inPeriod, location);
    if (r.secret !== null && ENUMERATION_EVENTS.has(r.event)) this.inWindow(a.spread, r, inPeriod, r.secret);
    this.timeOfDay(a, r, inPeriod);
    if (r.sourceIp !== null) this.place(a, r, inPeriod);
    if (r.event === 'created' && r.success && r.secret !== null && a.created.size < DISTINCT_CAP * 16) a.created.add(r.secret);
    if (r.privileged) this.privilege(a, r, inPeriod);
    a.events++;
  }

  finish(): DetectionResult {
    for (const a of this.actors.values()) {
      a.access.closeAll();
      a.failures.closeAll();
      a.locations.closeAll();
      a.spread.closeAll();
    }
    for (const [key, g] of this.offHours) {
      const actor = key.slice(0, key.indexOf('\u0000'));
      const a = this.actors.get(actor);
      if (!a || a.offHoursDaysBefore.size >= HABITUAL_OFF_HOURS_DAYS || a.activeDaysBefore.size < TIME_BASELINE_DAYS) continue;
      const { start, end } = this.options.config.businessHours;
      const zone = this.options.config.timezone;
      const weekend = this.options.config.weekendsUnusual ? ' or on a weekend' : '';
      const habit = `; the actor was active off-hours on ${a.offHoursDaysBefore.size} of its earlier day(s) (${HABITUAL_OFF_HOURS_DAYS} or more would make it its habit)`;
      this.emit('UNUSUAL_TIME', g.privileged || g.failures > 0 ? 'medium' : 'low', actor, g, g.first, g.last + 1,
        `${g.count} event(s) by ${actor} outside business hours ${String(start).padStart(2, '0')}:00–${String(end).padStart(2, '0')}:00 ${zone}${weekend}${habit}`);
    }
    for (const [key, v] of this.newLocations) {
      const actor = key.slice(0, key.indexOf('\u0000'));
      this.emit('UNUSUAL_LOCATION', 'medium', actor, v.group, v.group.first, v.group.last + 1,
        `${actor} acted from ${v.location}, never seen for it before; its baseline: ${v.history} earlier event(s) from ${v.known.length} location(s)${v.known.length ? ` (${v.known.slice(0, 5).join(', ')}${v.known.length > 5 ? ', …' : ''})` : ''}`);
    }
    for (const [key, v] of this.geoViolations) {
      const actor = key.slice(0, key.indexOf('\u0000'));
      this.emit('GEOGRAPHIC_VIOLATION', 'high', actor, v.group, v.group.first, v.group.last + 1, `${v.group.count} event(s) by ${actor} from ${v.ip}: ${v.why}`);
    }
    for (const [key, v] of this.privileged) {
      const actor = key.slice(0, key.indexOf('\u0000'));
      const base = v.known.length ? `its baseline of privileged actions is ${v.known.slice(0, 5).join(', ')}` : 'it performed no privileged action before';
      this.emit('PRIVILEGE_ESCALATION', v.group.failures === v.group.count ? 'medium' : 'high', actor, v.group, v.group.first, v.group.last + 1,
        `${actor} performed the privileged action "${v.action}" ${v.group.count} time(s)${v.group.failures ? ` (${v.group.failures} failed)` : ''}, outside its own baseline: ${base} (over ${v.history} earlier event(s))`);
    }
    const anomalies = this.kept.sort((x, y) => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity] || (x.window.start < y.window.start ? -1 : x.window.start > y.window.start ? 1 : 0));
    const total = ANOMALY_KINDS.reduce((n, k) => n + this.counts[k], 0);
    const reported = anomalies.slice(0, MAX_REPORTED);
    return { anomalies: reported, counts: { ...this.counts }, omitted: total - reported.length, lateEvents: this.lateEvents, untrackedEvents: this.untrackedEvents, droppedGroups: this.groupsDropped };
  }

  private actor(name: string): ActorState | null {
    let a = this.actors.get(name);
    if (a) return a;
    if (this.actors.size >= MAX_ACTORS) return null;
    const c = this.options.config;
    const since = this.options.since;
    a = {
      name,
      access: new WindowSeries(c.excessiveAccess.windowMinutes * 60_000, (w, s) => this.closeAccess(name, w, s), 'count', since),
      failures: new WindowSeries(c.failedAttempts.windowMinutes * 60_000, (w) => this.closeFailures(name, w), 'count', since),
      locations: new WindowSeries(c.concurrentAccess.windowSeconds * 1000, (w, s) => this.closeLocations(name, w, s), 'distinct', since),
      spread: new WindowSeries(c.enumeration.windowMinutes * 60_000, (w, s) => this.closeSpread(name, w, s), 'distinct', since),
      privActions: new Set(),
      created: new Set(),
      events: 0,
      knownLocations: new Set(),
      lastLocation: null,
      pendingLocations: null,
      offHoursDay: Number.NaN,
      offHoursGroup: null,
      locatedEvents: 0,
      offHoursDaysBefore: new Set(),
      activeDaysBefore: new Set(),
    };
    this.actors.set(name, a);
    return a;
  }

  private inWindow(series: WindowSeries, r: AuditRecord, inPeriod: boolean, distinct: string | null): Window | null {
    const w = series.at(r.ts);
    if (w === null) {
      this.lateEvents++;
      return null;
    }
    w.group.add(r, w.mayReport ? this.budget : NO_EVIDENCE);
    if (inPeriod) w.inPeriod = true;
    if (distinct !== null && distinct !== w.lastDistinct) {
      if (w.lastDistinct === null) w.lastDistinct = distinct;
      else {
        if (w.distinct === null) w.distinct = new Set([w.lastDistinct]);
        if (w.distinct.size < DISTINCT_CAP) w.distinct.add(distinct);
        w.lastDistinct = distinct;
      }
    }
    return w;
  }

  private emit(kind: AnomalyKind, severity: Severity, actor: string | null, g: Group, start: number, end: number, reason: string): void {
    this.counts[kind]++;
    if (this.kept.length >= MAX_KEPT) return;
    this.kept.push({
      kind,
      severity,
      actor,
      secret: g.secret ?? null,
      window: { start: iso(start), end: iso(end) },
      count: g.count,
      reason,
      evidence: {
        total: g.count,
        events: (g.refs ?? []).map((r) => ({ id: r.id, ts: iso(r.ts), source: r.source, file: r.file, line: r.line, action: r.action, success: r.success })),
        truncated: (g.refs?.length ?? 0) < g.count,
      },
    });
  }

  private windowBounds(w: Window, s: WindowSeries): [number, number] {
    return [w.index * s.windowMs(), (w.index + 1) * s.windowMs()];
  }

  /**
   * EXCESSIVE_ACCESS: reads in one window above max(minCount, factor × median reads per active window over
   * the actor's last 168 active windows before it). A new actor's baseline is 0, so minCount alone applies.
   */
  private closeAccess(actor: string, w: Window, s: WindowSeries): void {
    const { minCount, factor, windowMinutes } = this.options.config.excessiveAccess;
    if (w.inPeriod && w.group.count > minCount) {
      const b = s.baseline();
      const threshold = Math.max(minCount, factor * b.median);
      if (w.group.count > threshold) {
        const [start, end] = this.windowBounds(w, s);
        this.emit('EXCESSIVE_ACCESS', w.group.count > 2 * threshold ? 'high' : 'medium', actor, w.group, start, end,
          `${actor} read secrets ${w.group.count} times in ${windowMinutes} min; its baseline is a median of ${fmt(b.median)} reads per active ${windowMinutes}-min window over ${b.windows} earlier window(s), threshold max(${minCount}, ${factor} × ${fmt(b.median)}) = ${fmt(threshold)}`);
      }
    }
    w.group.release(this.budget);
  }

  /** FAILED_ATTEMPTS: at least `threshold` failed actions by one actor within one window. */
  private closeFailures(actor: string, w: Window): void {
    const { threshold, windowMinutes } = this.options.config.failedAttempts;
    if (w.inPeriod && w.group.count >= threshold) {
      const width = windowMinutes * 60_000;
      const codes = w.codes ? [...w.codes].sort((x, y) => y[1] - x[1]).map(([c, n]) => `${c} ${n}`).join(', ') : 'no error code';
      this.emit('FAILED_ATTEMPTS', w.group.count >= 2 * threshold ? 'high' : 'medium', actor, w.group, w.index * width, (w.index + 1) * width,
        `${w.group.count} failed action(s) by ${actor} within ${windowMinutes} min (${codes}); threshold ${threshold}`);
    }
    w.group.release(this.budget);
  }

  /**
   * CONCURRENT_ACCESS: the actor acted from more distinct places (source IP, else host) within one window than
   * max(1, median distinct places per active window over its last 168 active windows before it).
   */
  private closeLocations(actor: string, w: Window, s: WindowSeries): void {
    const n = w.distinctCount();
    if (w.inPeriod && n > 1) {
      const b = s.baseline();
      const threshold = Math.max(1, b.median);
      if (n > threshold) {
        const [start, end] = this.windowBounds(w, s);
        const places = w.distinctValues().slice(0, 5).join(', ');
        this.emit('CONCURRENT_ACCESS', n > 2 * threshold ? 'high' : 'medium', actor, w.group, start, end,
          `${actor} acted from ${n} places within ${this.options.config.concurrentAccess.windowSeconds} s (${places}${n > 5 ? ', …' : ''}); its baseline is a median of ${fmt(b.median)} place(s) per active window over ${b.windows} earlier window(s), threshold ${fmt(threshold)}`);
      }
    }
    w.group.release(this.budget);
  }

  /**
   * SUSPICIOUS_PATTERN (enumeration): reads or describes of at least max(distinctSecrets, factor × the actor's
   * median distinct secrets per active window) different secrets within one window.
   */
  private closeSpread(actor: string, w: Window, s: WindowSeries): void {
    const { distinctSecrets, windowMinutes } = this.options.config.enumeration;
    const n = w.distinctCount();
    if (w.inPeriod && n >= distinctSecrets) {
      const b = s.baseline();
      const factor = this.options.config.excessiveAccess.factor;
      const threshold = Math.max(distinctSecrets, factor * b.median);
      if (n >= threshold) {
        const [start, end] = this.windowBounds(w, s);
        const names = w.distinctValues().slice(0, 5).join(', ');
        this.emit('SUSPICIOUS_PATTERN', w.group.failures > 0 || n >= 2 * threshold ? 'high' : 'medium', actor, w.group, start, end,
          `enumeration: ${actor} touched ${n >= DISTINCT_CAP ? `${DISTINCT_CAP}+` : n} distinct secrets within ${windowMinutes} min (${names}, …), ${w.group.failures} of ${w.group.count} attempts failed; threshold max(${distinctSecrets}, ${factor} × its median ${fmt(b.median)} over ${b.windows} earlier window(s)) = ${fmt(threshold)}`);
      }
    }
    w.group.release(this.budget);
  }

  /** UNUSUAL_TIME: grouped per actor and local day; actors habitually active off-hours before the period are left out. */
  private timeOfDay(a: ActorState, r: AuditRecord, inPeriod: boolean): void {
    const c = this.options.config;
    const local = r.ts + this.clock.offset(r.ts);
    const hour = Math.floor(local / 3_600_000) % 24;
    const day = Math.floor(local / 86_400_000);
    const { start, end } = c.businessHours;
    const inside = start <= end ? hour >= start && hour < end : hour >= start || hour < end;
    // 1970-01-01 was a Thursday: day 0 → weekday 4.
    const weekday = (day + 4) % 7;
    if (!inPeriod && a.activeDaysBefore.size < TIME_BASELINE_DAYS) a.activeDaysBefore.add(day);
    const unusual = !inside || (c.weekendsUnusual && (weekday === 0 || weekday === 6));
    if (!unusual) return;
    if (!inPeriod) {
      if (a.offHoursDaysBefore.size < HABITUAL_OFF_HOURS_DAYS) a.offHoursDaysBefore.add(day);
      return;
    }
    if (a.offHoursDay !== day) {
      a.offHoursDay = day;
      a.offHoursGroup = this.group(this.offHours, `${a.name}\u0000${day}`, () => new Group());
    }
    a.offHoursGroup?.add(r, this.budget);
  }

  private group<T>(map: Map<string, T>, key: string, make: () => T): T | null {
    let v = map.get(key);
    if (v === undefined) {
      if (map.size >= MAX_GROUPS) {
        this.groupsDropped++;
        return null;
      }
      v = make();
      map.set(key, v);
    }
    return v;
  }

  private locate(ip: string): Place {
    let v = this.locationCache.get(ip);
    if (v === undefined) {
      const country = this.options.geo?.countries?.country(ip) ?? null;
      const ranges = this.options.geo?.ranges;
      let violation: string | null = null;
      if (ranges && !ranges.contains(ip)) violation = `outside the allowed IP ranges (${this.options.config.allowedIpRanges.join(', ')})`;
      else if (country !== null && this.allowedCountries.size > 0 && !this.allowedCountries.has(country)) {
        violation = `country ${country} is not among the allowed countries (${[...this.allowedCountries].join(', ')})`;
      }
      v = { location: country ?? networkOf(ip), country, violation };
      if (this.locationCache.size > 10_000) this.locationCache.clear();
      this.locationCache.set(ip, v);
    }
    return v;
  }

  /** UNUSUAL_LOCATION (new country, else new network, for an actor with history) and GEOGRAPHIC_VIOLATION. */
  private place(a: ActorState, r: AuditRecord, inPeriod: boolean): void {
    const ip = r.sourceIp!;
    const { location, country, violation } = this.locate(ip);
    if (location === null) return;
    if (location === a.lastLocation && a.pendingLocations === null && violation === null) {
      a.locatedEvents++;
      return;
    }
    if (inPeriod) {
      const pending = a.pendingLocations?.get(location);
      if (pending) pending.group.add(r, this.budget);
      else if (!a.knownLocations.has(location) && a.locatedEvents >= LOCATION_HISTORY_MIN && a.knownLocations.size < MAX_KNOWN_LOCATIONS) {
        const entry = this.group(this.newLocations, `${a.name}\u0000${location}`, () => ({ group: new Group(), location: country ? `country ${country} (${ip})` : `network ${location}`, known: [...a.knownLocations].slice(0, 20), history: a.locatedEvents }));
        if (entry) {
          entry.group.add(r, this.budget);
          (a.pendingLocations ??= new Map()).set(location, entry);
        }
      }
      if (violation !== null) this.group(this.geoViolations, `${a.name}\u0000${ip}`, () => ({ group: new Group(), ip, why: violation }))?.group.add(r, this.budget);
    }
    if (a.knownLocations.size < MAX_KNOWN_LOCATIONS) a.knownLocations.add(location);
    a.lastLocation = location;
    a.locatedEvents++;
  }

  /**
   * PRIVILEGE_ESCALATION: a privileged action the actor never performed earlier in the data read — except on a
   * secret the actor created itself (an owner retiring what it made is not escalating anything).
   */
  private privilege(a: ActorState, r: AuditRecord, inPeriod: boolean): void {
    const key = `${a.name}\u0000${r.action}`;
    const own = r.secret !== null && a.created.has(r.secret);
    if (inPeriod && !own) {
      const pending = this.privileged.get(key);
      if (pending) pending.group.add(r, this.budget);
      else if (!a.privActions.has(r.action)) {
        this.group(this.privileged, key, () => ({ group: new Group(), action: r.action, known: [...a.privActions], history: a.events }))?.group.add(r, this.budget);
      }
    }
    // Acting on its own secrets does not make an action part of the actor's baseline for everyone else's.
    if (!own && a.privActions.size < 64) a.privActions.add(r.action);
  }
}
