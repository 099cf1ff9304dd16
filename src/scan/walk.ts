import type { Dirent } from 'node:fs';
import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { relative, sep } from 'node:path';
import { IgnoreScope } from './ignore.js';
import type { ScanError, Skipped } from './types.js';

export interface WalkEntry {
  abs: string;
  /** Relative to the scan root, forward slashes. */
  rel: string;
}

export interface WalkOptions {
  maxBytes: number;
  /** Relative path → whether to keep it (sharding, allowlisted paths). */
  keep?: (rel: string) => boolean;
  /** Honour `.gitignore` (inside a work tree), `info/exclude` and `.vhsecretsignore` (default true). */
  ignore?: boolean;
  /** Scan files and directories whose name starts with a dot (default true). */
  hidden?: boolean;
}

/** Left out before reading: by an ignore file, or as hidden (`--no-hidden`). A directory counts once. */
export interface WalkOmitted {
  rel: string;
  why: 'ignored' | 'hidden';
  isDir: boolean;
}

export type WalkEvent =
  | { kind: 'file'; entry: WalkEntry }
  | { kind: 'skipped'; skipped: Skipped }
  | { kind: 'omitted'; omitted: WalkOmitted }
  | { kind: 'error'; error: ScanError };

function toRel(root: string, abs: string): string {
  const rel = relative(root, abs);
  return sep === '/' ? rel : rel.split(sep).join('/');
}

interface Frame {
  abs: string;
  rel: string;
  scope: IgnoreScope;
  /** dev:ino of this directory and its ancestors, to recognise a symlink that leads back up. */
  ancestors: Set<string>;
}

/**
 * Walks a directory depth-first, leaving out what the ignore files say (see IgnoreScope: `.gitignore` only inside
 * a git work tree, `.vhsecretsignore` always) and never entering `.git`. Symlinks are followed only when they
 * lead outside the root (inside it, the target is scanned under its own path, so nothing is read twice); a link
 * back to an ancestor is reported as a loop. FIFOs, sockets and devices are reported and never opened. File
 * system calls are synchronous (cheaper than the thread pool); the walk yields to the event loop between
 * directories so worker results keep flowing.
 */
export async function* walk(root: string, options: WalkOptions): AsyncGenerator<WalkEvent> {
  const realRoot = realpathSync(root);
  const rootStat = statSync(realRoot);
  const useIgnore = options.ignore !== false;
  const hidden = options.hidden !== false;
  const stack: Frame[] = [{ abs: realRoot, rel: '', scope: useIgnore ? IgnoreScope.forRoot(realRoot) : IgnoreScope.NONE, ancestors: new Set([`${rootStat.dev}:${rootStat.ino}`]) }];
  const keep = options.keep ?? (() => true);
  const omitted = (rel: string, why: WalkOmitted['why'], isDir: boolean): WalkEvent => ({ kind: 'omitted', omitted: { rel, why, isDir } });

  let dirs = 0;
  while (stack.length) {
    const frame = stack.pop()!;
    if (++dirs % 32 === 0) await new Promise((r) => setImmediate(r));
    let entries: Dirent[];
    try {
      entries = readdirSync(frame.abs, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      yield { kind: 'error', error: { file: frame.rel || '.', message: `cannot list directory: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? 'error')}` } };
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const scope = useIgnore ? frame.scope.enter(frame.abs, frame.rel, new Set(entries.map((e) => e.name))) : frame.scope;
    const subdirs: Frame[] = [];
    for (const e of entries) {
      // frame.abs is already normal (a real path, or one built here): no need for join() to normalise it again.
      const abs = frame.abs === sep ? `${sep}${e.name}` : `${frame.abs}${sep}${e.name}`;
      const rel = frame.rel ? `${frame.rel}/${e.name}` : e.name;
      const dot = !hidden && e.name.startsWith('.');
      if (e.isDirectory()) {
        if (e.name === '.git') continue;
        if (useIgnore && scope.ignored(rel, true)) {
          yield omitted(rel, 'ignored', true);
          continue;
        }
        if (dot) {
          yield omitted(rel, 'hidden', true);
          continue;
        }
        try {
          const st = statSync(abs);
          subdirs.push({ abs, rel, scope: useIgnore ? scope.without(rel) : scope, ancestors: new Set([...frame.ancestors, `${st.dev}:${st.ino}`]) });
        } catch (err) {
          yield { kind: 'error', error: { file: rel, message: `cannot read directory: ${(err as NodeJS.ErrnoException).code ?? 'error'}` } };
        }
      } else if (e.isFile()) {
        // No stat here: the reader checks size and type through the descriptor it opens (one system call
        // per file fewer, and no window between a check and the read).
        if (useIgnore && scope.ignored(rel, false)) yield omitted(rel, 'ignored', false);
        else if (dot) yield omitted(rel, 'hidden', false);
        else if (keep(rel)) yield { kind: 'file', entry: { abs, rel } };
      } else if (e.isSymbolicLink()) {
        let linkIsDir = false;
        try {
          linkIsDir = statSync(abs).isDirectory();
        } catch {
          // broken or looping: reported below
        }
        if (useIgnore && scope.ignored(rel, linkIsDir)) {
          yield omitted(rel, 'ignored', linkIsDir);
          continue;
        }
        if (dot) {
          yield omitted(rel, 'hidden', linkIsDir);
          continue;
        }
        let target: string;
        let st: Stats;
        try {
          target = realpathSync(abs);
          st = statSync(target);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') yield { kind: 'skipped', skipped: { file: rel, reason: 'symlink-loop', detail: 'symlink loop' } };
          else yield { kind: 'skipped', skipped: { file: rel, reason: 'broken-symlink', detail: 'symlink to nothing' } };
          continue;
        }
        const id = `${st.dev}:${st.ino}`;
        if (st.isDirectory() && frame.ancestors.has(id)) {
          yield { kind: 'skipped', skipped: { file: rel, reason: 'symlink-loop', detail: `symlink loop (points back to ${toRel(realRoot, target) || '.'})` } };
          continue;
        }
        const inside = target === realRoot || target.startsWith(`${realRoot}${sep}`);
        if (inside) continue;
        if (st.isDirectory()) subdirs.push({ abs, rel, scope: useIgnore ? scope.without(rel) : scope, ancestors: new Set([...frame.ancestors, id]) });
        else if (st.isFile()) {
          if (!keep(rel)) continue;
          if (st.size > options.maxBytes) yield { kind: 'skipped', skipped: { file: rel, reason: 'too-large', detail: `${(st.size / 1048576).toFixed(1)} MB is over --max-file-size` } };
          else yield { kind: 'file', entry: { abs, rel } };
        } else yield { kind: 'skipped', skipped: { file: rel, reason: 'not-regular', detail: 'symlink to a FIFO, socket or device' } };
      } else if (useIgnore && scope.ignored(rel, false)) yield omitted(rel, 'ignored', false);
      else if (dot) yield omitted(rel, 'hidden', false);
      else {
        const what = e.isFIFO() ? 'FIFO' : e.isSocket() ? 'socket' : 'device';
        yield { kind: 'skipped', skipped: { file: rel, reason: 'not-regular', detail: `${what}: not a regular file` } };
      }
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
}
