import { isVhError, type ErrorCode } from '../base/errors.js';
import type { Stage } from './ref.js';
import type { Runtime } from './runtime.js';
import { resolveRef } from './secrets.js';
import type { SecretDescription } from './store.js';

/** One secret reference as it was read into an environment, and the version read. */
export interface ReadVersion {
  ref: string;
  version: string;
}

/** A watched secret whose version moved: `ref` is `store:name`, with `@stage` for a stage other than current. */
export interface VersionChange {
  ref: string;
  from: string | undefined;
  to: string | undefined;
}

/** A watched secret whose version could not be read this time (no value or version in the message). */
export interface VersionCheckFailure {
  ref: string;
  code: ErrorCode | 'INTERNAL';
  message: string;
}

export interface VersionCheck {
  changed: VersionChange[];
  failed: VersionCheckFailure[];
}

interface Watched {
  ref: string;
  store: string;
  name: string;
  stage: Stage;
  /** The version in the environment; null when its bindings read different versions (so it counts as moved). */
  version: string | null;
}

/**
 * Which version of each secret an environment holds, and whether the store has moved on since: what
 * `run --watch` polls. A reference pinned to a version id (`@3`) is not watched — it can never read anything
 * else; a stage (`@previous`) follows the version that holds it. A check reads metadata only (`describe`, one
 * call per secret, not audited: no value is read); the reads that follow a change are audited as usual.
 */
export class VersionWatch {
  private readonly watched = new Map<string, Watched>();
  /** References pinned to a version id, as given (`local:app/db@3`). */
  readonly pinned: string[] = [];

  constructor(
    private readonly rt: Runtime,
    read: readonly ReadVersion[],
  ) {
    for (const r of read) {
      const ref = resolveRef(rt, r.ref);
      if (ref.selector && 'version' in ref.selector) {
        const shown = `${ref.id}@${ref.selector.version}`;
        if (!this.pinned.includes(shown)) this.pinned.push(shown);
        continue;
      }
      const stage = ref.selector?.stage ?? 'current';
      const key = watchKey(ref.id, stage);
      if (!this.watched.has(key)) this.watched.set(key, { ref: key, store: ref.store, name: ref.name, stage, version: null });
    }
    this.accept(read);
  }

  /** The secrets watched (`store:name[@stage]`), in the order first referenced. */
  get refs(): string[] {
    return [...this.watched.keys()];
  }

  /**
   * The versions now in the environment (after a fresh read): what later checks compare with. Two bindings of
   * one secret that read different versions (a write between the two reads) leave it counted as moved.
   */
  accept(read: readonly ReadVersion[]): void {
    const seen = new Map<string, string | null>();
    for (const r of read) {
      const key = this.keyOf(r.ref);
      if (key === undefined) continue;
      if (!seen.has(key)) seen.set(key, r.version);
      else if (seen.get(key) !== r.version) seen.set(key, null);
    }
    for (const [key, version] of seen) this.watched.get(key)!.version = version;
  }

  /** Each watched secret's version as the store has it now, against the one in the environment. */
  async check(): Promise<VersionCheck> {
    const byName = new Map<string, Watched[]>();
    for (const w of this.watched.values()) {
      const id = `${w.store}:${w.name}`;
      byName.set(id, [...(byName.get(id) ?? []), w]);
    }
    const result: VersionCheck = { changed: [], failed: [] };
    await Promise.all(
      [...byName.values()].map(async (group) => {
        const { store: alias, name } = group[0]!;
        let desc: SecretDescription;
        try {
          const store = await this.rt.store(alias);
          desc = await store.describe(name);
        } catch (err) {
          for (const w of group) {
            result.failed.push({ ref: w.ref, code: isVhError(err) ? err.code : 'INTERNAL', message: err instanceof Error ? err.message : String(err) });
          }
          return;
        }
        for (const w of group) {
          const now = versionAt(desc, w.stage);
          if (w.version === null || now !== w.version) result.changed.push({ ref: w.ref, from: w.version ?? undefined, to: now });
        }
      }),
    );
    const order = this.refs;
    const byOrder = (a: { ref: string }, b: { ref: string }) => order.indexOf(a.ref) - order.indexOf(b.ref);
    result.changed.sort(byOrder);
    result.failed.sort(byOrder);
    return result;
  }

  private keyOf(text: string): string | undefined {
    const ref = resolveRef(this.rt, text);
    if (ref.selector && 'version' in ref.selector) return undefined;
    return watchKey(ref.id, ref.selector?.stage ?? 'current');
  }
}

function watchKey(id: string, stage: Stage): string {
  return stage === 'current' ? id : `${id}@${stage}`;
}

/** The version holding `stage` (undefined when none does, e.g. nothing pending, or the secret is revoked). */
function versionAt(desc: SecretDescription, stage: Stage): string | undefined {
  if (desc.revoked) return undefined;
  if (stage === 'current') return desc.currentVersion;
  if (stage === 'pending') return desc.pendingVersion ?? desc.versions.find((v) => v.stages.includes('pending'))?.version;
  return desc.versions.find((v) => v.stages.includes(stage))?.version;
}
