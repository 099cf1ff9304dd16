import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { classifyVaultRequest } from '../../src/audit/sources/vault-audit.js';
import { baseEnv, run, tempHome } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = tempHome('vh-audit-src-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/app-role/i-0abc`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:user/alice`;

/** A CloudTrail record as AWS writes it for Secrets Manager. */
function trail(i: number, eventName: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', principalId: 'AROAEXAMPLE:i-0abc', arn: ROLE, accountId: ACCOUNT, sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/app-role` } } },
    eventTime: new Date(Date.UTC(2026, 0, 7, 10, 0, i)).toISOString().replace('.000', ''),
    eventSource: 'secretsmanager.amazonaws.com',
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '10.20.30.40',
    userAgent: 'aws-sdk-js/3.0',
    requestParameters: { secretId: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/db-AbC123` },
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `ev-${eventName}-${i}`,
    readOnly: eventName.startsWith('Get'),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    ...over,
  };
}

const records = [
  trail(1, 'GetSecretValue'),
  trail(2, 'GetSecretValue'),
  trail(3, 'GetSecretValue', { errorCode: 'AccessDeniedException', errorMessage: 'User is not authorized', requestParameters: { secretId: 'prod/other' } }),
  trail(4, 'PutSecretValue', { requestParameters: { secretId: 'prod/db', clientRequestToken: 'tok' } }),
  trail(5, 'RotateSecret'),
  trail(6, 'PutResourcePolicy', { userIdentity: { type: 'IAMUser', arn: ADMIN, accountId: ACCOUNT, userName: 'alice' }, sourceIPAddress: '203.0.113.9' }),
  trail(7, 'DeleteSecret', { userIdentity: { type: 'IAMUser', arn: ADMIN, accountId: ACCOUNT, userName: 'alice' }, sourceIPAddress: '203.0.113.9' }),
  // Not Secrets Manager: ignored.
  { ...trail(8, 'AssumeRole'), eventSource: 'sts.amazonaws.com' },
];

const period = ['--since', '2026-01-07T00:00:00Z', '--until', '2026-01-08T00:00:00Z'];

async function report(args: string[]): Promise<Record<string, any>> {
  const r = await run(['audit', ...period, ...args, '--json'], { env: baseEnv(dir) });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as Record<string, any>;
}

describe('other sources', () => {
  test('CloudTrail: {"Records":[…]} files, .json.gz, JSON lines and pretty-printed documents read the same', async () => {
    const delivered = join(dir, 'trail.json');
    await fs.writeFile(delivered, JSON.stringify({ Records: records }));
    const gz = join(dir, `${ACCOUNT}_CloudTrail_eu-west-1_20260107T1000Z_abc.json.gz`);
    await fs.writeFile(gz, gzipSync(JSON.stringify({ Records: records })));
    const lines = join(dir, 'trail.jsonl');
    await fs.writeFile(lines, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const pretty = join(dir, 'pretty.json');
    await fs.writeFile(pretty, JSON.stringify({ Records: records }, null, 2));

    const reports = [];
    for (const file of [delivered, gz, lines, pretty]) reports.push(await report(['--source', `cloudtrail:${file}`]));
    for (const rep of reports) {
      expect(rep.sources[0]).toMatchObject({ kind: 'cloudtrail', records: 7, ignored: 1, problems: 0 });
      expect(rep.totals).toMatchObject({ events: 7, success: 6, failure: 1 });
      expect(rep.by_event.top).toEqual(expect.arrayContaining([
        expect.objectContaining({ key: 'accessed', total: 3, failure: 1 }),
        expect.objectContaining({ key: 'written', total: 1 }),
        expect.objectContaining({ key: 'rotation_started', total: 1 }),
        expect.objectContaining({ key: 'policy_changed', total: 1 }),
        expect.objectContaining({ key: 'revoked', total: 1 }),
      ]));
      // The ARN's random suffix is dropped: the ARN and the plain name count as one secret.
      expect(rep.by_secret.top).toEqual([
        expect.objectContaining({ key: 'prod/db', total: 6 }),
        expect.objectContaining({ key: 'prod/other', total: 1, failure: 1 }),
      ]);
      expect(rep.by_actor.top.map((r: { key: string; total: number }) => [r.key, r.total])).toEqual([[ROLE, 5], [ADMIN, 2]]);
      expect(rep.by_store.top[0]).toMatchObject({ key: `aws:${ACCOUNT}:eu-west-1`, total: 7 });
      expect(rep.failures.by_error_code.top).toEqual([expect.objectContaining({ key: 'AccessDeniedException', total: 1 })]);
      expect(rep.rotations.started).toBe(1);
      // alice's policy change and deletion are privileged and new for her.
      const priv = rep.anomalies.filter((a: { kind: string }) => a.kind === 'PRIVILEGE_ESCALATION');
      expect(priv.map((a: { actor: string; evidence: { events: { action: string }[] } }) => `${a.actor} ${a.evidence.events[0]!.action}`).sort()).toEqual([`${ADMIN} DeleteSecret`, `${ADMIN} PutResourcePolicy`]);
    }
    // Line numbers point into the file: JSON lines per record, a document at its line.
    expect(reports[2]!.failures.recent[0]).toMatchObject({ file: lines, line: 3, id: 'ev-GetSecretValue-3' });
    expect(reports[0]!.failures.recent[0]).toMatchObject({ file: delivered, line: 1 });
  });

  test('several sources in one report, each counted on its own; VOICEHIVE_ALLOWED_IP_RANGES flags CloudTrail callers', async () => {
    const file = join(dir, 'trail.json');
    await fs.writeFile(file, JSON.stringify({ Records: records }));
    const env = baseEnv(dir, { VH_SECRETS_ACTOR: 'ops' });
    expect((await run(['create', 'app/db', '--type', 'api_key'], { env, input: 'v4lue-that-never-leaks' })).code).toBe(0);
    const log = join(dir, 'vh', 'audit.log');
    const r = await run(['audit', '--since', '2026-01-01T00:00:00Z', '--until', 'now', '--log', log, '--source', `cloudtrail:${file}`, '--json'], {
      env: { ...env, VOICEHIVE_ALLOWED_IP_RANGES: '10.0.0.0/8, 192.168.0.0/16' },
    });
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.sources.map((s: { kind: string; records: number }) => [s.kind, s.records])).toEqual([['native', 2], ['cloudtrail', 7]]);
    expect(rep.by_source.top.map((s: { key: string; total: number }) => [s.key, s.total])).toEqual([['cloudtrail', 7], ['native', 2]]);
    const geo = rep.anomalies.filter((a: { kind: string }) => a.kind === 'GEOGRAPHIC_VIOLATION');
    expect(geo).toHaveLength(1);
    expect(geo[0]).toMatchObject({ actor: ADMIN, count: 2, severity: 'high' });
    expect(geo[0].reason).toMatch(/from 203\.0\.113\.9: outside the allowed IP ranges \(10\.0\.0\.0\/8, 192\.168\.0\.0\/16\)/);
    expect(r.out).not.toContain('v4lue-that-never-leaks');
  });

  test('Vault request classification: KV v2 paths, policies, auth, tokens', () => {
    expect(classifyVaultRequest('read', 'secret/data/app/db', 'secret/', 'kv')).toEqual({ event: 'accessed', target: 'secret/data', secret: 'secret/app/db', privileged: false });
    expect(classifyVaultRequest('update', 'secret/data/app/db', 'secret/', 'kv')).toMatchObject({ event: 'written', secret: 'secret/app/db' });
    expect(classifyVaultRequest('read', 'secret/metadata/app/db', 'secret/', 'kv')).toMatchObject({ event: 'described', target: 'secret/metadata' });
    expect(classifyVaultRequest('list', 'secret/metadata/app', 'secret/', 'kv')).toMatchObject({ event: 'listed' });
    expect(classifyVaultRequest('update', 'secret/destroy/app/db', 'secret/', 'kv')).toMatchObject({ event: 'purged', privileged: true });
    expect(classifyVaultRequest('delete', 'secret/metadata/app/db', 'secret/', 'kv')).toMatchObject({ event: 'purged', privileged: true });
    expect(classifyVaultRequest('update', 'sys/policies/acl/admin', null, null)).toEqual({ event: 'policy_changed', target: 'sys/policies/acl', secret: null, privileged: true });
    expect(classifyVaultRequest('update', 'sys/policy/admin', null, null)).toMatchObject({ event: 'policy_changed', target: 'sys/policy', privileged: true });
    expect(classifyVaultRequest('read', 'sys/policy/admin', null, null)).toMatchObject({ event: 'other', privileged: false });
    expect(classifyVaultRequest('update', 'sys/auth/userpass', null, null)).toMatchObject({ event: 'auth_changed', privileged: true });
    expect(classifyVaultRequest('update', 'auth/token/create', 'auth/token/', 'token')).toMatchObject({ event: 'token_created', privileged: true });
    expect(classifyVaultRequest('update', 'auth/userpass/login/alice', 'auth/userpass/', 'userpass')).toMatchObject({ event: 'other', target: 'auth/userpass', privileged: false });
  });

  test('bad --source specs are usage errors', async () => {
    for (const spec of ['splunk:/x', 'cloudtrail:', 'nocolon']) {
      const r = await run(['audit', '--source', spec], { env: baseEnv(dir) });
      expect(r.code).toBe(64);
      expect(r.stderr).toMatch(/expected KIND:PATH with KIND one of native, vault-audit, cloudtrail/);
    }
  });
});
