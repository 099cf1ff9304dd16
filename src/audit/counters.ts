/** One histogram: cumulative-ready counts per upper bound (not yet cumulative), plus +Inf, sum and count. */
export interface DurationHistogram {
  /** counts[i]: observations ≤ bounds[i] and > bounds[i-1]; counts[bounds.length]: above the last bound. */
  counts: number[];
  sum: number;
  count: number;
}

export interface EventTally {
  /** key: `${event}\u0000${store}\u0000${type}\u0000${secret}\u0000${success ? 1 : 0}`; secret is '' unless asked by secret. */
  events: Map<string, number>;
  /** Failed events by error code and store; key: `${code}\u0000${store}`. */
  errors: Map<string, number>;
  /** Events that carry `details.duration_ms`, by event and store; key: `${event}\u0000${store}`. Seconds. */
  durations: Map<string, DurationHistogram>;
  malformed: number;
}

export interface TallyOptions {
  /** The event kinds counted in `events` (all kinds count towards `errors` and `durations`). */
  kinds: readonly string[];
  /** Names the type of a secret (`store:name`) for events that do not record one. */
  typeOf?: (secret: string) => string | undefined;
  /** Key `events` by secret (`store:name`) too. */
  bySecret?: boolean;
  /** Upper bounds in seconds of the duration histograms, ascending. */
  bounds: readonly number[];
}

interface Line {
  event?: string;
  store?: string | null;
  secret?: string | null;
  secret_type?: string | null;
  success?: boolean;
  error_code?: string | null;
  details?: Record<string, unknown> | null;
}

/**
 * Counts events of the given kinds by store, secret type (and secret), success or failure; failures of any kind
 * by error code and store; and the durations events record (`details.duration_ms`) into histograms. Fed one
 * parsed line at a time, so it can ride along another pass over the log. A torn or foreign line is counted as
 * malformed, never fatal. Only names, codes and numbers are read: an event never carries a value.
 */
export class EventTallier {
  readonly tally: EventTally = { events: new Map(), errors: new Map(), durations: new Map(), malformed: 0 };
  private readonly want: Set<string>;

  constructor(private readonly opts: TallyOptions) {
    this.want = new Set(opts.kinds);
  }

  /** A line that is not JSON. */
  unreadable(): void {
    this.tally.malformed++;
  }

  add(value: unknown): void {
    const e = value as Line | null;
    const tally = this.tally;
    if (e === null || typeof e !== 'object' || typeof e.event !== 'string') {
      tally.malformed++;
      return;
    }
    const add = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
    const store = typeof e.store === 'string' ? e.store : '';
    const success = e.success !== false;
    if (!success && typeof e.error_code === 'string') add(tally.errors, `${e.error_code}\u0000${store}`);
    const ms = e.details?.duration_ms;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) {
      const { bounds } = this.opts;
      const key = `${e.event}\u0000${store}`;
      const h = tally.durations.get(key) ?? { counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
      const s = ms / 1000;
      const i = bounds.findIndex((b) => s <= b);
      h.counts[i === -1 ? bounds.length : i]!++;
      h.sum += s;
      h.count++;
      tally.durations.set(key, h);
    }
    if (!this.want.has(e.event)) return;
    const name = typeof e.secret === 'string' ? e.secret.replace(/[#@].*$/s, '') : '';
    // Reads are audited without a type (the value read does not carry it); the caller may know it by name.
    const type = e.secret_type ?? (this.opts.typeOf && name !== '' ? this.opts.typeOf(name) : undefined) ?? 'unknown';
    add(tally.events, `${e.event}\u0000${store}\u0000${type}\u0000${this.opts.bySecret ? name : ''}\u0000${success ? 1 : 0}`);
  }
}
