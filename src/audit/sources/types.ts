/**
 * One normalized record type for every audit source (vh-secrets' own log, Vault/OpenBao audit devices,
 * CloudTrail), so aggregation and anomaly detection never care where an event came from. A record never
 * carries a secret value: sources copy names, ids and outcomes, nothing from request or response bodies.
 */

export const SOURCE_KINDS = ['native', 'vault-audit', 'cloudtrail'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface AuditRecord {
  /** Epoch milliseconds. */
  ts: number;
  /** The source's own event id (vh-secrets `id`, Vault `request.id`, CloudTrail `eventID`). */
  id: string;
  source: SourceKind;
  /**
   * Normalized event: vh-secrets' event names where they fit (`accessed`, `created`, `rotated`, `revoked`, …),
   * plus `written`, `metadata_changed`, `policy_changed`, `auth_changed`, `token_created`, `other`.
   */
  event: string;
  /** What exactly was done, in the source's terms (`accessed`, `update sys/policy`, `PutResourcePolicy`). */
  action: string;
  /** Secret reference or name (never a value), null when the action is not about one secret. */
  secret: string | null;
  store: string | null;
  actor: string;
  actorType: string | null;
  sourceIp: string | null;
  host: string | null;
  success: boolean;
  errorCode: string | null;
  /** An administrative action (revoke, purge, policy or auth change, emergency rotation, …). */
  privileged: boolean;
  file: string;
  line: number;
  /** vh-secrets `incident` events (scan --rotate-leaked): what the incident was about and how it ended. */
  incident?: IncidentInfo;
}

export interface IncidentInfo {
  id: string;
  kind: string;
  /** `store:name`, comma-separated. */
  secrets: string;
  actions: string;
  outcome: string;
  /** How many findings (by fingerprint) it answered. */
  findings: number;
}

export const INPUT_PROBLEM_KINDS = [
  'malformed_json',
  'truncated_last_line',
  'wrong_schema',
  'oversize_line',
  'invalid_utf8',
  'corrupt_gzip',
] as const;
export type InputProblemKind = (typeof INPUT_PROBLEM_KINDS)[number];

export interface ProblemSink {
  problem(kind: InputProblemKind, file: string, line: number, detail: string): void;
}

export type RecordSink = (record: AuditRecord) => void;

export interface SourceStats {
  kind: SourceKind;
  path: string;
  /** Lines read (for a `{"Records":[…]}` document: its lines). */
  lines: number;
  /** Normalized records produced. */
  records: number;
  /** Entries read correctly but not events we report (Vault request halves, CloudTrail of other services). */
  ignored: number;
  /** Lines reported under input_problems. */
  problems: number;
  bytes: number;
}

export interface SourceSpec {
  kind: SourceKind;
  path: string;
}

/** Epoch ms: a reader may skip what lies wholly outside [from, to], never a record inside it. */
export interface TimeRange {
  from?: number;
  to?: number;
}

export interface ReadOptions {
  range?: TimeRange;
  /** Every JSON value read, before it is checked and normalized: another tally riding the same pass. */
  tap?: (value: unknown) => void;
  /** Where the hour index of a vh-secrets log is kept; none: the log is read from its start. */
  indexDir?: string | undefined;
}

export interface SourceReader {
  read(path: string, emit: RecordSink, problems: ProblemSink, options?: ReadOptions): Promise<SourceStats>;
}

/** "Not valid JSON", without echoing any of the line (it could hold anything). */
export function jsonProblem(unterminated: boolean): { kind: InputProblemKind; detail: string } {
  return unterminated
    ? { kind: 'truncated_last_line', detail: 'last line has no newline and is not valid JSON (torn write or file still being written)' }
    : { kind: 'malformed_json', detail: 'not valid JSON' };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

const digit = (s: string, i: number): number => s.charCodeAt(i) - 48;

/**
 * Epoch ms of an ISO 8601 time; NaN when it is not one. The shape every vh-secrets event uses
 * (`2026-01-31T08:00:00.000Z`, from toISOString) is decoded by hand — Date.parse is a measurable share of a
 * million-line report — and anything else goes to Date.parse.
 */
let hourPrefix = '';
let hourMs = Number.NaN;

export function parseTimestamp(s: string): number {
  if (s.length === 24 && s.charCodeAt(10) === 84 /* T */ && s.charCodeAt(23) === 90 /* Z */ && s.charCodeAt(19) === 46 /* . */) {
    const mi = digit(s, 14) * 10 + digit(s, 15);
    const se = digit(s, 17) * 10 + digit(s, 18);
    const ms = digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22);
    if (!(mi >= 0 && mi <= 59 && se >= 0 && se <= 59 && ms >= 0 && ms <= 999 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58)) return Number.NaN;
    // Logs are nearly in time order: the hour (`YYYY-MM-DDTHH`) is decoded once and reused while it lasts.
    if (!s.startsWith(hourPrefix) || hourPrefix === '') {
      const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
      const mo = digit(s, 5) * 10 + digit(s, 6);
      const d = digit(s, 8) * 10 + digit(s, 9);
      const h = digit(s, 11) * 10 + digit(s, 12);
      if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 && y >= 1970 && y <= 9999 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45)) return Number.NaN;
      hourPrefix = s.slice(0, 13);
      hourMs = Date.UTC(y, mo - 1, d, h);
    }
    return hourMs + mi * 60_000 + se * 1000 + ms;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return Number.NaN;
  return Date.parse(s);
}
