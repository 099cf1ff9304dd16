/**
 * The facts about a rotation that live in the store's own metadata, shared by the rotation engine and by every
 * job that reads them (health, lifecycle, notify): the lock marker, the deferred cleanup, the rotated field, and
 * the settings that time them.
 */

export const MARKER = 'vh-rotation';
export const CLEANUP = 'vh-cleanup';
/** `create --reload NAME`: the `[[reload]]` tables a secret names itself, comma separated. */
export const RELOAD_META = 'vh-reload';
/** The JSON field rotations replace, recorded when a secret is created as `name#key`. */
export const KEY = 'vh-key';
export const ROTATED_AT = 'vh-rotated-at';
export const FAILED_AT = 'vh-rotation-failed-at';

export interface RotationSettings {
  gracePeriodHours: number;
  timeoutMinutes: number;
}

export function rotationSettings(env: NodeJS.ProcessEnv = process.env): RotationSettings {
  const num = (v: string | undefined, def: number, min: number) => {
    const n = Number(v);
    return v !== undefined && v !== '' && Number.isFinite(n) && n >= min ? n : def;
  };
  return {
    gracePeriodHours: num(env.VOICEHIVE_GRACE_PERIOD_HOURS, 24, 0),
    timeoutMinutes: num(env.VOICEHIVE_ROTATION_TIMEOUT_MINUTES, 30, 0.01),
  };
}

export interface Marker {
  id: string;
  from: string;
  at: string;
  host: string;
}

export function formatMarker(m: Marker): string {
  return `${m.id} ${m.from} ${m.at} ${m.host}`;
}

export function parseMarker(text: string | undefined): Marker | undefined {
  if (!text) return undefined;
  const [id, from, at, host] = text.split(' ');
  if (!id || !from || !at) return undefined;
  return { id, from, at, host: host ?? '' };
}

/** A previous version waiting out its grace period: revoked (and retired at the target) once `notBefore` passes. */
export interface PendingCleanup {
  version: string;
  notBefore: string;
  /** Sessions the target last saw on it, when its cleanup is held (`vh-cleanup-held`); never stored here. */
  inUse?: number;
  /** Past its grace, waiting for the idle check a `when-idle` target asks for; never stored here. */
  unchecked?: boolean;
}

/**
 * How many previous versions can wait out their grace at once: the `vh-cleanup` value holds them as
 * `version notBefore` pairs, and an AWS tag value takes 256 characters (four UUID versions with their times).
 */
export const MAX_CLEANUPS = 4;

/** Every previous version waiting out its grace, oldest first (`vh-cleanup`: `v1 t1 v2 t2 …`). */
export function parseCleanups(text: string | undefined): PendingCleanup[] {
  const parts = (text ?? '').split(' ').filter(Boolean);
  const out: PendingCleanup[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ version: parts[i]!, notBefore: parts[i + 1]! });
  return out.sort((a, b) => a.notBefore.localeCompare(b.notBefore));
}

export function formatCleanups(list: PendingCleanup[]): string | null {
  return list.length > 0 ? list.map((c) => `${c.version} ${c.notBefore.replace(/\.\d{3}Z$/, 'Z')}`).join(' ') : null;
}

/**
 * A previous version whose grace is over but whose cleanup waits because the target still sees sessions using it
 * (`cleanup = "when-idle"`): `vh-cleanup-held` = `version sessions checkedAt target`.
 */
export const CLEANUP_HELD = 'vh-cleanup-held';

export interface HeldCleanup {
  version: string;
  sessions: number;
  checkedAt: string;
  target: string;
}

export function formatHeld(h: HeldCleanup | undefined): string | null {
  return h ? `${h.version} ${h.sessions} ${h.checkedAt.replace(/\.\d{3}Z$/, 'Z')} ${h.target}` : null;
}

export function parseHeld(text: string | undefined): HeldCleanup | undefined {
  const [version, sessions, checkedAt, target] = (text ?? '').split(' ');
  if (!version || !sessions || !checkedAt || !target || !/^\d+$/.test(sessions)) return undefined;
  return { version, sessions: Number(sessions), checkedAt, target };
}

/** The previous version whose grace ends first, if any (what health reports as the next cleanup). */
export function parseCleanup(text: string | undefined): PendingCleanup | undefined {
  return parseCleanups(text)[0];
}
