import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { fake, reseed } from './fakes.js';

/** A scan's findings join the audit trail — where and which rule, never the secret — and reports with live
 * secrets are private files. */
let dir: string;
beforeEach(async () => {
  reseed(7);
  dir = tempHome('vh-scan-audit-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('one scan_finding event per finding, with rule, file, line and fingerprint, and no secret anywhere in the log', async () => {
  const src = join(dir, 'src');
  await fs.mkdir(src);
  const a = fake.githubPat();
  const b = fake.githubPat();
  await fs.writeFile(join(src, 'one.ts'), `const t = "${a}";\n`);
  await fs.writeFile(join(src, 'two.env'), `\n\nTOKEN=${b}\n`);
  const env = baseEnv(dir);
  const r = await run(['scan', src, '--format', 'json', '--fail-on-secrets'], { env });
  expect(r.code).toBe(1);
  const logText = await fs.readFile(join(dir, 'vh', 'audit.log'), 'utf8');
  for (const secret of [a, b]) expect(logText).not.toContain(secret);
  const events = logText.trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; secret: null; details: Record<string, unknown> });
  const findings = (JSON.parse(r.out) as { findings: { rule_id: string; file: string; line: number; fingerprint: string }[] }).findings;
  expect(events.map((e) => e.event)).toEqual(findings.map(() => 'scan_finding'));
  expect(events.map((e) => e.details).sort((x, y) => String(x.file).localeCompare(String(y.file)))).toEqual(
    findings.map((f) => ({ rule: f.rule_id, file: f.file, line: f.line, fingerprint: f.fingerprint })).sort((x, y) => x.file.localeCompare(y.file)),
  );
  expect((await run(['audit', 'verify'], { env })).code).toBe(0);
  // A clean scan writes nothing.
  const clean = join(dir, 'clean');
  await fs.mkdir(clean);
  expect((await run(['scan', clean], { env })).code).toBe(0);
  expect((await fs.readFile(join(dir, 'vh', 'audit.log'), 'utf8')).trimEnd().split('\n')).toHaveLength(events.length);
});

test('an unredacted report replaces an existing world-readable file with a 0600 one', async () => {
  const src = join(dir, 'src');
  await fs.mkdir(src);
  await fs.writeFile(join(src, 'one.ts'), `const t = "${fake.githubPat()}";\n`);
  const out = join(dir, 'report.json');
  await fs.writeFile(out, '{}', { mode: 0o644 });
  await fs.chmod(out, 0o644);
  const r = await run(['scan', src, '--format', 'json', '--no-redact', '--output', out], { env: baseEnv(dir) });
  expect(r.code).toBe(0);
  expect((await fs.stat(out)).mode & 0o777).toBe(0o600);
});
