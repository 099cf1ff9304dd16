import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { fake, reseed } from './fakes.js';

interface Finding {
  rule_id: string;
  file: string;
  line: number;
  commit?: string;
  author?: string;
  email?: string;
  date?: string;
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Dana Dev', GIT_AUTHOR_EMAIL: 'dana@corp.io', GIT_COMMITTER_NAME: 'Dana Dev', GIT_COMMITTER_EMAIL: 'dana@corp.io', GIT_AUTHOR_DATE: '2024-03-01T10:00:00Z', GIT_COMMITTER_DATE: '2024-03-01T10:00:00Z' },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function repo(): string {
  const dir = tempHome('vh-scan-git-');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'commit.gpgsign', 'false');
  return dir;
}

const env = () => baseEnv(tempHome());

describe('vh-secrets scan --git / --staged', () => {
  beforeEach(() => reseed(99));

  test('history: a secret added then removed is still found, with commit, author and date', async () => {
    const dir = repo();
    const t = fake.githubPat();
    writeFileSync(join(dir, 'app.txt'), 'line one\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'first');
    writeFileSync(join(dir, 'app.txt'), `line one\nline two\ntoken = ${t}\n`);
    git(dir, 'commit', '-qam', 'add token');
    const leak = git(dir, 'rev-parse', 'HEAD');
    writeFileSync(join(dir, 'app.txt'), 'line one\n');
    git(dir, 'commit', '-qam', 'remove token');

    const tree = await run(['scan', dir, '--fail-on-secrets'], { env: env() });
    expect(tree.code).toBe(0);
    const r = await run(['scan', '--git', '--path', dir, '--format', 'json', '--fail-on-secrets'], { env: env() });
    expect(r.code).toBe(1);
    const findings = (JSON.parse(r.out) as { findings: Finding[] }).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule_id: 'github-token', file: 'app.txt', line: 3, commit: leak, author: 'Dana Dev', email: 'dana@corp.io' });
    expect(findings[0]!.date).toMatch(/^2024-03-01T10:00:00/);
    expect(r.out).not.toContain(t);

    // A range that excludes the leaking commit finds nothing.
    const ranged = await run(['scan', '--git', '--log-opts', 'HEAD~1..HEAD', '--path', dir, '--fail-on-secrets'], { env: env() });
    expect(ranged.code).toBe(0);
    const text = await run(['scan', '--git', '--path', dir], { env: env() });
    expect(text.out).toContain(`commit ${leak.slice(0, 12)} by Dana Dev <dana@corp.io>`);
  });

  test('not a git repository, or a bad range, exits 2', async () => {
    const notRepo = tempHome('vh-scan-norepo-');
    const a = await run(['scan', '--git', '--path', notRepo], { env: env() });
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('not inside a git repository');
    const dir = repo();
    writeFileSync(join(dir, 'a.txt'), 'x\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'one');
    const b = await run(['scan', '--git', '--log-opts', 'nosuchbranch..HEAD', '--path', dir], { env: env() });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/git log failed/);
    const c = await run(['scan', '--staged', '--path', notRepo], { env: env() });
    expect(c.code).toBe(2);
  });

  test('--staged scans only what is staged, with line numbers of the new file', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'a.txt'), 'one\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'one');
    const t = fake.stripeLive();
    writeFileSync(join(dir, 'a.txt'), `one\ntwo\nSTRIPE=${t}\n`);
    writeFileSync(join(dir, 'unstaged.txt'), `x = ${fake.githubPat()}\n`);
    const before = await run(['scan', '--staged', '--fail-on-secrets'], { env: env(), cwd: dir });
    expect(before.code).toBe(0);
    git(dir, 'add', 'a.txt');
    const after = await run(['scan', '--staged', '--fail-on-secrets', '--format', 'json'], { env: env(), cwd: dir });
    expect(after.code).toBe(1);
    expect((JSON.parse(after.out) as { findings: Finding[] }).findings.map((f) => [f.rule_id, f.file, f.line])).toEqual([['stripe-secret-key', 'a.txt', 3]]);
  });
});
