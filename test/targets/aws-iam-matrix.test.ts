import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { run, tempHome, type RunResult } from '../helpers/cli.js';
import { targetEnv } from '../helpers/databases.js';
import { awsQueryErrorBody, faultName, startHttpFaultProxy, type HttpFault, type HttpFaultProxy } from '../helpers/fault-proxy.js';
import { AWS_TEST_ENDPOINT, IamAdmin, awsAdminEnv, type KeyPair } from '../helpers/iam.js';
import { LeakLedger } from '../leak/canary.js';
import { peerSkip } from '../providers/peers.js';

/**
 * `kind = "aws-iam-user"` through the kill matrix and the wire-fault matrix (issue #25), against moto's IAM and STS.
 *
 * Every case has an IAM user, a `VH_SECRETS_HOME` and (for wire faults) a fault proxy of its own, so cases run
 * side by side (two at a time: `VH_IAM_MATRIX_WIDTH`). What each case ends with is read back as an operator would
 * — ListAccessKeys with the SDK, `vh-secrets get`, `describe`, `rotations` — and judged against the invariants:
 *
 * - the user never has more than two keys, and the store's current value is one of its keys, Active, that signs in
 *   (sts:GetCallerIdentity) as the user (moto lets an Inactive key sign in too, so Status is what is asserted);
 * - nothing pending in the store, nothing interrupted in `rotations`;
 * - rotated: exactly the new key (Active) and the previous one — Active through the grace period (the default),
 *   Inactive once cleanup ran in the same rotation (`cleanup = "now"`, `--emergency`);
 * - not rotated (aborted, or failed and rolled back): exactly the keys there were before; a key the rotation made
 *   is deleted.
 *
 * Cases are collected, not thrown one by one: each test fails with the list of every case's violations. No case's
 * message names a secret access key (key ids only); the leak ledger checks every output and file at the end.
 */

const endpoint = AWS_TEST_ENDPOINT;
const skip = await peerSkip('moto (IAM and STS)', endpoint, 'scripts/peers.sh start moto');
if (skip) process.stderr.write(`SKIP aws-iam-user matrix tests: ${skip}\n`);

const RUN = randomBytes(3).toString('hex');
const WIDTH = Math.max(1, Math.min(4, Number(process.env.VH_IAM_MATRIX_WIDTH) || 2));
const PHASES = ['prepare', 'generate', 'stage', 'verify', 'promote', 'cleanup'] as const;
/** Every phase boundary a rotation of an IAM key passes (no reload configured). */
const KILLS = PHASES.flatMap((p) => [`before:${p}`, `after:${p}`]);
/** Killed here, the rotation had promoted: --abort completes it instead of rolling back. */
const PROMOTED = new Set(['after:promote', 'before:cleanup', 'after:cleanup']);
/** Killed here, the key made never reached the store: resume deletes it (discard) and makes another. */
const ORPHANED = new Set(['after:generate', 'before:stage']);

/** What a rotation must have left: rotated with the previous key kept Active or made Inactive, or nothing changed. */
type Expect = 'rotated-grace' | 'rotated-cleaned' | 'unchanged';

interface Case {
  id: string;
  user: string;
  /** The secret (`local:iam/<user>`). */
  name: string;
  first: KeyPair;
  /** A second key made before the rotation (Inactive), which the rotation deletes for its slot. */
  other?: string;
  home: string;
  env: NodeJS.ProcessEnv;
  proxy?: HttpFaultProxy;
}

interface Observed {
  keys: Record<string, string>;
  stored: string;
  pending: string | null;
  rotationsCode: number | null;
  signsInAsUser: boolean;
}

/** One wire-fault case: the `n`-th request for `action` gets `fault`. */
interface WireCase {
  action: string;
  fault: HttpFault;
  occurrence?: number;
  /** cleanup = "now": cleanup (UpdateAccessKey Inactive, GetAccessKeyLastUsed) runs in the rotation. */
  now?: boolean;
  /** The user has a second, Inactive key: issue deletes it for the new one's slot. */
  other?: boolean;
  /** Faulted in `--abort` of a rotation killed at this failpoint, instead of in the rotation. */
  abortAfterKill?: string;
}

