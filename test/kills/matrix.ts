import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest, type StoreUnderTest } from '../helpers/stores.js';
import { auditEvents, type AuditLine } from '../helpers/audit-log.js';
import { ADMIN_PASSWORD, ADMIN_USER, HOST, PG_PORT, credential, dbName, password, pgAdmin, pgLogin, skipPg } from '../helpers/databases.js';
import { formatPhases, journals, killCount, lastRecordedPhase, median, runKilledAt, seededRandom, subSeed, type Phase } from '../helpers/kill.js';
import { settledFindings } from '../helpers/kill-state.js';
import type { SecretStore } from '../../src/core/store.js';

/**
 * The seeded random-kill matrix (issue 19, part 3). For one store (optionally with a PostgreSQL target):
 * measure a clean rotation (median of 3, in the same run), then for each kill pick a moment uniformly in
 * [0, 1.2 × baseline] after spawning `rotate <ref> --yes`, SIGKILL it there, and check what an operator relies
 * on: the secret stays readable (old value or the new one, nothing else), `--resume` or `--abort` (seeded
 * choice) reaches a legal state, and nothing the run created and did not promote is left behind.
 */

export interface KillMatrixConfig {
  /** e.g. "vault" or "vault+postgres" */
  label: string;
  provider: string;
  target?: 'postgres';
  /** Only in the larger run (VH_KILLS_FULL=1). */
  fullOnly?: boolean;
}

export interface KillRecord {
  index: number;
  /** Where in its window the kill fell: 0 is the window's start, 1 the baseline's end (up to 1.2). */
  fraction: number;
  /**
   * `process`: the window is spawn → exit of a clean run (the issue's method, CLI start-up included);
   * `rotation`: from the rotation's first audit event to exit, so that as many kills land inside the phases.
   */
  window: 'process' | 'rotation';
  ms: number;
  finish: '--resume' | '--abort';
  strategy: 'single' | 'alternating' | null;
  phase: Phase | 'none' | 'finished';
  /** The killed run, spawn to exit. */
  elapsedMs: number;
  /** What resume/abort reported (`rotated`, `aborted`, `nothing`, …) and the end: kept old / rotated. */
  status: string;
  end: 'old' | 'new' | '?';
  problems: string[];
}

export interface KillMatrixResult {
  config: KillMatrixConfig;
  skip: string | undefined;
  seed: number;
  /** Median clean rotation, spawn to exit, per strategy. */
  baselineMs: Record<string, number>;
  /** Median time from spawn to the rotation's first audit event (before it, a kill finds nothing written). */
  startMs: number | null;
  records: KillRecord[];
  summary: string;
}

type Cred = { username: string; password: string };

const BASELINE_RUNS = 3;
const KILL_WINDOW = 1.2;
const REMEASURE_EVERY = 5;

interface Subject {
  name: string;
  /** A kill's subject, or one for a clean (baseline) rotation. */
  kind: 'kill' | 'clean';
  strategy: 'single' | 'alternating' | null;
  /** Roles made for it (dropped at the end). */
  roles: string[];
}

async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

/**
 * `ready` is called once this matrix's subjects exist (or it cannot run): the caller holds every matrix there
 * until all are set up, so that no baseline is measured while another matrix is still creating its secrets.
 */
