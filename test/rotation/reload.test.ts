import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BIN, NODE, baseEnv, run, tempHome, waitFor } from '../helpers/cli.js';
import { LeakLedger, canary } from '../leak/canary.js';
import { peerSkip } from '../providers/peers.js';

/**
 * `[[reload]]` after rotation, on the embedded file store: after promote and before cleanup, templates are
 * rendered again (atomically, 0600) and the action runs (a command hook that gets the ref and versions, never
 * the value; a signal to a pid file). A failed reload keeps the previous version valid, reports
 * `reload_failed` (exit 2) and `rotate --resume` tries again; an emergency revokes the leaked value anyway.
 * The same on the embedded store and on OpenBao.
 */

const vaultAddr = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const STORES = [
  { alias: 'local', skip: undefined as string | undefined, toml: '' },
  { alias: 'bao', skip: await peerSkip('vault', vaultAddr, 'scripts/peers.sh start openbao'), toml: `[stores.bao]\nprovider = "vault"\naddress = "${vaultAddr}"\n` },
];
for (const s of STORES) if (s.skip) process.stderr.write(`SKIP reload tests on ${s.alias}: ${s.skip}\n`);

const DEADLINE = 30_000;
const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const HOOK = `#!/bin/sh
dir="$(dirname "$0")"
{ printf 'argv:%s\\n' "$*"; env; } >>"$dir/seen.txt"
[ -f "$dir/fail" ] && { echo "the app said no" >&2; exit 4; }
echo "$VH_SECRET $VH_VERSION $VH_PREVIOUS_VERSION" >>"$dir/reloads"
`;

