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

export interface SourceReader {
  read(path: string, emit: RecordSink, problems: ProblemSink): Promise<SourceStats>;
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
