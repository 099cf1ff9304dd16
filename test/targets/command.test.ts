import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { alive, run, tempHome, waitFor } from '../helpers/cli.js';
import { targetEnv } from '../helpers/databases.js';
import { LeakLedger, canary, sampleProcesses } from '../leak/canary.js';

/**
 * The command hook: a real executable that keeps "the application's" password in a file. It must get the value
 * on stdin only; what it saw in its argv and environment is written down and searched for the value.
 */
const HOOK = `#!/bin/sh
set -eu
dir="$(dirname "$0")"
{ printf 'argv:%s\\n' "$*"; env; } >>"$dir/seen.txt"
case "$VH_TARGET_PHASE" in
  apply) [ -f "$dir/refuse" ] && { echo "refused by the app" >&2; exit 3; }
         [ -f "$dir/hang" ] && { tail -f /dev/null & echo $! >"$dir/blocker.pid"; wait; touch "$dir/hang-survived"; }
         cat >"$dir/app-password.tmp"; mv "$dir/app-password.tmp" "$dir/app-password" ;;
  verify) cat >"$dir/verify-input"; cmp -s "$dir/verify-input" "$dir/app-password" ;;
  rollback) cat >"$dir/app-password.tmp"; mv "$dir/app-password.tmp" "$dir/app-password"; echo rolled >>"$dir/rollbacks" ;;
  cleanup) cat >/dev/null; echo cleaned >>"$dir/cleanups" ;;
  in_use) cat >"$dir/in-use-input"; [ -n "$VH_SUPERSEDED_AT" ]; cat "$dir/in-use" 2>/dev/null || echo 0 ;;
esac
`;

