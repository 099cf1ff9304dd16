/**
 * The facts about a rotation that live in the store's own metadata, shared by the rotation engine and by every
 * job that reads them (health, lifecycle, notify): the lock marker, the deferred cleanup, the rotated field, and
 * the settings that time them.
 */

export const MARKER = 'vh-rotation';
export const CLEANUP = 'vh-cleanup';
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

export function parseCleanup(text: string | undefined): { version: string; notBefore: string } | undefined {
  if (!text) return undefined;
  const [version, notBefore] = text.split(' ');
  return version && notBefore ? { version, notBefore } : undefined;
}
