import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, baseEnv, run, shellQuote, tempHome, waitFor } from '../helpers/cli.js';

/**
 * The interactive paths under a real terminal (tmux): the confirmation prompt shows what will change, "no" and
 * Ctrl-C change nothing (Ctrl-C exits 130), "yes" rotates with the spinner on stderr.
 */
const tmux = spawnSync('tmux', ['-V']).error === undefined;
if (!tmux && process.env.VH_REQUIRE_PEERS === '1') throw new Error('tmux is required here');



(tmux ? describe : describe.skip)('interactive rotate under a terminal', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let session: string;
  beforeEach(async () => {
    home = tempHome('vh-tty-');
    env = baseEnv(home);
    session = `vh${process.pid}${Date.now().toString(36)}`;
    expect((await run(['create', 'app/db', '--type', 'database_password', '--generate'], { env })).code).toBe(0);
  });
  afterEach(async () => {
    spawnSync('tmux', ['kill-session', '-t', session]);
    await fs.rm(home, { recursive: true, force: true });
  });

  async function start(args: string[]): Promise<{ screen: () => string; exitCode: () => Promise<number | undefined> }> {
    const exitFile = join(home, 'exit');
    const envs = Object.entries({ ...env, TERM: 'xterm-256color' })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${shellQuote(v!)}`)
      .join(' ');
    // env -i: a clean environment without CI=true, which would (rightly) forbid prompting.
    const cmd = `env -i ${envs} ${shellQuote(NODE)} ${shellQuote(BIN)} ${args.map(shellQuote).join(' ')}; echo $? > ${shellQuote(exitFile)}; sleep 60`;
    expect(spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '40', cmd]).status).toBe(0);
    return {
      screen: () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout,
      exitCode: async () => {
        const text = await fs.readFile(exitFile, 'utf8').catch(() => '');
        return text.trim() === '' ? undefined : Number(text.trim());
      },
    };
  }

  const current = async () => JSON.parse((await run(['describe', 'app/db', '--json'], { env })).out).current_version as string;

  test('answering no changes nothing', async () => {
    const t = await start(['rotate', 'app/db']);
    await waitFor(async () => /Rotate local:app\/db\?/.test(t.screen()), 10_000, 'the prompt');
    expect(t.screen()).toMatch(/current version 1\): would generate a new database_password/);
    spawnSync('tmux', ['send-keys', '-t', session, 'n', 'Enter']);
    await waitFor(async () => (await t.exitCode()) !== undefined, 10_000, 'exit');
    expect(await t.exitCode()).toBe(0);
    expect(t.screen()).toMatch(/not confirmed; nothing was changed/);
    expect(await current()).toBe('1');
  });

  test('Ctrl-C at the prompt exits 130 and changes nothing', async () => {
    const t = await start(['rotate', 'app/db']);
    await waitFor(async () => /Rotate local:app\/db\?/.test(t.screen()), 10_000, 'the prompt');
    spawnSync('tmux', ['send-keys', '-t', session, 'C-c']);
    await waitFor(async () => (await t.exitCode()) !== undefined, 10_000, 'exit');
    expect(await t.exitCode()).toBe(130);
    expect(await current()).toBe('1');
  });

  test('answering yes rotates', async () => {
    const t = await start(['rotate', 'app/db']);
    await waitFor(async () => /Rotate local:app\/db\?/.test(t.screen()), 10_000, 'the prompt');
    spawnSync('tmux', ['send-keys', '-t', session, 'y', 'Enter']);
    await waitFor(async () => (await t.exitCode()) !== undefined, 15_000, 'exit');
    expect(await t.exitCode()).toBe(0);
    expect(t.screen()).toMatch(/rotated local:app\/db/);
    expect(await current()).toBe('2');
  });

  test('rotate-all lists exactly what it will rotate, then rotates on yes (twice: no filter at all)', async () => {
    expect((await run(['create', 'app/api', '--type', 'jwt_secret', '--generate'], { env })).code).toBe(0);
    const t = await start(['rotate-all']);
    await waitFor(async () => /Rotate these 2 secret\(s\)\?/.test(t.screen()), 10_000, 'the prompt');
    expect(t.screen()).toMatch(/2 secret\(s\) would be rotated:\n\s+local:app\/api\n\s+local:app\/db/);
    spawnSync('tmux', ['send-keys', '-t', session, 'y', 'Enter']);
    await waitFor(async () => /Really rotate all 2 secret\(s\) in every store\?/.test(t.screen()), 10_000, 'the second prompt');
    spawnSync('tmux', ['send-keys', '-t', session, 'y', 'Enter']);
    await waitFor(async () => (await t.exitCode()) !== undefined, 20_000, 'exit');
    expect(await t.exitCode()).toBe(0);
    expect(t.screen().match(/ rotated /g)).toHaveLength(2);
    expect(await current()).toBe('2');
  });

  test('revoke: no and Ctrl-C change nothing; the prompt names what becomes unreadable', async () => {
    let t = await start(['revoke', 'app/db']);
    await waitFor(async () => /Revoke every version of app\/db \(the secret becomes unreadable\)\?/.test(t.screen()), 10_000, 'the prompt');
    spawnSync('tmux', ['send-keys', '-t', session, 'n', 'Enter']);
    await waitFor(async () => (await t.exitCode()) !== undefined, 10_000, 'exit');
    expect(await t.exitCode()).toBe(0);
    spawnSync('tmux', ['kill-session', '-t', session]);
    await fs.rm(join(home, 'exit'), { force: true });
    t = await start(['revoke', 'app/db']);
    await waitFor(async () => /Revoke every version/.test(t.screen()), 10_000, 'the prompt');
    spawnSync('tmux', ['send-keys', '-t', session, 'C-c']);
    await waitFor(async () => (await t.exitCode()) !== undefined, 10_000, 'exit');
    expect(await t.exitCode()).toBe(130);
    const got = await run(['get', 'app/db'], { env });
    expect(got.code).toBe(0);
  });
});
