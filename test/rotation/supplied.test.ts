import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';

/**
 * A value issued elsewhere, supplied instead of generated: `set REF` (stdin, --value-file) and
 * `rotate REF --value-file F|-`. Both are rotations — staged, verified, promoted, the previous version kept for
 * its grace period, audited with `source: supplied` — on the file store, OpenBao and moto.
 */

const shared = tempHome('vh-supplied-');
const stores = (await storesUnderTest(shared)).filter((s) => ['file', 'vault', 'aws'].includes(s.provider));
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

interface Described {
  current_version: string;
  pending_version: string | null;
  versions: { version: string; state: string; stages: string[] }[];
}

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`${s.provider}: a supplied value`, () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    const vh = (args: string[], input?: string) => run(args, { env, ...(input !== undefined ? { input } : {}) });
    const describeOf = async (name: string) => JSON.parse((await vh(['describe', name, '--json'])).out) as Described;
    const fresh = async (type = 'api_key', value = `old-${randomBytes(8).toString('hex')}`) => {
      const name = `vh-test/supplied-${randomBytes(5).toString('hex')}`;
      expect((await vh(['create', name, '--type', type], value)).code).toBe(0);
      return { name, value, v0: (await describeOf(name)).current_version };
    };

    beforeAll(async () => {
      home = tempHome('vh-supplied-home-');
      env = await s.env(home);
    });
    afterAll(async () => {
      await fs.rm(home, { recursive: true, force: true });
    });

    test('set from stdin: a new current version, the old one kept for its grace period, audited as supplied', async () => {
      const { name, v0 } = await fresh();
      const issued = `issued-${randomBytes(12).toString('hex')}`;
      const r = await vh(['set', name, '--reason', 'vendor reissued', '--json'], issued);
      expect(r.code).toBe(0);
      const o = JSON.parse(r.out) as { status: string; previous_version: string; version: string; cleanup: string };
      expect(o).toMatchObject({ status: 'rotated', previous_version: v0, cleanup: 'deferred' });
      expect(r.out + r.stderr).not.toContain(issued);
      expect((await vh(['get', name])).out).toBe(issued);
      const d = await describeOf(name);
      expect(d.current_version).toBe(o.version);
      expect(d.pending_version).toBeNull();
      expect(d.versions.find((v) => v.version === v0)).toMatchObject({ state: 'enabled', stages: ['previous'] });
      const log = await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8');
      const started = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; secret: string; details: Record<string, unknown> }).find((e) => e.event === 'rotation_started' && e.secret.endsWith(name));
      expect(started?.details).toMatchObject({ source: 'supplied', from_version: v0 });
      expect(log).not.toContain(issued);
    });

    test('set --cas: written only while that version is current', async () => {
      const { name, value, v0 } = await fresh();
      const stale = await vh(['set', name, '--cas', `${v0}9`], 'never-written-1');
      expect(stale.code).toBe(75);
      expect(stale.stderr).toMatch(/--cas/);
      expect((await vh(['get', name])).out).toBe(value);
      const ok = await vh(['set', name, '--cas', v0, '--json'], 'written-once-1');
      expect(ok.code).toBe(0);
      expect((await vh(['get', name])).out).toBe('written-once-1');
    });

    if (s.provider !== 'file') return;

    test('refused with nothing written: the current value again, an empty value, a value on the command line', async () => {
      const { name, value, v0 } = await fresh();
      const same = await vh(['set', name], value);
      expect(same.code).toBe(64);
      expect(same.stderr).toMatch(/is its current value/);
      expect(same.stderr).not.toContain(value);
      expect((await vh(['set', name], '')).code).toBe(65);
      expect((await vh(['set', name, 'some-value'])).code).toBe(64);
      expect((await describeOf(name)).current_version).toBe(v0);
    });

    test('put on an existing secret writes a new version (as set); with metadata options it points to update; create still refuses', async () => {
      const { name, v0 } = await fresh();
      const r = await vh(['put', name, '--json'], 'put-new-value');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ status: 'rotated', previous_version: v0 });
      expect((await vh(['get', name])).out).toBe('put-new-value');
      const withTag = await vh(['put', name, '--tag', 'a=b'], 'other');
      expect(withTag.code).toBe(64);
      expect(withTag.stderr).toMatch(/update/);
      expect((await vh(['create', name], 'other')).code).toBe(75);
      expect((await vh(['get', name])).out).toBe('put-new-value');
      const fresh2 = `${name}-new`;
      expect((await vh(['put', fresh2], 'first')).code).toBe(0);
      expect((await vh(['get', fresh2])).out).toBe('first');
    });

    test('rotate --value-file: a secret issued elsewhere rotates without --force, keyed values keep their other fields', async () => {
      // An api_key without a target is issued elsewhere: a generated replacement needs --force, a supplied one not.
      const { name } = await fresh();
      const file = join(home, `issued-${randomBytes(4).toString('hex')}`);
      await fs.writeFile(file, 'from-the-vendor-7f3a', { mode: 0o600 });
      const generated = await vh(['rotate', name, '--yes']);
      expect(generated.code).toBe(64);
      const plan = await vh(['rotate', name, '--value-file', file, '--dry-run']);
      expect(plan.code).toBe(0);
      expect(plan.out).toMatch(/stage the supplied value/);
      const r = await vh(['rotate', name, '--value-file', file, '--yes', '--json']);
      expect(r.code).toBe(0);
      expect((await vh(['get', name])).out).toBe('from-the-vendor-7f3a');

      const obj = await fresh('generic', JSON.stringify({ username: 'svc', password: 'pw-old', host: 'db1' }));
      const keyed = await vh(['rotate', `${obj.name}#password`, '--value-file', '-', '--yes'], 'pw-new-from-dba');
      expect(keyed.code).toBe(0);
      expect(JSON.parse((await vh(['get', obj.name])).out)).toEqual({ username: 'svc', password: 'pw-new-from-dba', host: 'db1' });
      expect((await vh(['rotate', name, '--resume', '--value-file', file])).code).toBe(64);
    });

    test('interrupted: before the supplied value is staged it cannot be resumed (it is kept nowhere) and says so; after, resume finishes it', async () => {
      const early = await fresh();
      const killed = await run(['set', early.name], { env: { ...env, VH_SECRETS_FAILPOINT: 'after:generate' }, input: 'supplied-then-lost' });
      expect(killed.signal).toBe('SIGKILL');
      const resumed = await vh(['rotate', early.name, '--resume']);
      expect(resumed.code).toBe(64);
      expect(resumed.stderr).toMatch(/cannot be resumed/);
      expect(resumed.stderr).toMatch(/--abort/);
      expect((await vh(['rotate', early.name, '--abort'])).code).toBe(0);
      expect((await vh(['get', early.name])).out).toBe(early.value);

      const late = await fresh();
      const staged = await run(['set', late.name], { env: { ...env, VH_SECRETS_FAILPOINT: 'after:stage' }, input: 'supplied-and-staged' });
      expect(staged.signal).toBe('SIGKILL');
      expect((await vh(['rotate', late.name, '--resume'])).code).toBe(0);
      expect((await vh(['get', late.name])).out).toBe('supplied-and-staged');
    });
  });
}