const DROP: HttpFault = { kind: 'drop-response' };
const RESET: HttpFault = { kind: 'reset-before' };
const C500: HttpFault = { kind: 'commit-then-500' };
const S503: HttpFault = { kind: 'status', status: 503 };
const S429: HttpFault = { kind: 'status', status: 429 };

/**
 * Every IAM and STS call a rotation of this target makes, each with the faults that matter for it: refused before it
 * reached moto (`reset-before`, `answer-503`, `answer-429`: not forwarded), carried out with the answer lost
 * (`drop-response`, and `commit-then-500` for the writes: the ambiguous cases).
 */
const WIRE: WireCase[] = [
  ...[RESET, DROP, C500, S503, S429].map((fault) => ({ action: 'CreateAccessKey', fault })),
  ...[RESET, DROP, S503, S429].map((fault) => ({ action: 'ListAccessKeys', fault })),
  { action: 'ListAccessKeys', fault: DROP, occurrence: 2 },
  ...[RESET, DROP, C500, S503].map((fault) => ({ action: 'DeleteAccessKey', fault, other: true })),
  ...[DROP, C500].map((fault) => ({ action: 'DeleteAccessKey', fault, abortAfterKill: 'after:verify' })),
  ...[RESET, DROP, C500, S503].map((fault) => ({ action: 'UpdateAccessKey', fault, now: true })),
  ...[DROP, S503].map((fault) => ({ action: 'GetAccessKeyLastUsed', fault, now: true })),
  ...[DROP, S503].map((fault) => ({ action: 'GetUser', fault })),
  ...[RESET, DROP, S503].map((fault) => ({ action: 'GetCallerIdentity', fault })),
];

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

