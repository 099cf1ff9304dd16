import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { run, tempHome } from '../helpers/cli.js';
import { targetEnv } from '../helpers/databases.js';
import { awsQueryErrorBody, startHttpFaultProxy, type HttpFaultProxy } from '../helpers/fault-proxy.js';
import { LeakLedger, sampleProcesses } from '../leak/canary.js';
import { peerSkip } from '../providers/peers.js';

/**
 * `kind = "aws-iam-user"`: an IAM user's access key pair, rotated end to end by the CLI on the embedded file store
 * against moto's IAM and STS. The keys' state is read back with the SDK as an operator would (ListAccessKeys),
 * and the new key is shown to work by signing a request with it.
 */

const endpoint = process.env.VH_TEST_AWS_ENDPOINT ?? 'http://127.0.0.1:5055';
const skip = await peerSkip('moto (IAM and STS)', endpoint, 'scripts/peers.sh start moto');
if (skip) process.stderr.write(`SKIP aws-iam-user target tests: ${skip}\n`);

type Json = Record<string, unknown>;
interface Pair {
  access_key_id: string;
  secret_access_key: string;
}

/** moto keeps its users for as long as it runs: every run of this file has users of its own. */
const RUN = randomBytes(3).toString('hex');
const ADMIN = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const NO_GRACE = { VOICEHIVE_GRACE_PERIOD_HOURS: '0' };
const userOf = (tag: string) => `vh-${tag}-${RUN}`;

const TARGETS: { name: string; tag: string; extra?: string; viaProxy?: boolean }[] = [
  { name: 'iam-cycle', tag: 'cycle' },
  { name: 'iam-full', tag: 'full' },
  { name: 'iam-emergency', tag: 'emerg' },
  { name: 'iam-crash', tag: 'crash' },
  { name: 'iam-idle', tag: 'idle', extra: 'cleanup = "when-idle"' },
  { name: 'iam-slow', tag: 'slow', viaProxy: true, extra: 'verify_timeout_ms = 5000' },
  { name: 'iam-refused', tag: 'refused', viaProxy: true, extra: 'verify_timeout_ms = 2000' },
];

