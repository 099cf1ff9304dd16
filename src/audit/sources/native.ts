import { AuditLog, indexPathIn } from '../log.js';
import { readJsonLines } from './json-lines.js';
import { parseTimestamp, type IncidentInfo, type ProblemSink, type RecordSink, type SourceReader, type SourceStats, type ReadOptions } from './types.js';

/** Events that change who may do what, or destroy versions: PRIVILEGE_ESCALATION looks at these. */
const PRIVILEGED_EVENTS = new Set(['revoked', 'purged', 'archived', 'deprecated']);

/**
 * A lifecycle step the rotation engine takes as part of a rotation — the superseded version deprecated, a
 * previous version revoked when its grace is over (or at once in an emergency, which `rotation_started` already
 * marks) — is not a privileged act of the user who ran the rotation.
 */
function byRotation(e: NativeLine): boolean {
  const d = e.details;
  if (d === null || typeof d !== 'object') return false;
  if (e.event === 'deprecated') return typeof d.rotation_id === 'string';
  if (e.event === 'revoked') return typeof d.rotation_id === 'string' || d.reason === 'grace period over';
  return false;
}

interface NativeLine {
  ts?: unknown;
  id?: unknown;
  event?: unknown;
  secret?: unknown;
  store?: unknown;
  actor?: unknown;
  actor_type?: unknown;
  source_ip?: unknown;
  host?: unknown;
  success?: unknown;
  error_code?: unknown;
  details?: { emergency?: unknown; rotation_id?: unknown; reason?: unknown; incident_id?: unknown; kind?: unknown; secrets?: unknown; actions?: unknown; outcome?: unknown; findings?: unknown } | null;
}

const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function incidentOf(d: NonNullable<NativeLine['details']>): IncidentInfo {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const findings = str(d.findings);
  return { id: str(d.incident_id), kind: str(d.kind), secrets: str(d.secrets), actions: str(d.actions), outcome: str(d.outcome), findings: findings ? findings.split(',').length : 0 };
}

/** vh-secrets' own JSON-lines log (the schema of src/audit/event.ts), read through AuditLog.scan. */
export const nativeSource: SourceReader = {
  read(path: string, emit: RecordSink, problems: ProblemSink, options: ReadOptions = {}): Promise<SourceStats> {
    const log = new AuditLog(path, { indexPath: options.indexDir !== undefined ? indexPathIn(options.indexDir, path) : null });
    const tap = options.tap;
    return readJsonLines('native', path, problems, (value, lineNo) => {
      tap?.(value);
      const e = value as NativeLine;
      if (typeof e !== 'object' || e === null || typeof e.event !== 'string' || typeof e.ts !== 'string' || typeof e.id !== 'string' || typeof e.actor !== 'string') {
        return { problem: 'wrong_schema', detail: 'not a vh-secrets audit event (needs string ts, id, event, actor)' };
      }
      const ts = parseTimestamp(e.ts);
      if (Number.isNaN(ts)) return { problem: 'wrong_schema', detail: 'ts is not an ISO 8601 time' };
      const emergency = e.event === 'rotation_started' && e.details !== null && typeof e.details === 'object' && e.details.emergency === true;
      emit({
        ts,
        id: e.id,
        source: 'native',
        event: e.event,
        action: emergency ? 'emergency_rotation' : e.event,
        secret: strOrNull(e.secret),
        store: strOrNull(e.store),
        actor: e.actor,
        actorType: strOrNull(e.actor_type),
        sourceIp: strOrNull(e.source_ip),
        host: strOrNull(e.host),
        success: e.success !== false,
        errorCode: strOrNull(e.error_code),
        privileged: emergency || (PRIVILEGED_EVENTS.has(e.event) && !byRotation(e)),
        file: path,
        line: lineNo,
        ...(e.event === 'incident' && e.details && typeof e.details === 'object' ? { incident: incidentOf(e.details) } : {}),
      });
      return 'record';
    }, (sink) => log.scan(options.range ?? {}, sink));
  },
};
