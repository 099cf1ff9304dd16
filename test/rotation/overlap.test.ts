import { promises as fs } from 'node:fs';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';
import { randomBytes } from 'node:crypto';

/**
 * Two rotate-all runs started together over the same 50 secrets rotate each secret exactly once; the loser of
 * each race reports it skipped. Once on one host (one VH_SECRETS_HOME), once as if on two hosts (two homes
 * sharing only the store).
 */
const shared = tempHome('vh-overlap-shared-');
const stores = await storesUnderTest(shared);
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

interface Report {
  results: { secret: string; status: string; version: string | null; note: string | null }[];
  summary: { rotated: number; skipped: number; failed: number };
}

for (const s of stores) {
  for (const hosts of ['one host', 'two hosts'] as const) {
    (s.skip ? test.skip : test)(`${s.provider}, ${hosts}: 50 secrets, two concurrent rotate-all runs, each secret rotated exactly once`, async () => {
      const homeA = tempHome('vh-overlap-a-');
      const homeB = hosts === 'one host' ? homeA : tempHome('vh-overlap-b-');
      const envA = await s.env(homeA);
      const envB = hosts === 'one host' ? envA : await s.env(homeB);
      const tag = `run${randomBytes(4).toString('hex')}`;
      try {
        const names = Array.from({ length: 50 }, (_, i) => `vh-test/overlap-${tag}/s${String(i).padStart(2, '0')}`);
        // Set up and checked through the store itself (as another tool would); only the two runs are CLI processes.
        const before = new Map<string, string>();
        const direct = await s.open();
        try {
          for (let i = 0; i < names.length; i += 10) {
            await Promise.all(names.slice(i, i + 10).map(async (n) => {
              const { version } = await direct.create(n, randomBytes(24), { 'vh-type': 'api_key', batch: tag });
              before.set(`${s.alias}:${n}`, version);
            }));
          }
        } finally {
          await direct.close?.();
        }

        const args = ['rotate-all', '--tag', `batch=${tag}`, '--concurrency', '8', '--include-unmanaged', '--confirm', '--json'];
        // Both runs list the secrets before either rotates one: they overlap however busy the machine is.
        const meet = { VH_SECRETS_BARRIER: `listed:${tempHome('vh-overlap-barrier-')}:2` };
        const [a, b] = await Promise.all([run(args, { env: { ...envA, ...meet }, timeoutMs: 300_000 }), run(args, { env: { ...envB, ...meet }, timeoutMs: 300_000 })]);
        expect([a.stderr, b.stderr]).toEqual(['', '']);
        expect([a.code, b.code]).toEqual([0, 0]);
        const ra = JSON.parse(a.out) as Report;
        const rb = JSON.parse(b.out) as Report;
        expect(ra.summary.failed + rb.summary.failed).toBe(0);

        for (const secret of before.keys()) {
          const statuses = [ra, rb].map((r) => r.results.find((x) => x.secret === secret)?.status).sort();
          // Rotated by exactly one run; the other skipped it (locked, or already rotated by the first).
          expect({ secret, statuses }).toEqual({ secret, statuses: ['rotated', 'skipped'] });
        }
        const after = await s.open();
        try {
          for (const n of names) {
            const d = await after.describe(n);
            const rotatedBy = [ra, rb].flatMap((r) => r.results).find((x) => x.secret === `${s.alias}:${n}` && x.status === 'rotated');
            expect(d.currentVersion).toBe(rotatedBy?.version);
            expect(d.currentVersion).not.toBe(before.get(`${s.alias}:${n}`));
            if (hosts === 'two hosts' && s.deviations.atomicPendingSlot) {
              if (d.pendingVersion !== undefined) process.stderr.write(`tolerated deviation (${s.provider}): ${s.deviations.atomicPendingSlot}\n`);
            } else {
              expect(d.pendingVersion).toBeUndefined();
            }
            // One rotation: the first version is now previous, not older.
            const previous = d.versions.find((v) => v.stages.includes('previous'))?.version;
            if (hosts === 'two hosts' && s.deviations.unconditionalTags && previous === undefined) {
              expect(d.versions.find((v) => v.version === before.get(`${s.alias}:${n}`))?.state).toBe('enabled');
              process.stderr.write(`tolerated deviation (${s.provider}): ${s.deviations.unconditionalTags}\n`);
            } else {
              expect(previous).toBe(before.get(`${s.alias}:${n}`));
            }
          }
        } finally {
          await after.close?.();
        }
      } finally {
        await fs.rm(homeA, { recursive: true, force: true });
        if (homeB !== homeA) await fs.rm(homeB, { recursive: true, force: true });
      }
    }, 240_000);
  }
}
