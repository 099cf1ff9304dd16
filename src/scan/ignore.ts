import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/**
 * Which files a directory scan leaves out, decided as ripgrep decides:
 * - `.vhsecretsignore` (like ripgrep's `.ignore`) applies everywhere, in the scanned tree and its ancestors;
 * - `.gitignore` and the repository's `info/exclude` apply only inside a git work tree: from a directory up to
 *   the nearest one holding a `.git` (directory or file), never above it, and not at all where there is none;
 * - a `.vhsecretsignore` verdict (ignore or `!` re-include) outranks a git one; within one kind the nearest
 *   file that says anything wins, and within a file the last matching pattern (gitignore(5)).
 * Patterns are matched by the `ignore` package (gitignore(5) semantics, case-sensitive as git is on Linux).
 */

export type IgnoreKind = 'git' | 'vh';

export const GITIGNORE = '.gitignore';
export const VHSECRETSIGNORE = '.vhsecretsignore';

/** One ignore file's patterns, bound to the directory that holds it. */
export class IgnoreFile {
  private readonly rules: Ignore;
  private readonly lines: readonly string[];
  readonly empty: boolean;

  /**
   * `base`: where the file's directory is, relative to the scan root: `{ inside: 'a/b' }` for a directory in the
   * tree ('' for the root), `{ above: 'x/y' }` for an ancestor, naming the scan root's path below it.
   */
  constructor(
    readonly source: string,
    private readonly base: { inside: string } | { above: string },
    text: string | readonly string[],
  ) {
    this.lines = typeof text === 'string' ? text.split(/\r?\n/).filter((l) => l !== '' && !l.startsWith('#')) : text;
    this.empty = this.lines.length === 0;
    this.rules = ignore({ ignorecase: false }).add(this.lines);
  }

  /**
   * This file as it applies below directory `rel`, which it ignores but the walk entered all the same (a nearer
   * file re-included it, or it is the scan root given by the user). git matches each path on its own once its
   * directory is entered; the `ignore` package also applies the parent rule (a path under an ignored directory
   * is ignored), so the directory and those of its ancestors this file ignores are re-included at the end.
   */
  reincluding(rel: string): IgnoreFile {
    const path = this.local(rel);
    if (path === undefined) return this;
    const extra: string[] = [];
    let rules = this.rules;
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (!rules.test(`${prefix}/`).ignored) continue;
      extra.push(`!/${prefix.replace(/[\\*?[]/g, '\\$&')}/`);
      rules = ignore({ ignorecase: false }).add([...this.lines, ...extra]);
    }
    return new IgnoreFile(this.source, this.base, [...this.lines, ...extra]);
  }

  /** The path relative to this file's directory, or undefined when the path is not below it. */
  private local(rel: string): string | undefined {
    if ('above' in this.base) return rel === '' ? this.base.above : `${this.base.above}/${rel}`;
    const b = this.base.inside;
    if (b === '') return rel === '' ? undefined : rel;
    return rel.startsWith(`${b}/`) ? rel.slice(b.length + 1) : undefined;
  }

  /** true: ignored (by a pattern or a parent directory); false: re-included by a `!` pattern; undefined: no say. */
  match(rel: string, isDir: boolean): boolean | undefined {
    const path = this.local(rel);
    if (path === undefined) return undefined;
    let r: ignore.TestResult;
    try {
      r = this.rules.test(isDir ? `${path}/` : path);
    } catch {
      // A path the package refuses (it never sees one from the walk): no pattern can match it, so it is scanned.
      return undefined;
    }
    return r.ignored ? true : r.unignored ? false : undefined;
  }
}

/** The ignore files in force in one directory of the walk. Immutable: a child directory gets a new one. */
export class IgnoreScope {
  private constructor(
    /** `.vhsecretsignore` files, farthest first. */
    private readonly vh: readonly IgnoreFile[],
    /** The repository's `info/exclude` then `.gitignore` files, farthest first; empty outside a work tree. */
    private readonly git: readonly IgnoreFile[],
    /** Some directory from here up holds `.git`. */
    readonly inWorkTree: boolean,
  ) {}

  static readonly NONE = new IgnoreScope([], [], false);