describe('command target', () => {
  let home: string;
  let hooks: string;
  let env: NodeJS.ProcessEnv;
  const ledger = new LeakLedger();
  const vh = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) =>
    run(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}) }).then((r) => ledger.record(args.join(' '), r, args[0] === 'get'));

  beforeAll(async () => {
    home = tempHome('vh-cmd-');
    hooks = join(home, 'hooks');
    await fs.mkdir(hooks);
    await fs.writeFile(join(hooks, 'hook.sh'), HOOK, { mode: 0o755 });
    env = await targetEnv(
      home,
      // The hooks' timeout is the default (30 s) everywhere but the target whose test hangs a hook on purpose: a short
      // limit on every hook made ordinary hooks time out on a busy machine.
      `[targets.app]\nkind = "command"\napply = ["hooks/hook.sh", "apply"]\nverify = ["hooks/hook.sh"]\nrollback = ["hooks/hook.sh"]\ncleanup = ["hooks/hook.sh"]\nsecrets = ["local:app/*"]\n` +
        `[targets.hang]\nkind = "command"\napply = ["hooks/hook.sh", "apply"]\nverify = ["hooks/hook.sh"]\nrollback = ["hooks/hook.sh"]\ncleanup = ["hooks/hook.sh"]\ntimeout_ms = 2000\nsecrets = ["local:hang/*"]\n` +
        `[targets.idle]\nkind = "command"\napply = ["hooks/hook.sh", "apply"]\ncleanup = ["hooks/hook.sh"]\nin_use = ["hooks/hook.sh"]\nsecrets = ["local:idle/*"]\n`,
    );
    await fs.rename(join(home, 'vh-secrets.toml'), join(home, 'vh-secrets.toml.tmp'));
    await fs.rename(join(home, 'vh-secrets.toml.tmp'), join(home, 'vh-secrets.toml'));
  });
  afterAll(async () => {
    await ledger.recordFiles(join(home, 'vh'), () => false);
    ledger.record('hook argv and environment', { code: 0, signal: null, stdout: Buffer.alloc(0), out: '', stderr: await fs.readFile(join(hooks, 'seen.txt'), 'utf8') });
    expect(ledger.leaks()).toEqual([]);
    await fs.rm(home, { recursive: true, force: true });
  });

  test('the new value reaches the hook on stdin; verify sees the same bytes; emergency cleanup runs the cleanup hook', async () => {
    const initial = ledger.add(canary('cmd'));
    expect((await vh(['create', 'local:app/key', '--type', 'api_key'], initial)).code).toBe(0);
    await fs.writeFile(join(hooks, 'app-password'), initial);
    const { result: r, seen: ps } = await sampleProcesses(() => vh(['rotate', 'local:app/key', '--yes', '--emergency', '--reason', 'test']));
    ledger.record('ps during rotate', { code: 0, signal: null, stdout: Buffer.alloc(0), out: '', stderr: ps });
    expect(r.stderr).toMatch(/^rotated /);
    expect(r.code).toBe(0);
    const now = (await vh(['get', 'local:app/key'])).out;
    ledger.add(now);
    expect(await fs.readFile(join(hooks, 'app-password'), 'utf8')).toBe(now);
    expect(await fs.readFile(join(hooks, 'cleanups'), 'utf8')).toBe('cleaned\n');
    const seen = await fs.readFile(join(hooks, 'seen.txt'), 'utf8');
    expect(seen).toContain('VH_TARGET_PHASE=apply');
    expect(seen).toContain('VH_SECRET=local:app/key');
  });

  test('an in_use hook holds the cleanup while it counts sessions on the previous value; a reply that is not a count is an error that echoes nothing', async () => {
    const first = ledger.add(canary('idle'));
    expect((await vh(['create', 'local:idle/key', '--type', 'api_key', '--tag', 'idle=1'], first)).code).toBe(0);
    const cleanups = async () => (await fs.readFile(join(hooks, 'cleanups'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    const before = await cleanups();
    expect((await vh(['rotate', 'local:idle/key', '--yes'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' })).code).toBe(0);
    ledger.add((await vh(['get', 'local:idle/key'])).out);
    const sweep = async () => JSON.parse((await vh(['rotate-all', '--cleanup-only', '--tag', 'idle=1', '--json'])).out) as { held: unknown[]; cleanups: unknown[]; results: { error: { message: string } | null }[] };

    await fs.writeFile(join(hooks, 'in-use'), '2\n');
    const held = await sweep();
    expect(held.held).toEqual([{ secret: 'local:idle/key', version: '1', sessions: 2, target: 'idle' }]);
    expect(await cleanups()).toBe(before);
    // The hook got the previous value on stdin, never in argv or its environment.
    expect(await fs.readFile(join(hooks, 'in-use-input'), 'utf8')).toBe(first);

    // A hook that prints something else (here the value itself, by mistake) fails the cleanup and is not echoed.
    await fs.writeFile(join(hooks, 'in-use'), `${first}\n`);
    const bad = await sweep();
    expect(bad.results[0]!.error!.message).toMatch(/command in_use: .*hook\.sh\): printed something other than a count of sessions/);
    expect(await cleanups()).toBe(before);

    await fs.writeFile(join(hooks, 'in-use'), '0\n');
    const idle = await sweep();
    expect(idle.held).toEqual([]);
    expect(idle.cleanups).toEqual([{ secret: 'local:idle/key', revoked_version: '1' }]);
    expect(await cleanups()).toBe(before + 1);
  });

  test('two rotations inside the grace period: no cleanup hook runs for a credential still in its grace', async () => {
    const cleanups = async () => (await fs.readFile(join(hooks, 'cleanups'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    const before = await cleanups();
    const v0 = JSON.parse((await vh(['describe', 'local:app/key', '--json'])).out).current_version as string;
    expect((await vh(['rotate', 'local:app/key', '--yes'])).code).toBe(0);
    const v1 = JSON.parse((await vh(['describe', 'local:app/key', '--json'])).out).current_version as string;
    expect((await vh(['rotate', 'local:app/key', '--yes'])).code).toBe(0);
    expect(await cleanups()).toBe(before);
    // Both superseded versions still read back: each waits out its own grace.
    expect((await vh(['get', `local:app/key@${v0}`])).code).toBe(0);
    expect((await vh(['get', `local:app/key@${v1}`])).code).toBe(0);
    expect(await fs.readFile(join(hooks, 'app-password'), 'utf8')).toBe((await vh(['get', 'local:app/key'])).out);
  });

  test('a refusing hook: exit and stderr reported (value-free), rolled back, the store keeps the old value', async () => {
    const before = (await vh(['get', 'local:app/key'])).out;
    await fs.writeFile(join(hooks, 'refuse'), '');
    const r = await vh(['rotate', 'local:app/key', '--yes', '--json']);
    await fs.rm(join(hooks, 'refuse'));
    expect(r.code).toBe(70);
    const o = JSON.parse(r.out) as { status: string; error: { message: string; phase: string } };
    expect(o.status).toBe('failed');
    expect(o.error.phase).toBe('stage');
    expect(o.error.message).toContain('exit 3: refused by the app');
    expect((await vh(['get', 'local:app/key'])).out).toBe(before);
    expect(await fs.readFile(join(hooks, 'app-password'), 'utf8')).toBe(before);
  });

  test('a hanging hook is killed at the timeout (75) and the rotation rolled back', async () => {
    expect((await vh(['create', 'local:hang/key', '--type', 'api_key'], ledger.add(canary('hang')))).code).toBe(0);
    const before = (await vh(['get', 'local:hang/key'])).out;
    await fs.writeFile(join(hooks, 'hang'), '');
    const r = await vh(['rotate', 'local:hang/key', '--yes', '--json']);
    await fs.rm(join(hooks, 'hang'));
    // The hook was killed, not left to finish: the process it blocks on for ever (same process group) is gone, and it never got past it.
    const blocker = Number(await fs.readFile(join(hooks, 'blocker.pid'), 'utf8'));
    await waitFor(() => !alive(blocker), 10_000, 'the hook\'s blocked process to be killed');
    expect(await fs.stat(join(hooks, 'hang-survived')).then(() => true, () => false)).toBe(false);
    expect(r.code).toBe(75);
    expect(JSON.parse(r.out).error.message).toContain('no answer within 2000 ms');
    expect((await vh(['get', 'local:hang/key'])).out).toBe(before);
    expect(await fs.readFile(join(hooks, 'rollbacks'), 'utf8')).toContain('rolled');
  });
});
