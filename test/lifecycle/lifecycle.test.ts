import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';
import { uniqueName } from '../providers/contract.js';

/**
 * The lifecycle end to end through the CLI: each state shown by `lifecycle <ref>`, each transition in the audit
 * log, the refusals of archive and purge, and `lifecycle report`. On the file store, OpenBao and moto when they run.
 */
const shared = tempHome('vh-lifecycle-shared-');
const stores = await storesUnderTest(shared);
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

interface View {
  state: string;
  history: { event: string; state: string; scope: string; version: string | null; success: boolean; count: number }[];
  versions: { version: string; state: string }[];
}

async function auditEvents(home: string, secret: string): Promise<{ event: string; success: boolean; details: Record<string, unknown> }[]> {
  const text = await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8');
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; secret: string | null; success: boolean; details: Record<string, unknown> })
    .filter((e) => e.secret !== null && e.secret.replace(/[#@].*$/, '').endsWith(`:${secret}`));
}

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`lifecycle on ${s.provider}`, () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      home = tempHome('vh-lifecycle-');
      env = await s.env(home);
    });
    afterAll(async () => {
      await fs.rm(home, { recursive: true, force: true });
    });
    const vh = (args: string[], input?: string) => run(args, { env, ...(input !== undefined ? { input } : {}) });
    const view = async (name: string): Promise<View> => {
      const r = await vh(['lifecycle', name, '--json']);
      expect(r.code).toBe(0);
      return JSON.parse(r.out) as View;
    };

    test('create → get → rotate → revoke → archive → purge: every state shown, every transition audited', async () => {
      const name = uniqueName('walk');
      expect((await vh(['create', name, '--type', 'api_key', '--generate'])).code).toBe(0);
      expect((await view(name)).state).toBe('ACTIVATED');
      expect((await vh(['get', name])).code).toBe(0);
      expect((await vh(['get', name])).code).toBe(0);
      expect((await view(name)).state).toBe('ACCESSED');
      expect((await vh(['rotate', name, '--yes', '--force'])).code).toBe(0);
      expect((await view(name)).state).toBe('ROTATED');
      expect((await vh(['deprecate', name, '--reason', 'replaced by v2 api'])).code).toBe(0);
      expect((await view(name)).state).toBe('DEPRECATED');
      expect((await vh(['revoke', name, '--yes'])).code).toBe(0);
      expect((await view(name)).state).toBe('REVOKED');
      expect((await vh(['archive', name])).code).toBe(0);
      const archived = await view(name);
      expect(archived.state).toBe('ARCHIVED');
      expect(archived.versions.length).toBeGreaterThanOrEqual(2);
      expect(archived.versions.every((v) => v.state === 'disabled')).toBe(true);
      // Archiving twice changes nothing and records nothing.
      const again = await vh(['archive', name, '--json']);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.out)).toMatchObject({ status: 'unchanged', to: 'ARCHIVED' });
      expect((await vh(['purge', name, '--yes'])).code).toBe(0);

      const purged = await view(name);
      expect(purged.state).toBe('PURGED');
      const secretScope = purged.history.filter((h) => h.scope === 'secret' && h.success).map((h) => h.state);
      expect(secretScope).toEqual(['CREATED', 'ACTIVATED', 'ACCESSED', 'ROTATED', 'DEPRECATED', 'REVOKED', 'ARCHIVED', 'PURGED']);
      expect(purged.history.find((h) => h.event === 'accessed')!.count).toBe(2);
      // The superseded version is deprecated by the rotation itself.
      expect(purged.history).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'deprecated', scope: 'version', version: expect.any(String) })]));

      const events = (await auditEvents(home, name)).filter((e) => e.success).map((e) => e.event);
      for (const e of ['created', 'activated', 'accessed', 'rotated', 'deprecated', 'revoked', 'archived', 'purged']) expect(events).toContain(e);
      expect(events.filter((e) => e === 'archived')).toHaveLength(1);
      expect(events.indexOf('activated')).toBe(events.indexOf('created') + 1);
      expect((await vh(['get', name])).code).toBe(66);
      expect((await vh(['audit', 'verify'])).code).toBe(0);
    });

    test('purge refusals: no --yes without a terminal (64), not archived or revoked (64); --force purges a live secret', async () => {
      const name = uniqueName('refuse');
      expect((await vh(['create', name, '--type', 'generic', '--generate'])).code).toBe(0);
      const noYes = await run(['purge', name], { env: { ...env, CI: 'true' } });
      expect(noYes.code).toBe(64);
      expect(noYes.stderr).toMatch(/needs --yes/);
      const live = await vh(['purge', name, '--yes']);
      expect(live.code).toBe(64);
      expect(live.stderr).toMatch(/is ACTIVATED: only an archived or revoked secret can be purged/);
      expect(live.stderr).toMatch(/--force/);
      const archiveLive = await vh(['archive', name]);
      expect(archiveLive.code).toBe(64);
      expect(archiveLive.stderr).toMatch(/only a revoked or expired secret can be archived/);
      expect((await vh(['get', name])).code).toBe(0);
      // The refused attempts are in the audit log as failures.
      const failed = (await auditEvents(home, name)).filter((e) => !e.success).map((e) => e.event);
      expect(failed).toEqual(['purged', 'archived']);
      expect((await vh(['purge', name, '--yes', '--force'])).code).toBe(0);
      expect((await vh(['get', name])).code).toBe(66);
      expect((await vh(['purge', uniqueName('missing'), '--yes'])).code).toBe(66);
    });

    test('an expired secret: health records `expired` once, archive takes it', async () => {
      const name = uniqueName('exp');
      const tag = `run=${Date.now().toString(36)}`;
      expect((await vh(['create', name, '--type', 'api_key', '--generate', '--expires-in-days', '5', '--tag', tag])).code).toBe(0);
      const store = await s.open();
      await store.setMetadata(name, { 'vh-expires-at': ago(1) });
      expect((await view(name)).state).toBe('EXPIRED');
      for (let i = 0; i < 2; i++) {
        const h = await vh(['health', '--json', '--tag', tag]);
        expect(h.code).toBe(2);
        expect(h.stderr).toBe('');
      }
      expect((await auditEvents(home, name)).filter((e) => e.event === 'expired')).toHaveLength(1);
      expect((await vh(['archive', name, '--reason', 'expired'])).code).toBe(0);
      expect((await view(name)).state).toBe('ARCHIVED');
      expect((await vh(['purge', name, '--yes'])).code).toBe(0);
    });
  });
}

