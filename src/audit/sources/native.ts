import { readLines } from '../lines.js';
import { jsonProblem, parseTimestamp, type ProblemSink, type RecordSink, type SourceReader, type SourceStats } from './types.js';

/** Events that change who may do what, or destroy versions: PRIVILEGE_ESCALATION looks at these. */
const PRIVILEGED_EVENTS = new Set(['revoked', 'purged', 'archived', 'deprecated']);

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
  details?: { emergency?: unknown } | null;
}

const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** vh-secrets' own JSON-lines log (the schema of src/audit/event.ts). */
export const nativeSource: SourceReader = {
  async read(path: string, emit: RecordSink, problems: ProblemSink): Promise<SourceStats> {
    let records = 0;
    let bad = 0;
    const stats = await readLines(path, {
      line(text, lineNo, unterminated) {
        let e: NativeLine;
        try {
          e = JSON.parse(text) as NativeLine;
        } catch {
          const p = jsonProblem(unterminated);
          problems.problem(p.kind, path, lineNo, p.detail);
          bad++;
          return;
        }
        if (typeof e !== 'object' || e === null || typeof e.event !== 'string' || typeof e.ts !== 'string' || typeof e.id !== 'string' || typeof e.actor !== 'string') {
          problems.problem('wrong_schema', path, lineNo, 'not a vh-secrets audit event (needs string ts, id, event, actor)');
          bad++;
          return;
        }
        const ts = parseTimestamp(e.ts);
        if (Number.isNaN(ts)) {
          problems.problem('wrong_schema', path, lineNo, 'ts is not an ISO 8601 time');
          bad++;
          return;
        }
        const emergency = e.event === 'rotation_started' && e.details !== null && typeof e.details === 'object' && e.details.emergency === true;
        records++;
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
          privileged: emergency || PRIVILEGED_EVENTS.has(e.event),
          file: path,
          line: lineNo,
        });
      },
      problem(kind, lineNo, detail) {
        problems.problem(kind, path, lineNo, detail);
        bad++;
      },
    });
    return { kind: 'native', path, lines: stats.lines, records, ignored: 0, problems: bad, bytes: stats.bytes };
  },
};
