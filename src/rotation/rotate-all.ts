import { VhError, isVhError } from '../base/errors.js';
import { metaFilter } from '../core/metadata.js';
import { barrier } from '../base/failpoint.js';
import { inShard, type Shard } from '../base/shard.js';
import { mapBounded } from '../base/pool.js';
import { RotationEngine, type RotationOutcome } from './engine.js';
import { CLEANUP } from '../core/rotation-state.js';
import type { Runtime } from '../core/runtime.js';
import type { SecretType } from '../core/types.js';

export function parseConcurrency(text: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const raw = text ?? env.VOICEHIVE_MAX_CONCURRENT_ROTATIONS ?? '3';
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 256) {
    throw new VhError('USAGE', `concurrency must be a whole number from 1 to 256, not "${raw}"`);
  }
  return Number(raw);
}

export interface RotateAllInput {
  store?: string;
  type?: SecretType;
  tags: Record<string, string>;
  concurrency: number;
  shard?: Shard;
  dryRun?: boolean;
  onProgress?: (done: number, total: number, failed: number) => void;
}

export interface RotateAllResult {
  secret: string;
  status: RotationOutcome['status'];
  version: string | null;
  note: string | null;
  error: { code: string; message: string } | null;
}

export interface RotateAllReport {
  results: RotateAllResult[];
  cleanups: { secret: string; revoked_version: string }[];
  summary: { total: number; rotated: number; skipped: number; failed: number; planned: number; cleanups: number };
}

/**
 * Rotates every matching secret with bounded concurrency. Each rotation is conditional on the version seen
 * when the run listed it, so two runs started together (on one host or many) rotate each secret once: the
 * loser of each race reports it skipped. Due deferred cleanups are done first.
 */
export async function rotateAll(rt: Runtime, input: RotateAllInput): Promise<RotateAllReport> {
  const engine = new RotationEngine(rt);
  const aliases = input.store !== undefined ? [rt.resolveAlias(input.store)] : [...rt.config.stores.keys()].sort();
  const filter = { metadata: metaFilter(input.type, input.tags) };
  const work: { secret: string; version: string; metadata: Record<string, string> }[] = [];
  const results: RotateAllResult[] = [];
  for (const alias of aliases) {
    try {
      const store = await rt.store(alias);
      for await (const s of store.list(filter)) {
        const secret = `${alias}:${s.name}`;
        if (!s.currentVersion || !inShard(secret, input.shard)) continue;
        work.push({ secret, version: s.currentVersion, metadata: s.metadata });
      }
    } catch (err) {
      results.push({ secret: `${alias}:*`, status: 'failed', version: null, note: 'could not list this store', error: { code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message } });
    }
  }
  // Tests make two runs overlap here, after both have listed, however busy the machine is.
  await barrier('listed');
  const cleanups: RotateAllReport['cleanups'] = [];
  let done = 0;
  let failed = results.length;
  const rotated = await mapBounded(work, input.concurrency, async (item): Promise<RotateAllResult> => {
    let result: RotateAllResult;
    try {
      if (!input.dryRun && item.metadata[CLEANUP]) {
        const revoked = await engine.cleanupIfDue(item.secret, item.metadata);
        if (revoked) cleanups.push({ secret: item.secret, revoked_version: revoked });
      }
      const o = await engine.rotate(item.secret, { expectedCurrent: item.version, ...(input.dryRun ? { dryRun: true } : {}) });
      result = { secret: o.secret, status: o.status, version: o.version, note: o.note, error: o.error ? { code: o.error.code, message: o.error.message } : null };
    } catch (err) {
      result = { secret: item.secret, status: 'failed', version: item.version, note: null, error: { code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message } };
    }
    done++;
    if (result.status === 'failed') failed++;
    input.onProgress?.(done, work.length, failed);
    return result;
  });
  results.push(...rotated);
  const count = (s: RotateAllResult['status']) => results.filter((r) => r.status === s).length;
  return {
    results,
    cleanups,
    summary: { total: results.length, rotated: count('rotated'), skipped: count('skipped'), failed: count('failed'), planned: count('planned'), cleanups: cleanups.length },
  };
}
