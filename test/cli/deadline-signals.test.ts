import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, alive, baseEnv, run, tempHome, waitFor } from '../helpers/cli.js';

/**
 * SIGTERM always ends a rotation's process, even one waiting on a target that never answers: after a short
 * grace it leaves with 143, its journal records how far it got, `health` reports it as interrupted at once, and
 * `rotate --resume` finishes it.
 */

const HOOK = `#!/bin/sh
dir="$(dirname "$0")"
cat >"$dir/app-password.tmp"
if [ "$VH_TARGET_PHASE" = apply ] && [ -f "$dir/hang" ]; then
  echo $$ >"$dir/hook.pid"
  exec sleep 300
fi
mv "$dir/app-password.tmp" "$dir/app-password"
`;



test('SIGTERM during a step that then finishes: the rotation stops before the next phase, rolled back, the old value current', async () => {
  const home = tempHome('vh-sigterm-step-');
  const hooks = join(home, 'hooks');
  await fs.mkdir(hooks);
  // apply waits until the test has signalled, then puts the value in place.
  await fs.writeFile(join(hooks, 'slow.sh'), `#!/bin/sh\ndir="$(dirname "$0")"\nif [ "$VH_TARGET_PHASE" = apply ]; then touch "$dir/applying"; while [ ! -f "$dir/go" ]; do sleep 0.05; done; fi\ncat >"$dir/app-password"\n`, { mode: 0o755 });
  const config = join(home, 'vh-secrets.toml');
  await fs.writeFile(config, `[targets.app]\nkind = "command"\napply = ["hooks/slow.sh"]\nrollback = ["hooks/slow.sh"]\nsecrets = ["local:app/*"]\n`);
  const env = baseEnv(home, { VH_SECRETS_CONFIG: config });
  try {
    expect((await run(['create', 'app/db', '--type', 'database_password', '--generate'], { env })).code).toBe(0);
    const before = (await run(['get', 'app/db'], { env })).out;
    const child = spawn(NODE, [BIN, 'rotate', 'app/db', '--yes', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await waitFor(async () => fs.stat(join(hooks, 'applying')).then(() => true, () => false), 30_000, 'the apply hook to start');
    child.kill('SIGTERM');
    // The step in flight finishes only after the signal has arrived, however busy the machine is.
    await fs.writeFile(join(hooks, 'go'), '');
    const code = await closed;
    clearTimeout(killer);
    // It finished inside the grace, with its own outcome: stopped, rolled back.
    expect(code).toBe(130);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'failed', error: { code: 'INTERRUPTED', message: expect.stringMatching(/stopped by SIGTERM before verify/) } });
    expect((await run(['get', 'app/db'], { env })).out).toBe(before);
    const d = JSON.parse((await run(['describe', 'app/db', '--json'], { env })).out) as { pending_version: string | null };
    expect(d.pending_version).toBeNull();
    expect(await fs.readFile(join(hooks, 'app-password'), 'utf8')).toContain(JSON.parse(JSON.stringify(before)));
    // Nothing is left to resume; the next rotation goes through.
    expect((await run(['rotate', 'app/db', '--yes'], { env })).code).toBe(0);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('SIGTERM during a rotation that waits on its target: exit 143, journal kept, health WARNING, --resume finishes it', async () => {
  const home = tempHome('vh-sigterm-');
  const hooks = join(home, 'hooks');
  await fs.mkdir(hooks);
  await fs.writeFile(join(hooks, 'hook.sh'), HOOK, { mode: 0o755 });
  const config = join(home, 'vh-secrets.toml');
  await fs.writeFile(config, `[targets.app]\nkind = "command"\napply = ["hooks/hook.sh"]\ntimeout_ms = 600000\nsecrets = ["local:app/*"]\n`);
  const env = baseEnv(home, { VH_SECRETS_CONFIG: config });
  const hookPid = async () => Number((await fs.readFile(join(hooks, 'hook.pid'), 'utf8').catch(() => '')).trim());
  try {
    expect((await run(['create', 'app/db', '--type', 'database_password', '--generate'], { env })).code).toBe(0);
    await fs.writeFile(join(hooks, 'hang'), '');

    const child = spawn(NODE, [BIN, 'rotate', 'app/db', '--yes'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await waitFor(async () => (await hookPid()) > 0, 30_000, 'the apply hook to start');
    child.kill('SIGTERM');
    const end = await closed;
    clearTimeout(killer);
    expect(end).toEqual({ code: 143, signal: null });
    expect(stderr).toMatch(/SIGTERM: stopping after the current step/);

    const journalDir = join(home, 'vh', 'journal');
    const [file] = await fs.readdir(journalDir);
    expect(JSON.parse(await fs.readFile(join(journalDir, file!), 'utf8'))).toMatchObject({ secret: 'local:app/db', status: 'in_progress', pid: child.pid });

    const health = await run(['health'], { env });
    expect(health.code).toBe(1);
    expect(health.out).toMatch(/WARNING\s+local:app\/db .*interrupted after \w+: its process \(pid \d+ on this host\) is gone: run `vh-secrets rotate local:app\/db --resume`/);

    // The hook the process was waiting on did not outlive it.
    const pid = await hookPid();
    await waitFor(() => !alive(pid), 10_000, `the hung apply hook (pid ${pid}) to be ended with its process`);
    await fs.rm(join(hooks, 'hang'));
    const resumed = await run(['rotate', 'app/db', '--resume'], { env });
    expect(resumed.code).toBe(0);
    expect(await fs.readdir(journalDir)).toEqual([]);
    expect((await run(['get', 'app/db'], { env })).out).toBe(await fs.readFile(join(hooks, 'app-password'), 'utf8'));
    expect((await run(['health'], { env })).code).toBe(0);
  } finally {
    const pid = await hookPid();
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await fs.rm(home, { recursive: true, force: true });
  }
});
