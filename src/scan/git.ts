import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { VhError } from '../base/errors.js';
import type { Detector } from './detector.js';
import type { Finding } from './types.js';

/** Options that would make `git log` write files or run programs; never passed through --log-opts. */
const FORBIDDEN_LOG_OPTS = /^--(?:output|ext-diff|textconv|exec|upload-pack|config|git-dir|work-tree)\b|^-c$|^-o/;
const BLOCK_LIMIT = 4 * 1024 * 1024;

function git(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new VhError('NOT_FOUND', `cannot run git: ${err.message}`, { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** The top of the work tree containing `dir`; a scan error when there is none. */
export async function repoRoot(dir: string): Promise<string> {
  const r = await git(dir, ['rev-parse', '--show-toplevel']);
  if (r.code !== 0) throw new VhError('NOT_FOUND', `${dir} is not inside a git repository`, { hint: 'run the scan from a repository, or give its path with --path' });
  return r.stdout.trim();
}

export interface CommitInfo {
  commit: string;
  author: string;
  email: string;
  date: string;
}

export interface DiffScanResult {
  findings: Finding[];
  commits: number;
  files: number;
  bytes: number;
}

/** Added lines of one file in one commit (or in the index), with their line numbers in the new file. */
class Block {
  lines: string[] = [];
  numbers: number[] = [];
  size = 0;
  constructor(
    readonly path: string,
    readonly commit: CommitInfo | undefined,
  ) {}
}

/**
 * Scans the added lines of a unified diff (`-U0`) read from git, line by line as git writes it: memory stays
 * bounded by one file's additions per commit. `log` output carries a NUL-separated header per commit.
 */
async function scanDiffStream(detector: Detector, cwd: string, args: string[], what: string): Promise<DiffScanResult> {
  const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d.slice(0, 4000)));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', (err) => reject(new VhError('NOT_FOUND', `cannot run git: ${err.message}`, { cause: err })));
    child.on('close', (code) => resolve(code ?? 1));
  });
  const result: DiffScanResult = { findings: [], commits: 0, files: 0, bytes: 0 };
  let commit: CommitInfo | undefined;
  let block: Block | undefined;
  let inHunk = false;
  let nextLine = 0;
  let path: string | undefined;

  const flush = () => {
    if (!block || block.lines.length === 0) return;
    const b = block;
    block = new Block(b.path, b.commit);
    result.bytes += b.size;
    if (detector.pathAllowed(b.path) || (b.commit && detector.commitAllowed(b.commit.commit))) return;
    for (const f of detector.scan(b.lines.join('\n'), b.path, 0, b.commit?.commit)) {
      f.line = b.numbers[f.line - 1] ?? f.line;
      f.endLine = b.numbers[f.endLine - 1] ?? f.endLine;
      if (b.commit) Object.assign(f, { commit: b.commit.commit, author: b.commit.author, email: b.commit.email, date: b.commit.date });
      result.findings.push(f);
    }
  };

  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.startsWith('\0')) {
      flush();
      block = undefined;
      const [, sha, author, email, date] = line.split('\0');
      commit = { commit: sha ?? '', author: author ?? '', email: email ?? '', date: date ?? '' };
      result.commits++;
      inHunk = false;
      continue;
    }
    if (line.startsWith('diff --git ')) {
      flush();
      block = undefined;
      path = undefined;
      inHunk = false;
      continue;
    }
    if (!inHunk) {
      if (line.startsWith('+++ ')) {
        const target = line.slice(4);
        path = target === '/dev/null' ? undefined : target.replace(/^b\//, '').replace(/^"(.*)"$/, '$1');
        if (path !== undefined) {
          block = new Block(path, commit);
          result.files++;
        }
      } else if (line.startsWith('@@ ') && block) {
        inHunk = true;
        nextLine = Number(/\+(\d+)/.exec(line)?.[1] ?? '1');
      }
      continue;
    }
    if (line.startsWith('@@ ')) {
      nextLine = Number(/\+(\d+)/.exec(line)?.[1] ?? '1');
    } else if (line.startsWith('+') && block) {
      block.lines.push(line.slice(1));
      block.numbers.push(nextLine++);
      block.size += line.length;
      if (block.size > BLOCK_LIMIT) flush();
    } else if (line.startsWith(' ')) nextLine++;
    else if (!line.startsWith('-') && !line.startsWith('\\')) inHunk = false;
  }
  flush();
  const code = await exited;
  if (code !== 0) {
    const first = stderr.split('\n').find((l) => l.trim() !== '') ?? `git exited with ${code}`;
    throw new VhError('INVALID_FORMAT', `${what} failed: ${first.replace(/^fatal:\s*/, '')}`, { hint: 'check the range given with --log-opts (e.g. main..HEAD)' });
  }
  return result;
}

const DIFF_FLAGS = ['-p', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', '--diff-filter=d'];

/** Git history: every commit reachable from any ref, or the commits `logOpts` selects (e.g. `main..HEAD`). */
export async function scanHistory(detector: Detector, dir: string, logOpts: string | undefined): Promise<DiffScanResult> {
  const root = await repoRoot(dir);
  const extra = logOpts ? logOpts.trim().split(/\s+/) : ['--all'];
  for (const a of extra) if (FORBIDDEN_LOG_OPTS.test(a)) throw new VhError('USAGE', `--log-opts may not contain ${a}`);
  const args = ['-c', 'core.quotePath=false', 'log', ...DIFF_FLAGS, '--full-history', '--format=%x00%H%x00%an%x00%ae%x00%aI', ...extra, '--'];
  return scanDiffStream(detector, root, args, 'git log');
}

/** The staged changes (`git diff --cached`): what the next commit would add. */
export async function scanStaged(detector: Detector, dir: string): Promise<DiffScanResult> {
  const root = await repoRoot(dir);
  const args = ['-c', 'core.quotePath=false', 'diff', '--cached', ...DIFF_FLAGS];
  return scanDiffStream(detector, root, args, 'git diff --cached');
}