(skip ? describe.skip : describe)('aws-iam-user target: kill and wire-fault matrices', () => {
  let root: string;
  const homes: string[] = [];
  const proxies: HttpFaultProxy[] = [];
  const ledger = new LeakLedger();
  const admin = new IamAdmin(endpoint);

  const vh = (c: Case, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
    run(args, { env: { ...c.env, ...extra }, timeoutMs: 60_000 }).then((r) => ledger.record(`${c.id}: ${args.join(' ')}`, r, args[0] === 'get'));

  /** A user with one key (and optionally a second, Inactive one), a home, and a secret holding the first key. */
  const setup = async (id: string, opts: { now?: boolean; proxy?: boolean; other?: boolean } = {}): Promise<Case> => {
    const user = `vh-mx-${id}-${RUN}`;
    const home = join(root, id);
    homes.push(home);
    let proxy: HttpFaultProxy | undefined;
    if (opts.proxy) {
      proxy = await startHttpFaultProxy({ upstream: endpoint, errorBody: awsQueryErrorBody, lifetimeMs: 600_000 });
      proxies.push(proxy);
    }
    const config = `[targets.iam]
kind = "aws-iam-user"
user = "${user}"
endpoint = "${proxy?.url ?? endpoint}"
connect_timeout_ms = 5000
${opts.now ? 'cleanup = "now"' : ''}
`;
    const env = { ...(await targetEnv(home, config)), ...awsAdminEnv() };
    await admin.createUser(user);
    const first = await admin.newKey(user);
    ledger.add(first.secret_access_key);
    let other: string | undefined;
    if (opts.other) {
      const o = await admin.newKey(user);
      ledger.add(o.secret_access_key);
      await admin.setStatus(user, o.access_key_id, 'Inactive');
      other = o.access_key_id;
    }
    const c: Case = { id, user, name: `local:iam/${user}`, first, home, env, ...(other ? { other } : {}), ...(proxy ? { proxy } : {}) };
    const created = await run(['create', c.name, '--type', 'generic', '--target', 'iam'], { env, input: JSON.stringify({ ...first, region: 'us-east-1' }), timeoutMs: 60_000 });
    ledger.record(`${id}: create`, created);
    if (created.code !== 0) throw new Error(`create failed (exit ${created.code}): ${created.stderr.trim()}`);
    return c;
  };

  /** The stored key pair (its secret joins the canaries); never put into a message. */
  const storedPair = async (c: Case): Promise<KeyPair> => {
    const got = await vh(c, ['get', c.name]);
    if (got.code !== 0) throw new Error(`get failed (exit ${got.code})`);
    const pair = JSON.parse(got.out) as KeyPair;
    ledger.add(pair.secret_access_key);
    return pair;
  };

  const observe = async (c: Case): Promise<Observed> => {
    const pair = await storedPair(c);
    const d = JSON.parse((await vh(c, ['describe', c.name, '--json'])).out) as { pending_version: string | null };
    const rotations = await vh(c, ['rotations', '--json']);
    const arn = await admin.signsInAs(pair);
    return { keys: await admin.keysOf(c.user), stored: pair.access_key_id, pending: d.pending_version, rotationsCode: rotations.code, signsInAsUser: arn?.endsWith(`:user/${c.user}`) ?? false };
  };

  /** Names the keys by role (first / stored / other / an id), for messages. */
  const show = (c: Case, keys: Record<string, string>, stored: string) =>
    Object.entries(keys)
      .map(([id, status]) => `${id === c.first.access_key_id ? 'first' : id === stored ? 'new' : id === c.other ? 'other' : id}=${status}`)
      .sort()
      .join(', ') || 'none';

  /** The invariants that hold at any moment: at most two keys; the stored one a key of the user, Active. */
  const always = async (c: Case, when: string): Promise<string[]> => {
    const keys = await admin.keysOf(c.user);
    const stored = (await storedPair(c)).access_key_id;
    const out: string[] = [];
    if (Object.keys(keys).length > 2) out.push(`${when}: ${Object.keys(keys).length} keys (${show(c, keys, stored)})`);
    if (keys[stored] !== 'Active') out.push(`${when}: the stored key ${stored} is ${keys[stored] ?? 'not a key of the user'}`);
    return out;
  };

  const judge = (c: Case, o: Observed, expected: Expect, when: string): string[] => {
    const out: string[] = [];
    const n = Object.keys(o.keys).length;
    if (n > 2) out.push(`${when}: ${n} keys`);
    if (o.keys[o.stored] !== 'Active') out.push(`${when}: the stored key ${o.stored} is ${o.keys[o.stored] ?? 'not a key of the user'}`);
    if (!o.signsInAsUser) out.push(`${when}: the stored key does not sign in as ${c.user}`);
    if (o.pending !== null) out.push(`${when}: pending version ${o.pending} left in the store`);
    if (o.rotationsCode !== 0) out.push(`${when}: \`rotations\` exits ${o.rotationsCode} (an interrupted rotation left)`);
    const want: Record<string, string> =
      expected === 'unchanged' ? { [c.first.access_key_id]: 'Active' } : { [c.first.access_key_id]: expected === 'rotated-grace' ? 'Active' : 'Inactive', [o.stored]: 'Active' };
    if (expected === 'unchanged' && o.stored !== c.first.access_key_id) out.push(`${when}: not rotated, but the store holds ${o.stored}, not the first key`);
    if (expected !== 'unchanged' && o.stored === c.first.access_key_id) out.push(`${when}: rotated, but the store still holds the first key`);
    // The other (Inactive) key may stay when nothing was rotated; a rotation needed its slot.
    const keys = { ...o.keys };
    if (expected === 'unchanged' && c.other && keys[c.other] === 'Inactive') delete keys[c.other];
    const a = show(c, keys, o.stored);
    const b = show(c, want, o.stored);
    if (a !== b) out.push(`${when}: keys ${a}, expected ${b}`);
    return out;
  };

  const statusOf = (r: RunResult): string => {
    try {
      return (JSON.parse(r.out) as { status?: string }).status ?? `exit ${r.code}`;
    } catch {
      return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${plain(r.stderr).trim().split('\n')[0] ?? ''}`;
    }
  };

  /** Runs every case, each in its own try, and returns `<label>: <violation>` for all of them. */
  const matrix = async <T>(title: string, cases: readonly T[], label: (t: T) => string, one: (t: T, i: number) => Promise<string[]>): Promise<string[]> => {
    const failures: string[] = [];
    const started = Date.now();
    await pool(cases, WIDTH, async (t, i) => {
      let v: string[];
      try {
        v = await one(t, i);
      } catch (err) {
        v = [`threw: ${plain((err as Error).message).split('\n')[0]}`];
      }
      for (const x of v) failures.push(`${label(t)}: ${x}`);
    });
    const bad = new Set(failures.map((f) => f.split(':')[0]));
    process.stderr.write(`${title}: ${cases.length} cases, consistent ${cases.length - bad.size}/${cases.length} (${Math.round((Date.now() - started) / 1000)} s)\n`);
    return failures;
  };

  beforeAll(() => {
    root = tempHome('vh-iam-matrix-');
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    admin.destroy();
    if (!root) return;
    // The leak canary: no secret access key in any output, nor in any file vh-secrets wrote but its encrypted store.
    for (const h of homes) await ledger.recordFiles(join(h, 'vh'), () => false).catch(() => undefined);
    expect(ledger.leaks()).toEqual([]);
    await fs.rm(root, { recursive: true, force: true });
  });

  /** Kill at `at`, then `--resume` (or `--abort`); the state after the kill and after the second command judged. */
  const killCase = async (c: Case, at: string, then: 'resume' | 'abort', rotateArgs: string[], rotated: Expect): Promise<string[]> => {
    const out: string[] = [];
    const killed = await vh(c, ['rotate', c.name, '--yes', ...rotateArgs], { VH_SECRETS_FAILPOINT: at });
    if (killed.signal !== 'SIGKILL') out.push(`the rotation was not killed (${statusOf(killed)})`);
    out.push(...(await always(c, 'after the kill')));
    if (ORPHANED.has(at) && Object.keys(await admin.keysOf(c.user)).length !== 2) out.push('after the kill: the key made before the kill is not there');
    const second = await vh(c, ['rotate', c.name, `--${then}`, '--yes', '--json']);
    const status = statusOf(second);
    const completes = then === 'resume' || PROMOTED.has(at);
    const want = at === 'before:prepare' ? 'nothing' : completes ? 'rotated' : 'aborted';
    if (status !== want || second.code !== 0) out.push(`--${then}: ${status} (exit ${second.code}), expected ${want}`);
    out.push(...judge(c, await observe(c), at === 'before:prepare' || !completes ? 'unchanged' : rotated, `after --${then}`));
    return out;
  };

  test('killed at every phase boundary with cleanup = "now": --resume ends rotated, the previous key Inactive, the key made before a kill never left behind', async () => {
    const failures = await matrix('kill × resume (cleanup = "now")', KILLS, (at) => at, async (at, i) => killCase(await setup(`kn${i}`, { now: true }), at, 'resume', [], 'rotated-cleaned'));
    expect(failures).toEqual([]);
  }, 600_000);

  test('killed at every phase boundary with the grace-period default: --resume ends rotated, both keys Active until the grace is over', async () => {
    const failures = await matrix('kill × resume (grace period)', KILLS, (at) => at, async (at, i) => killCase(await setup(`kg${i}`), at, 'resume', [], 'rotated-grace'));
    expect(failures).toEqual([]);
  }, 600_000);

  test('killed at every phase boundary of an --emergency rotation: --abort leaves exactly the keys there were (the key it made deleted), or completes a promoted one', async () => {
    const failures = await matrix('kill × abort (--emergency)', KILLS, (at) => at, async (at, i) => killCase(await setup(`ka${i}`), at, 'abort', ['--emergency', '--reason', 'kill matrix'], 'rotated-cleaned'));
    expect(failures).toEqual([]);
  }, 600_000);

  test('wire faults on every IAM and STS call (refused, answer lost, 5xx / throttled): rotated or rolled back, never an extra key or a stored key that is not there', async () => {
    const outcomes: string[] = [];
    const label = (w: WireCase) => `${w.action}${w.occurrence ? ` #${w.occurrence}` : ''}${w.abortAfterKill ? ' (in --abort)' : ''} × ${faultName(w.fault)}`;
    const failures = await matrix('IAM/STS call × wire fault', WIRE, label, async (w, i) => {
      const c = await setup(`w${i}`, { proxy: true, ...(w.now ? { now: true } : {}), ...(w.other ? { other: true } : {}) });
      const proxy = c.proxy!;
      const rotated: Expect = w.now ? 'rotated-cleaned' : 'rotated-grace';
      const out: string[] = [];
      const arm = () => proxy.arm({ match: (q) => q.action === w.action, ...(w.occurrence ? { occurrence: w.occurrence } : {}), fault: w.fault });
      // The command's own retries, fewer than by default: one fault per case, so one retry is enough.
      const retries = { VH_SECRETS_RETRIES: '3' };

      if (w.abortAfterKill) {
        // The rotation is killed with its new key staged; its --abort deletes that key under the fault.
        const killed = await vh(c, ['rotate', c.name, '--yes'], { VH_SECRETS_FAILPOINT: w.abortAfterKill });
        if (killed.signal !== 'SIGKILL') out.push(`the rotation was not killed (${statusOf(killed)})`);
        arm();
        const aborted = await vh(c, ['rotate', c.name, '--abort', '--yes', '--json'], retries);
        proxy.disarm();
        if (proxy.fired() !== 1) out.push(`the fault fired ${proxy.fired()} times`);
        let status = statusOf(aborted);
        outcomes.push(`${label(w)}: ${status}`);
        // The lost DeleteAccessKey answer is settled within the --abort (sent again; NoSuchEntity is deleted).
        if (status !== 'aborted') {
          out.push(`--abort under the fault: ${status} (exit ${aborted.code})`);
          const again = await vh(c, ['rotate', c.name, '--abort', '--yes', '--json']);
          status = statusOf(again);
          if (status !== 'aborted') out.push(`--abort, then --abort again: ${status}`);
        }
        out.push(...judge(c, await observe(c), 'unchanged', 'after --abort'));
        return out;
      }

      arm();
      const r = await vh(c, ['rotate', c.name, '--yes', '--json'], retries);
      proxy.disarm();
      if (proxy.fired() !== 1) out.push(`the fault fired ${proxy.fired()} times`);
      // The lost answers were real: IAM carried the request out (and a key it made was deleted again); the refused
      // ones never reached it.
      const hit = proxy.log.findIndex((q) => q.fault !== undefined);
      const carriedOut = w.fault.kind === 'drop-response' || w.fault.kind === 'commit-then-500';
      if (hit >= 0 && proxy.log[hit]!.forwarded !== carriedOut) out.push(`the faulted request was ${carriedOut ? 'not ' : ''}forwarded`);
      if (w.action === 'CreateAccessKey' && carriedOut && !proxy.log.slice(hit).some((q) => q.action === 'DeleteAccessKey' && q.outcome === 200)) out.push('no DeleteAccessKey of the key made without an answer');
      let status = statusOf(r);
      if (status === 'rotated' && r.code !== 0) out.push(`rotated, but exit ${r.code}`);
      // A CreateAccessKey without an answer is never sent again (docs/targets.md): the rotation fails, rolled back;
      // any other single fault is ridden out by the retries.
      const want = w.action === 'CreateAccessKey' ? 'failed' : 'rotated';
      if (status !== want) out.push(`the rotation ended ${status} (exit ${r.code}), expected ${want}`);
      out.push(...(await always(c, 'after the faulted rotation')));
      let how = status;
      // Left interrupted (a cleanup or a rollback that did not finish): --resume, faults off, finishes it.
      if ((await vh(c, ['rotations', '--json'])).code === 1) {
        const resumed = await vh(c, ['rotate', c.name, '--resume', '--yes', '--json']);
        status = statusOf(resumed);
        how += ` → --resume: ${status}`;
        if (resumed.code !== 0) out.push(`--resume: ${status} (exit ${resumed.code})`);
      }
      outcomes.push(`${label(w)}: ${how}`);
      out.push(...judge(c, await observe(c), status === 'rotated' ? rotated : 'unchanged', `after the faulted rotation (${how})`));
      if (status !== 'rotated') {
        // Rolled back: the next rotation (faults off) goes through from there.
        const next = await vh(c, ['rotate', c.name, '--yes', '--json']);
        if (statusOf(next) !== 'rotated') out.push(`the next clean rotation: ${statusOf(next)} (exit ${next.code})`);
        else out.push(...judge(c, await observe(c), rotated, 'after the next clean rotation'));
      }
      return out;
    });
    process.stderr.write(`${outcomes.sort().join('\n')}\n`);
    expect(failures).toEqual([]);
  }, 600_000);
});