describe.each(STORES)('reload after rotation on $alias', ({ alias, skip, toml }) => {
  const it = skip ? test.skip : test;
  const p = `reload-${randomBytes(4).toString('hex')}`;
  const API = `${alias}:${p}/api`;
  const DB = `${alias}:${p}/db`;
  const HUP = `${alias}:${p}/hup`;
  let home: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const ledger = new LeakLedger();
  const vh = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) =>
    run(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}) }).then((r) => ledger.record(args.join(' '), r, args[0] === 'get'));
  const value = async (name: string) => ledger.add((await vh(['get', name])).out);
  const reloads = async () => (await fs.readFile(join(dir, 'reloads'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

  beforeAll(async () => {
    if (skip) return;
    home = tempHome('vh-reload-');
    dir = join(home, 'app');
    await fs.mkdir(dir);
    await fs.writeFile(join(dir, 'hook.sh'), HOOK, { mode: 0o755 });
    await fs.writeFile(join(dir, 'app.env.tmpl'), `API_KEY={{ secret "${API}" }}\nDB={{ secret "${DB}" | json }}\n`);
    const config = join(home, 'vh-secrets.toml');
    await fs.writeFile(
      config,
      `${toml}[[reload]]
name = "api"
secrets = ["${API}"]
templates = [{ source = "app/app.env.tmpl", destination = "app/app.env" }]
command = ["app/hook.sh", "reload"]

[[reload]]
name = "hup"
signal = "HUP"
pid_file = "app/app.pid"
`,
    );
    env = baseEnv(home, { VH_SECRETS_CONFIG: config, VAULT_TOKEN: process.env.VH_TEST_VAULT_TOKEN ?? 'root' });
    expect((await vh(['create', DB, '--type', 'database_password', '--generate'])).code).toBe(0);
    await value(DB);
  });
  afterAll(async () => {
    if (skip) return;
    await ledger.recordFiles(join(home, 'vh'), () => false);
    ledger.record('reload hook argv and environment', { code: 0, signal: null, stdout: Buffer.alloc(0), out: '', stderr: await fs.readFile(join(dir, 'seen.txt'), 'utf8').catch(() => '') });
    expect(ledger.leaks()).toEqual([]);
    await fs.rm(home, { recursive: true, force: true });
  });

  /** This secret's open rotations (the store is shared with other suites, whose leftovers are theirs). */
  const openRotations = async (secret: string): Promise<unknown[]> => {
    const r = await vh(['rotations', '--json']);
    return (JSON.parse(r.out) as { rotations: { secret: string }[] }).rotations.filter((x) => x.secret === secret);
  };

  it('after promote the template is rendered again (0600) and the hook runs with the ref and versions, never the value', async () => {
    const first = ledger.add(canary('reload'));
    expect((await vh(['create', API, '--type', 'webhook_secret'], first)).code).toBe(0);
    const plan = await vh(['rotate', API, '--dry-run', '--json']);
    expect(JSON.parse(plan.out).note).toMatch(/promote, run reload api \(1 template\(s\), then command .*hook\.sh\)/);
    const r = await vh(['rotate', API, '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'rotated', version: '2', previous_version: '1', cleanup: 'deferred' });
    const now = await value(API);
    const rendered = join(dir, 'app.env');
    expect(await fs.readFile(rendered, 'utf8')).toBe(`API_KEY=${now}\nDB=${JSON.stringify(await value(DB))}\n`);
    expect((await fs.stat(rendered)).mode & 0o777).toBe(0o600);
    expect(await reloads()).toEqual([`${API} 2 1`]);
    const seen = await fs.readFile(join(dir, 'seen.txt'), 'utf8');
    expect(seen).toContain('argv:reload');
    expect(seen).not.toContain(now);
    expect(seen).not.toContain(first);
    // The phase is in the trail, between promote and cleanup.
    const phases = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { event: string; secret: string; details: Record<string, unknown> }).filter((e) => e.secret === API && e.details.rotation_id);
    expect(phases.map((e) => (e.event === 'rotation_phase' ? e.details.phase : e.event))).toEqual(['rotation_started', 'generate', 'stage', 'verify', 'rotated', 'deprecated', 'reload', 'cleanup']);
  });

  it('a failed reload keeps the previous version valid (no cleanup, even when due), exits 2, and --resume reloads and finishes', async () => {
    await fs.writeFile(join(dir, 'fail'), '');
    const before = await value(API);
    const r = await vh(['rotate', API, '--yes'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^vh-secrets: error: ${esc(API)} rotated to version 3, but its reload failed: reload api \\(.*\\): exit 4: the app said no$`, 'm'));
    expect(r.stderr).toContain(`version 2 stays valid and is not cleaned up: fix the reload and run \`vh-secrets rotate ${API} --resume\``);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const after = await value(API);
    expect(after).not.toBe(before);
    // Its grace is over, but a rotation still open keeps it: no cleanup runs.
    const sweep = JSON.parse((await vh(['rotate-all', '--cleanup-only', '--json'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' })).out) as { cleanups: unknown[] };
    expect(sweep.cleanups).toEqual([]);
    expect((await vh(['get', API, '--at', '2'])).code).toBe(0);
    // Never silent: `rotations` lists it, and says what resume and abort would do.
    const open = await vh(['rotations', '--json']);
    expect(open.code).toBe(1);
    const listed = (JSON.parse(open.out) as { rotations: Record<string, unknown>[] }).rotations.find((x) => x.secret === API);
    expect(listed).toMatchObject({ state: 'interrupted', why: 'its reload failed after the promote', resume: expect.stringMatching(/^reload again \(it failed: reload api .*exit 4: the app said no\), then keep version 2 valid/) });

    await fs.rm(join(dir, 'fail'));
    const resumed = await vh(['rotate', API, '--resume', '--json'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ status: 'rotated', version: '3' });
    expect((await reloads()).at(-1)).toBe(`${API} 3 2`);
    expect(await fs.readFile(join(dir, 'app.env'), 'utf8')).toContain(`API_KEY=${after}\n`);
    expect(await openRotations(API)).toEqual([]);
    const swept = JSON.parse((await vh(['rotate-all', '--cleanup-only', '--json'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' })).out) as { cleanups: { secret: string }[] };
    expect(swept.cleanups.filter((c) => c.secret === API)).toHaveLength(1);
  });

  it('abort of a rotation waiting on a failed reload gives the reload up and finishes the rotation', async () => {
    await fs.writeFile(join(dir, 'fail'), '');
    const r = await vh(['rotate', API, '--yes', '--json']);
    expect(r.code).toBe(2);
    const count = (await reloads()).length;
    const aborted = await vh(['rotate', API, '--abort', '--json']);
    expect(aborted.code).toBe(0);
    expect(JSON.parse(aborted.out)).toMatchObject({ status: 'rotated', version: '4', note: expect.stringMatching(/completed instead of aborted/) });
    expect((await reloads()).length).toBe(count);
    expect(await openRotations(API)).toEqual([]);
    await fs.rm(join(dir, 'fail'));
  });

  it('an emergency revokes the leaked version even when the reload fails, and says so', async () => {
    await fs.writeFile(join(dir, 'fail'), '');
    const leaked = await value(API);
    const r = await vh(['rotate', API, '--yes', '--emergency', '--reason', 'leaked', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'reload_failed', cleanup: 'revoked', note: expect.stringMatching(/revoked anyway \(--emergency\)/) });
    expect(await openRotations(API)).toEqual([]);
    const old = await vh(['get', API, '--at', '4']);
    expect(old.code).not.toBe(0);
    expect(old.out).not.toContain(leaked);
    await fs.rm(join(dir, 'fail'));
  });

  it('signal: a process named by a pid file gets SIGHUP, and one started by run --watch gets the new value', async () => {
    expect((await vh(['create', HUP, '--type', 'webhook_secret', '--reload', 'hup'], ledger.add(canary('hup')))).code).toBe(0);
    const report = join(dir, 'hup-report');
    // The child (under `run --watch`) writes its pid file, reports its value, and notes each SIGHUP.
    const script = `const fs = require("fs"); fs.writeFileSync(${JSON.stringify(join(dir, 'app.pid'))}, String(process.pid)); process.on("SIGHUP", () => fs.appendFileSync(${JSON.stringify(report)}, "hup\\n", { mode: 0o600 })); process.on("SIGTERM", () => process.exit(0)); fs.appendFileSync(${JSON.stringify(report)}, "value " + process.env.HUP + "\\n", { mode: 0o600 }); setInterval(() => {}, 1000);`;
    const child = spawn(NODE, [BIN, 'run', '--watch', '--watch-interval', '200ms', '--env', `HUP=${HUP}`, '--', NODE, '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const closed = new Promise((resolve) => child.on('close', resolve));
    const lines = async () => (await fs.readFile(report, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    try {
      await waitFor(async () => (await lines()).some((l) => l.startsWith('value ')), DEADLINE, 'the first child to report', () => err);
      const r = await vh(['rotate', HUP, '--yes']);
      expect(r.code).toBe(0);
      const now = await value(HUP);
      await waitFor(async () => (await lines()).includes(`value ${now}`), DEADLINE, 'the restarted child to report the new value', () => err);
      expect(await lines()).toContain('hup');
    } finally {
      child.kill('SIGTERM');
      await closed;
    }
    ledger.record('run --watch stderr', { code: 0, signal: null, stdout: Buffer.alloc(0), out: '', stderr: err });
  });

  it('bad reload settings: one clear configuration error naming the file, before anything changes', async () => {
    const config = env.VH_SECRETS_CONFIG!;
    const good = await fs.readFile(config, 'utf8');
    for (const [text, message] of [
      ['[[reload]]\nname = "x"\ncommand = ["a"]\nsignal = "HUP"\npid_file = "p"\n', /reload: give one of command, signal, systemctl or kubectl, not several/],
      ['[[reload]]\nsecrets = ["local:a"]\n', /reload: does nothing/],
      ['[[reload]]\nname = "x"\nsignal = "KILL"\npid_file = "p"\n', /reload\.signal: must be one of HUP/],
      ['[[reload]]\nname = "x"\nsystemctl = "a b"\n', /reload\.systemctl: must be a unit name/],
      ['[[reload]]\nname = "x"\ncomand = ["a"]\n', /reload\.comand: unknown setting/],
    ] as const) {
      await fs.writeFile(config, text);
      const r = await vh(['list']);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 78, stderr: expect.stringMatching(message) });
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    await fs.writeFile(config, good);
    const unknown = await vh(['create', `${alias}:${p}/none`, '--type', 'api_key', '--generate', '--reload', 'nope']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('no reload named "nope"');
    expect((await vh(['describe', `${alias}:${p}/none`])).code).toBe(66);
  });
});
