import { noteCurrentValue } from '../core/value-index.js';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AuditEventType, DetailValue } from '../audit/event.js';
import { VhError, isVhError } from '../base/errors.js';
import { isUnconfirmed } from '../base/retry.js';
import { failpoint } from '../base/failpoint.js';
import { stopSignal } from '../base/deadline.js';
import { FileLock, ensurePrivateDir } from '../base/fsutil.js';
import { CLEANUP, CLEANUP_HELD, FAILED_AT, KEY, MARKER, MAX_CLEANUPS, ROTATED_AT, formatCleanups, formatHeld, formatMarker, parseHeld, parseCleanups, parseMarker, rotationSettings, type Marker, type HeldCleanup, type PendingCleanup, type RotationSettings } from '../core/rotation-state.js';
import { PHASES, RotationJournal, type JournalEntry, type Phase } from './journal.js';
import type { Runtime } from '../core/runtime.js';
import { checkValue, enforce } from '../core/policy.js';
import { authorize, elapsedMs, generateCompliant, resolveRef, type ResolvedRef } from '../core/secrets.js';
import type { Metadata, Observation, SecretDescription, SecretStore, VersionInfo } from '../core/store.js';
import { credentialOf, defaultTargetKey, openTargetFor, targetConfigFor } from './targets.js';
import { isSecretType, type SecretType } from '../core/types.js';
import { targetUnchanged } from '../targets/errors.js';
import { describeReload, reloadsFor, runReload } from './reload.js';
import type { Credential, RotationTarget } from '../core/target.js';

/**
 * The rotation engine: prepare → generate → stage → verify → promote → cleanup.
 *
 * The lock is in the store: the pending version itself (a store accepts one pending version per secret, and
 * the write is conditional on the current version), plus a `vh-rotation` marker naming the rotation, its
 * starting version, time and host. Every phase is written to the local journal (fsync'd) and the audit log
 * before the next begins; a value is never written anywhere but the store. Anything that fails before promote
 * is rolled back; a process killed at any point leaves a state `resume` or `abort` finishes, and the current
 * version stays readable throughout.
 */

/** `deferred`: not rotated now, because it would cut a credential still inside its grace period (see graceCut). */
/** `reload_failed`: promoted, but a `[[reload]]` failed; the previous version stays valid until `--resume` reloads. */
export type RotationStatus = 'rotated' | 'skipped' | 'failed' | 'planned' | 'aborted' | 'nothing' | 'deferred' | 'reload_failed';

export interface RotationOutcome {
  secret: string;
  status: RotationStatus;
  /** The new current version (rotated), or the current one (skipped / planned / aborted). */
  version: string | null;
  previous_version: string | null;
  rotation_id: string | null;
  /** Why it was skipped, or what resume/abort did. */
  note: string | null;
  cleanup: 'revoked' | 'deferred' | 'none';
  error: { code: string; message: string; phase: Phase | null } | null;
}

export interface RotateOptions {
  emergency?: boolean;
  reason?: string;
  dryRun?: boolean;
  /** From a rotate-all snapshot: skip if the secret was rotated since. */
  expectedCurrent?: string;
  /** Rotate even when that cuts a credential still inside its grace period (--emergency implies it). */
  force?: boolean;
  /**
   * The new value, supplied (`rotate --value-file`, `set`) instead of generated — a credential issued elsewhere.
   * For a keyed secret (`#KEY`, or a credential object), the new value of that key.
   */
  value?: Buffer;
  onPhase?: (phase: Phase) => void;
}

interface PlanBase {
  ref: ResolvedRef;
  options: RotateOptions;
  /** What the plan would do (`planned`), or why it does nothing (skipped, deferred): what --dry-run shows. */
  summary: RotationOutcome;
}

/** One rotation, read once (see RotationEngine.plan). */
export type RotationPlan =
  | (PlanBase & { ready: false })
  | (PlanBase & {
      ready: true;
      store: SecretStore;
      desc: SecretDescription;
      type: SecretType;
      from: string;
      key: string | null;
      /** The value of `from`. */
      current: Buffer;
      /** What the read of `current` saw of the store (see Observation): the stage may start from it. */
      seen: Observation | undefined;
      target: RotationTarget | undefined;
    });

