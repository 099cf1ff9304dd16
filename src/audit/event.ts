import { createHash, createHmac } from 'node:crypto';

/** The audit event schema (JSON Lines, one event per line). A secret value never appears in an event. */
export const AUDIT_EVENT_TYPES = [
  'created',
  'updated',
  'activated',
  'accessed',
  'listed',
  'described',
  'rotated',
  'rotation_started',
  'rotation_phase',
  'rotation_failed',
  'rolled_back',
  'deprecated',
  'expired',
  'revoked',
  'archived',
  'purged',
  'scan_finding',
  'incident',
  'backed_up',
  'restored',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];
export type ActorType = 'user' | 'service' | 'ci';

export type DetailValue = string | number | boolean | null;

/** What a caller supplies; the logger adds ts, id, actor, host, prev and hash. */
export interface AuditInput {
  event: AuditEventType;
  /** The secret reference (`store:name#key@version`), never the value. */
  secret: string | null;
  secret_type: string | null;
  store: string | null;
  success: boolean;
  error_code: string | null;
  details: Record<string, DetailValue>;
}

export interface AuditEvent extends AuditInput {
  ts: string;
  id: string;
  actor: string;
  actor_type: ActorType;
  source_ip: string | null;
  host: string;
  prev: string;
  hash: string;
}

export const GENESIS = '0'.repeat(64);

/** JSON with object keys sorted at every depth: the byte string the chain hashes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** hash = SHA-256 (or HMAC-SHA-256 with a key) over `prev` + "\n" + the canonical event without `hash`. */
export function chainHash(event: Omit<AuditEvent, 'hash'> | AuditEvent, hmacKey?: string): string {
  const { hash: _omit, ...rest } = event as AuditEvent;
  void _omit;
  const material = `${rest.prev}\n${canonicalJson(rest)}`;
  return hmacKey ? createHmac('sha256', hmacKey).update(material).digest('hex') : createHash('sha256').update(material).digest('hex');
}

/** The line written for an event: canonical field order, `hash` last, newline-terminated. */
export function serializeEvent(event: AuditEvent): string {
  const { hash, ...rest } = event;
  return `${canonicalJson(rest).slice(0, -1)},"hash":${JSON.stringify(hash)}}\n`;
}
