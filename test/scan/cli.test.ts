import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, ROOT, baseEnv, run, tempHome } from '../helpers/cli.js';
import { fake, reseed } from './fakes.js';

interface JsonReport {
  summary: { findings: number; files_scanned: number; skipped: number; errors: number; baselined: number };
  findings: { rule_id: string; file: string; line: number; secret: string; fingerprint: string; redacted: boolean }[];
  skipped: { file: string; reason: string }[];
  errors: { file: string; message: string }[];
}

function tree(files: Record<string, string | Buffer>): string {
  const dir = tempHome('vh-scan-');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

const env = () => baseEnv(tempHome());

describe('vh-secrets scan (directory)', () => {
  beforeEach(() => reseed(1234));

  test('clean tree exits 0; findings exit 0 without and 1 with --fail-on-secrets; secrets masked by default', async () => {
    const clean = tree({ 'a.txt': 'nothing here\n' });
    const r0 = await run(['scan', clean, '--fail-on-secrets'], { env: env() });
    expect(r0.code).toBe(0);
    expect(r0.out).toContain('no secrets found');

    const t = fake.githubPat();
    const dir = tree({ 'src/app.js': `// config\nconst token = "${t}";\n`, 'README.md': 'hello\n' });
    const r1 = await run(['scan', dir], { env: env() });
    expect(r1.code).toBe(0);
    expect(r1.out).toContain('src/app.js');
    expect(r1.out).toMatch(/2:16\s+github-token/);
    expect(r1.out).not.toContain(t);
    expect(r1.stderr).not.toContain(t);
    const r2 = await run(['scan', '--path', dir, '--fail-on-secrets'], { env: env() });
    expect(r2.code).toBe(1);
    const r3 = await run(['scan', dir, '--no-redact'], { env: env() });
    expect(r3.out).toContain(t);
  });

  test('the seed command works as written: SARIF file, exit 1 on findings', async () => {
    const dir = tree({ 'deploy/.env': `STRIPE_KEY=${fake.stripeLive()}\n` });
    const r = await run(['scan', '--path', '.', '--format', 'sarif', '--output', 'security-scan-results.sarif', '--fail-on-secrets'], { env: env(), cwd: dir });
    expect(r.code).toBe(1);
    const sarif = JSON.parse(readFileSync(join(dir, 'security-scan-results.sarif'), 'utf8')) as { version: string; runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.map((x) => [x.ruleId, x.locations[0]!.physicalLocation.artifactLocation.uri])).toEqual([['stripe-secret-key', 'deploy/.env']]);
  });

  test('missing path exits 2, never 0', async () => {
    const r = await run(['scan', '--path', '/nonexistent/vh-scan-dir'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not exist');
  });

  test('in a git work tree, honours .gitignore (with negation) and .vhsecretsignore', async () => {
    const s = () => `k = ${fake.githubPat()}\n`;
    const dir = tree({
      '.gitignore': 'build/\n*.log\n!keep.log\n',
      '.vhsecretsignore': 'fixtures/\n',
      'build/out.js': s(),
      'debug.log': s(),
      'keep.log': s(),
      'fixtures/sample.txt': s(),
      'sub/.gitignore': 'local.txt\n',
      'sub/local.txt': s(),
      'sub/real.txt': s(),
    });
    spawnSync('git', ['init', '-q', dir]);
    const r = await run(['scan', dir, '--format', 'json'], { env: env() });
    const rep = JSON.parse(r.out) as JsonReport;
    expect(rep.findings.map((f) => f.file.slice(dir.length + 1)).sort()).toEqual(['keep.log', 'sub/real.txt']);
  });

  test('baseline: known findings are not reported again after lines move; a new one is', async () => {
    const t = fake.githubPat();
    const dir = tree({ 'a.txt': `x = ${t}\n` });
    const base = join(dir, '..', `${dir.split('/').pop()}-baseline.json`);
    const r1 = await run(['scan', '.', '--format', 'json', '--output', base], { env: env(), cwd: dir });
    expect(r1.code).toBe(0);
    expect(readFileSync(base, 'utf8')).not.toContain(t);
    writeFileSync(join(dir, 'a.txt'), `\n\n# moved\nx = ${t}\n`);
    const r2 = await run(['scan', '.', '--baseline', base, '--fail-on-secrets'], { env: env(), cwd: dir });
    expect(r2.code).toBe(0);
    expect(r2.out).toContain('1 in baseline');
    writeFileSync(join(dir, 'b.txt'), `y = ${fake.githubPat()}\n`);
    const r3 = await run(['scan', '.', '--baseline', base, '--fail-on-secrets', '--format', 'json'], { env: env(), cwd: dir });
    expect(r3.code).toBe(1);
    expect((JSON.parse(r3.out) as JsonReport).findings.map((f) => f.file)).toEqual(['b.txt']);
  });

  test('binary, oversized, FIFO, symlink loop and invalid UTF-8 are reported, never hang', async () => {
    const t = fake.githubPat();
    const dir = tree({
      'bin.dat': Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(t)]),
      'big.txt': `${'a'.repeat(2 * 1024 * 1024)}\n${t}\n`,
      'latin1.txt': Buffer.concat([Buffer.from('caf\xe9 = 1\n', 'latin1'), Buffer.from(`k = ${t}\n`)]),
      'ok.txt': 'fine\n',
    });
    spawnSync('mkfifo', [join(dir, 'pipe')]);
    symlinkSync('.', join(dir, 'loop'));
    symlinkSync('self2', join(dir, 'self1'));
    symlinkSync('self1', join(dir, 'self2'));
    const r = await run(['scan', dir, '--max-file-size', '1', '--format', 'json'], { env: env(), timeoutMs: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as JsonReport;
    const reasons = Object.fromEntries(rep.skipped.map((s) => [s.file.slice(dir.length + 1), s.reason]));
    expect(reasons).toEqual({ 'bin.dat': 'binary', 'big.txt': 'too-large', 'latin1.txt': 'invalid-utf8', pipe: 'not-regular', loop: 'symlink-loop', self1: 'symlink-loop', self2: 'symlink-loop' });
    // Invalid UTF-8 is still scanned (as Latin-1), and the finding keeps its line.
    expect(rep.findings.map((f) => [f.file.slice(dir.length + 1), f.line])).toEqual([['latin1.txt', 2]]);
    expect(r.stderr).toMatch(/skipped: .*big\.txt: 2\.0 MB is over --max-file-size/);
    expect(r.stderr).toMatch(/skipped: .*pipe: FIFO/);
    expect(r.stderr).toMatch(/skipped: .*loop: symlink loop/);
    expect(r.stderr).toMatch(/note: .*latin1\.txt: not valid UTF-8/);
    expect(r.stderr).toContain('skipped 1 binary file');
  });

  test('a FIFO given as the path is an error (exit 2), not a hang', async () => {
    const dir = tempHome('vh-scan-');
    spawnSync('mkfifo', [join(dir, 'p')]);
    const r = await run(['scan', join(dir, 'p')], { env: env(), timeoutMs: 10_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
  });

  test('an unreadable file makes the scan exit 2 (run as an unprivileged user)', async () => {
    if (process.getuid?.() !== 0) {
      process.stderr.write('not root: unreadable-file test relies on switching to uid 65534\n');
      return;
    }
    const dir = tree({ 'ok.txt': 'fine\n', 'secret.txt': 'x\n' });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'ok.txt'), 0o644);
    chmodSync(join(dir, 'secret.txt'), 0o000);
    const home = tempHome();
    chmodSync(home, 0o777);
    const result = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(NODE, [BIN, 'scan', dir, '--fail-on-secrets'], { cwd: ROOT, env: baseEnv(home), uid: 65534, gid: 65534 });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    });
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/secret\.txt: cannot read: permission denied/);
    expect(result.err).toContain('the scan is incomplete');
  });

  test('stdin', async () => {
    const t = fake.slackBot();
    const r = await run(['scan', '--stdin', '--format', 'json', '--fail-on-secrets'], { env: env(), input: `hello\nSLACK=${t}\n` });
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.out) as JsonReport;
    expect(rep.findings.map((f) => [f.rule_id, f.file, f.line, f.redacted])).toEqual([['slack-token', 'stdin', 2, true]]);
    expect(r.out).not.toContain(t);
  });

  test('--shard i/n splits the files: every file in exactly one shard', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++) files[`f${i}.txt`] = `k = ${fake.githubPat()}\n`;
    const dir = tree(files);
    const seen: string[] = [];
    for (const s of ['1/3', '2/3', '3/3']) {
      const r = await run(['scan', '.', '--shard', s, '--format', 'json'], { env: env(), cwd: dir });
      seen.push(...(JSON.parse(r.out) as JsonReport).findings.map((f) => f.file));
    }
    expect(seen.sort()).toEqual(Object.keys(files).sort());
    const bad = await run(['scan', '.', '--shard', '4/3'], { env: env(), cwd: dir });
    expect(bad.code).toBe(64);
  });

  test('worker threads (--jobs 2) and one thread give the same findings', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`d${i % 7}/f${i}.js`] = i % 50 === 0 ? `k = ${fake.githubPat()}\n` : `export const v${i} = ${i};\n`.repeat(20);
    const dir = tree(files);
    const one = await run(['scan', '.', '--jobs', '1', '--format', 'json'], { env: env(), cwd: dir });
    const two = await run(['scan', '.', '--jobs', '2', '--format', 'json'], { env: env(), cwd: dir });
    const a = JSON.parse(one.out) as JsonReport;
    const b = JSON.parse(two.out) as JsonReport;
    expect(a.findings.length).toBe(8);
    expect(b.findings).toEqual(a.findings);
    expect(b.summary.files_scanned).toBe(400);
  });

  test('.gitleaks.toml in the root: custom rules, [extend] useDefault, allowlist paths', async () => {
    const dir = tree({
      '.gitleaks.toml': "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"acme-key\"\ndescription = \"ACME internal key\"\nregex = '''(?i)acme_[a-z0-9]{16}'''\nkeywords = [\"acme_\"]\n\n[allowlist]\npaths = ['''^vendor/''']\n",
      'a.txt': `key = ACME_${'k3y9'.repeat(4)}\nt = ${fake.githubPat()}\n`,
      'vendor/b.txt': `t = ${fake.githubPat()}\n`,
    });
    const r = await run(['scan', '.', '--format', 'json'], { env: env(), cwd: dir });
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as JsonReport;
    expect(rep.findings.map((f) => `${f.file}:${f.rule_id}`)).toEqual(['a.txt:acme-key', 'a.txt:github-token']);
    // Without [extend], a gitleaks config replaces the built-in rules.
    writeFileSync(join(dir, 'only.toml'), "[[rules]]\nid = \"acme-key\"\nregex = '''(?i)acme_[a-z0-9]{16}'''\n");
    const r2 = await run(['scan', '.', '--rules', 'only.toml', '--format', 'json'], { env: env(), cwd: dir });
    expect((JSON.parse(r2.out) as JsonReport).findings.map((f) => f.rule_id)).toEqual(['acme-key']);
    writeFileSync(join(dir, 'bad.toml'), "[[rules]]\nid = \"x\"\nregex = '''(unclosed'''\n");
    const r3 = await run(['scan', '.', '--rules', 'bad.toml'], { env: env(), cwd: dir });
    expect(r3.code).toBe(78);
    expect(r3.stderr).toMatch(/bad\.toml: rules\[0\]: invalid regex/);
  });

  test('[scan] section of the vh-secrets config: allowlist and disabled rules', async () => {
    const dir = tree({
      'vh-secrets.toml': '[scan]\ndisabled_rules = ["jwt"]\nallowlist_paths = ["^testdata/"]\n',
      'testdata/x.txt': `t = ${fake.githubPat()}\n`,
      'app.txt': `jwt = ${fake.jwt()}\n`,
      'other.txt': `t = ${fake.githubPat()}\n`,
    });
    const r = await run(['scan', '.', '--format', 'json'], { env: env(), cwd: dir });
    expect((JSON.parse(r.out) as JsonReport).findings.map((f) => f.file)).toEqual(['other.txt']);
  });

  test('conflicting sources are a usage error', async () => {
    const r = await run(['scan', '--git', '--stdin'], { env: env() });
    expect(r.code).toBe(64);
  });

  test("this repository's tracked source is clean", async () => {
    const r = await run(['scan', '--path', '.', '--fail-on-secrets', '--format', 'json'], { env: env(), cwd: ROOT });
    expect((JSON.parse(r.out) as JsonReport).findings).toEqual([]);
    expect(r.code).toBe(0);
  });
});
