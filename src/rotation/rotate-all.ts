import { VhError, isVhError } from '../base/errors.js';
import { metaFilter } from '../core/metadata.js';
import { barrier } from '../base/failpoint.js';
import { stopSignal } from '../base/deadline.js';
import { inShard, type Shard } from '../base/shard.js';
import { mapBounded } from '../base/pool.js';
import { RotationEngine, type RotationOutcome } from './engine.js';
import { CLEANUP, MARKER } from '../core/rotation-state.js';
import { RotationJournal } from './journal.js';
import { rotationOf } from './interrupted.js';
import { includeHint, rotationManagement } from './managed.js';
import type { Runtime } from '../core/runtime.js';
import type { SecretDescription } from '../core/store.js';
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
  /** Also rotate secrets whose values are issued elsewhere (see managed.ts). */
  includeUnmanaged?: boolean;
  /** Only the due cleanups (graces over, held ones asked again): nothing is rotated. */
  cleanupOnly?: boolean;
  onProgress?: (done: number, total: number, failed: number) => void;
}

/**
 * `interrupted`: left alone because an earlier rotation of it was interrupted (its holder is gone) and waits for
 * `rotate --resume` / `--abort`; `unmanaged`: left alone because its value is issued elsewhere.
 */
export type RotateAllStatus = RotationOutcome['status'] | 'interrupted' | 'unmanaged';

export interface RotateAllResult {
  secret: string;
  store: string;
  type: string;
  status: RotateAllStatus;
  version: string | null;
  note: string | null;
  error: { code: string; message: string } | null;
}

export interface RotateAllReport {
  results: RotateAllResult[];
  cleanups: { secret: string; revoked_version: string }[];
  /** Cleanups due but held: the target still sees sessions on the previous credential (`cleanup = "when-idle"`). */
  held: { secret: string; version: string; sessions: number; target: string }[];
  summary: { total: number; rotated: number; skipped: number; failed: number; planned: number; interrupted: number; unmanaged: number; deferred: number; cleanups: number };
}

/**
 * A secret the engine skipped, told apart: `interrupted` when a rotation of it waits for resume or abort and
 * nobody is running it (its process on this host is gone, or it is older than the rotation timeout), so that
 * a quiet run is not green while work is stuck; `skipped` when a live run holds it or rotated it first.
 */
async function classifySkip(rt: Runtime, secret: string, note: string | null): Promise<{ status: 'skipped' | 'interrupted'; note: string | null }> {
  if (note?.startsWith('already rotated by another run')) return { status: 'skipped', note };
  try {
    const r = await rotationOf(rt, secret);
    if (r?.state === 'interrupted') return { status: 'interrupted', note: `rotation ${r.rotation_id ?? '?'} was interrupted (${r.why}); \`vh-secrets rotate ${secret} --resume\` would ${r.resume}, or --abort` };
    return { status: 'skipped', note };
  } catch {
    // The store could not be read again: fall back on what the engine saw.
    return { status: note?.includes('interrupted') || note?.includes('stale') ? 'interrupted' : 'skipped', note };
  }
}

function errorOf(err: unknown): { code: string; message: string } {
  return { code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message };
}

/**
 * Rotates every matching secret with bounded concurrency. Each rotation is conditional on the version seen
 * when the run listed it, so two runs started together (on one host or many) rotate each secret once: the
 * loser of each race reports it skipped. Due deferred cleanups are done first. Secrets whose values are issued
 * elsewhere are left alone (`unmanaged`) unless asked for; an interrupted rotation is reported, not skipped.
 */
