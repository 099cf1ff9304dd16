import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '../providers/contract.js';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';
import { LeakLedger } from '../leak/canary.js';

/**
 * An interrupted rotation is never silent: a rotation killed after stage shows up in `rotations` (exit 1) and as
 * `interrupted` in rotate-all (exit 1); one held by a live run stays in flight / skipped (exit 0);
 * `rotate --resume --all` and `--abort --all` finish them (and clear the record of a secret the store lost).
 * Every command is scoped to this run's tag, so rotations other tests leave on the shared peers never count.
 */
const shared = tempHome('vh-rotations-shared-');
const stores = (await storesUnderTest(shared)).filter((s) => ['file', 'vault', 'aws'].includes(s.provider));
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

interface RotationRecord {
  secret: string;
  state: string;
  holder: string;
  phase: string | null;
  pid: number | null;
  host: string | null;
  pending_version: string | null;
  current_version: string | null;
  secret_exists: boolean;
  resume: string;
  abort: string;
  why: string;
}
interface RotationsReport {
  rotations: RotationRecord[];
  errors: unknown[];
  summary: { total: number; interrupted: number; in_flight: number };
}
interface AllReport {
  results: { secret: string; status: string; version: string | null; note: string | null }[];
  summary: Record<string, number>;
}

/** The engine's same-host lock file for a secret (`locks/rotate-<hash>.lock`), to play a live holder. */
const lockPath = (home: string, secret: string) => join(home, 'vh', 'locks', `rotate-${createHash('sha256').update(secret).digest('hex').slice(0, 32)}.lock`);

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`interrupted rotations on ${s.provider}`, () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    let tag: string;
    const ledger = new LeakLedger();
    const vh = async (args: string[], extra: NodeJS.ProcessEnv = {}) => ledger.record(args.join(' '), await run(args, { env: { ...env, ...extra }, timeoutMs: 90_000 }), args[0] === 'get');
    const create = async (prefix: string, type = 'database_password') => {
      const n = uniqueName(`${prefix}-${tag}`);
      expect((await vh(['create', n, '--type', type, '--generate', '--tag', `t=${tag}`])).code).toBe(0);
      ledger.add((await vh(['get', n])).out);
      return n;
    };
    const crash = async (n: string) => {
      const r = await vh(['rotate', n, '--yes'], { VH_SECRETS_FAILPOINT: 'after:stage' });
      expect(r.signal).toBe('SIGKILL');
      ledger.add((await vh(['get', n, '--at', 'pending'])).out);
    };
    const rotations = async () => {
      const r = await vh(['rotations', '--tag', `t=${tag}`, '--json']);
      return { code: r.code, report: JSON.parse(r.out) as RotationsReport };
    };
    const describeOf = async (n: string) => JSON.parse((await vh(['describe', n, '--json'])).out) as { current_version: string; pending_version: string | null };

    beforeEach(async () => {
      home = tempHome('vh-rotations-');
      env = await s.env(home);
      tag = `run${randomBytes(4).toString('hex')}`;
    });
    afterEach(async () => {
      await ledger.recordFiles(join(home, 'vh'), (p) => p.endsWith('.vhs') || p.endsWith('.key'));
      expect(ledger.leaks()).toEqual([]);
      await fs.rm(home, { recursive: true, force: true });
    });

    test('a killed rotation: listed by `rotations` (exit 1), `interrupted` in rotate-all (exit 1), finished by `rotate --resume --all --yes`', async () => {
      const a = await create('killed');
      const b = await create('fine');
      const quiet = await rotations();
      expect(quiet).toEqual({ code: 0, report: expect.objectContaining({ rotations: [], summary: { total: 0, interrupted: 0, in_flight: 0 } }) });
      const before = await describeOf(a);
      await crash(a);
      const mid = await describeOf(a);
      expect(mid.current_version).toBe(before.current_version);

      const listed = await rotations();
      expect(listed.code).toBe(1);
      expect(listed.report.rotations).toHaveLength(1);
      const rec = listed.report.rotations[0]!;
      expect(rec).toMatchObject({ secret: `${s.alias}:${a}`, state: 'interrupted', holder: 'gone', phase: 'stage', host: hostname(), pending_version: mid.pending_version, current_version: before.current_version, secret_exists: true });
      expect(typeof rec.pid).toBe('number');
      expect(rec.why).toMatch(/its process \(pid \d+\) on this host is gone/);
      expect(rec.resume).toBe(`verify and promote staged version ${mid.pending_version}`);
      expect(rec.abort).toBe(`discard pending version ${mid.pending_version}; version ${before.current_version} stays current`);
      const human = await vh(['rotations', '--tag', `t=${tag}`]);
      expect(human.code).toBe(1);
      expect(human.out).toContain(`${s.alias}:${a}`);
      expect(human.out).toMatch(/interrupted/);
      expect(human.out).toContain(`--resume: verify and promote staged version ${mid.pending_version}`);
      expect(human.stderr).toMatch(/1 rotation\(s\): 1 interrupted, 0 in flight/);

      const all = await vh(['rotate-all', '--tag', `t=${tag}`, '--yes', '--json']);
      expect(all.code).toBe(1);
      const report = JSON.parse(all.out) as AllReport;
      expect(report.results.find((r) => r.secret === `${s.alias}:${a}`)).toMatchObject({ status: 'interrupted' });
      expect(report.results.find((r) => r.secret === `${s.alias}:${a}`)!.note).toMatch(/--resume` would verify and promote staged version/);
      expect(report.results.find((r) => r.secret === `${s.alias}:${b}`)!.status).toBe('rotated');
      expect(report.summary).toMatchObject({ interrupted: 1, rotated: 1, failed: 0 });
      const humanAll = await vh(['rotate-all', '--tag', `t=${tag}`, '--yes']);
      expect(humanAll.code).toBe(1);
      expect(humanAll.out).toMatch(/interrupted/);
      expect(humanAll.stderr).toMatch(/rotate --resume --all/);

      // No terminal and no --yes: refused, nothing changed; never a prompt under CI=true.
      const unconfirmed = await vh(['rotate', '--resume', '--all', '--tag', `t=${tag}`], { CI: 'true' });
      expect(unconfirmed.code).toBe(64);
      expect(unconfirmed.stderr).toMatch(/needs confirmation/);
      expect((await describeOf(a)).pending_version).toBe(mid.pending_version);

      const resumed = await vh(['rotate', '--resume', '--all', '--tag', `t=${tag}`, '--yes', '--json']);
      expect(resumed.code).toBe(0);
      const out = JSON.parse(resumed.out) as AllReport & { action: string };
      expect(out.action).toBe('resume');
      expect(out.results).toEqual([expect.objectContaining({ secret: `${s.alias}:${a}`, status: 'rotated', version: mid.pending_version })]);
      const end = await describeOf(a);
      expect(end).toMatchObject({ current_version: mid.pending_version, pending_version: null });
      expect(await rotations()).toMatchObject({ code: 0, report: { summary: { total: 0 } } });
      expect(await fs.readdir(join(home, 'vh', 'journal')).catch(() => [])).toEqual([]);
      const again = await vh(['rotate-all', '--tag', `t=${tag}`, '--yes', '--json']);
      expect(again.code).toBe(0);
      expect((JSON.parse(again.out) as AllReport).summary).toMatchObject({ rotated: 2, interrupted: 0 });
    }, 180_000);

    test('held by a live run: in flight and skipped (exit 0); another host within the timeout too, past it interrupted', async () => {
      const a = await create('held');
      await crash(a);
      // This test runner plays the live holder of the engine's same-host lock.
      const lock = lockPath(home, `${s.alias}:${a}`);
      await fs.writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }));
      const held = await rotations();
      expect(held.code).toBe(0);
      expect(held.report.rotations[0]).toMatchObject({ state: 'in_flight', holder: 'alive', pid: process.pid });
      const all = await vh(['rotate-all', '--tag', `t=${tag}`, '--yes', '--json']);
      expect(all.code).toBe(0);
      expect((JSON.parse(all.out) as AllReport).results[0]!.status).toBe('skipped');
      const resumeAll = await vh(['rotate', '--resume', '--all', '--tag', `t=${tag}`, '--yes', '--json']);
      expect(resumeAll.code).toBe(0);
      expect((JSON.parse(resumeAll.out) as AllReport).results[0]).toMatchObject({ status: 'skipped' });
      await fs.rm(lock);
      expect((await rotations()).code).toBe(1);
      expect((await vh(['rotate', '--abort', '--all', '--tag', `t=${tag}`, '--yes'])).code).toBe(0);
      expect((await describeOf(a)).pending_version).toBeNull();

      // A marker another host left: in flight (skipped) until the rotation timeout, then interrupted.
      const b = await create('remote');
      const store = await s.open();
      const v = (await describeOf(b)).current_version;
      try {
        await store.setMetadata(b, { 'vh-rotation': `rot-remote-1 ${v} ${new Date().toISOString()} other-host` });
        const fresh = await rotations();
        expect(fresh.code).toBe(0);
        expect(fresh.report.rotations[0]).toMatchObject({ secret: `${s.alias}:${b}`, state: 'in_flight', holder: 'unknown', host: 'other-host', pid: null });
        const skipped = await vh(['rotate-all', '--tag', `t=${tag}`, '--yes', '--json']);
        expect(skipped.code).toBe(0);
        expect((JSON.parse(skipped.out) as AllReport).results.find((r) => r.secret === `${s.alias}:${b}`)!.status).toBe('skipped');
        await store.setMetadata(b, { 'vh-rotation': `rot-remote-1 ${v} ${new Date(Date.now() - 3_600_000).toISOString()} other-host` });
        const stale = await rotations();
        expect(stale.code).toBe(1);
        expect(stale.report.rotations[0]).toMatchObject({ state: 'interrupted', holder: 'gone' });
        expect(stale.report.rotations[0]!.why).toMatch(/older than the rotation timeout/);
        const stuck = await vh(['rotate-all', '--tag', `t=${tag}`, '--yes', '--json']);
        expect(stuck.code).toBe(1);
        expect((JSON.parse(stuck.out) as AllReport).results.find((r) => r.secret === `${s.alias}:${b}`)!.status).toBe('interrupted');
      } finally {
        await store.close?.();
      }
      expect((await vh(['rotate', '--abort', '--all', '--tag', `t=${tag}`, '--yes'])).code).toBe(0);
      expect((await rotations()).code).toBe(0);
    }, 180_000);

    test('--abort --all of a rotation whose secret the store lost clears its record; the name rotates again once re-created', async () => {
      const a = await create('lost');
      await crash(a);
      const store = await s.open();
      try {
        await store.destroy(a);
      } finally {
        await store.close?.();
      }
      // The tag lived with the secret: find it by store instead.
      const listed = JSON.parse((await vh(['rotations', '--store', s.alias, '--json'])).out) as RotationsReport;
      const rec = listed.rotations.find((r) => r.secret === `${s.alias}:${a}`);
      expect(rec).toMatchObject({ state: 'interrupted', secret_exists: false });
      expect(rec!.abort).toMatch(/secret is gone from the store, nothing to discard/);
      const resumeOne = await vh(['rotate', a, '--resume']);
      expect(resumeOne.code).toBe(66);
      expect(resumeOne.stderr).toMatch(/cannot be resumed\n {2}hint: clear its journal with `vh-secrets rotate \S+ --abort`/);
      // Only this secret: the store may hold other tests' rotations, which this one must not touch.
      const aborted = await vh(['rotate', a, '--abort', '--json']);
      expect(aborted.code).toBe(0);
      expect(JSON.parse(aborted.out)).toMatchObject({ status: 'aborted' });
      expect(JSON.parse(aborted.out).note).toMatch(/is not in the store any more: the journal of rotation \S+ was cleared; nothing was discarded/);
      expect(await fs.readdir(join(home, 'vh', 'journal')).catch(() => [])).toEqual([]);
      const events = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; secret: string; details: Record<string, unknown> });
      expect(events.find((e) => e.event === 'rolled_back' && e.secret === `${s.alias}:${a}` && e.details.secret_gone === true)).toBeDefined();

      // And through --abort --all, on the file store where nothing else lives.
      if (s.provider === 'file') {
        const c = await create('lost-all');
        await crash(c);
        const st = await s.open();
        try {
          await st.destroy(c);
        } finally {
          await st.close?.();
        }
        const all = await vh(['rotate', '--abort', '--all', '--yes', '--json']);
        expect(all.code).toBe(0);
        expect((JSON.parse(all.out) as AllReport).results).toEqual([expect.objectContaining({ secret: `${s.alias}:${c}`, status: 'aborted' })]);
        expect(await fs.readdir(join(home, 'vh', 'journal')).catch(() => [])).toEqual([]);
      }
      // Re-created under the same name, it rotates (no stale journal in the way).
      await vh(['create', a, '--type', 'database_password', '--generate', '--tag', `t=${tag}`]);
      ledger.add((await vh(['get', a])).out);
      expect((await vh(['rotate', a, '--yes'])).code).toBe(0);
    }, 180_000);
  });
}