describe('lifecycle report', () => {
  test('counts per state by type, overdue rotations against the type interval, mean age; --type filters', async () => {
    const home = tempHome('vh-lifecycle-report-');
    const env = (await storesUnderTest(home))[0]!.env(home);
    const e = await env;
    const vh = (args: string[]) => run(args, { env: e });
    try {
      for (const [name, type] of [
        ['db/a', 'database_password'],
        ['db/b', 'database_password'],
        ['db/c', 'database_password'],
        ['api/a', 'api_key'],
        ['api/b', 'api_key'],
      ] as const) {
        expect((await vh(['create', name, '--type', type, '--generate'])).code).toBe(0);
      }
      const store = await (await storesUnderTest(home))[0]!.open();
      // database_password rotates every 30 days: 31 days since rotation is overdue; api_key every 90: 31 is not.
      await store.setMetadata('db/a', { 'vh-rotated-at': ago(31), 'vh-created-at': ago(100) });
      const month = ago(31);
      await store.setMetadata('api/a', { 'vh-rotated-at': month, 'vh-created-at': month });
      expect((await vh(['get', 'db/b'])).code).toBe(0);
      expect((await vh(['revoke', 'db/c', '--yes'])).code).toBe(0);
      expect((await vh(['deprecate', 'api/b'])).code).toBe(0);

      const r = await vh(['lifecycle', 'report', '--json']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.out) as { types: { type: string; total: number; states: Record<string, number>; overdue_rotations: number; overdue: string[]; mean_age_days: number }[]; totals: { secrets: number } };
      const db = report.types.find((t) => t.type === 'database_password')!;
      const api = report.types.find((t) => t.type === 'api_key')!;
      expect(db).toMatchObject({ total: 3, overdue_rotations: 1, overdue: ['shared:db/a'] });
      // db/a's vh-rotated-at is later than its creation: ROTATED; db/b was read; db/c revoked.
      expect(db.states).toMatchObject({ ROTATED: 1, ACCESSED: 1, REVOKED: 1, ACTIVATED: 0 });
      expect(db.mean_age_days).toBeCloseTo(100 / 3, 0);
      expect(api).toMatchObject({ total: 2, overdue_rotations: 0 });
      expect(api.states).toMatchObject({ ACTIVATED: 1, DEPRECATED: 1 });
      expect(report.totals.secrets).toBe(5);
      // A purged secret leaves the store but not the report: the log knows it.
      expect((await vh(['purge', 'db/c', '--yes'])).code).toBe(0);
      const after = JSON.parse((await vh(['lifecycle', 'report', '--json'])).out) as typeof report;
      expect(after.types.find((t) => t.type === 'database_password')).toMatchObject({ total: 2, states: expect.objectContaining({ REVOKED: 0, PURGED: 1 }) });
      expect(JSON.parse((await vh(['lifecycle', 'db/c', '--json'])).out)).toMatchObject({ state: 'PURGED', type: 'database_password' });

      const only = JSON.parse((await vh(['lifecycle', 'report', '--type', 'api_key', '--json'])).out) as { types: { type: string }[] };
      expect(only.types.map((t) => t.type)).toEqual(['api_key']);
      const human = await vh(['lifecycle', 'report']);
      expect(human.code).toBe(0);
      expect(human.out).toMatch(/database_password\s+2/);
      expect(human.out).toMatch(/overdue rotation: shared:db\/a/);
      // A secret named "report" is still reachable with its store.
      expect((await vh(['create', 'report', '--generate'])).code).toBe(0);
      expect(JSON.parse((await vh(['lifecycle', 'shared:report', '--json'])).out).state).toBe('ACTIVATED');
      expect((await vh(['lifecycle', 'report', 'extra'])).code).toBe(64);
      expect((await vh(['lifecycle', 'db/a', '--type', 'api_key'])).code).toBe(64);
      expect((await vh(['lifecycle', 'no/such'])).code).toBe(66);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
