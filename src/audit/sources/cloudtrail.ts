import { promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { fromSystemError } from '../../base/errors.js';
import { readLines } from '../lines.js';
import { isObject, jsonProblem, parseTimestamp, str, type AuditRecord, type ProblemSink, type RecordSink, type SourceReader, type SourceStats } from './types.js';

/**
 * CloudTrail records for AWS Secrets Manager: delivered files (`{"Records":[…]}`, usually gzipped, one line),
 * JSON lines of single records (CloudTrail Lake / Athena exports, `jq -c '.Records[]'`), or a pretty-printed
 * `{"Records":[…]}` document. Records of other services are counted as ignored.
 */

const EVENT_SOURCE = 'secretsmanager.amazonaws.com';
/** A delivered file holds at most a few MB; a single document larger than this is reported, not parsed. */
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

const EVENTS: Record<string, string> = {
  GetSecretValue: 'accessed',
  BatchGetSecretValue: 'accessed',
  PutSecretValue: 'written',
  UpdateSecret: 'written',
  CreateSecret: 'created',
  RotateSecret: 'rotation_started',
  RotationStarted: 'rotation_started',
  RotationSucceeded: 'rotated',
  RotationFailed: 'rotation_failed',
  RotationAbandoned: 'rotation_failed',
  CancelRotateSecret: 'rotation_cancelled',
  UpdateSecretVersionStage: 'stage_changed',
  DeleteSecret: 'revoked',
  EndSecretDeletion: 'purged',
  RestoreSecret: 'activated',
  DescribeSecret: 'described',
  GetResourcePolicy: 'described',
  ListSecrets: 'listed',
  ListSecretVersionIds: 'listed',
  PutResourcePolicy: 'policy_changed',
  DeleteResourcePolicy: 'policy_changed',
  ValidateResourcePolicy: 'other',
  TagResource: 'metadata_changed',
  UntagResource: 'metadata_changed',
  ReplicateSecretToRegions: 'replication_changed',
  RemoveRegionsFromReplication: 'replication_changed',
  StopReplicationToReplica: 'replication_changed',
};

/** Actions that change access or destroy data (PRIVILEGE_ESCALATION). */
const PRIVILEGED = new Set([
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'DeleteSecret',
  'RestoreSecret',
  'CancelRotateSecret',
  'RemoveRegionsFromReplication',
  'StopReplicationToReplica',
  'ReplicateSecretToRegions',
]);

interface Identity {
  type?: unknown;
  arn?: unknown;
  invokedBy?: unknown;
  userName?: unknown;
  principalId?: unknown;
}

/** `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf` → `NAME` (the suffix is random per secret). */
function secretName(id: string | null): string | null {
  if (id === null) return null;
  const m = /^arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(id);
  return m ? m[1]! : id;
}

/** Normalizes one CloudTrail record; null when it is not a Secrets Manager event. Exported for tests. */
export function normalizeCloudTrail(r: Record<string, unknown>, file: string, line: number): AuditRecord | null | 'bad' {
  if (r.eventSource !== EVENT_SOURCE) return null;
  const name = str(r.eventName);
  const time = str(r.eventTime);
  const ts = time === null ? Number.NaN : parseTimestamp(time);
  if (name === null || Number.isNaN(ts)) return 'bad';
  const ident: Identity = isObject(r.userIdentity) ? r.userIdentity : {};
  const type = str(ident.type);
  const params = isObject(r.requestParameters) ? r.requestParameters : {};
  const additional = isObject(r.additionalEventData) ? r.additionalEventData : {};
  const rawSecret = str(params.secretId) ?? str(params.name) ?? str(params.resourceARN) ?? str(additional.SecretId) ?? null;
  const ip = str(r.sourceIPAddress);
  const region = str(r.awsRegion) ?? 'unknown';
  const account = str(r.recipientAccountId);
  const errorCode = str(r.errorCode);
  return {
    ts,
    id: str(r.eventID) ?? `line-${line}`,
    source: 'cloudtrail',
    event: EVENTS[name] ?? 'other',
    action: name,
    secret: secretName(rawSecret),
    store: account ? `aws:${account}:${region}` : `aws:${region}`,
    actor: str(ident.arn) ?? str(ident.invokedBy) ?? str(ident.userName) ?? str(ident.principalId) ?? 'unknown',
    actorType: type === 'AWSService' || type === 'AssumedRole' ? 'service' : type === null ? null : 'user',
    sourceIp: ip !== null && isIP(ip) ? ip : null,
    host: ip !== null && !isIP(ip) ? ip : null,
    success: errorCode === null,
    errorCode,
    privileged: PRIVILEGED.has(name),
    file,
    line,
  };
}

export const cloudTrailSource: SourceReader = {
  async read(path: string, emit: RecordSink, problems: ProblemSink): Promise<SourceStats> {
    let records = 0;
    let ignored = 0;
    let bad = 0;
    let multiline = false;
    const take = (r: unknown, line: number) => {
      if (!isObject(r)) {
        problems.problem('wrong_schema', path, line, 'CloudTrail record is not an object');
        bad++;
        return;
      }
      const rec = normalizeCloudTrail(r, path, line);
      if (rec === null) ignored++;
      else if (rec === 'bad') {
        problems.problem('wrong_schema', path, line, 'Secrets Manager record without eventName or a valid eventTime');
        bad++;
      } else {
        records++;
        emit(rec);
      }
    };
    const takeDocument = (doc: unknown, line: number) => {
      if (isObject(doc) && Array.isArray(doc.Records)) for (const r of doc.Records) take(r, line);
      else if (isObject(doc) && 'eventVersion' in doc) take(doc, line);
      else {
        problems.problem('wrong_schema', path, line, 'neither a CloudTrail record nor a {"Records":[…]} document');
        bad++;
      }
    };
    const stats = await readLines(path, {
      line(text, lineNo, unterminated) {
        if (multiline) return;
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch {
          // `{` alone (or `{"Records": [`) on the first line: a pretty-printed document, parsed whole below.
          if (lineNo === 1 && text.trimStart().startsWith('{') && !unterminated) {
            multiline = true;
            return;
          }
          const p = jsonProblem(unterminated);
          problems.problem(p.kind, path, lineNo, p.detail);
          bad++;
          return;
        }
        takeDocument(doc, lineNo);
      },
      problem(kind, lineNo, detail) {
        problems.problem(kind, path, lineNo, detail);
        bad++;
      },
    }, { maxLineBytes: MAX_DOCUMENT_BYTES });
    if (multiline) {
      let buf: Buffer;
      try {
        const st = await fs.stat(path);
        if (st.size > MAX_DOCUMENT_BYTES) {
          problems.problem('oversize_line', path, 1, `multi-line JSON document of ${st.size} bytes exceeds ${MAX_DOCUMENT_BYTES} bytes; skipped`);
          return { kind: 'cloudtrail', path, lines: stats.lines, records, ignored, problems: bad + 1, bytes: stats.bytes };
        }
        buf = await fs.readFile(path);
      } catch (err) {
        throw fromSystemError(err, 'cannot read CloudTrail file', path);
      }
      let doc: unknown;
      try {
        doc = JSON.parse((buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf).toString('utf8'));
      } catch {
        problems.problem('malformed_json', path, 1, 'multi-line document is not valid JSON');
        return { kind: 'cloudtrail', path, lines: stats.lines, records, ignored, problems: bad + 1, bytes: stats.bytes };
      }
      takeDocument(doc, 1);
    }
    return { kind: 'cloudtrail', path, lines: stats.lines, records, ignored, problems: bad, bytes: stats.bytes };
  },
};