(skip ? describe.skip : describe)('aws-iam-user target', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let proxy: HttpFaultProxy;
  const ledger = new LeakLedger();
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: ADMIN });
  const vh = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) =>
    run(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 }).then((r) => ledger.record(args.join(' '), r, args[0] === 'get'));

  const config = (overrides: Record<string, string> = {}) =>
    TARGETS.map(
      (t) => `[targets.${t.name}]
kind = "aws-iam-user"
user = "${userOf(t.tag)}"
endpoint = "${t.viaProxy ? proxy.url : endpoint}"
connect_timeout_ms = 5000
${overrides[t.name] ?? t.extra ?? ''}
`,
    ).join('\n');

  /** A user with one access key, and a secret holding it (tagged `t=<tag>`, rotated through `target`). */
  const userWithSecret = async (tag: string, target: string): Promise<{ user: string; name: string; first: Pair }> => {
    const user = userOf(tag);
    await iam.send(new CreateUserCommand({ UserName: user }));
    const first = await newKey(user);
    const name = `local:iam/${user}`;
    const created = await vh(['create', name, '--type', 'generic', '--target', target, '--tag', `t=${tag}`], JSON.stringify({ ...first, region: 'us-east-1' }));
    expect(created.code).toBe(0);
    return { user, name, first };
  };
  const newKey = async (user: string): Promise<Pair> => {
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
    ledger.add(k.SecretAccessKey!);
    return { access_key_id: k.AccessKeyId!, secret_access_key: k.SecretAccessKey! };
  };
  /** The user's keys as IAM lists them: id → Active / Inactive. */
  const keysOf = async (user: string): Promise<Record<string, string>> =>
    Object.fromEntries(((await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId!, k.Status!]));
  /** The stored value now (its secret half joins the canaries). */
  const stored = async (name: string): Promise<Pair & Json> => {
    const r = await vh(['get', name]);
    expect(r.code).toBe(0);
    const pair = JSON.parse(r.out) as Pair & Json;
    ledger.add(pair.secret_access_key);
    return pair;
  };
  /** Who a key signs in as (STS GetCallerIdentity signed with it). */
  const signsInAs = async (pair: Pair): Promise<string | undefined> => {
    const sts = new STSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: pair.access_key_id, secretAccessKey: pair.secret_access_key } });
    try {
      return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    } finally {
      sts.destroy();
    }
  };
  const sweep = async (tag: string) => {
    const r = await vh(['rotate-all', '--cleanup-only', '--tag', `t=${tag}`, '--json'], undefined, NO_GRACE);
    return JSON.parse(r.out) as { cleanups: Json[]; held: Json[]; results: Json[] };
  };

  beforeAll(async () => {
    home = tempHome('vh-iam-');
    proxy = await startHttpFaultProxy({ upstream: endpoint, errorBody: awsQueryErrorBody, lifetimeMs: 600_000 });
    env = {
      ...(await targetEnv(home, '')),
      // The identity vh-secrets manages IAM with: the default chain (moto accepts any key).
      AWS_ACCESS_KEY_ID: ADMIN.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });
  afterAll(async () => {
    await proxy?.close();
    iam.destroy();
    if (!home) return;
    // The leak canary: no secret access key in any output, nor in any file vh-secrets wrote but its encrypted store.
    await ledger.recordFiles(join(home, 'vh'), () => false);
    expect(ledger.leaks()).toEqual([]);
    await fs.rm(home, { recursive: true, force: true });
  });

  test('the previous key stays Active through the grace period, cleanup deactivates it, and the next rotation deletes it to make room', async () => {
    const { user, name, first } = await userWithSecret('cycle', 'iam-cycle');
    const plan = JSON.parse((await vh(['rotate', name, '--dry-run', '--json'])).out) as Json;
    expect(plan.note).toMatch(/would have target iam-cycle issue a new credential, stage it \(applied at target iam-cycle, aws-iam-user\)/);

    const { result: r, seen: ps } = await sampleProcesses(() => vh(['rotate', name, '--yes', '--json'], undefined, NO_GRACE));
    ledger.recordText('ps during rotate', ps);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'rotated', cleanup: 'deferred' });
    const second = await stored(name);
    expect(second.access_key_id).not.toBe(first.access_key_id);
    // The fields beside the key pair are kept.
    expect(second.region).toBe('us-east-1');
    expect(await signsInAs(second)).toMatch(new RegExp(`:user/${user}$`));
    // Its grace is over (0 h) but no cleanup has run yet: both keys work.
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Active', [second.access_key_id]: 'Active' });

    const swept = await sweep('cycle');
    expect(swept.cleanups).toEqual([{ secret: name, revoked_version: '1' }]);
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Inactive', [second.access_key_id]: 'Active' });
    // A second cleanup of the same version is nothing to do.
    expect((await sweep('cycle')).cleanups).toEqual([]);

    // Two keys, the other one Inactive: it is deleted for the new one.
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    const third = await stored(name);
    expect(await keysOf(user)).toEqual({ [second.access_key_id]: 'Active', [third.access_key_id]: 'Active' });
    expect(await signsInAs(third)).toMatch(new RegExp(`:user/${user}$`));

    // The audit trail names phases and versions, never a key's secret (the ledger checks that at the end).
    const audit = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).split('\n').filter((l) => l.includes(name));
    expect(audit.some((l) => l.includes('"rotation_started"') && l.includes('"source":"issued"'))).toBe(true);
  });

  test('both slots full: an Active key vh-secrets does not know is never deleted without --force; a rotation inside the grace period is deferred', async () => {
    const { user, name, first } = await userWithSecret('full', 'iam-full');
    const other = await newKey(user);

    const refused = await vh(['rotate', name, '--yes', '--json']);
    expect(refused.code).toBe(75);
    const o = JSON.parse(refused.out) as { status: string; error: { code: string; message: string; phase: string } };
    expect(o).toMatchObject({ status: 'failed', error: { code: 'CONFLICT', phase: 'generate' } });
    expect(o.error.message).toContain(`the other one, ${other.access_key_id}, is Active`);
    expect(o.error.message).toContain('will not delete it');
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Active', [other.access_key_id]: 'Active' });
    expect((await stored(name)).access_key_id).toBe(first.access_key_id);

    const forced = await vh(['rotate', name, '--yes', '--force', '--json']);
    expect(forced.code).toBe(0);
    const second = await stored(name);
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Active', [second.access_key_id]: 'Active' });

    // The previous key is in its 24 h grace and holds the other slot: the next rotation waits for it.
    const deferred = await vh(['rotate', name, '--yes', '--json']);
    expect(deferred.code).toBe(75);
    expect(JSON.parse(deferred.out)).toMatchObject({ status: 'deferred', note: expect.stringMatching(/would cut version 1 \(at target iam-full\), in its grace period until/) });
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Active', [second.access_key_id]: 'Active' });
    // --force cuts that grace: the previous key (a version this secret knows) makes room, and its version is revoked.
    const cut = await vh(['rotate', name, '--yes', '--force', '--json']);
    expect(cut.code).toBe(0);
    const third = await stored(name);
    expect(await keysOf(user)).toEqual({ [second.access_key_id]: 'Active', [third.access_key_id]: 'Active' });
    expect((await vh(['get', `${name}@1`])).code).not.toBe(0);
  });

  test('--emergency deactivates the previous key at once', async () => {
    const { user, name, first } = await userWithSecret('emerg', 'iam-emergency');
    const r = await vh(['rotate', name, '--yes', '--emergency', '--reason', 'key pasted in a ticket', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'rotated', cleanup: 'revoked' });
    const now = await stored(name);
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Inactive', [now.access_key_id]: 'Active' });
    expect((await vh(['get', `${name}@1`])).code).not.toBe(0);
  });

  test('IAM slow to accept the new key: verify asks again until it does', async () => {
    const { user, name, first } = await userWithSecret('slow', 'iam-slow');
    proxy.clearLog();
    proxy.arm({ match: (q) => q.service === 'sts', times: 2, fault: { kind: 'status', status: 403 } });
    const r = await vh(['rotate', name, '--yes', '--json'], undefined, NO_GRACE);
    proxy.disarm();
    expect(r.code).toBe(0);
    expect(proxy.fired()).toBe(2);
    expect(proxy.log.filter((q) => q.service === 'sts').map((q) => q.outcome)).toEqual([403, 403, 200]);
    const now = await stored(name);
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Active', [now.access_key_id]: 'Active' });
  });

  test('a verify that never succeeds is rolled back: the key it made is deleted, leaving exactly the keys that were there', async () => {
    const { user, name, first } = await userWithSecret('refused', 'iam-refused');
    proxy.clearLog();
    proxy.arm({ match: (q) => q.service === 'sts', times: 1000, fault: { kind: 'status', status: 403 } });
    const started = Date.now();
    const r = await vh(['rotate', name, '--yes', '--json']);
    proxy.disarm();
    expect(r.code).toBe(77);
    const o = JSON.parse(r.out) as { status: string; note: string; error: { code: string; message: string; phase: string } };
    expect(o).toMatchObject({ status: 'failed', error: { code: 'AUTH_FAILED', phase: 'verify' } });
    expect(o.error.message).toMatch(new RegExp(`did not sign in as arn:aws:iam::\\d+:user/${user} within 2000 ms \\(last: .*security token included in the request is invalid`));
    expect(o.note).toMatch(/rolled back: version 1 stays current/);
    // Asked several times with backoff, not once, and within the deadline.
    expect(proxy.log.filter((q) => q.service === 'sts').length).toBeGreaterThanOrEqual(3);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Active' });
    expect((await stored(name)).access_key_id).toBe(first.access_key_id);
  });

  test('killed after the new key was made but before it was stored: --resume deletes that key and makes another; --abort deletes it', async () => {
    const { user, name, first } = await userWithSecret('crash', 'iam-crash');
    const killed = await vh(['rotate', name, '--yes'], undefined, { ...NO_GRACE, VH_SECRETS_FAILPOINT: 'after:generate' });
    expect(killed.signal).toBe('SIGKILL');
    const orphan = Object.keys(await keysOf(user)).filter((k) => k !== first.access_key_id);
    expect(orphan).toHaveLength(1);
    // The journal names the key (its id), and its secret is nowhere: not in the journal, not in the store.
    const journal = join(home, 'vh', 'journal');
    const entries = await Promise.all((await fs.readdir(journal)).map((f) => fs.readFile(join(journal, f), 'utf8')));
    expect(entries.filter((e) => (JSON.parse(e) as { issued?: string }).issued === orphan[0])).toHaveLength(1);
    await ledger.recordFiles(join(home, 'vh'), () => false);
    expect((await stored(name)).access_key_id).toBe(first.access_key_id);

    const resumed = await vh(['rotate', name, '--resume', '--json'], undefined, NO_GRACE);
    expect(resumed.code).toBe(0);
    const now = await stored(name);
    expect(now.access_key_id).not.toBe(orphan[0]);
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Active', [now.access_key_id]: 'Active' });
    expect(await signsInAs(now)).toMatch(new RegExp(`:user/${user}$`));

    // The next one is killed the same way and aborted (its previous key, past a 0 h grace, is retired first).
    expect((await sweep('crash')).cleanups).toHaveLength(1);
    expect((await vh(['rotate', name, '--yes'], undefined, { ...NO_GRACE, VH_SECRETS_FAILPOINT: 'after:generate' })).signal).toBe('SIGKILL');
    expect(Object.keys(await keysOf(user))).toHaveLength(2);
    const aborted = await vh(['rotate', name, '--abort', '--json']);
    expect(aborted.code).toBe(0);
    expect(JSON.parse(aborted.out)).toMatchObject({ status: 'aborted' });
    expect(await keysOf(user)).toEqual({ [now.access_key_id]: 'Active' });
    expect((await stored(name)).access_key_id).toBe(now.access_key_id);
  });

  test('cleanup = "when-idle": a previous key IAM saw used after the rotation holds its cleanup; an unused one is retired', async () => {
    const { user, name, first } = await userWithSecret('idle', 'iam-idle');
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    const second = await stored(name);
    // An application still signs requests with the previous key.
    expect(await signsInAs(first)).toMatch(new RegExp(`:user/${user}$`));
    const held = await sweep('idle');
    expect(held.cleanups).toEqual([]);
    expect(held.held).toEqual([{ secret: name, version: '1', sessions: 1, target: 'iam-idle' }]);
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Active', [second.access_key_id]: 'Active' });

    // Past idle_wait_hours (0 here) it is retired anyway, and the audit says it cut a user of it.
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config({ 'iam-idle': 'cleanup = "when-idle"\nidle_wait_hours = 0' }));
    const cut = await sweep('idle');
    expect(cut.cleanups).toEqual([{ secret: name, revoked_version: '1' }]);
    expect(await keysOf(user)).toEqual({ [first.access_key_id]: 'Inactive', [second.access_key_id]: 'Active' });
    const audit = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).split('\n').filter((l) => l.includes(name) && l.includes('"revoked"'));
    expect(audit.map((l) => (JSON.parse(l) as { details: Json }).details)).toEqual([expect.objectContaining({ sessions_cut: 1 })]);
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());

    // Nobody used the previous key since the next rotation: its cleanup goes ahead.
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    const third = await stored(name);
    expect((await sweep('idle')).cleanups).toEqual([{ secret: name, revoked_version: '2' }]);
    expect(await keysOf(user)).toEqual({ [second.access_key_id]: 'Inactive', [third.access_key_id]: 'Active' });
  });

  test('misconfiguration is a config error (78) that changes nothing: a misspelt setting, an admin secret, a key of another user', async () => {
    await fs.writeFile(env.VH_SECRETS_CONFIG!, `${config()}\n[targets.iam-typo]\nkind = "aws-iam-user"\nuser = "x"\nregoin = "eu-west-1"\n`);
    const { name } = await userWithSecret('typo', 'iam-typo');
    const typo = await vh(['rotate', name, '--yes']);
    expect(typo.code).toBe(78);
    expect(typo.stderr).toContain('targets.iam-typo.regoin: unknown setting');

    // The secret holds a key of the user `userWithSecret` made, but the target names another user.
    await fs.writeFile(env.VH_SECRETS_CONFIG!, `${config()}\n[targets.iam-typo]\nkind = "aws-iam-user"\nuser = "${userOf('cycle')}"\nendpoint = "${endpoint}"\n`);
    const before = await keysOf(userOf('cycle'));
    const wrong = await vh(['rotate', name, '--yes', '--json']);
    expect(wrong.code).toBe(78);
    expect(JSON.parse(wrong.out).error.message).toMatch(/the secret's access key \S+ is not a key of IAM user vh-cycle-/);
    expect(await keysOf(userOf('cycle'))).toEqual(before);

    await fs.writeFile(env.VH_SECRETS_CONFIG!, `${config()}\n[targets.iam-typo]\nkind = "aws-iam-user"\nuser = "x"\nadmin = "local:iam/${userOf('typo')}"\n`);
    const admin = await vh(['rotate', name, '--yes']);
    expect(admin.code).toBe(78);
    expect(admin.stderr).toContain('targets.iam-typo.admin: an aws-iam-user target calls IAM with the AWS credential chain');
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });
});

