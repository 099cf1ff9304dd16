import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isVhError } from '../base/errors.js';
import { mapBounded } from '../base/pool.js';
import { MARKER, parseMarker, rotationSettings, type RotationSettings } from '../core/rotation-state.js';
import type { Runtime } from '../core/runtime.js';
import { resolveRef } from '../core/secrets.js';
import type { Metadata, SecretDescription } from '../core/store.js';
import { rotationLockPath } from './engine.js';
import { PHASES, RotationJournal, type JournalEntry, type Phase } from './journal.js';
import { targetConfigFor } from './targets.js';

/**
 * Every rotation that has started and not ended: from this host's journal (`$VH_SECRETS_HOME/journal`) and from
 * the stores' own markers (the `vh-rotation` metadata and a pending version), whichever host left them.
 *
 * A rotation is *in flight* while its holder may still be running: on this host, while the process holding
 * the rotation's local lock is alive; elsewhere, until it is older than the rotation timeout. Otherwise it is
 * *interrupted*: nothing will finish it but `rotate --resume` or `--abort`, and each record says what those
 * would do, from the same facts the engine acts on.
 */

export type RotationState = 'in_flight' | 'interrupted';

export interface RotationRecord {
  secret: string;
  store: string;
  rotation_id: string | null;
  /** Where it was found: this host's journal, the store's marker or pending version, or both. */
  source: 'journal' | 'store' | 'journal+store';
  type: string | null;
  /** The last phase that completed (from the journal; a store-only record knows only whether it staged). */
  phase: Phase | null;
  host: string | null;
  /** The process that holds (or held) it, when it ran on this host. */
  pid: number | null;
  started_at: string | null;
  age_seconds: number | null;
  /** alive: the holder runs on this host; gone: it does not, or the record is older than the timeout. */
  holder: 'alive' | 'gone' | 'unknown';
  state: RotationState;
  /** Why it is in flight or interrupted, in words. */
  why: string;
  from_version: string | null;
  current_version: string | null;
  pending_version: string | null;
  /** False when the store no longer has the secret (deleted, or restored elsewhere from a backup). */
  secret_exists: boolean;
  /** What `rotate --resume` would do, and what `rotate --abort` would do. */
  resume: string;
  abort: string;
  /** The secret's metadata as the store holds it (filters use it); not part of the report. */
  metadata?: Metadata;
}

export interface RotationsReport {
  generated_at: string;
  rotations: RotationRecord[];
  /** Stores or journal files that could not be read: their rotations are unknown. */
  errors: { where: string; code: string; message: string }[];
  summary: { total: number; interrupted: number; in_flight: number };
}

export interface RotationsInput {
  store?: string;
  type?: string;
  tags?: Record<string, string>;
  now?: Date;
  settings?: RotationSettings;
}

function lockPathFor(rt: Runtime, secret: string): string {
  return rotationLockPath(rt.config.paths.lockDir, secret);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live process on this host holding the rotation lock of `secret`, if any. */
async function lockHolder(rt: Runtime, secret: string): Promise<number | 'starting' | undefined> {
  const path = lockPathFor(rt, secret);
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const owner = JSON.parse(text) as { pid?: unknown; host?: unknown };
    if (typeof owner.pid === 'number' && owner.host === hostname() && pidAlive(owner.pid)) return owner.pid;
    return undefined;
  } catch {
    // Half-written by a process taking it this very moment.
    const st = await fs.stat(path).catch(() => undefined);
    return st && Date.now() - st.mtimeMs < 10_000 ? 'starting' : undefined;
  }
}

