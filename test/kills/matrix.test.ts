import { killCount, killSeed } from '../helpers/kill.js';
import { killMatrix, type KillMatrixConfig, type KillMatrixResult } from './matrix.js';

/**
 * Kills at any moment (issue 19, part 3): the seeded random-kill matrix on all five stores, and with a
 * PostgreSQL target (single user and alternating users) on the file store and on Vault.
 *
 * The matrices run side by side, each one's kills one after another, its baseline re-measured as it goes so that
 * its kill times follow the machine's load. VH_KILLS_N raises the kills per matrix (default 30),
 * VH_KILLS_SEED replays a run (its seed is printed), VH_KILLS_ONLY=aws,vault+postgres picks matrices.
 */

const CONFIGS: KillMatrixConfig[] = [
  { label: 'file', provider: 'file' },
  { label: 'vault', provider: 'vault' },
  { label: 'aws', provider: 'aws' },
  { label: 'azure', provider: 'azure' },
  { label: 'gcp', provider: 'gcp' },
  { label: 'file+postgres', provider: 'file', target: 'postgres' },
  // In the larger run only (VH_KILLS_FULL=1, or named in VH_KILLS_ONLY): file+postgres covers the target in CI.
  { label: 'vault+postgres', provider: 'vault', target: 'postgres', fullOnly: true },
];
const only = process.env.VH_KILLS_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const configs = only ? CONFIGS.filter((c) => only.includes(c.label)) : CONFIGS.filter((c) => !c.fullOnly || process.env.VH_KILLS_FULL === '1');
const seed = killSeed();
process.stderr.write(`kill matrix: seed ${seed} (replay with VH_KILLS_SEED=${seed})\n`);

/** All matrices run at once, and start killing together once every one has created its secrets. */
const results = new Map<string, Promise<KillMatrixResult>>();
beforeAll(() => {
  let waiting = configs.length;
  let release: () => void = () => undefined;
  const allReady = new Promise<void>((resolve) => (release = resolve));
  const ready = async () => {
    if (--waiting === 0) release();
    await allReady;
  };
  for (const c of configs) results.set(c.label, killMatrix(c, seed, ready));
  // A rejected matrix is reported by its own test; keep it from being an unhandled rejection meanwhile.
  for (const r of results.values()) r.catch(() => undefined);
});

const HOUR = 3_600_000;
describe('kills at any moment', () => {
  for (const c of configs) {
    test(`${c.label}: random SIGKILLs over the whole rotation, then --resume or --abort: always a legal state`, async () => {
      const r = await results.get(c.label)!;
      if (r.skip) {
        process.stderr.write(`SKIP kill matrix ${c.label}: ${r.skip}\n`);
        return;
      }
      const failed = r.records.filter((k) => k.problems.length > 0);
      const rows = failed.map(
        (k) => `  kill ${String(k.index).padStart(3, '0')} at ${k.fraction.toFixed(3)} of its ${k.window} window (${Math.round(k.ms)} ms${k.strategy ? `, ${k.strategy}` : ''}), last phase ${k.phase}, then ${k.finish} → ${k.status}:\n${k.problems.map((p) => `      - ${p}`).join('\n')}`,
      );
      process.stderr.write(`\n${r.summary}\n${rows.join('\n')}${rows.length ? '\n' : ''}`);
      expect(r.records.filter((k) => k.phase !== 'finished').length).toBeGreaterThanOrEqual(killCount());
      expect(rows).toEqual([]);
    }, HOUR);
  }
});
