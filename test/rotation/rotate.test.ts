import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { uniqueName } from '../providers/contract.js';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';
import { LeakLedger } from '../leak/canary.js';

const shared = tempHome('vh-rot-shared-');
const stores = await storesUnderTest(shared);
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

type Json = Record<string, unknown>;
const events = async (home: string) =>
  (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8').catch(() => '')).trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`rotate on ${s.provider}`, () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    const vh = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) => run(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}) });
    beforeEach(async () => {
      home = tempHome('vh-rot-');
      env = await s.env(home);
    });
    afterEach(async () => {
      await fs.rm(home, { recursive: true, force: true });
    });

    test('rotate: new current version, old one readable as previous, metadata and audit story, no value leaks', async () => {
      const name = uniqueName('rot');
      expect((await vh(['create', name, '--type', 'api_key', '--generate'])).code).toBe(0);
      const before = (await vh(['get', name])).out;
      const v1 = JSON.parse((await vh(['describe', name, '--json'])).out).current_version;
      const r = await vh(['rotate', name, '--yes', '--force', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const o = JSON.parse(r.out);
      expect(o).toMatchObject({ status: 'rotated', previous_version: v1, cleanup: 'deferred', error: null });
      const after = (await vh(['get', name])).out;
      expect(after).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(after).not.toBe(before);
      expect((await vh(['get', `${name}@previous`])).out).toBe(before);
      const d = JSON.parse((await vh(['describe', name, '--json'])).out);
      expect(d.current_version).toBe(o.version);
      expect(d.pending_version).toBeNull();
      expect(Date.parse(d.rotated_at)).toBeGreaterThan(Date.now() - 60_000);
      const story = (await events(home)).filter((e) => (e.details as Json)?.rotation_id === o.rotation_id).map((e) => `${e.event}:${(e.details as Json).phase}`);
      // The superseded version is deprecated (a lifecycle event, not a phase) right after the promote.
      expect(story).toEqual(['rotation_started:prepare', 'rotation_phase:generate', 'rotation_phase:stage', 'rotation_phase:verify', 'rotated:promote', 'deprecated:undefined', 'rotation_phase:cleanup']);
      expect((await events(home)).find((e) => e.event === 'deprecated' && (e.details as Json).rotation_id === o.rotation_id)?.details).toMatchObject({ scope: 'version', version: v1, superseded_by: o.version });
      const ledger = new LeakLedger();
      ledger.add(before);
      ledger.add(after);
      ledger.record('rotate', r);
      await ledger.recordFiles(join(home, 'vh'), () => false);
      expect(ledger.leaks()).toEqual([]);
    });

    test('the grace promise holds across rotations: each previous version waits out its own grace period', async () => {
      const name = uniqueName('grace');
      expect((await vh(['create', name, '--type', 'database_password', '--generate'])).code).toBe(0);
      const v1 = JSON.parse((await vh(['describe', name, '--json'])).out).current_version as string;
      const value1 = (await vh(['get', name])).out;
      expect((await vh(['rotate', name, '--yes'])).code).toBe(0);
      const v2 = JSON.parse((await vh(['describe', name, '--json'])).out).current_version as string;
      const second = await vh(['rotate', name, '--yes', '--json']);
      expect(second.code).toBe(0);
      expect(JSON.parse(second.out)).toMatchObject({ status: 'rotated', previous_version: v2, cleanup: 'deferred' });
      // Version 1 was promised the grace period when version 2 replaced it: a later rotation does not shorten it.
      const back = await vh(['get', `${name}@${v1}`]);
      expect(back.code).toBe(0);
      expect(back.out).toBe(value1);
      expect((await vh(['get', `${name}@${v2}`])).code).toBe(0);
      const d = JSON.parse((await vh(['describe', name, '--json'])).out) as { versions: { version: string; state: string }[] };
      expect(d.versions.filter((v) => v.version === v1 || v.version === v2).map((v) => v.state)).toEqual(['enabled', 'enabled']);
    });

    test('a previous version whose own grace is over is revoked by the next rotation; one still in grace is kept', async () => {
      const name = uniqueName('grace-due');
      expect((await vh(['create', name, '--type', 'database_password', '--generate'])).code).toBe(0);
      const v1 = JSON.parse((await vh(['describe', name, '--json'])).out).current_version as string;
      // Version 1 gets no grace at all (explicitly over at once); version 2 the default 24 h.
      expect((await vh(['rotate', name, '--yes'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' })).code).toBe(0);
      const v2 = JSON.parse((await vh(['describe', name, '--json'])).out).current_version as string;
      expect((await vh(['rotate', name, '--yes'])).code).toBe(0);
      expect((await vh(['get', `${name}@${v1}`])).code).toBe(66);
      expect((await vh(['get', `${name}@${v2}`])).code).toBe(0);
      const revoked = (await events(home)).filter((e) => e.event === 'revoked' && (e.details as Json).version === v1);
      expect(revoked).toHaveLength(1);
    });

    test('emergency: needs --reason, revokes the previous version at once, reason audited', async () => {
      const name = uniqueName('emerg');
      expect((await vh(['create', name, '--type', 'database_password', '--generate'])).code).toBe(0);
      const v1 = JSON.parse((await vh(['describe', name, '--json'])).out).current_version;
      expect((await vh(['rotate', name, '--emergency', '--yes'])).code).toBe(64);
      const r = await vh(['rotate', name, '--emergency', '--reason', 'key posted in #general', '--yes', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ status: 'rotated', cleanup: 'revoked', previous_version: v1 });
      expect((await vh(['get', `${name}@${v1}`])).code).toBe(66);
      expect((await vh(['get', name])).code).toBe(0);
      const evs = await events(home);
      expect(evs.find((e) => e.event === 'rotation_started' && (e.details as Json).reason === 'key posted in #general')).toBeDefined();
      expect(evs.find((e) => e.event === 'revoked' && (e.details as Json).version === v1)).toBeDefined();
    });

    test.each(['generate', 'stage', 'verify', 'promote'])('a failure in %s rolls back: same current version and value, no pending, phase named', async (phase) => {
      const name = uniqueName(`fail-${phase}`);
      expect((await vh(['create', name, '--type', 'api_key', '--generate'])).code).toBe(0);
      const value = (await vh(['get', name])).out;
      const before = JSON.parse((await vh(['describe', name, '--json'])).out);
      const r = await vh(['rotate', name, '--yes', '--force'], undefined, { VH_SECRETS_FAILPOINT: `fail:${phase}` });
      expect(r.code).toBe(70);
      expect(r.stderr).toContain(`failed in phase ${phase}`);
      expect(r.stderr).toMatch(/rolled back/);
      const after = JSON.parse((await vh(['describe', name, '--json'])).out);
      expect(after.current_version).toBe(before.current_version);
      expect(after.pending_version).toBeNull();
      expect((await vh(['get', name])).out).toBe(value);
      const evs = (await events(home)).map((e) => e.event);
      expect(evs).toEqual(expect.arrayContaining(['rotation_failed', 'rolled_back']));
      // And the secret rotates fine afterwards.
      expect((await vh(['rotate', name, '--yes', '--force'])).code).toBe(0);
    });

    test('JSON-object secrets: the key given at create (or in the ref) is rotated, the other fields kept; a foreign map without a key is refused', async () => {
      const name = uniqueName('map');
      expect((await vh(['create', `${name}#password`, '--type', 'database_password'], 'first-password')).code).toBe(0);
      expect((await vh(['rotate', name, '--yes'])).code).toBe(0);
      const rotated = (await vh(['get', `${name}#password`])).out;
      expect(rotated).toMatch(/^[A-Za-z0-9._~+=^-]{32}$/);
      expect(Object.keys(JSON.parse((await vh(['get', name])).out))).toEqual(['password']);

      const foreign = uniqueName('foreign');
      const store = await s.open();
      try {
        await store.create(foreign, Buffer.from('{"password":"p0","username":"app"}'), {});
      } finally {
        await store.close?.();
      }
      const refused = await vh(['rotate', foreign, '--yes', '--force']);
      expect(refused.code).toBe(65);
      expect(refused.stderr).toMatch(/is a JSON object \(password, username\): say which key to rotate/);
      expect((await vh(['get', `${foreign}#password`])).out).toBe('p0');
      expect((await vh(['rotate', `${foreign}#password`, '--yes', '--force'])).code).toBe(0);
      const after = JSON.parse((await vh(['get', foreign])).out);
      expect(after.username).toBe('app');
      expect(after.password).not.toBe('p0');

      // Keys in any order (Vault hands its maps back sorted): the staged value still reads back byte for byte.
      const unsorted = uniqueName('unsorted');
      expect((await vh(['create', unsorted, '--type', 'database_password'], '{"username":"app","password":"p0","host":"db"}')).code).toBe(0);
      expect((await vh(['rotate', `${unsorted}#password`, '--yes'])).code).toBe(0);
      const kept = (await vh(['get', unsorted])).out;
      expect(Object.keys(JSON.parse(kept))).toEqual(['username', 'password', 'host']);
    });

        test('bad input: unknown ref 66, concurrency 0/-1 64, nothing to resume 0, corrupted journal 65', async () => {
      expect((await vh(['rotate', uniqueName('nope'), '--yes'])).code).toBe(66);
      expect((await vh(['rotate-all', '--concurrency', '0', '--yes'])).code).toBe(64);
      expect((await vh(['rotate-all', '--concurrency', '-1', '--yes'])).code).toBe(64);
      expect((await vh(['rotate-all', '--shard', '3/2', '--yes'])).code).toBe(64);
      const name = uniqueName('badinput');
      expect((await vh(['create', name, '--type', 'api_key', '--generate'])).code).toBe(0);
      const nothing = await vh(['rotate', name, '--resume']);
      expect(nothing.code).toBe(0);
      expect(nothing.stderr).toMatch(/no interrupted rotation/);
      // Crash mid-rotation, then corrupt its journal.
      expect((await vh(['rotate', name, '--yes', '--force'], undefined, { VH_SECRETS_FAILPOINT: 'after:stage' })).signal).toBe('SIGKILL');
      const dir = join(home, 'vh', 'journal');
      const [file] = await fs.readdir(dir);
      await fs.writeFile(join(dir, file!), '{"id": "rot-1", "secr');
      const before = JSON.parse((await vh(['describe', name, '--json'])).out);
      for (const args of [['rotate', name, '--resume'], ['rotate', name, '--abort'], ['rotate', name, '--yes']]) {
        const r = await vh(args);
        expect(r.code).toBe(65);
        expect(r.stderr).toContain(join(dir, file!));
      }
      // Nothing changed in the store (moto reports creation times as "now", so those are left out).
      const shape = (d: { current_version: string; pending_version: string; versions: { version: string; state: string; stages: string[] }[] }) => ({
        current: d.current_version,
        pending: d.pending_version,
        versions: d.versions.map((v) => [v.version, v.state, v.stages]),
      });
      expect(shape(JSON.parse((await vh(['describe', name, '--json'])).out))).toEqual(shape(before));
    });
  });
}
