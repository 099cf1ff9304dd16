import { VhError, isVhError, type ErrorCode } from '../base/errors.js';
import { decodeMeta } from '../core/metadata.js';
import type { Runtime } from '../core/runtime.js';
import { authorize, resolveRef } from '../core/secrets.js';
import { readSecret, restoreOne, type RestoreAction, type RestoreOutcome } from './backup.js';

/**
 * `copy`: secrets from one store to another (or to another name), the way `restore` writes them — metadata
 * along, a newer or unknown value in the target never overwritten without `force`, an equal one left alone —
 * but straight from the source, with no archive in between. The building block for migrations.
 */
export interface CopyInput {
  /** One secret: `SRC` and `DST` (`STORE:` keeps the name). */
  from?: string;
  to?: string;
  /** Every secret of `fromStore` (default: the default store) under `prefix`, to `toStore`. */
  all?: { fromStore?: string; prefix?: string; toStore: string };
  force: boolean;
  dryRun: boolean;
}

export interface CopyReport {
  dry_run: boolean;
  force: boolean;
  results: RestoreOutcome[];
  summary: Record<RestoreAction, number> & { total: number };
}

/** `STORE:` (nothing after the colon) names a store; the secret keeps its name there. */
function destination(rt: Runtime, to: string, name: string): { store: string; name: string } {
  if (/^[A-Za-z0-9_.-]+:$/.test(to)) return { store: rt.resolveAlias(to.slice(0, -1)), name };
  const ref = resolveRef(rt, to);
  if (ref.selector || ref.key) throw new VhError('USAGE', `copy writes whole secrets: drop the @VERSION / #KEY part of "${to}"`);
  return { store: ref.store, name: ref.name };
}

export async function copySecrets(rt: Runtime, input: CopyInput): Promise<CopyReport> {
  const pairs: { from: { store: string; name: string }; to: { store: string; name: string } }[] = [];
  if (input.all) {
    const fromStore = rt.resolveAlias(input.all.fromStore);
    const toStore = rt.resolveAlias(input.all.toStore);
    if (fromStore === toStore) throw new VhError('USAGE', `--to-store is the store copied from ("${fromStore}")`);
    await authorize(rt, 'backup', { store: fromStore, id: `${fromStore}:*` });
    const store = await rt.store(fromStore);
    for await (const s of store.list(input.all.prefix ? { prefix: input.all.prefix } : undefined)) pairs.push({ from: { store: fromStore, name: s.name }, to: { store: toStore, name: s.name } });
  } else {
    const src = resolveRef(rt, input.from!);
    if (src.selector || src.key) throw new VhError('USAGE', `copy reads whole secrets: drop the @VERSION / #KEY part of "${input.from}"`);
    const to = destination(rt, input.to!, src.name);
    if (to.store === src.store && to.name === src.name) throw new VhError('USAGE', `"${input.to}" is the secret copied from`);
    pairs.push({ from: { store: src.store, name: src.name }, to });
  }
  const results: RestoreOutcome[] = [];
  for (const { from, to } of pairs) {
    const source = `${from.store}:${from.name}`;
    let outcome: RestoreOutcome;
    let type: string | null = null;
    try {
      await authorize(rt, 'get', { store: from.store, id: source });
      const secret = await readSecret(rt, from.store, await rt.store(from.store), from.name, false, 'copy');
      type = decodeMeta(secret.metadata).type;
      outcome = await restoreOne(rt, { ...secret, name: to.name }, { archive: '', identityFile: '', toStore: to.store, dryRun: input.dryRun, force: input.force }, source);
    } catch (err) {
      if (!input.all && isVhError(err) && err.code === 'NOT_FOUND') throw new VhError('NOT_FOUND', `secret ${source} not found`, { hint: 'check the name with `vh-secrets list`' });
      const code: ErrorCode = isVhError(err) ? err.code : 'INTERNAL';
      outcome = { secret: `${to.store}:${to.name}`, source, action: 'failed', reason: null, versions: 0, version: null, error: { code, message: isVhError(err) ? err.message : 'unexpected error' } };
    }
    results.push(outcome);
    if (!input.dryRun) {
      await rt.audit.record({
        event: 'restored',
        secret: outcome.secret,
        secret_type: type,
        store: to.store,
        success: outcome.action !== 'failed' && outcome.action !== 'conflict',
        error_code: outcome.error?.code ?? (outcome.action === 'conflict' ? 'CONFLICT' : null),
        details: { purpose: 'copy', action: outcome.action, source, reason: outcome.reason, version: outcome.version, forced: input.force },
      });
    }
  }
  const summary = { total: results.length, created: 0, updated: 0, skipped: 0, conflict: 0, failed: 0 };
  for (const r of results) summary[r.action] += 1;
  return { dry_run: input.dryRun, force: input.force, results, summary };
}
