import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { uniqueName } from '../providers/contract.js';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';

const PHASES = ['prepare', 'generate', 'stage', 'verify', 'promote', 'cleanup'];
const BOUNDARIES = PHASES.flatMap((p) => [`before:${p}`, `after:${p}`]);

type Json = Record<string, unknown>;
interface Described {
  current_version: string;
  pending_version: string | null;
  versions: { version: string; state: string; stages: string[] }[];
}

/**
 * For every phase boundary: SIGKILL the rotation there, check the secret is still readable, then finish with
 * `--resume` (and, separately, `--abort`) and check the end state: exactly one current version, no pending
 * version, no marker, the current value readable, and an audit story that ends in `rotated` or `rolled_back`.
 */
export async function crashMatrix(provider: string): Promise<void> {
  const shared = tempHome('vh-crash-shared-');
  const store = (await storesUnderTest(shared)).find((s) => s.provider === provider)!;
  const rows: string[] = [];
  (store.skip ? describe.skip : describe)(`crash safety on ${provider}`, () => {
    afterAll(async () => {
      await fs.rm(shared, { recursive: true, force: true });
      if (rows.length) process.stderr.write(`\ncrash matrix (${provider}):\n${rows.join('\n')}\n`);
    });

    for (const boundary of BOUNDARIES) {
      for (const finish of ['--resume', '--abort'] as const) {
        test(`${boundary} then ${finish}`, async () => {
          const home = tempHome('vh-crash-');
          const env = await store.env(home);
          const vh = (args: string[], extra: NodeJS.ProcessEnv = {}) => run(args, { env: { ...env, ...extra } });
          try {
            const name = uniqueName('crash');
            expect((await vh(['create', name, '--type', 'api_key', '--generate'])).code).toBe(0);
            const v0 = (await vh(['get', name])).out;
            const c0 = (JSON.parse((await vh(['describe', name, '--json'])).out) as Described).current_version;

            const crashed = await vh(['rotate', name, '--yes', '--force'], { VH_SECRETS_FAILPOINT: boundary });
            expect(crashed.signal).toBe('SIGKILL');

            // Readable right after the crash, and consistent with what is current.
            const mid = JSON.parse((await vh(['describe', name, '--json'])).out) as Described;
            const midValue = await vh(['get', name]);
            expect(midValue.code).toBe(0);
            if (mid.current_version === c0) expect(midValue.out).toBe(v0);
            else expect(midValue.out).not.toBe(v0);

            const fin = await vh(['rotate', name, finish, '--json']);
            expect(fin.code).toBe(0);
            const o = JSON.parse(fin.out) as { status: string; rotation_id: string | null };

            const end = JSON.parse((await vh(['describe', name, '--json'])).out) as Described;
            expect(end.pending_version).toBeNull();
            expect(end.versions.filter((v) => v.stages.includes('current'))).toHaveLength(1);
            expect(end.versions.filter((v) => v.stages.includes('pending'))).toHaveLength(0);
            const endValue = await vh(['get', name]);
            expect(endValue.code).toBe(0);
            if (end.current_version === c0) expect(endValue.out).toBe(v0);
            else expect(endValue.out).toMatch(/^[A-Za-z0-9]{40}$/);
            // No journal left behind, and the secret is free for the next rotation.
            expect(await fs.readdir(join(home, 'vh', 'journal')).catch(() => [])).toEqual([]);
            const next = await vh(['rotate', name, '--yes', '--force', '--json']);
            expect(JSON.parse(next.out).status).toBe('rotated');

            const log = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Json);
            const id = o.rotation_id;
            const story = log.filter((e) => id && (e.details as Json)?.rotation_id === id).map((e) => e.event as string);
            const outcomeText = end.current_version === c0 ? 'kept old' : 'rotated';
            if (boundary !== 'before:prepare') {
              expect(story[0]).toBe('rotation_started');
              expect(['rotated', 'rolled_back', 'rotation_phase', 'revoked']).toContain(story[story.length - 1]);
              expect(story.some((e) => e === 'rotated' || e === 'rolled_back')).toBe(true);
            }
            rows.push(`  ${boundary.padEnd(16)} ${finish.padEnd(9)} → ${o.status.padEnd(8)} (${outcomeText}; readable after crash: yes)`);
          } finally {
            await fs.rm(home, { recursive: true, force: true });
          }
        });
      }
    }
  });
}
