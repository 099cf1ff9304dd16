import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { runInProcess, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';

/**
 * `update`: what vh-secrets knows about a secret, changed in the store's own metadata (tags, owner, rotation
 * interval, expiry, target, type), audited, refused with a reason before anything is written — on the file
 * store, OpenBao and moto. The value is never touched.
 */

const shared = tempHome('vh-update-');
const stores = (await storesUnderTest(shared)).filter((s) => ['file', 'vault', 'aws'].includes(s.provider));
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

interface Described {
  type: string;
  owner: string | null;
  rotation_days: number | null;
  expires_at: string | null;
  current_version: string;
  tags: Record<string, string>;
}

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`${s.provider}: update`, () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    const vh = (args: string[], input?: string) => runInProcess(args, { env, ...(input !== undefined ? { input } : {}) });
    const describeOf = async (name: string) => JSON.parse((await vh(['describe', name, '--json'])).out) as Described;

    beforeAll(async () => {
      home = tempHome('vh-update-home-');
      env = await s.env(home);
      // A target to point secrets at (never connected to by update).
      await fs.appendFile(env.VH_SECRETS_CONFIG!, '\n[targets.hook]\nkind = "command"\napply = ["/bin/true"]\nverify = ["/bin/true"]\n');
    });
    afterAll(async () => {
      await fs.rm(home, { recursive: true, force: true });
    });

    test('tags, owner, rotation interval, expiry, target and type change; the value and its version do not; audited', async () => {
      const name = `vh-test/update-${randomBytes(5).toString('hex')}`;
      expect((await vh(['create', name, '--type', 'api_key', '--tag', 'team=a', '--tag', 'legacy=yes', '--expires-in-days', '10'], 'value-kept-1')).code).toBe(0);
      const before = await describeOf(name);
      const r = await vh(['update', name, '--tag', 'team=b', '--untag', 'legacy', '--owner', 'platform', '--rotation-days', '45', '--no-expiry', '--target', 'hook', '--type', 'webhook_secret', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ changed: ['legacy', 'team', 'vh-expires-at', 'vh-owner', 'vh-rotation-days', 'vh-target', 'vh-type'], expires_at: null });
      const after = await describeOf(name);
      expect(after).toMatchObject({ type: 'webhook_secret', owner: 'platform', rotation_days: 45, expires_at: null, current_version: before.current_version });
      expect(after.tags).toEqual({ team: 'b' });
      expect((await vh(['get', name])).out).toBe('value-kept-1');
      // The same again changes nothing, and says so.
      const again = await vh(['update', name, '--owner', 'platform', '--json']);
      expect(JSON.parse(again.out).changed).toEqual([]);
      const log = await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8');
      const events = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; secret: string; success: boolean; details: Record<string, unknown> });
      const updated = events.filter((e) => e.event === 'updated' && e.secret.endsWith(name));
      expect(updated[0]).toMatchObject({ success: true, details: { from_type: 'api_key' } });
      expect(String(updated[0]!.details.changed)).toContain('vh-type');
      expect(log).not.toContain('value-kept-1');
    });

    if (s.provider !== 'file') return;

    test('bad input: one line, a documented exit code, nothing written', async () => {
      const name = `vh-test/update-bad-${randomBytes(5).toString('hex')}`;
      expect((await vh(['create', name, '--type', 'api_key', '--owner', 'kept'], 'v')).code).toBe(0);
      const cases: [string[], number, RegExp][] = [
        [['update', name], 64, /nothing to update/],
        [['update', name, '--type', 'nope'], 64, /unknown secret type/],
        [['update', name, '--target', 'nowhere'], 64, /no rotation target named "nowhere"/],
        [['update', name, '--rotation-days', '0'], 64, /rotation-days/],
        [['update', name, '--expires-in-days', '5', '--no-expiry'], 64, /cannot be used together/],
        [['update', name, '--untag', 'vh-type'], 64, /--untag/],
        [['update', `${name}@1`, '--owner', 'x'], 64, /not a version or a key/],
        [['update', 'vh-test/none-such', '--owner', 'x'], 66, /not found/],
      ];
      for (const [args, code, message] of cases) {
        const r = await vh(args);
        expect({ args, code: r.code }).toEqual({ args, code });
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      expect((await describeOf(name)).owner).toBe('kept');
    });

    test('a policy that would not accept the result refuses it, naming the rule', async () => {
      const name = `vh-test/update-policy-${randomBytes(5).toString('hex')}`;
      expect((await vh(['create', name, '--type', 'api_key', '--owner', 'team-x'], 'v')).code).toBe(0);
      const policy = join(home, 'policy.toml');
      await fs.writeFile(policy, '[[rules]]\nname = "owned"\nmode = "enforce"\nrequired_tags = ["owner"]\nrotation_interval_days = 90\n');
      const r = await vh(['update', name, '--owner', '', '--policy', policy]);
      expect(r.code).toBe(77);
      expect(r.stderr).toMatch(/owned/);
      const long = await vh(['update', name, '--rotation-days', '400', '--policy', policy]);
      expect(long.code).toBe(77);
      expect(long.stderr).toMatch(/rotation interval/);
      expect(await describeOf(name)).toMatchObject({ owner: 'team-x' });
    });
  });
}