  /**
   * The scope at the scan root: the ignore files of its ancestors (`.gitignore` only up to the top of the work
   * tree holding it). The root's own files are added by `enter`, like any directory's.
   */
  static forRoot(root: string): IgnoreScope {
    const vh: IgnoreFile[] = [];
    const git: IgnoreFile[] = [];
    let gitTop: string | undefined;
    const ancestors: string[] = [];
    for (let d = dirname(root); ; d = dirname(d)) {
      ancestors.push(d);
      if (dirname(d) === d) break;
    }
    if (!hasGit(root)) gitTop = ancestors.find(hasGit);
    // Farthest first, so the nearest file comes last and wins.
    for (const dir of ancestors.reverse()) {
      const above = toSlash(relative(dir, root));
      const v = readIgnoreFile(join(dir, VHSECRETSIGNORE), { above });
      if (v) vh.push(v);
      if (gitTop !== undefined && (dir === gitTop || dir.startsWith(gitTop === sep ? sep : `${gitTop}${sep}`))) {
        if (dir === gitTop) {
          const ex = readExclude(dir, { above });
          if (ex) git.push(ex);
        }
        const g = readIgnoreFile(join(dir, GITIGNORE), { above });
        if (g) git.push(g);
      }
    }
    // A file that ignores the scan root itself was overridden by the user naming the root (ripgrep scans a path
    // it is given): it still matches each path below.
    return new IgnoreScope(vh, git, gitTop !== undefined).without('');
  }

  /**
   * The scope inside directory `rel` (relative to the scan root; '' for the root), whose entries are `names`.
   * A `.git` there starts a new work tree: the outer tree's `.gitignore` files stop applying.
   */
  enter(abs: string, rel: string, names: ReadonlySet<string>): IgnoreScope {
    let { vh, git, inWorkTree } = this;
    if (names.has('.git')) {
      inWorkTree = true;
      const ex = readExclude(abs, { inside: rel });
      git = ex ? [ex] : [];
    }
    if (names.has(VHSECRETSIGNORE)) {
      const v = readIgnoreFile(join(abs, VHSECRETSIGNORE), { inside: rel });
      if (v) vh = [...vh, v];
    }
    if (inWorkTree && names.has(GITIGNORE)) {
      const g = readIgnoreFile(join(abs, GITIGNORE), { inside: rel });
      if (g) git = [...git, g];
    }
    return vh === this.vh && git === this.git && inWorkTree === this.inWorkTree ? this : new IgnoreScope(vh, git, inWorkTree);
  }

  /** Whether `rel` is left out, and by which kind of file. */
  ignored(rel: string, isDir: boolean): IgnoreKind | undefined {
    const v = verdict(this.vh, rel, isDir);
    if (v !== undefined) return v ? 'vh' : undefined;
    return verdict(this.git, rel, isDir) ? 'git' : undefined;
  }

  /**
   * The scope to carry into directory `rel`, which the walk enters (no verdict ignores it): a file that ignores
   * it on its own (a nearer `!` pattern re-included it, or it is the scan root) is rebased (see
   * IgnoreFile.reincluding), so that it goes on matching the paths below one by one, as git does.
   */
  without(rel: string): IgnoreScope {
    const keep = (files: readonly IgnoreFile[]) => {
      let changed = false;
      const kept = files.map((f) => {
        if (f.match(rel, true) !== true) return f;
        changed = true;
        return f.reincluding(rel);
      });
      return changed ? kept : files;
    };
    const vh = keep(this.vh);
    const git = keep(this.git);
    return vh === this.vh && git === this.git ? this : new IgnoreScope(vh, git, this.inWorkTree);
  }
}

function verdict(files: readonly IgnoreFile[], rel: string, isDir: boolean): boolean | undefined {
  for (let i = files.length - 1; i >= 0; i--) {
    const m = files[i]!.match(rel, isDir);
    if (m !== undefined) return m;
  }
  return undefined;
}

function toSlash(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

function hasGit(dir: string): boolean {
  return statSync(join(dir, '.git'), { throwIfNoEntry: false }) !== undefined;
}

function readIgnoreFile(path: string, base: ConstructorParameters<typeof IgnoreFile>[1]): IgnoreFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // Missing, a directory, or unreadable: it ignores nothing (an unreadable file is reported when the walk reaches it).
    return undefined;
  }
  const f = new IgnoreFile(path, base, text);
  return f.empty ? undefined : f;
}

/**
 * `info/exclude` of the repository whose work tree top is `dir`: `.git/info/exclude`, or for a linked work tree
 * or submodule (`.git` is a file naming the git directory) the one in its common directory.
 */
function readExclude(dir: string, base: ConstructorParameters<typeof IgnoreFile>[1]): IgnoreFile | undefined {
  let gitDir = join(dir, '.git');
  try {
    if (statSync(gitDir).isFile()) {
      const named = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(gitDir, 'utf8'))?.[1];
      if (!named) return undefined;
      gitDir = isAbsolute(named) ? named : join(dir, named);
      try {
        const common = readFileSync(join(gitDir, 'commondir'), 'utf8').trim();
        gitDir = isAbsolute(common) ? common : join(gitDir, common);
      } catch {
        // not a linked work tree: the git directory is its own common directory
      }
    }
  } catch {
    return undefined;
  }
  return readIgnoreFile(join(gitDir, 'info', 'exclude'), base);
}
