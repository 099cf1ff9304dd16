import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, baseEnv, run, tempHome } from '../helpers/cli.js';

describe('man page', () => {
  test('is generated from the same definitions as --help (no drift)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-man.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('completions/ holds the scripts `vh-secrets completion` prints (no drift)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-completions.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('groff renders it without warnings', () => {
    const probe = spawnSync('groff', ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      process.stderr.write('groff not installed: man page lint skipped locally (CI installs it)\n');
      return;
    }
    const r = spawnSync('groff', ['-ww', '-z', '-man', join(ROOT, 'man/vh-secrets.1')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('every command and option in --help appears in the man page', async () => {
    const env = baseEnv(tempHome());
    const { readFileSync } = await import('node:fs');
    const man = readFileSync(join(ROOT, 'man/vh-secrets.1'), 'utf8').replace(/\\-/g, '-');
    const top = await run(['--help'], { env });
    const section = top.out.slice(top.out.indexOf('Commands:'), top.out.indexOf('\n\n', top.out.indexOf('Commands:')));
    const commands = [...section.matchAll(/^ {2}([a-z-]+)(?:\|[a-z]+)? /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThanOrEqual(11);
    for (const c of commands) {
      expect(man).toContain(`.SS ${c}`);
      const help = await run([c, '--help'], { env });
      for (const flag of help.out.matchAll(/^ {2}(-[-a-zA-Z, <>.=[\]|/]+?)\s{2,}/gm)) expect(man).toContain(flag[1]!.trim());
    }
  });
});
