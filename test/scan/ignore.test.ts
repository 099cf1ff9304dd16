import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { walk } from '../../src/scan/walk.js';
import { tempHome } from '../helpers/cli.js';

/**
 * The walk against git itself: random trees with random `.gitignore` files (a seeded PRNG, so a failure is
 * reproducible from the printed seed), and the files the walk yields compared with what
 * `git ls-files --others --exclude-standard` lists, i.e. what git does not ignore.
 */

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const NAMES = ['a', 'b', 'ab', 'c.txt', 'd.log', '.e', 'x y', 'A', 'a.b.log', 'node_modules'];
const SEGMENTS = ['a', 'b', 'ab', '*', '*.log', '*.txt', '?', 'a?', '[ab]', '[!a]', '[a-c]*', '**', '.e', 'x y', 'A', 'x\\ y', 'node_modules', '*b', 'a*', '\\!a', 'd.log'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function pattern(r: () => number): string {
  if (r() < 0.05) return '# a comment';
  const n = 1 + Math.floor(r() * (r() < 0.6 ? 1 : 3));
  let p = Array.from({ length: n }, () => pick(r, SEGMENTS)).join('/');
  if (r() < 0.2) p = `/${p}`;
  if (r() < 0.25) p = `${p}/`;
  if (r() < 0.25) p = `!${p}`;
  if (r() < 0.05) p = `${p}  `;
  return p;
}

interface Tree {
  root: string;
  dirs: string[];
  negations: boolean;
}

function randomTree(r: () => number): Tree {
  const root = tempHome('vh-scan-gi-');
  execFileSync('git', ['init', '-q', root]);
  const dirs = [''];
  const grow = (rel: string, depth: number) => {
    const used = new Set<string>();
    const n = 1 + Math.floor(r() * 5);
    for (let i = 0; i < n; i++) {
      const name = pick(r, NAMES);
      if (used.has(name)) continue;
      used.add(name);
      const child = rel ? `${rel}/${name}` : name;
      if (depth < 3 && r() < 0.4) {
        mkdirSync(join(root, child));
        dirs.push(child);
        grow(child, depth + 1);
      } else writeFileSync(join(root, child), 'x\n');
    }
  };
  grow('', 0);
  // The root always has a .gitignore; some directories have one of their own.
  let negations = false;
  for (const d of dirs) {
    if (d !== '' && r() > 0.3) continue;
    const lines = Array.from({ length: 1 + Math.floor(r() * 6) }, () => pattern(r));
    negations ||= lines.some((l) => l.startsWith('!'));
    writeFileSync(join(root, d, '.gitignore'), `${lines.join('\n')}\n`);
  }
  return { root, dirs, negations };
}

async function walked(root: string): Promise<string[]> {
  const files: string[] = [];
  for await (const ev of walk(root, { maxBytes: 1 << 20 })) if (ev.kind === 'file') files.push(ev.entry.rel);
  return files.sort();
}

function gitSees(root: string): string[] {
  const out = execFileSync('git', ['-c', 'core.quotePath=false', 'ls-files', '-z', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  return out.split('\0').filter(Boolean).sort();
}

/** Every file in the tree, ignored or not (`.git` left out). */
function gitAll(root: string): string[] {
  const out = execFileSync('find', ['.', '-path', './.git', '-prune', '-o', '-type', 'f', '-print'], { cwd: root, encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

describe('which files the walk leaves out, compared with git', () => {
  test('random trees and .gitignore files: the walk keeps exactly what git keeps', async () => {
    const seeds = Number(process.env.VH_IGNORE_SEEDS ?? 250);
    const first = Number(process.env.VH_IGNORE_SEED ?? 1);
    const mismatches: unknown[] = [];
    let ignored = 0;
    let negated = 0;
    for (let seed = first; seed < first + seeds && mismatches.length < 3; seed++) {
      const t = randomTree(prng(seed));
      const ours = await walked(t.root);
      const git = gitSees(t.root);
      ignored += gitAll(t.root).length - git.length;
      if (t.negations) negated++;
      if (JSON.stringify(ours) !== JSON.stringify(git)) {
        const ignores = Object.fromEntries(t.dirs.filter((d) => existsSync(join(t.root, d, '.gitignore'))).map((d) => [d || '.', readFileSync(join(t.root, d, '.gitignore'), 'utf8')]));
        mismatches.push({ seed, root: t.root, onlyWalk: ours.filter((f) => !git.includes(f)), onlyGit: git.filter((f) => !ours.includes(f)), ignores });
      } else rmSync(t.root, { recursive: true, force: true });
    }
    expect(mismatches).toEqual([]);
    // The comparison bites: many files were ignored, and many trees re-included something with `!`.
    expect(ignored).toBeGreaterThan(seeds);
    expect(negated).toBeGreaterThan(seeds / 4);
  });
});
