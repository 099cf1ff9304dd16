import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { fake, reseed } from './fakes.js';

/**
 * Which files a directory scan reads, as ripgrep picks them: `.gitignore` only inside a git work tree,
 * `.vhsecretsignore` always, `--no-ignore` and `--no-hidden`; and the summary that counts what was skipped.
 */

interface JsonReport {
  summary: { findings: number; files_scanned: number; skipped: number; skipped_by_reason: Record<string, number>; skipped_directories: number; errors: number };
  findings: { rule_id: string; file: string }[];
}

interface SarifRun {
  properties: { filesScanned: number; skipped: number; skippedByReason: Record<string, number>; skippedDirectories: number };
  invocations: { executionSuccessful: boolean; toolExecutionNotifications: { level: string; message: { text: string }; descriptor?: { id: string } }[] }[];
}

function tree(files: Record<string, string | Buffer>, dir = tempHome('vh-scan-files-')): string {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, stdio: 'pipe' });
const env = () => baseEnv(tempHome());
const files = (r: { out: string }) => (JSON.parse(r.out) as JsonReport).findings.map((f) => f.file).sort();
const summary = (r: { out: string }) => (JSON.parse(r.out) as JsonReport).summary;
const none = { ignored: 0, hidden: 0, binary: 0, too_large: 0, special: 0, symlink: 0, unreadable: 0 };

