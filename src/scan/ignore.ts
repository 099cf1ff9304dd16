/**
 * A small .gitignore matcher (the syntax of gitignore(5)): comments, `!` negation, trailing `/` for
 * directories, patterns anchored when they contain a `/`, `*`, `?`, `[...]` and `**`. The last matching
 * pattern wins, as in git. Also used for `.vhsecretsignore`.
 */

interface Pattern {
  re: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          if (i + 2 === glob.length) out += '.*';
          else {
            out += '(?:.*/)?';
            i++;
          }
          i++;
          continue;
        }
      }
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) out += '\\[';
      else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += glob[i + 1]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

export class IgnoreRules {
  private readonly patterns: Pattern[] = [];

  /** `base`: the directory holding the ignore file, relative to the scan root ('' for the root). */
  constructor(
    readonly base: string,
    text: string,
  ) {
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.replace(/(?<!\\)\s+$/, '');
      if (line === '' || line.startsWith('#')) continue;
      let negate = false;
      if (line.startsWith('!')) {
        negate = true;
        line = line.slice(1);
      } else if (line.startsWith('\\!') || line.startsWith('\\#')) line = line.slice(1);
      let dirOnly = false;
      if (line.endsWith('/')) {
        dirOnly = true;
        line = line.slice(0, -1);
      }
      if (line === '') continue;
      const anchored = line.includes('/');
      if (line.startsWith('/')) line = line.slice(1);
      const body = globToRegex(line);
      const re = new RegExp(anchored ? `^${body}$` : `(?:^|/)${body}$`);
      this.patterns.push({ re, negate, dirOnly });
    }
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** undefined: no pattern matched; true: ignored; false: re-included by a `!` pattern. */
  match(relPath: string, isDir: boolean): boolean | undefined {
    const path = this.base === '' ? relPath : relPath.startsWith(`${this.base}/`) ? relPath.slice(this.base.length + 1) : undefined;
    if (path === undefined) return undefined;
    let result: boolean | undefined;
    for (const p of this.patterns) {
      if (p.dirOnly && !isDir) continue;
      if (p.re.test(path)) result = !p.negate;
    }
    return result;
  }
}

/** The ignore files in effect for a directory: its ancestors' and its own, nearest last. */
export function isIgnored(stack: readonly IgnoreRules[], relPath: string, isDir: boolean): boolean {
  let result = false;
  for (const rules of stack) {
    const m = rules.match(relPath, isDir);
    if (m !== undefined) result = m;
  }
  return result;
}