function newRotationId(): string {
  return `rot-${new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
}

function outcome(secret: string, status: RotationStatus, fields: Partial<RotationOutcome> = {}): RotationOutcome {
  return { secret, status, version: null, previous_version: null, rotation_id: null, note: null, cleanup: 'none', error: null, ...fields };
}

/** The same-host lock a rotation of `secret` holds (`locks/rotate-<hash>.lock`); `rotations` asks who holds it. */
export function rotationLockPath(lockDir: string, secret: string): string {
  return join(lockDir, `rotate-${createHash('sha256').update(secret).digest('hex').slice(0, 32)}.lock`);
}

/**
 * The grace promise across rotations. Each previous version waits out its own grace (`vh-cleanup` lists them);
 * a later rotation never shortens it where the store and target can hold it. Where they cannot — a target with
 * two slots (alternating users: staging the new credential overwrites the older user's password), or more
 * versions waiting than the store's metadata can list — the rotation would cut the oldest ones: those are `cut`.
 * `due`: graces already over, revoked by this rotation. `keep`: still in grace, left to wait.
 */
export function graceCut(metadata: Metadata, from: string | null, alternating: boolean, now: number, live?: (version: string) => boolean, idleCheck = false): { due: PendingCleanup[]; cut: PendingCleanup[]; keep: PendingCleanup[] } {
  const waiting = parseCleanups(metadata[CLEANUP]).filter((c) => c.version !== from && (live?.(c.version) ?? true));
  // A cleanup held because sessions still use that credential (`when-idle`) is kept like one still in grace;
  // so is one whose grace is over when the target wants an idle check first that has not run yet (`idleCheck`):
  // only the cleanup (`cleanupIfDue`) asks the target, never a rotation in passing.
  const held = parseHeld(metadata[CLEANUP_HELD]);
  const inUse = (c: PendingCleanup) => held !== undefined && held.version === c.version;
  for (const c of waiting) if (inUse(c)) c.inUse = held!.sessions;
  const over = waiting.filter((c) => Date.parse(c.notBefore) <= now && !inUse(c));
  if (idleCheck) for (const c of over) c.unchecked = true;
  const due = idleCheck ? [] : over;
  const graced = waiting.filter((c) => !due.includes(c));
  // Beside the current and the new credential: none for two slots; the rest of the metadata's room otherwise.
  const room = alternating ? 0 : MAX_CLEANUPS - 1;
  const cutCount = Math.max(0, graced.length - room);
  return { due, cut: graced.slice(0, cutCount), keep: graced.slice(cutCount) };
}

/**
 * When `c` stopped being current: when the next version after it was written (the store's own clock), else
 * its grace end less the grace period.
 */
function supersededAt(versions: VersionInfo[], c: PendingCleanup, settings: RotationSettings): Date {
  const own = versions.find((v) => v.version === c.version)?.createdAt;
  const later = own ? versions.map((v) => v.createdAt).filter((t): t is string => t !== undefined && Date.parse(t) > Date.parse(own)).sort((a, b) => Date.parse(a) - Date.parse(b))[0] : undefined;
  return new Date(later ? Date.parse(later) : Date.parse(c.notBefore) - settings.gracePeriodHours * 3_600_000);
}

/** A target that holds two credentials at most: staging a new one needs the older previous one's slot. */
function twoSlots(target: RotationTarget | undefined): boolean {
  return target !== undefined && (target.alternating || target.slots === 2);
}

function describeCut(cut: PendingCleanup[], target: string | undefined): string {
  const state = (c: PendingCleanup) =>
    c.inUse ? `still used by ${c.inUse} session(s) past its grace (cleanup = "when-idle")`
    : c.unchecked ? 'past its grace but not yet checked for sessions (cleanup = "when-idle"; `vh-secrets rotate-all --cleanup-only` checks it)'
    : `in its grace period until ${c.notBefore}`;
  return cut.map((c) => `version ${c.version}${target ? ` (at target ${target})` : ''}, ${state(c)}`).join('; ');
}

/**
 * How long what a read saw of the store may stand in for the fresh read a write would make (Observation). The
 * store's own condition still guards each write (cas, version ids); this bounds how far behind that read the
 * claim and the promotion may start: as close as a read-then-write of their own would, with the journal and
 * audit writes between. A longer pause (a target that takes its time to verify) reads again.
 */
const SEEN_FRESH_MS = 1_000;

function recent(seen: Observation | undefined): Observation | undefined {
  return seen && performance.now() - seen.observedAt < SEEN_FRESH_MS ? seen : undefined;
}

class Deadline {
  constructor(private readonly at: number) {}
  check(phase: Phase): void {
    if (Date.now() > this.at) {
      throw new VhError('TIMEOUT', `rotation timed out before ${phase} (VOICEHIVE_ROTATION_TIMEOUT_MINUTES)`);
    }
  }
}

export class RotationEngine {
  private readonly journal: RotationJournal;
  private readonly host = hostname();

  constructor(
    private readonly rt: Runtime,
    private readonly settings: RotationSettings = rotationSettings(),
  ) {
    this.journal = new RotationJournal(rt.config.paths.journalDir);
  }

  private async audit(event: AuditEventType, ref: ResolvedRef, type: string | null, success: boolean, details: Record<string, DetailValue>, errorCode: string | null = null): Promise<void> {
    await this.rt.audit.record({ event, secret: ref.id, secret_type: type, store: ref.store, success, error_code: errorCode, details });
  }

  /**
   * The access policy's say on rotating `ref` (resume and abort are rotations too). A denial is recorded as a
   * failed `rotation_started` naming the rule, before anything is read or changed.
   */
  private async authorized(ref: ResolvedRef): Promise<void> {
    try {
      await authorize(this.rt, 'rotate', ref);
    } catch (err) {
      if (isVhError(err)) {
        await this.audit('rotation_started', ref, null, false, { policy_rule: String(err.details.policy_rule ?? ''), policy_check: String(err.details.policy_check ?? '') }, err.code).catch(() => undefined);
      }
      throw err;
    }
  }

  /** Same-host exclusion on top of the store lock; taken without waiting. */
  private async localLock(secret: string, again = false): Promise<FileLock | undefined> {
    const dir = this.rt.config.paths.lockDir;
    // Made once per engine (rotate-all takes hundreds of these locks); made again if it vanished meanwhile.
    if (!this.lockDirReady || again) {
      await ensurePrivateDir(dir);
      this.lockDirReady = true;
    }
    const path = rotationLockPath(dir, secret);
    try {
      return await FileLock.acquire(path, { timeoutMs: 0 });
    } catch (err) {
      if (isVhError(err) && err.code === 'CONFLICT') return undefined;
      if (isVhError(err) && err.code === 'NOT_FOUND' && !again) return this.localLock(secret, true);
      throw err;
    }
  }

  private lockDirReady = false;

  private isStale(at: string | undefined): boolean {
    const t = at ? Date.parse(at) : NaN;
    return Number.isFinite(t) && Date.now() - t > this.settings.timeoutMinutes * 60_000;
  }

  private lockedNote(desc: SecretDescription, marker: Marker | undefined): string {
    const since = marker?.at ?? desc.versions.find((v) => v.version === desc.pendingVersion)?.createdAt;
    const who = marker ? `rotation ${marker.id} on ${marker.host || 'another host'} since ${marker.at}` : `pending version ${desc.pendingVersion}`;
    return this.isStale(since)
      ? `locked by a stale ${who} (older than the rotation timeout): run \`vh-secrets rotate --abort\` or \`--resume\` to take it over`
      : `locked by ${who}`;
  }

  private async typeOf(ref: ResolvedRef, desc: SecretDescription): Promise<SecretType> {
    const raw = desc.metadata['vh-type'];
    if (raw === undefined) return 'generic';
    if (!isSecretType(raw)) {
      throw new VhError('INVALID_FORMAT', `${ref.id} has type "${raw}", which has no generator`, { hint: 'recreate it with a known --type, or rotate it with its own tooling' });
    }
    return raw;
  }

  /**
   * Which field of a JSON-object value a rotation replaces: the ref's `#KEY`, else the `vh-key` recorded when
   * the secret was created with one, else — for a secret with a rotation target — `password` when the value is
   * an object that has it (a credential with its username). Any other JSON object is refused rather than
   * replaced by a bare string that its readers could not parse.
   */
  private keyFrom(ref: ResolvedRef, desc: SecretDescription, current: Buffer, withTarget: boolean): string | null {
    const key = ref.key ?? desc.metadata[KEY] ?? null;
    if (key) return key;
    // A credential kept as {"username": …, "password": …} for a rotation target rotates its password.
    const password = withTarget ? defaultTargetKey(current) : null;
    if (password) return password;
    let parsed: unknown;
    try {
      parsed = JSON.parse(current.toString('utf8'));
    } catch {
      return null;
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const keys = Object.keys(parsed).slice(0, 5).join(', ');
      throw new VhError('INVALID_FORMAT', `the value of ${ref.id} is a JSON object (${keys}): say which key to rotate`, { hint: `e.g. vh-secrets rotate ${ref.id}#${Object.keys(parsed)[0] ?? 'password'}` });
    }
    return null;
  }

  /** The new value: a fresh one from the type's generator, or the same JSON object with `key` replaced. */
  private async newValue(store: SecretStore, ref: ResolvedRef, key: string | null, type: SecretType, from: string, target?: RotationTarget, known?: Buffer, supplied?: Buffer): Promise<Buffer> {
    // The generator runs with the policy's length and alphabet; a value that still breaks an enforced rule
    // (a byte-encoded type under an alphabet rule, say) fails the rotation here, before anything is staged.
    // A supplied value was checked when planned.
    const fresh = supplied ?? generateCompliant(this.rt, ref.id, type);
    if (!supplied) this.rt.warnings.push(...enforce(checkValue(this.rt.policy, ref.id, type, fresh), 'rotate', ref.id));
    if (!key) return fresh;
    const current = { value: known ?? (await this.valueAt(store, ref, from)) };
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(current.value.toString('utf8')) as Record<string, unknown>;
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error('shape');
    } catch {
      throw new VhError('INVALID_FORMAT', `the value of ${ref.id} is not a JSON object, so it has no key "${key}" to rotate`);
    }
    const next: Record<string, unknown> = { ...obj, [key]: fresh.toString('utf8') };
    // Alternating users: the new password is for the other user of the pair, and the value says which.
    if (target?.alternating) next.username = target.nextUser(credentialOf(current.value, key));
    return Buffer.from(JSON.stringify(next));
  }

  /**
   * The new value from a target that issues its credentials (`RotationTarget.issue`). What an earlier attempt of
   * this rotation issued and never staged (killed before the pending write) is discarded first: its secret is
   * lost. The new credential's id is journaled (fsync'd) before its value goes anywhere else, so that a kill
   * from here on leaves something resume or abort can discard. The type's policy does not apply: the service
   * decides what its credentials look like.
   */
  private async issued(store: SecretStore, ref: ResolvedRef, entry: JournalEntry, target: RotationTarget, snapshot: Metadata, options: RotateOptions, currentValue: Buffer): Promise<Buffer> {
    const current = this.credential(entry, currentValue);
    if (entry.issued) {
      await target.discard?.(entry.issued, current);
      entry.issued = null;
      await this.journal.write(entry);
    }
    // The previous credentials this rotation retires anyway (their grace is over, or cut by --force / --emergency,
    // as the plan allowed): the target may take their slots.
    const idleCheck = targetConfigFor(this.rt.config, ref.id, snapshot)?.cleanup === 'when-idle' && !options.force && !entry.emergency;
    const { due, cut } = graceCut(snapshot, entry.from_version, twoSlots(target), Date.now(), undefined, idleCheck);
    const retiring: Credential[] = [];
    for (const c of [...due, ...(options.force || entry.emergency ? cut : [])]) {
      const v = await this.valueAt(store, ref, c.version).catch(() => undefined);
      if (v) retiring.push(this.credential(entry, v));
    }
    const made = await target.issue!(current, { retiring, force: options.force === true });
    entry.issued = made.id;
    await this.journal.write(entry);
    return made.value;
  }

  /** Plan, then run what was planned: see plan() and execute(). */
  async rotate(refText: string, options: RotateOptions = {}, known?: SecretDescription): Promise<RotationOutcome> {
    const plan = await this.plan(refText, options, known);
    if (options.dryRun) {
      await this.release(plan);
      return plan.summary;
    }
    return this.execute(plan);
  }

  /**
   * Everything one rotation needs, read once: the secret's description (or `known`, when a listing read it
   * already), its current value, the target and the grace periods the rotation would cut. Its `summary` is what
   * `--dry-run` and the confirmation show; `execute` runs exactly this plan. A plan whose summary is not
   * `planned` (skipped, deferred) runs nothing. A plan not executed is released.
   */
  async plan(refText: string, options: RotateOptions = {}, known?: SecretDescription): Promise<RotationPlan> {
    const ref = resolveRef(this.rt, refText);
    if (ref.selector) throw new VhError('USAGE', `rotate takes a secret, not a version ("${refText}")`, { hint: 'drop the @VERSION part' });
    if (options.emergency && !options.reason) throw new VhError('USAGE', '--emergency needs --reason "…" (recorded in the audit log)');
    await this.authorized(ref);
    const existing = await this.journal.read(ref.id);
    const store = await this.rt.store(ref.store);
    let desc: SecretDescription;
    try {
      desc = known ?? (await store.describe(ref.name));
    } catch (err) {
      if (isVhError(err) && err.code === 'NOT_FOUND') throw new VhError('NOT_FOUND', `secret ${ref.id} not found`, { hint: 'check the name with `vh-secrets list`' });
      throw err;
    }
    if (desc.revoked || !desc.currentVersion) throw new VhError('NOT_FOUND', `${ref.id} is revoked: there is no current version to rotate`);
    const type = await this.typeOf(ref, desc);
    const from = desc.currentVersion;
    const base = { version: from, previous_version: null };
    const settled = (o: RotationOutcome): RotationPlan => ({ ready: false, ref, options, summary: o });
    if (existing?.status === 'in_progress') {
      return settled(outcome(ref.id, 'skipped', { ...base, rotation_id: existing.id, note: `an interrupted rotation ${existing.id} (last phase ${existing.phase ?? 'none'}) is recorded here: run \`vh-secrets rotate ${ref.id} --resume\` or \`--abort\`` }));
    }
    if (options.expectedCurrent !== undefined && options.expectedCurrent !== from) {
      return settled(outcome(ref.id, 'skipped', { ...base, note: `already rotated by another run (current version is now ${from})` }));
    }
    const marker = parseMarker(desc.metadata[MARKER]);
    if (desc.pendingVersion || marker) return settled(outcome(ref.id, 'skipped', { ...base, note: this.lockedNote(desc, marker) }));
    const targetConfig = targetConfigFor(this.rt.config, ref.id, desc.metadata);
    // Versions never change: the current value read here is the one every later phase needs.
    const { value: current, seen } = await store.get(ref.name, { version: from, newest: true });
    // Which key a target that issues its credential would replace is only known once it is open: see below.
    let key: string | null = null;
    let keyError: unknown;
    try {
      key = this.keyFrom(ref, desc, current, targetConfig !== undefined);
    } catch (err) {
      if (!targetConfig || options.value) throw err;
      keyError = err;
    }
    if (options.value) {
      this.checkSupplied(ref, type, key, current, options.value);
      if (options.value.length > store.capabilities.maxValueBytes) throw new VhError('INVALID_FORMAT', `the value supplied for ${ref.id} is ${options.value.length} bytes; store "${ref.store}" accepts at most ${store.capabilities.maxValueBytes}`);
    }
    const target = targetConfig ? await openTargetFor(this.rt, ref, targetConfig) : undefined;
    try {
      if (target?.issue) {
        // A target that issues its credential replaces the whole value: no key to pick, no value to supply.
        if (ref.key) throw new VhError('USAGE', `target ${target.name} (${target.kind}) issues the whole value of ${ref.id}: rotate it without #${ref.key}`);
        if (options.value) throw new VhError('USAGE', `target ${target.name} (${target.kind}) issues the new value of ${ref.id} itself: it takes no supplied value`, { hint: 'rotate it without --value-file' });
        key = null;
      } else if (keyError) {
        throw keyError;
      }
      if (target?.alternating && !key) {
        throw new VhError('INVALID_FORMAT', `${ref.id} rotates through alternating users (target ${target.name}), so its value must be a JSON object with "username" and "password"`, { hint: 'store it as {"username": "…", "password": "…"}' });
      }
      const live = (v: string) => desc.versions.some((x) => x.version === v && x.state === 'enabled');
      const { cut } = graceCut(desc.metadata, from, twoSlots(target), Date.now(), live, targetConfig?.cleanup === 'when-idle' && !options.force && !options.emergency);
      if (cut.length > 0 && !options.emergency && !options.force) {
        await target?.close().catch(() => undefined);
        return settled(outcome(ref.id, 'deferred', { ...base, note: `rotating now would cut ${describeCut(cut, target?.name)}: deferred until then (\`--force\` cuts it now; \`--emergency\` for a leaked value)` }));
      }
      const at = target ? ` (applied at target ${target.name}, ${targetConfig!.kind})` : '';
      const cuts = cut.length > 0 ? `; it cuts ${describeCut(cut, target?.name)} at once` : '';
      const retire = options.emergency
        ? ` and revoke version ${from} at once`
        : targetConfig?.cleanup === 'now'
          ? ` and revoke version ${from} at once (target ${targetConfig.name}: cleanup = "now")`
          : targetConfig?.cleanup === 'when-idle'
            ? `, and revoke version ${from} after ${this.settings.gracePeriodHours} h once no session at target ${targetConfig.name} uses it (waiting at most ${targetConfig.idleWaitHours} h more)`
            : `, and revoke version ${from} after ${this.settings.gracePeriodHours} h`;
      const reloads = reloadsFor(this.rt.config, ref.id, desc.metadata);
      const reload = reloads.length > 0 ? `, run ${reloads.map(describeReload).join(' and ')}` : '';
      const made = options.value ? 'stage the supplied value' : target?.issue ? `have target ${target.name} issue a new credential, stage it` : `generate a new ${type}, stage it`;
      const note = `would ${made}${at}, verify, promote${reload}${retire}${cuts}`;
      return { ready: true, ref, options, summary: outcome(ref.id, 'planned', { ...base, note }), store, desc, type, from, key, current, seen, target };
    } catch (err) {
      await target?.close().catch(() => undefined);
      throw err;
    }
  }

  /** A supplied value is refused before anything is read further when it is empty, breaks the policy or changes nothing. */
  private checkSupplied(ref: ResolvedRef, type: SecretType, key: string | null, current: Buffer, value: Buffer): void {
    if (value.length === 0) throw new VhError('INVALID_FORMAT', `the value supplied for ${ref.id} is empty; nothing was changed`);
    this.rt.warnings.push(...enforce(checkValue(this.rt.policy, ref.id, type, value), 'rotate', ref.id));
    let now: Buffer = current;
    if (key) {
      try {
        const field = (JSON.parse(current.toString('utf8')) as Record<string, unknown>)[key];
        now = Buffer.from(typeof field === 'string' ? field : JSON.stringify(field ?? null));
      } catch {
        // not a JSON object: newValue says so
      }
    }
    if (now.equals(value)) throw new VhError('USAGE', `the value supplied for ${ref.id}${key ? `#${key}` : ''} is its current value; nothing was changed`);
  }

  /** Frees what a plan holds (its target connection) when it is not executed. */
  async release(plan: RotationPlan): Promise<void> {
    if (plan.ready) await plan.target?.close().catch(() => undefined);
  }

  /** Runs a plan: journaled and audited phase by phase, conditional on the version the plan read being current. */
  async execute(plan: RotationPlan): Promise<RotationOutcome> {
    if (!plan.ready) return plan.summary;
    const { ref, options, store, desc, target } = plan;
    try {
      const lock = await this.localLock(ref.id);
      if (!lock) return outcome(ref.id, 'skipped', { version: plan.from, previous_version: null, note: 'locked by another vh-secrets process on this host' });
      try {
        const entry: JournalEntry = {
          id: newRotationId(),
          secret: ref.id,
          store: ref.store,
          name: ref.name,
          key: plan.key,
          type: plan.type,
          from_version: plan.from,
          pending_version: null,
          phase: null,
          status: 'in_progress',
          emergency: options.emergency === true,
          reason: options.reason ?? null,
          host: this.host,
          pid: process.pid,
          started_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
          error: null,
          target: target?.name ?? null,
          target_applied: false,
          source: options.value ? 'supplied' : target?.issue ? 'issued' : 'generated',
        };
        return await this.run(store, ref, entry, undefined, options, desc.metadata, target, plan.current, plan.seen);
      } finally {
        await lock.release();
      }
    } finally {
      await target?.close().catch(() => undefined);
    }
  }

  private credential(entry: JournalEntry, value: Buffer): Credential {
    return credentialOf(value, entry.key);
  }

  private async valueAt(store: SecretStore, ref: ResolvedRef, version: string): Promise<Buffer> {
    return (await store.get(ref.name, { version })).value;
  }

  /** Whether the store keeps `version` revoked (disabled or destroyed), as a revoke leaves it. */
  private async revokedIn(store: SecretStore, ref: ResolvedRef, version: string): Promise<boolean> {
    const v = (await store.describe(ref.name)).versions.find((x) => x.version === version);
    return v !== undefined && v.state !== 'enabled';
  }

  /**
   * Drives the phases from wherever `entry` stands. `value` is the staged value when resuming (read back from
   * the store); a fresh rotation generates it.
   */
  private async run(store: SecretStore, ref: ResolvedRef, entry: JournalEntry, staged: Buffer | undefined, options: RotateOptions, snapshot: Metadata, target?: RotationTarget, fromValue?: Buffer, planSeen?: Observation): Promise<RotationOutcome> {
    const deadline = new Deadline(Date.parse(entry.started_at) + this.settings.timeoutMinutes * 60_000);
    // This run's own time (a resumed rotation is timed from its resume): `duration_ms` on rotated / rotation_failed.
    const t0 = performance.now();
    const done = (p: Phase) => entry.phase !== null && PHASES.indexOf(entry.phase) >= PHASES.indexOf(p);
    let value = staged;
    // The values of the from and staged versions, read from the store at most once each (versions never change).
    let old = fromValue;
    const oldValue = async () => (old ??= await this.valueAt(store, ref, entry.from_version!));
    const newValueOf = async () => (value ??= await this.valueAt(store, ref, entry.pending_version!));
    let current: Phase = 'prepare';
    // What the verify read saw of the store: the promote may start from it (see recent).
    let verifiedSeen: Observation | undefined;
    const promotedHere = !done('promote');
    // Retired right after the promote: an emergency, or a target whose cleanup is "now".
    const policy = target ? targetConfigFor(this.rt.config, ref.id, snapshot)?.cleanup : undefined;
    const atOnce = entry.emergency || policy === 'now';
    const step = async (phase: Phase, fn: () => Promise<void>, event: AuditEventType = 'rotation_phase', details: Record<string, DetailValue> = {}) => {
      current = phase;
      if (done(phase)) return;
      failpoint('before', phase);
      // Asked to stop (SIGTERM / SIGINT): before the commit point the rotation ends here, rolled back; from
      // promote on it finishes (what is left is quick, and undoing a promoted credential is not a stop).
      if (stopSignal.aborted && PHASES.indexOf(phase) < PHASES.indexOf('promote')) {
        throw new VhError('INTERRUPTED', `stopped by ${String(stopSignal.reason ?? 'a signal')} before ${phase}`);
      }
      options.onPhase?.(phase);
      if (PHASES.indexOf(phase) <= PHASES.indexOf('promote')) deadline.check(phase);
      await fn();
      // The audit log first, then the journal: killed between the two, the phase is done again on resume (every
      // phase is idempotent) and logged twice — never done and missing from the trail.
      await this.audit(event, ref, entry.type, true, { rotation_id: entry.id, phase, ...details, ...(event === 'rotated' ? { duration_ms: elapsedMs(t0) } : {}) });
      entry.phase = phase;
      await this.journal.write(entry, phase === 'prepare');
      failpoint('after', phase);
    };

    try {
      await step('prepare', async () => undefined, 'rotation_started', { from_version: entry.from_version, emergency: entry.emergency, reason: entry.reason, target: entry.target ?? null, source: entry.source ?? 'generated' });
      const make = async () =>
        target?.issue
          ? await this.issued(store, ref, entry, target, snapshot, options, await oldValue())
          : await this.newValue(store, ref, entry.key, entry.type as SecretType, entry.from_version!, target, old, options.value);
      await step('generate', async () => {
        value = await make();
      });
      await step('stage', async () => {
        if (!value) {
          if (entry.source === 'supplied' && !options.value) throw new VhError('USAGE', `rotation ${entry.id} was given its value, which is kept nowhere until staged: it cannot be generated again`);
          value = await make();
        }
        const marker = formatMarker({ id: entry.id, from: entry.from_version!, at: entry.started_at, host: this.host });
        const { version } = await store.put(ref.name, value, { stage: 'pending', expectedCurrent: entry.from_version!, token: entry.id, metadata: { [MARKER]: marker }, seen: recent(planSeen) });
        entry.pending_version = version;
        if (target) {
          // The pending version is on record before the target changes, so a crash here can be undone.
          await this.journal.write(entry);
          await target.apply(this.credential(entry, await oldValue()), this.credential(entry, value));
          entry.target_applied = true;
        }
      });
      await step('verify', async () => {
        const back = await store.get(ref.name, { version: entry.pending_version!, newest: true });
        verifiedSeen = back.seen;
        if (value && !back.value.equals(value)) throw new VhError('INTERNAL', `the staged version ${entry.pending_version} of ${ref.id} does not read back as written`);
        if (target) {
          const next = this.credential(entry, back.value);
          // Resumed after a crash in stage: the target may not have the value yet (applying is idempotent).
          if (!entry.target_applied) {
            await target.apply(this.credential(entry, await oldValue()), next);
            entry.target_applied = true;
          }
          await target.verify(next);
        }
      });
      await step('promote', async () => {
        const now = Date.now();
        const { due, cut, keep } = graceCut(snapshot, entry.from_version, twoSlots(target), now, undefined, policy === 'when-idle' && !options.force && !entry.emergency);
        const waiting = atOnce ? keep : [...keep, { version: entry.from_version!, notBefore: new Date(now + this.settings.gracePeriodHours * 3_600_000).toISOString() }];
        const metadata = {
          [MARKER]: null,
          [FAILED_AT]: null,
          [ROTATED_AT]: new Date(now).toISOString(),
          [CLEANUP]: formatCleanups(waiting.filter((c) => c.version !== entry.pending_version)),
          // A held cleanup this rotation cut (--force) is no longer waiting on anyone.
          ...(snapshot[CLEANUP_HELD] !== undefined && !keep.some((c) => c.inUse) ? { [CLEANUP_HELD]: null } : {}),
        };
        await store.promote(ref.name, entry.pending_version!, { expectedCurrent: entry.from_version!, token: entry.id, metadata, seen: recent(verifiedSeen) });
        // Graces that are over, and (with --force / --emergency) those this rotation had to cut: revoked here.
        for (const older of [...due, ...cut]) {
          if (older.version === entry.pending_version || older.version === entry.from_version) continue;
          if (target) {
            const retired = await this.valueAt(store, ref, older.version).catch(() => undefined);
            if (retired) await target.cleanup(this.credential(entry, retired), this.credential(entry, await newValueOf())).catch(() => undefined);
          }
          const gone = await store.revoke(ref.name, older.version).then(() => true, () => false);
          if (gone) await this.audit('revoked', ref, entry.type, true, { version: older.version, reason: due.includes(older) ? 'grace period over' : `grace period cut short by rotation ${entry.id}`, rotation_id: entry.id }).catch(() => undefined);
        }
      }, 'rotated', { from_version: entry.from_version, version: entry.pending_version });
    } catch (err) {
      return this.rollBack(store, ref, entry, current, err, target, t0);
    }
    if (promotedHere) {
      // The superseded version is DEPRECATED: still valid through the grace period, never current again.
      await this.audit('deprecated', ref, entry.type, true, { scope: 'version', version: entry.from_version, superseded_by: entry.pending_version, rotation_id: entry.id }).catch(() => undefined);
      // The index of managed values (when there is one) learns the new current value, so a scan names it.
      await noteCurrentValue(this.rt.config.paths, ref.id, entry.pending_version!, newValueOf);
    }

    // Reload: the running application picks the new value up while the previous one still works. A failure
    // stops here, before any cleanup: the journal stays open and `--resume` reloads again.
    // An emergency retires the leaked value whatever the reload says: its consumers were to be cut anyway.
    const reloads = reloadsFor(this.rt.config, ref.id, snapshot);
    let reloadError: { code: string; message: string; phase: 'reload' } | null = null;
    if (reloads.length > 0) {
      try {
        await step('reload', async () => {
          for (const r of reloads) await runReload(this.rt, r, { secret: ref.id, version: entry.pending_version!, previousVersion: entry.from_version });
        }, 'rotation_phase', { reloads: reloads.map(describeReload).join('; ') });
      } catch (err) {
        reloadError = { code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message, phase: 'reload' };
        await this.audit('rotation_phase', ref, entry.type, false, { rotation_id: entry.id, phase: 'reload' }, reloadError.code).catch(() => undefined);
        if (!entry.emergency) {
          entry.error = reloadError;
          await this.journal.write(entry);
          return outcome(ref.id, 'reload_failed', {
            version: entry.pending_version,
            previous_version: entry.from_version,
            rotation_id: entry.id,
            note: `version ${entry.pending_version} is current, but the reload failed; version ${entry.from_version} stays valid and is not cleaned up: fix the reload and run \`vh-secrets rotate ${ref.id} --resume\``,
            error: entry.error,
          });
        }
      }
    }

    let cleanup: RotationOutcome['cleanup'] = atOnce ? 'revoked' : 'deferred';
    // Sessions still on the credential an immediate cleanup retires: said, never a reason to wait.
    let cutSessions: number | undefined;
    const details: Record<string, DetailValue> = atOnce ? { version: entry.from_version, reason: entry.emergency ? entry.reason : `cleanup = "now" at target ${target!.name}` } : { deferred_until_hours: this.settings.gracePeriodHours };
    try {
      await step('cleanup', async () => {
        if (!atOnce) return;
        if (target) {
          const previousValue = await oldValue().catch(async (err: unknown) => {
            // Resumed after a kill that came after this step's revoke but before the journal recorded the step:
            // the previous version is revoked in the store, and the target retired it before that (target
            // first, then the store), so nothing is left to do. Reading it again would fail the resume forever.
            if (isVhError(err) && err.code === 'NOT_FOUND' && (await this.revokedIn(store, ref, entry.from_version!))) return undefined;
            throw err;
          });
          if (!previousValue) return;
          const previous = this.credential(entry, previousValue);
          const now = this.credential(entry, await newValueOf());
          cutSessions = await target.inUse?.(previous, now, new Date()).catch(() => undefined);
          if (cutSessions !== undefined) details.sessions_cut = cutSessions;
          await target.cleanup(previous, now);
        }
        await store.revoke(ref.name, entry.from_version!);
      }, atOnce ? 'revoked' : 'rotation_phase', details);
    } catch (err) {
      // Promote was the commit point: the rotation stands; only the cleanup is left for resume / rotate-all.
      cleanup = 'none';
      entry.error = { code: isVhError(err) ? err.code : 'INTERNAL', message: (err as Error).message, phase: 'cleanup' };
      await this.journal.write(entry);
      return outcome(ref.id, 'rotated', { version: entry.pending_version, previous_version: entry.from_version, rotation_id: entry.id, cleanup, note: `rotated, but cleanup failed: ${(err as Error).message}; run \`vh-secrets rotate ${ref.id} --resume\``, error: entry.error });
    }
    entry.status = 'done';
    await this.journal.remove(ref.id);
    const cut = cutSessions ? { note: `version ${entry.from_version} revoked at once: ${cutSessions} session${cutSessions === 1 ? ' was' : 's were'} still using it at target ${target!.name}` } : {};
    if (reloadError) {
      return outcome(ref.id, 'reload_failed', { version: entry.pending_version, previous_version: entry.from_version, rotation_id: entry.id, cleanup, note: `the reload failed, and version ${entry.from_version} was revoked anyway (--emergency): reload the application by hand`, error: reloadError });
    }
    return outcome(ref.id, 'rotated', { version: entry.pending_version, previous_version: entry.from_version, rotation_id: entry.id, cleanup, ...cut });
  }

  /** Undoes the target's side of a staged rotation: the current value works there again. */
  private async rollBackTarget(store: SecretStore, ref: ResolvedRef, entry: JournalEntry, target: RotationTarget | undefined, cause?: unknown): Promise<void> {
    if (!target || !entry.from_version) return;
    if (!entry.pending_version) {
      // Issued by the target but never staged: its value is nowhere, so the credential goes.
      if (entry.issued && target.discard) {
        await target.discard(entry.issued, this.credential(entry, await this.valueAt(store, ref, entry.from_version)));
        entry.issued = null;
      }
      return;
    }
    // The target refused the change itself (connection or statement refused): there is nothing to undo there —
    // unless it issued the credential, which changed it already.
    if (!entry.target_applied && !entry.issued && targetUnchanged(cause)) return;
    const next = await this.valueAt(store, ref, entry.pending_version);
    await target.rollback(this.credential(entry, await this.valueAt(store, ref, entry.from_version)), this.credential(entry, next));
  }

  private async rollBack(store: SecretStore, ref: ResolvedRef, entry: JournalEntry, phase: Phase, err: unknown, target?: RotationTarget, t0?: number): Promise<RotationOutcome> {
    const code = isVhError(err) ? err.code : 'INTERNAL';
    const timing: Record<string, DetailValue> = t0 === undefined ? {} : { duration_ms: elapsedMs(t0) };
    const message = (err as Error).message ?? String(err);
    if (isUnconfirmed(err)) {
      // The store never said whether the write landed, even when asked again. Rolling back from a guess could
      // discard what is in fact current, or leave a written version unseen: record it and let resume (or abort)
      // read the truth once the store answers.
      entry.error = { code, message, phase };
      entry.unconfirmed = phase;
      await this.journal.write(entry);
      await this.audit('rotation_failed', ref, entry.type, false, { rotation_id: entry.id, phase, message, outcome: 'unknown', ...timing }, code).catch(() => undefined);
      return outcome(ref.id, 'failed', {
        version: entry.from_version,
        rotation_id: entry.id,
        note: `the store did not confirm the ${phase} write, so nothing was rolled back or assumed: run \`vh-secrets rotate ${ref.id} --resume\` (or --abort) once it answers`,
        error: entry.error,
      });
    }
    // Lost the race for the pending slot before writing anything: that is a lock, not a failure.
    // (A credential the target issued for it is discarded first; failing that, this is a failure to --abort.)
    if (phase === 'stage' && code === 'CONFLICT' && entry.pending_version === null && (await this.rollBackTarget(store, ref, entry, target, err).then(() => true, () => false))) {
      await this.journal.remove(ref.id);
      return outcome(ref.id, 'skipped', { version: entry.from_version, rotation_id: entry.id, note: `locked: ${message}` });
    }
    entry.error = { code, message, phase };
    await this.audit('rotation_failed', ref, entry.type, false, { rotation_id: entry.id, phase, message, ...timing }, code).catch(() => undefined);
    try {
      // The target first: restoring it may need the staged value, which discarding removes.
      await this.rollBackTarget(store, ref, entry, target, err);
      await this.freeSlot(store, ref, entry);
      // Lost the race to promote: another rotation owns the secret's metadata now (its promote clears the marker).
      // Writing ours could undo its stage tags where the store has no conditional metadata write (Azure).
      if (!(phase === 'promote' && code === 'CONFLICT')) await store.setMetadata(ref.name, { [MARKER]: null, [FAILED_AT]: new Date().toISOString() });
      entry.status = 'rolled_back';
      await this.journal.write(entry);
      await this.audit('rolled_back', ref, entry.type, true, { rotation_id: entry.id, phase, discarded_version: entry.pending_version });
      if (phase === 'promote' && code === 'CONFLICT') {
        // Another run promoted first (a store whose pending slot is not an atomic lock lets both stage).
        return outcome(ref.id, 'skipped', { version: entry.from_version, rotation_id: entry.id, note: `lost the race to promote (${message}); rolled back` });
      }
      return outcome(ref.id, 'failed', { version: entry.from_version, rotation_id: entry.id, note: `rolled back: version ${entry.from_version} stays current`, error: entry.error });
    } catch (rollbackErr) {
      entry.status = 'in_progress';
      await this.journal.write(entry).catch(() => undefined);
      return outcome(ref.id, 'failed', {
        version: entry.from_version,
        rotation_id: entry.id,
        note: `rollback incomplete (${(rollbackErr as Error).message}); version ${entry.from_version} is still current — run \`vh-secrets rotate ${ref.id} --abort\``,
        error: entry.error,
      });
    }
  }

  /** The interrupted rotation of `ref`, from the local journal or, on another host, from the store's marker. */
  private async interrupted(ref: ResolvedRef, desc: SecretDescription): Promise<{ entry: JournalEntry; local: boolean } | undefined> {
    const local = await this.journal.read(ref.id);
    if (local && local.status === 'in_progress') return { entry: local, local: true };
    const marker = parseMarker(desc.metadata[MARKER]);
    if (!marker && !desc.pendingVersion) return undefined;
    const type = desc.metadata['vh-type'] ?? 'generic';
    return {
      local: false,
      entry: {
        id: marker?.id ?? newRotationId(),
        secret: ref.id,
        store: ref.store,
        name: ref.name,
        key: ref.key ?? desc.metadata[KEY] ?? null,
        type,
        from_version: marker?.from ?? desc.currentVersion ?? null,
        pending_version: desc.pendingVersion ?? null,
        phase: desc.pendingVersion ? 'stage' : 'generate',
        status: 'in_progress',
        emergency: false,
        reason: null,
        host: marker?.host ?? '',
        pid: 0,
        started_at: marker?.at ?? desc.versions.find((v) => v.version === desc.pendingVersion)?.createdAt ?? new Date().toISOString(),
        updated_at: new Date().toISOString(),
        error: null,
      },
    };
  }

  private async takeOver(ref: ResolvedRef, force: boolean, aborting = false): Promise<{ store: SecretStore; desc: SecretDescription; entry: JournalEntry; lock: FileLock; target: RotationTarget | undefined } | RotationOutcome> {
    const store = await this.rt.store(ref.store);
    let desc: SecretDescription;
    try {
      desc = await store.describe(ref.name);
    } catch (err) {
      const local = await this.journal.read(ref.id);
      if (!isVhError(err) || err.code !== 'NOT_FOUND' || !local || local.status !== 'in_progress') throw err;
      // The secret is gone from the store (deleted, or the store restored from a backup without it): the journal
      // describes nothing that exists. Abort clears it, so it no longer blocks a new rotation; resume cannot run.
      if (!aborting) throw new VhError('NOT_FOUND', `${ref.id} is not in the store any more, so rotation ${local.id} cannot be resumed`, { hint: `clear its journal with \`vh-secrets rotate ${ref.id} --abort\`` });
      await this.journal.remove(ref.id);
      await this.audit('rolled_back', ref, local.type, true, { rotation_id: local.id, aborted: true, secret_gone: true }).catch(() => undefined);
      return outcome(ref.id, 'aborted', { rotation_id: local.id, note: `${ref.id} is not in the store any more: the journal of rotation ${local.id} was cleared; nothing was discarded` });
    }
    const found = await this.interrupted(ref, desc);
    if (!found) return outcome(ref.id, 'nothing', { version: desc.currentVersion ?? null, note: 'no interrupted rotation to resume or abort' });
    const { entry, local } = found;
    if (!local && !force && !this.isStale(entry.started_at) && entry.host !== this.host) {
      return outcome(ref.id, 'skipped', { version: desc.currentVersion ?? null, rotation_id: entry.id, note: `rotation ${entry.id} on ${entry.host || 'another host'} started ${entry.started_at} may still be running; wait for the rotation timeout or pass --force` });
    }
    const lock = await this.localLock(ref.id);
    if (!lock) return outcome(ref.id, 'skipped', { version: desc.currentVersion ?? null, note: 'locked by another vh-secrets process on this host' });
    // A crash between the pending write and the journal update leaves a pending version the journal lacks.
    if (!entry.pending_version && desc.pendingVersion) entry.pending_version = desc.pendingVersion;
    const targetConfig = targetConfigFor(this.rt.config, ref.id, desc.metadata);
    let target: RotationTarget | undefined;
    try {
      if (targetConfig) target = await openTargetFor(this.rt, ref, targetConfig);
    } catch (err) {
      await lock.release();
      throw err;
    }
    return { store, desc, entry, lock, target };
  }

  async resume(refText: string, options: RotateOptions & { force?: boolean } = {}): Promise<RotationOutcome> {
    const ref = resolveRef(this.rt, refText);
    await this.authorized(ref);
    const taken = await this.takeOver(ref, options.force === true);
    if ('status' in taken) return taken;
    const { store, desc, entry, lock, target } = taken;
    try {
      await this.audit('rotation_phase', ref, entry.type, true, { rotation_id: entry.id, resumed_from: entry.phase, ...(entry.unconfirmed ? { reconciled: entry.unconfirmed } : {}) });
      // What the store holds now is the truth the phases below continue from.
      entry.unconfirmed = null;
      if (entry.pending_version && desc.currentVersion === entry.pending_version) {
        // Promoted before the crash: finish the bookkeeping and the cleanup.
        entry.phase = 'verify';
        return await this.run(store, ref, entry, undefined, options, desc.metadata, target);
      }
      if (entry.pending_version && desc.pendingVersion === entry.pending_version) {
        const staged = await store.get(ref.name, { version: entry.pending_version });
        if (!entry.phase || entry.phase === 'prepare' || entry.phase === 'generate') entry.phase = 'stage';
        return await this.run(store, ref, entry, staged.value, options, desc.metadata, target);
      }
      // Nothing staged (crashed before stage): start the remaining phases afresh — unless the value was supplied:
      // it was never written anywhere, so there is nothing to resume with.
      if (entry.source === 'supplied') {
        throw new VhError('USAGE', `rotation ${entry.id} of ${ref.id} was interrupted before its supplied value was staged, and that value is kept nowhere: it cannot be resumed`, {
          hint: `run \`vh-secrets rotate ${ref.id} --abort\`, then supply the value again (\`rotate ${ref.id} --value-file …\` or \`set\`)`,
        });
      }
      entry.pending_version = null;
      entry.phase = 'prepare';
      entry.from_version = desc.currentVersion ?? entry.from_version;
      if (desc.metadata[MARKER]) await store.setMetadata(ref.name, { [MARKER]: null });
      entry.target_applied = false;
      return await this.run(store, ref, entry, undefined, options, desc.metadata, target);
    } finally {
      await target?.close().catch(() => undefined);
      await lock.release();
    }
  }

  /** Discards the pending version, or, where none was written, frees the slot this rotation claimed for it. */
  private async freeSlot(store: SecretStore, ref: ResolvedRef, entry: JournalEntry): Promise<void> {
    if (entry.pending_version) await store.discardPending(ref.name, entry.pending_version);
    else await store.releaseClaim?.(ref.name, entry.id);
  }

  async abort(refText: string, options: { force?: boolean } = {}): Promise<RotationOutcome> {
    const ref = resolveRef(this.rt, refText);
    await this.authorized(ref);
    const taken = await this.takeOver(ref, options.force === true, true);
    if ('status' in taken) return taken;
    const { store, desc, entry, lock, target } = taken;
    try {
      // The journal may name a pending version the store never kept (lost write, restored store): say only what
      // is true of the store.
      if (entry.pending_version && !desc.versions.some((v) => v.version === entry.pending_version)) entry.pending_version = desc.pendingVersion ?? null;
      if (entry.pending_version && desc.currentVersion === entry.pending_version) {
        // Past the commit point: aborting now would undo a promoted credential; finish it instead. A rotation
        // that waits on a failed reload was promoted in full: abort gives up the reload and finishes.
        entry.phase = entry.error?.phase === 'reload' ? 'reload' : 'verify';
        const done = await this.run(store, ref, entry, undefined, {}, desc.metadata, target);
        return { ...done, note: `rotation ${entry.id} had already been promoted; it was completed instead of aborted` };
      }
      await this.rollBackTarget(store, ref, entry, target);
      await this.freeSlot(store, ref, entry);
      await store.setMetadata(ref.name, { [MARKER]: null });
      entry.status = 'rolled_back';
      await this.journal.write(entry);
      await this.audit('rolled_back', ref, entry.type, true, { rotation_id: entry.id, aborted: true, discarded_version: entry.pending_version });
      await this.journal.remove(ref.id);
      return outcome(ref.id, 'aborted', { version: desc.currentVersion ?? null, rotation_id: entry.id, note: `aborted: version ${desc.currentVersion} stays current${entry.pending_version ? `, pending version ${entry.pending_version} discarded` : ''}` });
    } finally {
      await target?.close().catch(() => undefined);
      await lock.release();
    }
  }

  /**
   * Revokes the previous versions whose grace period is over (each waits out its own), retiring them at the
   * target first; the ones still in grace stay listed. A target with `cleanup = "when-idle"` is asked first
   * whether sessions still use the previous credential: if so the cleanup is held (`vh-cleanup-held`, audited,
   * reported by health) and asked again next time, for at most the target's `idle_wait_hours` past the grace;
   * then it follows after-grace and says how many sessions it cut. Undefined when nothing was due.
   */
  async cleanupIfDue(refText: string, known?: Metadata): Promise<{ revoked: string[]; held: HeldCleanup | undefined } | undefined> {
    const now = Date.now();
    const ref = resolveRef(this.rt, refText);
    const store = await this.rt.store(ref.store);
    const described = known === undefined ? await store.describe(ref.name) : undefined;
    const metadata = known ?? described!.metadata;
    const waiting = parseCleanups(metadata[CLEANUP]);
    const due = waiting.filter((c) => Date.parse(c.notBefore) <= now);
    if (due.length === 0) return undefined;
    // A rotation of it is open (interrupted, or waiting for its reload): its previous version stays valid.
    if ((await this.journal.read(ref.id))?.status === 'in_progress') return undefined;
    const desc = described ?? (await store.describe(ref.name));
    const revoked: string[] = [];
    const settled: PendingCleanup[] = [];
    let held: HeldCleanup | undefined;
    const targetConfig = targetConfigFor(this.rt.config, ref.id, desc.metadata);
    const target = targetConfig && desc.currentVersion ? await openTargetFor(this.rt, ref, targetConfig) : undefined;
    try {
      for (const c of due) {
        if (desc.currentVersion === c.version || !desc.versions.some((v) => v.version === c.version && v.state === 'enabled')) {
          settled.push(c);
          continue;
        }
        let sessions: number | undefined;
        if (target) {
          // The target retires the old credential first: a failure leaves the cleanup due, to be tried again.
          const key = ref.key ?? desc.metadata[KEY] ?? null;
          const current = credentialOf(await this.valueAt(store, ref, desc.currentVersion!), key);
          const previous = credentialOf(await this.valueAt(store, ref, c.version), key);
          if (targetConfig!.cleanup === 'when-idle' && target.inUse) {
            sessions = await target.inUse(previous, current, supersededAt(desc.versions, c, this.settings));
            const waitEnds = Date.parse(c.notBefore) + targetConfig!.idleWaitHours * 3_600_000;
            if (sessions && now < waitEnds) {
              held ??= { version: c.version, sessions, checkedAt: new Date(now).toISOString(), target: target.name };
              await this.audit('rotation_phase', ref, metadata['vh-type'] ?? null, true, { phase: 'cleanup', held_version: c.version, sessions_in_use: sessions, target: target.name, waits_until: new Date(waitEnds).toISOString() });
              continue;
            }
          }
          await target.cleanup(previous, current);
        }
        await store.revoke(ref.name, c.version);
        await this.audit('revoked', ref, metadata['vh-type'] ?? null, true, { version: c.version, reason: 'grace period over', ...(sessions ? { sessions_cut: sessions } : {}) });
        revoked.push(c.version);
        settled.push(c);
      }
    } finally {
      await target?.close().catch(() => undefined);
    }
    const heldBefore = metadata[CLEANUP_HELD];
    const update: Record<string, string | null> = { [CLEANUP]: formatCleanups(waiting.filter((c) => !settled.includes(c))) };
    if (held || heldBefore !== undefined) update[CLEANUP_HELD] = formatHeld(held);
    if (settled.length > 0 || held || heldBefore !== undefined) await store.setMetadata(ref.name, update);
    return { revoked, held };
  }

  /**
   * Retires earlier versions now, whatever their grace period says (a leaked earlier value): the target stops
   * accepting each (where it still did), the store revokes it, and its pending cleanup is dropped. The current
   * version is never retired here — that takes a rotation. Returns the versions revoked.
   */
  async retireNow(refText: string, versions: readonly string[], reason: string): Promise<string[]> {
    const ref = resolveRef(this.rt, refText);
    await this.authorized(ref);
    const store = await this.rt.store(ref.store);
    const desc = await store.describe(ref.name);
    const todo = versions.filter((v) => v !== desc.currentVersion && desc.versions.some((x) => x.version === v && x.state === 'enabled'));
    if (todo.length === 0) return [];
    const targetConfig = targetConfigFor(this.rt.config, ref.id, desc.metadata);
    const target = targetConfig && desc.currentVersion ? await openTargetFor(this.rt, ref, targetConfig) : undefined;
    const revoked: string[] = [];
    try {
      const key = ref.key ?? desc.metadata[KEY] ?? null;
      const current = target ? credentialOf(await this.valueAt(store, ref, desc.currentVersion!), key) : undefined;
      for (const version of todo) {
        if (target && current) await target.cleanup(credentialOf(await this.valueAt(store, ref, version), key), current);
        await store.revoke(ref.name, version);
        await this.audit('revoked', ref, desc.metadata['vh-type'] ?? null, true, { version, reason });
        revoked.push(version);
      }
    } finally {
      await target?.close().catch(() => undefined);
      const waiting = parseCleanups(desc.metadata[CLEANUP]);
      if (revoked.length && waiting.some((c) => revoked.includes(c.version))) {
        await store.setMetadata(ref.name, { [CLEANUP]: formatCleanups(waiting.filter((c) => !revoked.includes(c.version))) }).catch(() => undefined);
      }
    }
    return revoked;
  }
}