describe('which files a directory scan reads', () => {
  beforeEach(() => reseed(2201));

  test('the issue #22 case: a plain directory ignores its .gitignore (two findings); a git work tree honours it (one, and 1 ignored)', async () => {
    const line = `STRIPE_KEY=${fake.stripeLive()}\n`;
    const dir = tree({ '.gitignore': '.env\n', '.env': line, 'app.env': line });

    const plain = await run(['scan', '.', '--format', 'json', '--fail-on-secrets'], { env: env(), cwd: dir });
    expect(plain.code).toBe(1);
    expect(files(plain)).toEqual(['.env', 'app.env']);
    expect(summary(plain)).toMatchObject({ findings: 2, files_scanned: 3, skipped: 0, skipped_by_reason: none });
    const plainText = await run(['scan', '.'], { env: env(), cwd: dir });
    expect(plainText.out).toMatch(/2 secrets found in 2 files \(3 files, .*; skipped: none\)/);

    git(dir, 'init', '-q');
    const inRepo = await run(['scan', '.', '--format', 'json', '--fail-on-secrets'], { env: env(), cwd: dir });
    expect(inRepo.code).toBe(1);
    expect(files(inRepo)).toEqual(['app.env']);
    expect(summary(inRepo)).toMatchObject({ findings: 1, files_scanned: 2, skipped: 1, skipped_by_reason: { ...none, ignored: 1 }, skipped_directories: 0 });
    const text = await run(['scan', '.'], { env: env(), cwd: dir });
    expect(text.out).toMatch(/1 secret found in 1 file \(2 files, .*; skipped: 1 ignored\)/);

    const sarif = await run(['scan', '.', '--format', 'sarif'], { env: env(), cwd: dir });
    const run0 = (JSON.parse(sarif.out) as { runs: SarifRun[] }).runs[0]!;
    expect(run0.properties).toMatchObject({ filesScanned: 2, skipped: 1, skippedByReason: { ignored: 1, binary: 0, tooLarge: 0 }, skippedDirectories: 0 });
    expect(run0.invocations[0]!.toolExecutionNotifications).toEqual([{ level: 'note', descriptor: { id: 'skipped/ignored' }, message: { text: expect.stringMatching(/^1 not scanned: left out by \.gitignore .*--no-ignore/) } }]);

    // --no-ignore: every file, as in the plain directory.
    const all = await run(['scan', '.', '--no-ignore', '--format', 'json'], { env: env(), cwd: dir });
    expect(files(all)).toEqual(['.env', 'app.env']);
    expect(summary(all).skipped).toBe(0);
  });

  test('.vhsecretsignore applies in a plain directory; --no-ignore reads it not; a config allowlist still applies', async () => {
    const s = () => `token = ${fake.githubPat()}\n`;
    const dir = tree({ '.vhsecretsignore': 'fixtures/\n*.snap\n', 'fixtures/a.txt': s(), 'fixtures/b.txt': s(), 'x.snap': s(), 'app.txt': s(), 'vendor/v.txt': s(), 'vh-secrets.toml': '[scan]\nallowlist_paths = ["^vendor/"]\n' });
    const r = await run(['scan', '.', '--format', 'json'], { env: env(), cwd: dir });
    expect(files(r)).toEqual(['app.txt']);
    // The directory counts once: its files are never listed.
    expect(summary(r)).toMatchObject({ skipped: 2, skipped_by_reason: { ...none, ignored: 2 }, skipped_directories: 1 });
    const text = await run(['scan', '.'], { env: env(), cwd: dir });
    expect(text.out).toContain('skipped: 2 ignored (1 of them a directory, not entered)');
    const all = await run(['scan', '.', '--no-ignore', '--format', 'json'], { env: env(), cwd: dir });
    expect(files(all)).toEqual(['app.txt', 'fixtures/a.txt', 'fixtures/b.txt', 'x.snap']);
  });

  test('a .vhsecretsignore `!` re-includes what .gitignore leaves out', async () => {
    const line = `STRIPE_KEY=${fake.stripeLive()}\n`;
    const dir = tree({ '.gitignore': '*.env\nbuild/\n', '.vhsecretsignore': '!prod.env\n!build/\n', 'dev.env': line, 'prod.env': line, 'build/out.js': line });
    git(dir, 'init', '-q');
    const r = await run(['scan', '.', '--format', 'json'], { env: env(), cwd: dir });
    expect(files(r)).toEqual(['build/out.js', 'prod.env']);
    expect(summary(r).skipped_by_reason.ignored).toBe(1);
  });

  test('below the top of a work tree: the ancestors’ .gitignore files and info/exclude apply; above the work tree they do not', async () => {
    const line = () => `token = ${fake.githubPat()}\n`;
    const outer = tree({ '.gitignore': '*.txt\n', '.vhsecretsignore': '*.skip\n' });
    const repo = tree({ '.gitignore': 'secret.env\n', 'app/.gitignore': 'local.cfg\n', 'app/sub/secret.env': line(), 'app/sub/local.cfg': line(), 'app/sub/a.txt': line(), 'app/sub/b.skip': line(), 'app/sub/excluded.yml': line(), 'app/sub/kept.yml': line() }, join(outer, 'repo'));
    git(repo, 'init', '-q');
    writeFileSync(join(repo, '.git', 'info', 'exclude'), 'excluded.yml\n');
    const r = await run(['scan', join(repo, 'app', 'sub'), '--format', 'json'], { env: env() });
    // outer/.gitignore is above the work tree: a.txt is scanned; outer/.vhsecretsignore applies (b.skip is not).
    expect(files(r).map((f) => f.replace(/^.*\/app\/sub\//, ''))).toEqual(['a.txt', 'kept.yml']);
    expect(summary(r).skipped_by_reason.ignored).toBe(4);
  });

  test('a linked work tree (.git is a file) and a repository nested in a plain directory', async () => {
    const line = () => `token = ${fake.githubPat()}\n`;
    const main = tree({ '.gitignore': 'ignored.txt\n', 'kept.txt': 'x\n' });
    git(main, 'init', '-q');
    git(main, 'add', '.');
    git(main, 'commit', '-q', '-m', 'init');
    const linked = join(tempHome('vh-scan-wt-'), 'wt');
    git(main, 'worktree', 'add', '-q', linked);
    writeFileSync(join(main, '.git', 'info', 'exclude'), 'excluded.txt\n');
    writeFileSync(join(linked, 'ignored.txt'), line());
    writeFileSync(join(linked, 'excluded.txt'), line());
    writeFileSync(join(linked, 'found.txt'), line());
    const r = await run(['scan', linked, '--format', 'json'], { env: env() });
    expect(files(r).map((f) => f.slice(linked.length + 1))).toEqual(['found.txt']);
    expect(summary(r).skipped_by_reason.ignored).toBe(2);

    // A plain directory holding a repository: the repository's .gitignore applies inside it only.
    const plain = tree({ '.gitignore': 'ignored.txt\n', 'ignored.txt': line(), 'inner/.gitignore': 'ignored.txt\n', 'inner/ignored.txt': line() });
    git(join(plain, 'inner'), 'init', '-q');
    const p = await run(['scan', '.', '--format', 'json'], { env: env(), cwd: plain });
    expect(files(p)).toEqual(['ignored.txt']);
  });

  test('a directory given by name is scanned even when its work tree ignores it (as ripgrep does)', async () => {
    const line = () => `token = ${fake.githubPat()}\n`;
    const dir = tree({ '.gitignore': 'dist/\n*.map\n', 'dist/bundle.js': line(), 'dist/bundle.js.map': line() });
    git(dir, 'init', '-q');
    const whole = await run(['scan', '.', '--format', 'json'], { env: env(), cwd: dir });
    expect(files(whole)).toEqual([]);
    expect(summary(whole)).toMatchObject({ skipped: 1, skipped_directories: 1 });
    const named = await run(['scan', 'dist', '--format', 'json'], { env: env(), cwd: dir });
    // Its own patterns still apply below it: *.map is left out.
    expect(files(named)).toEqual(['dist/bundle.js']);
    expect(summary(named).skipped_by_reason.ignored).toBe(1);
  });

  test('dot files are scanned by default and with --hidden; --no-hidden leaves them out and counts them', async () => {
    const line = () => `token = ${fake.githubPat()}\n`;
    const dir = tree({ '.env': line(), '.config/app.yml': line(), 'app.txt': line() });
    const def = await run(['scan', '.', '--format', 'json'], { env: env(), cwd: dir });
    expect(files(def)).toEqual(['.config/app.yml', '.env', 'app.txt']);
    const hidden = await run(['scan', '.', '--hidden', '--format', 'json'], { env: env(), cwd: dir });
    expect(files(hidden)).toEqual(files(def));
    const noHidden = await run(['scan', '.', '--no-hidden', '--format', 'json'], { env: env(), cwd: dir });
    expect(files(noHidden)).toEqual(['app.txt']);
    expect(summary(noHidden)).toMatchObject({ skipped: 2, skipped_by_reason: { ...none, hidden: 2 }, skipped_directories: 1 });
    const bad = await run(['scan', '--stdin', '--no-ignore'], { env: env(), cwd: dir, input: '' });
    expect(bad.code).toBe(64);
  });

  test('every reason is counted: binary, too large, special, symlink, unreadable', async () => {
    const dir = tree({ 'bin.dat': Buffer.from([0, 1, 2, 0]), 'big.txt': 'a'.repeat(2 * 1024 * 1024), 'ok.txt': 'fine\n' });
    spawnSync('mkfifo', [join(dir, 'pipe')]);
    execFileSync('ln', ['-s', 'nowhere', join(dir, 'dangling')]);
    const r = await run(['scan', '.', '--max-file-size', '1', '--format', 'json'], { env: env(), cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    expect(summary(r)).toMatchObject({ files_scanned: 1, skipped: 4, skipped_by_reason: { ...none, binary: 1, too_large: 1, special: 1, symlink: 1 } });
    const text = await run(['scan', '.', '--max-file-size', '1'], { env: env(), cwd: dir, timeoutMs: 20_000 });
    expect(text.out).toContain('skipped: 1 binary, 1 too large, 1 not regular files, 1 symlink loops or links to nothing');
  });

  test('one unreadable input (a device, a FIFO) is one line on stderr and exit 2', async () => {
    for (const input of ['/dev/zero', '/dev/null']) {
      const r = await run(['scan', input], { env: env(), timeoutMs: 10_000 });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`vh-secrets: error: ${input}: not scanned: not a regular file; the scan is incomplete`]);
      expect(r.out).toContain('skipped: 1 unreadable');
    }
    const json = await run(['scan', '/dev/zero', '--format', 'json'], { env: env() });
    expect(summary(json)).toMatchObject({ files_scanned: 0, skipped: 1, skipped_by_reason: { ...none, unreadable: 1 }, errors: 1 });
  });
});
