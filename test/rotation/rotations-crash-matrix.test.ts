import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { uniqueName } from '../providers/contract.js';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';

/**
 * The crash matrix once more, finished the way an operator does after an outage: for every phase boundary, SIGKILL
 * a rotation there, then `rotations` must show it (exit 1) unless nothing was recorded yet, and
 * `rotate --resume --all --yes` (or `--abort --all --yes`) must leave exactly one current version, no pending
 * version, no journal, nothing listed, and a secret free for the next rotation.
 */
const PHASES = ['prepare', 'generate', 'stage', 'verify', 'promote', 'cleanup'];
const BOUNDARIES = PHASES.flatMap((p) => [`before:${p}`, `after:${p}`]);

interface Described {
  current_version: string;
  pending_version: string | null;
  versions: { version: string; state: string; stages: string[] }[];
}

const shared = tempHome('vh-rotations-crash-shared-');
// The file store (OpenBao too with VH_KILLS_FULL=1): this is about `rotations` and `--all` finding and finishing
// what a crash left; the per-store crash matrices (crash-*.test.ts) cover the engine on every store.
const stores = (await storesUnderTest(shared)).filter((s) => s.provider === 'file' || (process.env.VH_KILLS_FULL === '1' && s.provider === 'vault'));
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`crash, then --resume --all / --abort --all, on ${s.provider}`, () => {
    for (const boundary of BOUNDARIES) {
      for (const finish of ['--resume', '--abort'] as const) {
        test(`${boundary} then ${finish} --all`, async () => {
          const home = tempHome('vh-rotations-crash-');
          const env = await s.env(home);
          const tag = `run${randomBytes(4).toString('hex')}`;
          const vh = (args: string[], extra: NodeJS.ProcessEnv = {}) => run(args, { env: { ...env, ...extra }, timeoutMs: 60_000 });
          try {
            const name = uniqueName(`rcrash-${tag}`);
            expect((await vh(['create', name, '--type', 'database_password', '--generate', '--tag', `t=${tag}`])).code).toBe(0);
            const v0 = (await vh(['get', name])).out;
            const c0 = (JSON.parse((await vh(['describe', name, '--json'])).out) as Described).current_version;
            expect((await vh(['rotate', name, '--yes'], { VH_SECRETS_FAILPOINT: boundary })).signal).toBe('SIGKILL');

            const listed = await vh(['rotations', '--tag', `t=${tag}`, '--json']);
            const found = (JSON.parse(listed.out) as { rotations: { secret: string; state: string }[] }).rotations;
            if (boundary === 'before:prepare') {
              // Killed before anything was recorded: nothing to list, nothing to finish.
              expect(listed.code).toBe(0);
              expect(found).toEqual([]);
            } else {
              expect(listed.code).toBe(1);
              expect(found).toEqual([expect.objectContaining({ secret: `${s.alias}:${name}`, state: 'interrupted' })]);
            }

            const fin = await vh(['rotate', finish, '--all', '--tag', `t=${tag}`, '--yes', '--json']);
            expect(fin.code).toBe(0);
            const results = (JSON.parse(fin.out) as { results: { status: string }[] }).results;
            expect(results).toHaveLength(boundary === 'before:prepare' ? 0 : 1);
            for (const r of results) expect(['rotated', 'aborted', 'nothing']).toContain(r.status);

            const end = JSON.parse((await vh(['describe', name, '--json'])).out) as Described;
            expect(end.pending_version).toBeNull();
            expect(end.versions.filter((v) => v.stages.includes('current'))).toHaveLength(1);
            expect(end.versions.filter((v) => v.stages.includes('pending'))).toHaveLength(0);
            const value = await vh(['get', name]);
            expect(value.code).toBe(0);
            if (end.current_version === c0) expect(value.out).toBe(v0);
            else expect(value.out).not.toBe(v0);
            expect(await fs.readdir(join(home, 'vh', 'journal')).catch(() => [])).toEqual([]);
            const after = await vh(['rotations', '--tag', `t=${tag}`, '--json']);
            expect(after.code).toBe(0);
            expect(JSON.parse(after.out).rotations).toEqual([]);
            const next = await vh(['rotate', name, '--yes', '--json']);
            expect(JSON.parse(next.out).status).toBe('rotated');
          } finally {
            await fs.rm(home, { recursive: true, force: true });
          }
        });
      }
    }
  });
}