export async function rotateAll(rt: Runtime, input: RotateAllInput): Promise<RotateAllReport> {
  const engine = new RotationEngine(rt);
  const journal = new RotationJournal(rt.config.paths.journalDir);
  const aliases = input.store !== undefined ? [rt.resolveAlias(input.store)] : [...rt.config.stores.keys()].sort();
  const filter = { metadata: metaFilter(input.type, input.tags) };
  const work: { secret: string; store: string; type: string; version: string; metadata: Record<string, string>; description?: SecretDescription }[] = [];
  const results: RotateAllResult[] = [];
  for (const alias of aliases) {
    try {
      const store = await rt.store(alias);
      for await (const s of store.list(filter)) {
        const secret = `${alias}:${s.name}`;
        if (!s.currentVersion || !inShard(secret, input.shard)) continue;
        if (input.cleanupOnly && !s.metadata[CLEANUP]) continue;
        work.push({ secret, store: alias, type: s.metadata['vh-type'] ?? 'generic', version: s.currentVersion, metadata: s.metadata, ...(s.description ? { description: s.description } : {}) });
      }
    } catch (err) {
      results.push({ secret: `${alias}:*`, store: alias, type: '-', status: 'failed', version: null, note: 'could not list this store', error: errorOf(err) });
    }
  }
  // Tests make two runs overlap here, after both have listed, however busy the machine is.
  await barrier('listed');
  const cleanups: RotateAllReport['cleanups'] = [];
  const held: RotateAllReport['held'] = [];
  let done = 0;
  let failed = results.length;
  const rotated = await mapBounded(work, input.concurrency, async (item): Promise<RotateAllResult> => {
    const base = { secret: item.secret, store: item.store, type: item.type };
    if (stopSignal.aborted) {
      // Asked to stop: the rotations under way finish or roll back; no new one starts.
      done++;
      input.onProgress?.(done, work.length, failed);
      return { ...base, status: 'skipped', version: item.version, note: `not started: stopped by ${String(stopSignal.reason ?? 'a signal')}`, error: null };
    }
    let result: RotateAllResult;
    let changed = false;
    try {
      if (!input.dryRun && item.metadata[CLEANUP]) {
        const done = await engine.cleanupIfDue(item.secret, item.metadata);
        for (const version of done?.revoked ?? []) cleanups.push({ secret: item.secret, revoked_version: version });
        if (done?.held) held.push({ secret: item.secret, version: done.held.version, sessions: done.held.sessions, target: done.held.target });
        changed = done !== undefined;
      }
      if (input.cleanupOnly) {
        result = { ...base, status: 'skipped', version: item.version, note: 'not rotated: --cleanup-only', error: null };
      } else {
      const management = rotationManagement(rt.config, item.secret, item.metadata);
      if (!management.managed && !input.includeUnmanaged) {
        // Never rotated here; but a rotation of it someone forced and left behind is still reported.
        const journaled = (await journal.read(item.secret).catch(() => undefined))?.status === 'in_progress';
        const held = journaled || item.metadata[MARKER] !== undefined ? await classifySkip(rt, item.secret, null) : undefined;
        if (held?.status === 'interrupted') result = { ...base, status: 'interrupted', version: item.version, note: held.note, error: null };
        else result = { ...base, status: 'unmanaged', version: item.version, note: `left alone: ${management.why}; ${includeHint()}`, error: null };
      } else {
        // The listing's description is the plan's (the rotation is conditional on the version it names); a
        // cleanup just done changed the secret, so it is described again.
        const known = changed ? undefined : item.description;
        const o = await engine.rotate(item.secret, { expectedCurrent: item.version, ...(input.dryRun ? { dryRun: true } : {}) }, known);
        result = { ...base, status: o.status, version: o.version, note: o.note, error: o.error ? { code: o.error.code, message: o.error.message } : null };
        if (o.status === 'skipped') Object.assign(result, await classifySkip(rt, item.secret, o.note));
      }
      }
    } catch (err) {
      result = { ...base, status: 'failed', version: item.version, note: null, error: errorOf(err) };
    }
    done++;
    if (result.status === 'failed' || result.status === 'reload_failed') failed++;
    input.onProgress?.(done, work.length, failed);
    return result;
  });
  results.push(...rotated);
  const count = (s: RotateAllStatus) => results.filter((r) => r.status === s).length;
  return {
    results,
    cleanups,
    held,
    summary: {
      total: results.length,
      rotated: count('rotated'),
      skipped: count('skipped'),
      failed: count('failed') + count('reload_failed'),
      planned: count('planned'),
      interrupted: count('interrupted'),
      unmanaged: count('unmanaged'),
      // Rotating them now would cut a credential inside its grace: a later run rotates them once it is over.
      deferred: count('deferred'),
      cleanups: cleanups.length,
    },
  };
}