/** Every in-progress entry of the local journal, and the files that could not be read. */
export async function readJournals(dir: string): Promise<{ entries: JournalEntry[]; errors: RotationsReport['errors'] }> {
  const entries: JournalEntry[] = [];
  const errors: RotationsReport['errors'] = [];
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries, errors };
    return { entries, errors: [{ where: dir, code: 'IO', message: `cannot read the rotation journal directory: ${(err as Error).message}` }] };
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const entry = JSON.parse(await fs.readFile(path, 'utf8')) as JournalEntry;
      if (typeof entry.secret !== 'string' || typeof entry.store !== 'string' || typeof entry.name !== 'string') throw new Error('shape');
      if (entry.status === 'in_progress') entries.push(entry);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // finished meanwhile
      errors.push({ where: path, code: 'INVALID_FORMAT', message: `rotation journal ${path} is corrupted: inspect the secret with \`vh-secrets describe\`, then move the file aside` });
    }
  }
  return { entries, errors };
}

function done(phase: Phase | null, p: Phase): boolean {
  return phase !== null && PHASES.indexOf(phase) >= PHASES.indexOf(p);
}

interface Facts {
  secret: string;
  entry: JournalEntry | undefined;
  desc: SecretDescription | undefined;
  target: string | null;
}

/** What resume and abort would do, as the engine decides it (see RotationEngine.resume / abort). */
function plans(f: Facts): { resume: string; abort: string } {
  const { entry, desc } = f;
  if (!desc) {
    return {
      resume: 'nothing it can do: the secret is gone from the store (abort clears the record)',
      abort: 'clear the rotation record: the secret is gone from the store, nothing to discard',
    };
  }
  const marker = parseMarker(desc.metadata[MARKER]);
  const current = desc.currentVersion ?? '(none)';
  const from = entry?.from_version ?? marker?.from ?? desc.currentVersion ?? null;
  const pending = entry?.pending_version ?? desc.pendingVersion ?? null;
  const at = f.target ? ` at target ${f.target}` : '';
  if (pending !== null && desc.currentVersion === pending) {
    const cleanup = entry?.emergency ? `revoke version ${from} now` : `keep version ${from} valid for the grace period`;
    if (entry?.error?.phase === 'reload') {
      return {
        resume: `reload again (it failed: ${entry.error.message}), then ${cleanup}`,
        abort: `cannot undo: version ${pending} is already current, so abort completes the rotation without its reload (${cleanup})`,
      };
    }
    return {
      resume: `finish: version ${pending} is already current; record it and ${cleanup}`,
      abort: `cannot undo: version ${pending} is already current, so abort completes the rotation instead (${cleanup})`,
    };
  }
  if (pending !== null && desc.pendingVersion === pending) {
    const apply = f.target && entry?.target_applied !== true ? `apply it${at}, ` : '';
    const step = done(entry?.phase ?? null, 'verify') ? 'promote' : `${apply}verify${f.target && !apply ? at : ''} and promote`;
    return {
      resume: `${step} staged version ${pending}`,
      abort: `discard pending version ${pending}${f.target ? `, restore the current value${at}` : ''}; version ${current} stays current`,
    };
  }
  if (pending !== null) {
    return {
      resume: `start over from version ${current} (staged version ${pending} no longer exists in the store)`,
      abort: `clear the rotation record (staged version ${pending} no longer exists in the store); version ${current} stays current`,
    };
  }
  return {
    resume: `start over from version ${current}: generate, stage${at ? ` (and apply${at})` : ''}, verify, promote`,
    abort: `clear the rotation record${marker ? ' and its vh-rotation marker' : ''}; nothing was staged, version ${current} stays current`,
  };
}

function ageSeconds(since: string | null, now: Date): number | null {
  const t = since ? Date.parse(since) : NaN;
  return Number.isFinite(t) ? Math.max(0, Math.round((now.getTime() - t) / 1000)) : null;
}

