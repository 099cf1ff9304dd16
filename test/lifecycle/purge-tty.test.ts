import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, baseEnv, run, shellQuote, tempHome, waitFor } from '../helpers/cli.js';

/** `purge` under a real terminal (tmux): --yes and then the name typed back; a wrong name destroys nothing. */
const tmux = spawnSync('tmux', ['-V']).error === undefined;
if (!tmux && process.env.VH_REQUIRE_PEERS === '1') throw new Error('tmux is required here');

const quote = shellQuote;


(tmux ? describe : describe.skip)('purge on a terminal', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let session: string;
  beforeEach(async () => {
    home = tempHome('vh-purge-tty-');
    env = baseEnv(home);
    session = `vhp${process.pid}${Date.now().toString(36)}`;
    expect((await run(['create', 'old/key', '--generate'], { env })).code).toBe(0);
    expect((await run(['revoke', 'old/key', '--yes'], { env })).code).toBe(0);
    expect((await run(['archive', 'old/key'], { env })).code).toBe(0);
  });
  afterEach(async () => {
    spawnSync('tmux', ['kill-session', '-t', session]);
    await fs.rm(home, { recursive: true, force: true });
  });

  async function start(args: string[]) {
    const exitFile = join(home, 'exit');
    await fs.rm(exitFile, { force: true });
    const envs = Object.entries({ ...env, TERM: 'xterm-256color' })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${quote(v!)}`)
      .join(' ');
    const cmd = `env -i ${envs} ${quote(NODE)} ${quote(BIN)} ${args.map(quote).join(' ')}; echo $? > ${quote(exitFile)}; sleep 60`;
    spawnSync('tmux', ['kill-session', '-t', session]);
    expect(spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '40', cmd]).status).toBe(0);
    return {
      screen: () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout,
      exitCode: async () => {
        const text = await fs.readFile(exitFile, 'utf8').catch(() => '');
        return text.trim() === '' ? undefined : Number(text.trim());
      },
    };
  }
  const state = async () => JSON.parse((await run(['lifecycle', 'old/key', '--json'], { env })).out).state as string;

  test('without --yes: refused at once (64), no prompt', async () => {
    const t = await start(['purge', 'old/key']);
    await waitFor(async () => (await t.exitCode()) !== undefined, 10_000, 'exit');
    expect(await t.exitCode()).toBe(64);
    expect(t.screen()).toMatch(/needs --yes/);
    expect(await state()).toBe('ARCHIVED');
  });

  test('a wrong name typed back destroys nothing (64); the right one purges', async () => {
    let t = await start(['purge', 'old/key', '--yes']);
    await waitFor(() => /Type the secret name \(old\/key\)/.test(t.screen()), 10_000, 'the prompt');
    spawnSync('tmux', ['send-keys', '-t', session, 'old/kex', 'Enter']);
    await waitFor(async () => (await t.exitCode()) !== undefined, 10_000, 'exit');
    expect(await t.exitCode()).toBe(64);
    expect(t.screen()).toMatch(/did not match; nothing was purged/);
    expect(await state()).toBe('ARCHIVED');

    t = await start(['purge', 'old/key', '--yes']);
    await waitFor(() => /Type the secret name/.test(t.screen()), 10_000, 'the prompt');
    spawnSync('tmux', ['send-keys', '-t', session, 'old/key', 'Enter']);
    await waitFor(async () => (await t.exitCode()) !== undefined, 10_000, 'exit');
    expect(await t.exitCode()).toBe(0);
    expect(await state()).toBe('PURGED');
  });
});
