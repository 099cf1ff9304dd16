import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, run, runInProcess, tempHome, waitFor } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';
import { MaskStream, CONCEALED } from '../../src/cli/mask.js';

/**
 * The consumer side: `run` hands secrets to a command in its environment (masked output, forwarded signals, the
 * child's exit code), `template` renders them into a 0600 file — on the file store and OpenBao.
 */

const shared = tempHome('vh-consumer-');
const stores = (await storesUnderTest(shared)).filter((s) => ['file', 'vault'].includes(s.provider));
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

test('masking holds when a value is split across writes, at every split point', async () => {
  const value = 'S3cr3t-V4lue-xyz';
  for (let cut = 1; cut < value.length; cut++) {
    const m = new MaskStream([Buffer.from(value), Buffer.from('abc')]);
    const out: Buffer[] = [];
    m.on('data', (b: Buffer) => out.push(b));
    m.write(`before ${value.slice(0, cut)}`);
    m.write(`${value.slice(cut)} after ${value.slice(0, 3)}`);
    m.end();
    await new Promise((r) => m.on('end', r));
    // Shorter than 4 bytes ("abc", the value's first 3) is not masked.
    expect(Buffer.concat(out).toString()).toBe(`before ${CONCEALED} after S3c`);
  }
});

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`${s.provider}: run and template`, () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    // `run` starts a child, forwards signals and returns its code: a process of its own. The rest runs in-process.
    const vh = (args: string[], input?: string) => (args[0] === 'run' ? run : runInProcess)(args, { env, ...(input !== undefined ? { input } : {}) });
    const name = `vh-test/consumer-${randomBytes(5).toString('hex')}`;
    const value = `pw-${randomBytes(10).toString('hex')}`;

    beforeAll(async () => {
      home = tempHome('vh-consumer-home-');
      env = await s.env(home);
      expect((await vh(['create', `${name}/db`, '--type', 'database_password'], value)).code).toBe(0);
      expect((await vh(['create', `${name}/cfg`], JSON.stringify({ user: 'svc', token: 'tok-123456' }))).code).toBe(0);
    });
    afterAll(async () => {
      await fs.rm(home, { recursive: true, force: true });
    });

    test('run: the child reads the value; its output is masked (split writes too); its exit code is returned; audited with its name', async () => {
      const script = 'const v=process.env.DB; process.stdout.write("got " + v.slice(0, 4)); setTimeout(() => { process.stdout.write(v.slice(4) + "\\n"); console.error("len " + v.length + " user " + JSON.parse(process.env.CFG).user + " " + JSON.parse(process.env.CFG).token); process.exit(7); }, 30);';
      const r = await vh(['run', '--env', `DB=${s.alias}:${name}/db`, '--env', `CFG=${s.alias}:${name}/cfg`, '--', NODE, '-e', script]);
      expect(r.code).toBe(7);
      expect(r.out).toBe(`got ${CONCEALED}\n`);
      expect(r.stderr).toBe(`len ${value.length} user svc ${CONCEALED}\n`);
      expect((await vh(['run', '--no-mask', '--env', `DB=${s.alias}:${name}/db`, '--', 'sh', '-c', 'printf %s "$DB"'])).out).toBe(value);
      const log = await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8');
      const accessed = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; secret: string; details: Record<string, unknown> }).filter((e) => e.event === 'accessed' && e.secret.includes(`${name}/db`));
      expect(accessed[0]?.details).toMatchObject({ purpose: 'run', command: expect.stringMatching(/^node/) });
      expect(log).not.toContain(value);
    });

    test('run: --env-file refs and literals; a missing secret starts nothing; a missing command is 127', async () => {
      const file = join(home, 'app.env');
      const marker = join(home, 'started');
      await fs.writeFile(file, `# app\nexport DB="${s.alias}:${name}/db"\nMODE=literal:value\n`);
      const r = await vh(['run', '--env-file', file, '--no-mask', '--', 'sh', '-c', 'printf "%s|%s" "$DB" "$MODE"']);
      expect(r.out).toBe(`${value}|literal:value`);
      const missing = await vh(['run', '--env', `DB=${s.alias}:${name}/none`, '--', 'sh', '-c', `touch ${marker}`]);
      expect(missing.code).toBe(66);
      await expect(fs.stat(marker)).rejects.toThrow();
      expect((await vh(['run', '--env', `DB=${s.alias}:${name}/db`, '--', 'no-such-command-vh'])).code).toBe(127);
      expect((await vh(['run', '--', 'true'])).code).toBe(64);
    });

    if (s.provider === 'file') {
      test('run: signals reach the child, which decides how to end; vh-secrets returns its code', async () => {
        const ready = join(home, 'ready');
        const script = `process.on("SIGTERM", () => { console.log("child got SIGTERM"); process.exit(42); }); require("fs").writeFileSync(${JSON.stringify(ready)}, ""); setInterval(() => {}, 1000);`;
        const child = spawn(NODE, [BIN, 'run', '--env', `DB=${s.alias}:${name}/db`, '--', NODE, '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await waitFor(async () => fs.stat(ready).then(() => true, () => false), 20_000, 'the child to start');
        child.kill('SIGTERM');
        expect(await closed).toBe(42);
        clearTimeout(killer);
        expect(out).toBe('child got SIGTERM\n');
      });
    }

    test('template: rendered with filters into a 0600 file; a missing secret or unknown placeholder names its line and writes nothing', async () => {
      const tmpl = join(home, 'app.conf.tmpl');
      const out = join(home, 'app.conf');
      await fs.writeFile(tmpl, `user = svc\npassword = {{ secret "${s.alias}:${name}/db" }}\nb64 = {{ secret "${s.alias}:${name}/db" | base64 }}\njson = {{secret "${s.alias}:${name}/cfg#token" | json}}\n`);
      const r = await vh(['template', tmpl, '-o', out]);
      expect(r.code).toBe(0);
      expect(await fs.readFile(out, 'utf8')).toBe(`user = svc\npassword = ${value}\nb64 = ${Buffer.from(value).toString('base64')}\njson = "tok-123456"\n`);
      expect((await fs.stat(out)).mode & 0o777).toBe(0o600);
      expect(r.stderr + r.out).not.toContain(value);

      const bad = join(home, 'bad.tmpl');
      const out2 = join(home, 'bad.conf');
      await fs.writeFile(bad, `a = 1\nb = {{ secret "${s.alias}:${name}/none" }}\n`);
      const missing = await vh(['template', bad, '-o', out2]);
      expect(missing.code).toBe(66);
      expect(missing.stderr).toMatch(/bad\.tmpl:2: /);
      await expect(fs.stat(out2)).rejects.toThrow();
      await fs.writeFile(bad, 'a = {{ env "HOME" }}\n');
      const unknown = await vh(['template', bad, '-o', out2]);
      expect(unknown.code).toBe(65);
      expect(unknown.stderr).toMatch(/bad\.tmpl:1: not a placeholder/);
      await expect(fs.stat(out2)).rejects.toThrow();
    });
  });
}