export async function killMatrix(config: KillMatrixConfig, seed: number, ready: () => Promise<void> = async () => undefined): Promise<KillMatrixResult> {
  let arrived = false;
  const arrive = async () => {
    if (arrived) return;
    arrived = true;
    await ready();
  };
  const shared = tempHome('vh-kills-shared-');
  const home = tempHome('vh-kills-');
  const store = (await storesUnderTest(shared)).find((s) => s.provider === config.provider) as StoreUnderTest;
  const skip = store.skip ?? (config.target === 'postgres' ? await skipPg() : undefined);
  const result: KillMatrixResult = { config, skip, seed: subSeed(seed, config.label), baselineMs: {}, startMs: null, records: [], summary: '' };
  if (skip) {
    await arrive();
    return result;
  }
  const subjects: Subject[] = [];
  let direct: SecretStore | undefined;
  try {
    const env = await store.env(home);
    const vh = (args: string[], input?: string) => run(args, { env, ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 });
    direct = await store.open();
    const rng = seededRandom(result.seed);
    const n = killCount();
    const strategies = config.target ? (['single', 'alternating'] as const) : [null];
    // Attempt i: its moment in its window, its window, how it is finished, and (with a target) its strategy.
    const draw = (index: number) => ({
      index,
      fraction: rng() * KILL_WINDOW,
      window: ((index >> 1) % 2 === 0 ? 'process' : 'rotation') as KillRecord['window'],
      finish: (rng() < 0.5 ? '--resume' : '--abort') as KillRecord['finish'],
      strategy: config.target ? ((index % 2 === 0 ? 'single' : 'alternating') as Subject['strategy']) : null,
    });

    // The subjects: one fresh secret per kill and per clean run (a first rotation is what every kill interrupts).
    const tag = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    if (config.target === 'postgres') {
      await fs.appendFile(env.VH_SECRETS_CONFIG!, `\n[targets.self]\nkind = "postgres"\nhost = "${HOST}"\nport = ${PG_PORT}\n`);
      const admin = await vh(['create', 'local:admin/pg', '--type', 'database_password'], credential(ADMIN_USER, ADMIN_PASSWORD));
      if (admin.code !== 0) throw new Error(`cannot create the admin secret: ${admin.stderr}`);
    }
    const describeSubject = (kind: Subject['kind'], strategy: Subject['strategy']): Subject => {
      const name = `vh-test/kills-${tag}/${kind === 'kill' ? 'k' : 'c'}${String(subjects.length).padStart(3, '0')}`;
      const roles = strategy ? [`${dbName(`vhk_${strategy.slice(0, 3)}`)}`].flatMap((u) => [`${u}_clone`, u]) : [];
      const s = { name, kind, strategy, roles };
      subjects.push(s);
      return s;
    };
    const makeSubjects = async (list: Subject[]) => {
      const alt = list.filter((s) => s.strategy === 'alternating').map((s) => `[targets.alt-${s.roles[1]}]\nkind = "postgres"\nhost = "${HOST}"\nport = ${PG_PORT}\nstrategy = "alternating"\nadmin = "local:admin/pg"\nuser = "${s.roles[1]}"\n`);
      if (alt.length) await fs.appendFile(env.VH_SECRETS_CONFIG!, `\n${alt.join('\n')}`);
      await inBatches(list, 4, async (s) => {
        let created;
        if (s.strategy) {
          const user = s.roles[1]!;
          const pass = password();
          await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${pass}'`);
          created = await vh(['create', s.name, '--type', 'database_password', '--target', s.strategy === 'single' ? 'self' : `alt-${user}`], credential(user, pass));
        } else {
          created = await vh(['create', s.name, '--type', 'database_password', '--generate']);
        }
        if (created.code !== 0) throw new Error(`cannot create ${s.name}: ${created.stderr}`);
      });
      return list;
    };
    const pool = new Map(strategies.map((st) => [st, [] as Subject[]]));
    const spare = new Map(strategies.map((st) => [st, [] as Subject[]]));
    const initial: Subject[] = [];
    for (const st of strategies) {
      const kills = Math.ceil(n / strategies.length);
      for (let i = 0; i < kills; i++) pool.get(st)!.push(describeSubject('kill', st));
      for (let i = 0; i < BASELINE_RUNS + Math.ceil(kills / REMEASURE_EVERY) + 2; i++) spare.get(st)!.push(describeSubject('clean', st));
      initial.push(...pool.get(st)!, ...spare.get(st)!);
    }
    await makeSubjects(initial);
    await arrive();
    const next = async (from: Map<Subject['strategy'], Subject[]>, kind: Subject['kind'], strategy: Subject['strategy']) =>
      from.get(strategy)!.shift() ?? (await makeSubjects([describeSubject(kind, strategy)]))[0]!;

    // The baseline: clean first rotations, timed from spawn to exit like every kill. The median of 3 to start,
    // then one more clean run every REMEASURE_EVERY kills; the median of the last 5, so that the kill times
    // follow the machine's load as it changes. (Runs that ended before their kill time are not used: they are
    // the short ones by construction.)
    const samples = new Map(strategies.map((st) => [st, [] as number[]]));
    const startOffsets: number[] = [];
    const clean = async (strategy: Subject['strategy']) => {
      const s = await next(spare, 'clean', strategy);
      const spawnedAt = Date.now();
      const before = (await auditEvents(home)).length;
      const r = await runKilledAt(['rotate', s.name, '--yes'], env, Infinity);
      if (r.code !== 0) throw new Error(`clean rotation of ${s.name} failed (exit ${r.code}): ${r.stderr}`);
      samples.get(strategy)!.push(r.elapsedMs);
      const started = (await auditEvents(home)).slice(before).find((e) => e.event === 'rotation_started' && e.secret === `${store.alias}:${s.name}`) as (AuditLine & { ts?: string }) | undefined;
      if (started?.ts) startOffsets.push(Date.parse(started.ts) - spawnedAt);
    };
    for (const strategy of strategies) for (let i = 0; i < BASELINE_RUNS; i++) await clean(strategy);
    const attemptsOf = new Map(strategies.map((st) => [st, 0]));

    // Until n runs were really killed: a run that ends before its kill time is recorded (`finished`), not counted.
    for (let index = 0; result.records.filter((r) => r.phase !== 'finished').length < n && index < 3 * n; index++) {
      const q = draw(index);
      const done = attemptsOf.get(q.strategy)!;
      if (done > 0 && done % REMEASURE_EVERY === 0) await clean(q.strategy);
      attemptsOf.set(q.strategy, done + 1);
      const baseline = median(samples.get(q.strategy)!.slice(-5));
      const start = q.window === 'rotation' && startOffsets.length ? Math.min(median(startOffsets.slice(-5)), baseline) : 0;
      const record = await killOnce(config, store, direct, home, env, await next(pool, 'kill', q.strategy), { ...q, ms: start + q.fraction * (baseline - start) });
      result.records.push(record);
    }
    for (const [st, xs] of samples) result.baselineMs[st ?? 'plain'] = median(xs);
    result.startMs = startOffsets.length ? median(startOffsets) : null;
  } finally {
    await arrive();
    await direct?.close?.().catch(() => undefined);
    for (const s of subjects) for (const role of s.roles) await pgAdmin(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await fs.rm(home, { recursive: true, force: true });
    await fs.rm(shared, { recursive: true, force: true });
  }
  const phases = new Map<string, number>();
  for (const r of result.records) phases.set(r.phase, (phases.get(r.phase) ?? 0) + 1);
  const legal = result.records.filter((r) => r.problems.length === 0).length;
  const killedRuns = result.records.filter((r) => r.phase !== 'finished').length;
  const finished = result.records.length - killedRuns;
  const baseline = Object.entries(result.baselineMs).map(([k, v]) => `${k === 'plain' ? '' : `${k} `}${Math.round(v)} ms`).join(', ');
  const outcomes = ['rotated', 'aborted', 'nothing'].map((s) => `${s} ${result.records.filter((r) => r.status === s).length}`).join(', ');
  result.summary =
    `${config.label}: kills: ${killedRuns}, legal after resume/abort: ${legal}/${result.records.length}, seed ${seed}, ` +
    `phases ${formatPhases(phases)} (last phase recorded before the kill${finished ? `; ${finished} more run(s) ended before their kill time, checked the same way` : ''}; baseline ${baseline}, rotation_started at ~${result.startMs === null ? '?' : Math.round(result.startMs)} ms; resume/abort said: ${outcomes})`;
  return result;
}

async function killOnce(
  config: KillMatrixConfig,
  store: StoreUnderTest,
  direct: SecretStore,
  home: string,
  env: NodeJS.ProcessEnv,
  subject: Subject,
  p: { index: number; fraction: number; window: KillRecord['window']; ms: number; finish: KillRecord['finish']; strategy: Subject['strategy'] },
): Promise<KillRecord> {
  const { name } = subject;
  const ref = `${store.alias}:${name}`;
  const record: KillRecord = { index: p.index, fraction: p.fraction, window: p.window, ms: p.ms, finish: p.finish, strategy: p.strategy, phase: 'none', status: '?', end: '?', problems: [], elapsedMs: 0 };
  const problem = (text: string) => record.problems.push(text);
  const vh = (args: string[]) => run(args, { env, timeoutMs: 60_000 });
  try {
    const before = await direct.describe(name);
    const c0 = before.currentVersion!;
    const v0 = (await direct.get(name, { version: c0 })).value;
    const auditBefore = (await auditEvents(home)).length;

    const killed = await runKilledAt(['rotate', name, '--yes'], env, p.ms);
    record.elapsedMs = killed.elapsedMs;
    if (!killed.killed && killed.code !== 0) problem(`the rotation ended by itself before its kill time with exit ${killed.code}: ${killed.stderr.trim()}`);
    const events = (await auditEvents(home)).slice(auditBefore);
    const journal = (await journals(home)).find((j) => j.secret === ref);
    record.phase = killed.killed ? lastRecordedPhase(ref, journal, events) : 'finished';

    // Readable right after the kill: the old value, or a value this rotation wrote — nothing else.
    const mid = await vh(['get', name]);
    const midDesc = await direct.describe(name);
    const created: Buffer[] = [];
    for (const v of midDesc.versions) {
      if (v.version === c0 || v.state !== 'enabled') continue;
      const read = await direct.get(name, { version: v.version }).catch(() => undefined);
      if (read) created.push(read.value);
    }
    if (mid.code !== 0) problem(`get after the kill exited ${mid.code}: ${mid.stderr.trim()}`);
    else if (!mid.stdout.equals(v0) && !created.some((c) => c.equals(mid.stdout))) problem('get after the kill returned neither the old value nor a value the rotation wrote');
    const midIsNew = mid.code === 0 && !mid.stdout.equals(v0);

    const fin = await vh(['rotate', name, p.finish, '--yes', '--json']);
    let o: { status?: string; note?: string | null } = {};
    try {
      o = JSON.parse(fin.out) as typeof o;
    } catch {
      // reported below with the exit code
    }
    record.status = o.status ?? `exit ${fin.code}`;
    if (fin.code !== 0 || !['rotated', 'aborted', 'nothing'].includes(o.status ?? '')) {
      problem(`rotate ${p.finish} exited ${fin.code} with status ${o.status ?? '?'}: ${(o.note ?? fin.stderr).toString().trim()}`);
    }

    // The end state: settled, old value current or the new one after verify, nothing left behind.
    const settled = await settledFindings({ provider: config.provider, store: direct, name, ref, home, env, c0, v0 });
    record.problems.push(...settled.findings);
    record.end = settled.end;
    const { endValue, endVersion } = settled;
    if (midIsNew && !endValue.equals(mid.stdout)) problem('a reader got a new value right after the kill, and the current value changed again afterwards');

    if (p.strategy) await checkDatabase(p.strategy, JSON.parse(v0.toString()) as Cred, JSON.parse(endValue.toString()) as Cred, created, endVersion !== c0, problem);
  } catch (err) {
    problem(`the check itself failed: ${(err as Error).stack ?? String(err)}`);
  }
  return record;
}

/** The database accepts the current credential; nothing else this rotation produced logs in where it must not. */
async function checkDatabase(strategy: 'single' | 'alternating', old: Cred, cur: Cred, created: Buffer[], rotated: boolean, problem: (t: string) => void): Promise<void> {
  if (!(await pgLogin(cur.username, cur.password))) problem(`the database refuses the current credential (user ${cur.username})`);
  const staged = created.map((b) => JSON.parse(b.toString()) as Cred).filter((c) => c.password !== cur.password);
  if (strategy === 'single') {
    // One user, one password: any other value is refused.
    for (const other of [old, ...staged]) {
      if (other.password !== cur.password && (await pgLogin(other.username, other.password))) problem(`the database still accepts a ${other === old ? 'previous' : 'discarded staged'} password for ${other.username}`);
    }
    return;
  }
  // Alternating: the previous user keeps working through the grace period; a discarded staged password does not.
  if (rotated && !(await pgLogin(old.username, old.password))) problem(`the previous credential (user ${old.username}) stopped working before its grace period ended`);
  for (const s of staged) if (await pgLogin(s.username, s.password)) problem(`the database accepts a discarded staged password for ${s.username}`);
}
