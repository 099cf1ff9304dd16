import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, baseEnv, run, runInProcess, tempHome } from '../helpers/cli.js';

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
    const top = await runInProcess(['--help'], { env });
    const section = top.out.slice(top.out.indexOf('Commands:'), top.out.indexOf('\n\n', top.out.indexOf('Commands:')));
    const commands = [...section.matchAll(/^ {2}([a-z-]+)(?:\|[a-z]+)? /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThanOrEqual(11);
    for (const c of commands) {
      expect(man).toContain(`.SS ${c}`);
      const help = await runInProcess([c, '--help'], { env });
      for (const flag of help.out.matchAll(/^ {2}(-[-a-zA-Z, <>.=[\]|/]+?)\s{2,}/gm)) expect(man).toContain(flag[1]!.trim());
    }
  });
});

describe('help served without commander (dist/help.json, completions/)', () => {
  test('the binary prints exactly what commander prints, for the program and every command and alias', async () => {
    const { Writable } = await import('node:stream');
    const { runCli } = await import('../../src/cli/run.js');
    const { buildProgram } = await import('../../src/cli/program.js');
    const { readFileSync } = await import('node:fs');
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const live = async (argv: string[]) => {
      let out = '';
      const sink = new Writable({ write: (c: Buffer, _e, cb) => { out += c.toString(); cb(); } });
      await runCli(argv, version, { stdout: sink, stderr: sink, stdin: process.stdin, env: { NO_COLOR: '1' } });
      return out;
    };
    const env = baseEnv(tempHome());
    const names = buildProgram(version, { invoke: async () => undefined }).commands.flatMap((c) => [c.name(), ...c.aliases()]);
    for (const argv of [['--help'], ['-h'], ...names.map((n) => [n, '--help'])]) {
      const r = await run(argv, { env });
      expect([argv.join(' '), r.out]).toEqual([argv.join(' '), await live(argv)]);
      expect(r.code).toBe(0);
    }
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await run(['completion', shell], { env });
      expect(r.out).toBe(await live(['completion', shell]));
    }
  });
});
