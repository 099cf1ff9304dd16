import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { VhError, fromSystemError, isVhError } from '../base/errors.js';
import { ensurePrivateDir, removeFile, writeFileAtomic } from '../base/fsutil.js';

/** `reload` runs only for a secret with a matching `[[reload]]`; the others go from promote to cleanup. */
export const PHASES = ['prepare', 'generate', 'stage', 'verify', 'promote', 'reload', 'cleanup'] as const;
export type Phase = (typeof PHASES)[number];

/** The local record of one rotation: what was done, never a value. Replaced atomically (fsync) per phase. */
export interface JournalEntry {
  id: string;
  /** `store:name` */
  secret: string;
  store: string;
  name: string;
  key: string | null;
  type: string;
  from_version: string | null;
  pending_version: string | null;
  /** The last phase that completed. */
  phase: Phase | null;
  status: 'in_progress' | 'failed' | 'rolled_back' | 'done';
  emergency: boolean;
  reason: string | null;
  host: string;
  pid: number;
  started_at: string;
  updated_at: string;
  error: { code: string; message: string; phase: Phase } | null;
  /** The rotation target (`[targets.<name>]`), if the secret has one. */
  target?: string | null;
  /** Whether the staged value was applied at the target (a resumed rotation re-applies it when not). */
  target_applied?: boolean;
  /**
   * Where the new value came from: generated here, supplied by the operator (never kept until staged), or issued
   * by the target (an access key pair the service made).
   */
  source?: 'generated' | 'supplied' | 'issued';
  /** The id of the credential the target issued for this rotation (never a secret): discarded if never staged. */
  issued?: string | null;
  /** The phase whose write the store never confirmed: resume reads the store to learn what happened. */
  unconfirmed?: Phase | null;
}

const REQUIRED: (keyof JournalEntry)[] = ['id', 'secret', 'store', 'name', 'type', 'status', 'started_at'];

export class RotationJournal {
  constructor(private readonly dir: string) {}

  pathFor(secret: string): string {
    return join(this.dir, `${createHash('sha256').update(secret).digest('hex').slice(0, 32)}.json`);
  }

  async read(secret: string): Promise<JournalEntry | undefined> {
    const path = this.pathFor(secret);
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fromSystemError(err, 'cannot read rotation journal', path);
    }
    let entry: JournalEntry;
    try {
      entry = JSON.parse(text) as JournalEntry;
      for (const k of REQUIRED) if (entry[k] === undefined || entry[k] === null) throw new Error(k);
      if (entry.secret !== secret) throw new Error('secret');
    } catch {
      throw new VhError('INVALID_FORMAT', `rotation journal ${path} for ${secret} is corrupted`, {
        details: { path },
        hint: 'nothing was changed in the store; inspect the secret with `vh-secrets describe`, then move the journal file aside and run `rotate --abort` or `--resume`',
      });
    }
    return entry;
  }

  /**
   * Replaces the entry atomically. `durable` (the default) fsyncs it: for the records the store alone cannot
   * rebuild after a power loss — that a rotation began on this host, and that a target is about to change. A
   * phase record is written without: a process kill never loses it, and after a power loss resume reads the
   * phase back from the store (the marker, the pending version) and repeats what is idempotent.
   */
  async write(entry: JournalEntry, durable = true): Promise<void> {
    // The directory is made once per journal; should it vanish meanwhile, the write that finds it gone makes it.
    if (!this.ready) {
      await ensurePrivateDir(this.dir);
      this.ready = true;
    }
    entry.updated_at = new Date().toISOString();
    const text = `${JSON.stringify(entry, null, 2)}\n`;
    try {
      await writeFileAtomic(this.pathFor(entry.secret), text, 0o600, { durable });
    } catch (err) {
      if (!isVhError(err) || err.code !== 'NOT_FOUND') throw err;
      await ensurePrivateDir(this.dir);
      await writeFileAtomic(this.pathFor(entry.secret), text, 0o600, { durable });
    }
  }

  private ready = false;

  async remove(secret: string): Promise<void> {
    await removeFile(this.pathFor(secret));
  }
}
