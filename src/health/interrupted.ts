import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Rotations this host's journal says are in progress ($VH_SECRETS_HOME/journal/, one JSON file per secret,
 * written by rotation/journal.ts — read here as data, since one job does not import another), and whether the
 * process that holds each one is gone: same host, and its pid no longer exists.
 */
export interface LocalRotation {
  secret: string;
  id: string;
  host: string;
  pid: number;
  phase: string | null;
  started_at: string;
  updated_at: string | null;
}

export async function localRotations(journalDir: string): Promise<Map<string, LocalRotation>> {
  const found = new Map<string, LocalRotation>();
  let files: string[];
  try {
    files = (await fs.readdir(journalDir)).filter((f) => f.endsWith('.json'));
  } catch {
    return found;
  }
  await Promise.all(
    files.map(async (f) => {
      try {
        const e = JSON.parse(await fs.readFile(join(journalDir, f), 'utf8')) as Partial<LocalRotation> & { status?: string };
        if (e.status !== 'in_progress' || typeof e.secret !== 'string' || typeof e.id !== 'string') return;
        found.set(e.secret, {
          secret: e.secret,
          id: e.id,
          host: typeof e.host === 'string' ? e.host : '',
          pid: typeof e.pid === 'number' ? e.pid : 0,
          phase: typeof e.phase === 'string' ? e.phase : null,
          started_at: typeof e.started_at === 'string' ? e.started_at : '',
          updated_at: typeof e.updated_at === 'string' ? e.updated_at : null,
        });
      } catch {
        // A journal that cannot be read is rotate's to report (it refuses to guess); health looks at the store.
      }
    }),
  );
  return found;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists and belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `r` was started on this host by a process that no longer exists. */
export function holderGone(r: LocalRotation, host = hostname()): boolean {
  return r.host === host && r.pid > 0 && r.pid !== process.pid && !pidAlive(r.pid);
}
