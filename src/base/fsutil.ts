import { constants, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { VhError, fromSystemError } from './errors.js';

/** Removes a file; one that is already gone is fine. One unlink (`fs.rm` looks the path up first). */
export async function removeFile(path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fromSystemError(err, 'cannot create directory', dir);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

/**
 * Replace `path` atomically: write a private temp file beside it, fsync, rename over, fsync the directory.
 * A reader sees the old bytes or the new bytes, never a mix; a crash leaves at worst a stray temp file.
 * `durable: false` skips both fsyncs: still atomic, and it survives the process being killed (the page cache
 * outlives it), but a power loss may bring back the file as it was — for records the caller can rebuild.
 */
export async function writeFileAtomic(path: string, data: Buffer | string, mode = 0o600, { durable = true }: { durable?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    await handle.writeFile(data);
    if (durable) await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw fromSystemError(err, 'cannot write', path);
  }
  if (durable) await fsyncDir(dir);
}

/**
 * Create a file with content only if it does not exist yet, atomically (write temp + link).
 * Returns false when another process created it first.
 */
export async function createFileExclusive(path: string, data: Buffer | string, mode = 0o600): Promise<boolean> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.link(tmp, path);
      await fsyncDir(dir);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  } catch (err) {
    throw fromSystemError(err, 'cannot create', path);
  } finally {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
}

interface LockOwner {
  pid: number;
  host: string;
  at: number;
}

export interface LockOptions {
  /** Give up after this long (ms). Default 30 s. */
  timeoutMs?: number;
  /** A lock from another host older than this is stale (ms). Default 5 min. */
  staleMs?: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * An advisory inter-process lock: a file created with O_EXCL that names its owner. A lock whose owner
 * process is gone (same host) or that is older than `staleMs` (other host) is broken safely: breaking
 * goes through a second exclusive file so two waiters never both break and both win.
 */
export class FileLock {
  private held = false;
  private constructor(readonly path: string) {}

  static async acquire(path: string, options: LockOptions = {}): Promise<FileLock> {
    const lock = new FileLock(path);
    await lock.take(options.timeoutMs ?? 30_000, options.staleMs ?? 5 * 60_000);
    return lock;
  }

  private async take(timeoutMs: number, staleMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const me: LockOwner = { pid: process.pid, host: hostname(), at: Date.now() };
    let delay = 2;
    for (;;) {
      try {
        const handle = await fs.open(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
        try {
          await handle.write(JSON.stringify(me));
        } finally {
          await handle.close();
        }
        this.held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(err, 'cannot take lock', this.path);
      }
      if (await this.breakIfStale(staleMs)) continue;
      if (Date.now() >= deadline) {
        const owner = await readOwner(this.path);
        throw new VhError('CONFLICT', `timed out waiting for lock ${this.path}${owner ? ` (held by pid ${owner.pid} on ${owner.host})` : ''}`, {
          hint: 'another vh-secrets process is working on the same files; retry, or remove the lock file if that process is gone',
          details: { path: this.path },
        });
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  }

  /** True when a stale lock was removed (or vanished), so taking it again is worth trying at once. */
  private async breakIfStale(staleMs: number): Promise<boolean> {
    const owner = await readOwner(this.path);
    if (owner === undefined) return true;
    const stale = owner === null
      ? await olderThan(this.path, 10_000) // unreadable/half-written lock file: give its writer 10 s
      : owner.host === hostname()
        ? !pidAlive(owner.pid)
        : Date.now() - owner.at > staleMs;
    if (!stale) return false;
    const breaker = `${this.path}.break`;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(breaker, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch {
      if (await olderThan(breaker, 10_000)) await fs.rm(breaker, { force: true });
      return false;
    }
    try {
      const again = await readOwner(this.path);
      if (JSON.stringify(again) === JSON.stringify(owner)) await fs.rm(this.path, { force: true });
      return true;
    } finally {
      await handle.close();
      await fs.rm(breaker, { force: true });
    }
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await removeFile(this.path);
  }
}

/** undefined: no lock file; null: present but unreadable or half-written. */
async function readOwner(path: string): Promise<LockOwner | null | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
  try {
    const parsed = JSON.parse(text) as LockOwner;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    const st = await fs.stat(path);
    return Date.now() - st.mtimeMs > ms;
  } catch {
    return false;
  }
}

export async function withLock<T>(path: string, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
  const lock = await FileLock.acquire(path, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