function minutes(s: number): string {
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 360) / 10} h`;
}

/**
 * Builds the record of one secret's rotation from its journal entry (this host) and its description (the
 * store; undefined when the secret is gone). Undefined when no rotation is under way.
 */
async function recordOf(rt: Runtime, f: Facts, now: Date, settings: RotationSettings): Promise<RotationRecord | undefined> {
  const { entry, desc } = f;
  const marker = desc ? parseMarker(desc.metadata[MARKER]) : undefined;
  if (!entry && !marker && !desc?.pendingVersion) return undefined;
  const [store] = f.secret.split(':', 1) as [string];
  const startedAt = entry?.started_at ?? marker?.at ?? desc?.versions.find((v) => v.version === desc.pendingVersion)?.createdAt ?? null;
  const age = ageSeconds(startedAt, now);
  const timeout = settings.timeoutMinutes * 60;
  const host = entry?.host ?? (marker?.host || null);
  let holder: RotationRecord['holder'];
  let pid: number | null = entry?.pid ?? null;
  let why: string;
  if (entry && entry.host === hostname()) {
    const live = await lockHolder(rt, f.secret);
    if (live !== undefined) {
      holder = 'alive';
      if (typeof live === 'number') pid = live;
      why = `running on this host${typeof live === 'number' ? ` (pid ${live})` : ''}`;
    } else {
      // It may have ended (or moved on a phase) between the two reads: look again before calling it interrupted.
      const again = await new RotationJournal(rt.config.paths.journalDir).read(f.secret).catch(() => undefined);
      if (!again || again.status !== 'in_progress') return undefined;
      holder = again.updated_at === entry.updated_at ? 'gone' : 'alive';
      why = holder !== 'gone' ? 'running on this host' : entry.error?.phase === 'reload' ? 'its reload failed after the promote' : `its process (pid ${entry.pid}) on this host is gone`;
    }
  } else if (age === null) {
    holder = 'gone';
    why = 'no start time is recorded';
  } else if (age > timeout) {
    holder = 'gone';
    why = `older than the rotation timeout (${minutes(timeout)}; VOICEHIVE_ROTATION_TIMEOUT_MINUTES)`;
  } else {
    holder = 'unknown';
    why = `started ${minutes(age)} ago on ${host ?? 'another host'}; may still be running (taken over after the rotation timeout, or with --force)`;
  }
  const type = desc?.metadata['vh-type'] ?? entry?.type ?? null;
  return {
    secret: f.secret,
    store,
    rotation_id: entry?.id ?? marker?.id ?? null,
    source: entry && (marker || desc?.pendingVersion) ? 'journal+store' : entry ? 'journal' : 'store',
    type,
    phase: entry ? entry.phase : desc?.pendingVersion ? 'stage' : null,
    host,
    pid: entry ? pid : null,
    started_at: startedAt,
    age_seconds: age,
    holder,
    state: holder === 'gone' ? 'interrupted' : 'in_flight',
    why,
    from_version: entry?.from_version ?? marker?.from ?? null,
    current_version: desc?.currentVersion ?? null,
    pending_version: entry?.pending_version ?? desc?.pendingVersion ?? null,
    secret_exists: desc !== undefined,
    ...plans(f),
    ...(desc ? { metadata: desc.metadata } : {}),
  };
}

function targetName(rt: Runtime, secret: string, entry: JournalEntry | undefined, desc: SecretDescription | undefined): string | null {
  if (entry?.target) return entry.target;
  if (!desc) return null;
  try {
    return targetConfigFor(rt.config, secret, desc.metadata)?.name ?? null;
  } catch {
    return desc.metadata['vh-target'] ?? null;
  }
}

async function describeOrGone(rt: Runtime, store: string, name: string): Promise<SecretDescription | undefined> {
  try {
    return await (await rt.store(store)).describe(name);
  } catch (err) {
    if (isVhError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

/** The rotation under way on one secret (`store:name`), if any. */
export async function rotationOf(rt: Runtime, secret: string, options: { now?: Date; settings?: RotationSettings } = {}): Promise<RotationRecord | undefined> {
  const ref = resolveRef(rt, secret);
  const journal = new RotationJournal(rt.config.paths.journalDir);
  const entry = await journal.read(ref.id).catch(() => undefined);
  const desc = await describeOrGone(rt, ref.store, ref.name);
  return recordOf(rt, { secret: ref.id, entry: entry?.status === 'in_progress' ? entry : undefined, desc, target: targetName(rt, ref.id, entry, desc) }, options.now ?? new Date(), options.settings ?? rotationSettings());
}

function matches(r: RotationRecord, input: RotationsInput): boolean {
  if (input.type !== undefined && r.type !== input.type) return false;
  const tags = Object.entries(input.tags ?? {});
  if (tags.length === 0) return true;
  return r.metadata !== undefined && tags.every(([k, v]) => r.metadata![k] === v);
}

/** Every interrupted and in-flight rotation in the journal and in the stores (or one store). */
export async function findRotations(rt: Runtime, input: RotationsInput = {}): Promise<RotationsReport> {
  const now = input.now ?? new Date();
  const settings = input.settings ?? rotationSettings();
  const only = input.store !== undefined ? rt.resolveAlias(input.store) : undefined;
  const aliases = only !== undefined ? [only] : [...rt.config.stores.keys()].sort();
  const { entries, errors } = await readJournals(rt.config.paths.journalDir);
  const journaled = new Map(entries.filter((e) => only === undefined || e.store === only).map((e) => [e.secret, e]));
  const records: RotationRecord[] = [];
  const seen = new Set<string>();
  const unreadable = new Set<string>();

  await mapBounded(aliases, 4, async (alias) => {
    try {
      const store = await rt.store(alias);
      const names: string[] = [];
      // The filters narrow the listing; the type is matched on the record (a journal knows it too).
      for await (const s of store.list(Object.keys(input.tags ?? {}).length ? { metadata: { ...input.tags } } : undefined)) names.push(s.name);
      await mapBounded(names, 16, async (name) => {
        const secret = `${alias}:${name}`;
        try {
          const desc = await store.describe(name);
          const entry = journaled.get(secret);
          if (!entry && !desc.pendingVersion && !desc.metadata[MARKER]) return;
          seen.add(secret);
          const r = await recordOf(rt, { secret, entry, desc, target: targetName(rt, secret, entry, desc) }, now, settings);
          if (r) records.push(r);
        } catch (err) {
          if (isVhError(err) && err.code === 'NOT_FOUND') return; // deleted between list and describe
          errors.push({ where: secret, code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message });
        }
      });
    } catch (err) {
      unreadable.add(alias);
      errors.push({ where: alias, code: isVhError(err) ? err.code : 'INTERNAL', message: `could not list store ${alias}: ${(err as Error).message}` });
    }
  });

  // Journal entries the listing did not meet: the secret is gone, or its store is not configured (or not read).
  for (const entry of journaled.values()) {
    if (seen.has(entry.secret) || unreadable.has(entry.store)) continue;
    if (!rt.config.stores.has(entry.store)) {
      errors.push({ where: entry.secret, code: 'CONFIG', message: `the journal holds a rotation of ${entry.secret}, but no store "${entry.store}" is configured` });
      continue;
    }
    try {
      const desc = await describeOrGone(rt, entry.store, entry.name);
      const r = await recordOf(rt, { secret: entry.secret, entry, desc, target: targetName(rt, entry.secret, entry, desc) }, now, settings);
      if (r) records.push(r);
    } catch (err) {
      errors.push({ where: entry.secret, code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message });
    }
  }

  const rotations = records.filter((r) => matches(r, input)).sort((a, b) => a.secret.localeCompare(b.secret));
  return {
    generated_at: now.toISOString(),
    rotations,
    errors,
    summary: { total: rotations.length, interrupted: rotations.filter((r) => r.state === 'interrupted').length, in_flight: rotations.filter((r) => r.state === 'in_flight').length },
  };
}

