import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, baseEnv, run, shellQuote, tempHome, waitFor } from '../helpers/cli.js';

/**
 * The questions asked on a real terminal (tmux): rotate-all with no filter at all shows the count per store and
 * type and asks a second time; `rotate` of a value issued elsewhere explains and asks; `rotate --resume --all`
 * lists what it will do and asks. "no" changes nothing.
 */
const tmux = spawnSync('tmux', ['-V']).error === undefined;
if (!tmux && process.env.VH_REQUIRE_PEERS === '1') throw new Error('tmux is required here');


const q = shellQuote;

(tmux ? describe : describe.skip)('rotation questions under a terminal', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let session: string;
  const vh = (args: string[], extra: NodeJS.ProcessEnv = {}) => run(args, { env: { ...env, ...extra } });
  const current = async (name: string) => JSON.parse((await vh(['describe', name, '--json'])).out).current_version as string;

  beforeEach(async () => {
    home = tempHome('vh-tty-rot-');
    env = baseEnv(home);
    session = `vhrot${process.pid}${Date.now().toString(36)}`;
    expect((await vh(['create', 'app/db', '--type', 'database_password', '--generate'])).code).toBe(0);
    expect((await vh(['create', 'app/jwt', '--type', 'jwt_secret', '--generate'])).code).toBe(0);
    expect((await vh(['create', 'app/vendor', '--type', 'api_key', '--generate'])).code).toBe(0);
  });
  afterEach(async () => {
    spawnSync('tmux', ['kill-session', '-t', session]);
    await fs.rm(home, { recursive: true, force: true });
  });

  function start(args: string[]): { screen: () => string; exitCode: () => Promise<number | undefined>; keys: (...k: string[]) => void } {
    const exitFile = join(home, 'exit');
    const envs = Object.entries({ ...env, TERM: 'xterm-256color' })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${q(v!)}`)
      .join(' ');
    // env -i: a clean environment without CI=true, which would (rightly) forbid prompting.
    const cmd = `env -i ${envs} ${q(NODE)} ${q(BIN)} ${args.map(q).join(' ')}; echo $? > ${q(exitFile)}; sleep 60`;
    expect(spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', cmd]).status).toBe(0);
    return {
      screen: () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout,
      exitCode: async () => {
        const text = await fs.readFile(exitFile, 'utf8').catch(() => '');
        return text.trim() === '' ? undefined : Number(text.trim());
      },
      keys: (...k: string[]) => void spawnSync('tmux', ['send-keys', '-t', session, ...k]),
    };
  }

  test('rotate-all without a filter: counts per store and type, a second question; "no" there changes nothing', async () => {
    const t = start(['rotate-all']);
    await waitFor(() => /Rotate these 2 secret\(s\)\?/.test(t.screen()), 10_000, 'the first prompt', t.screen);
    expect(t.screen()).toMatch(/1 secret\(s\) whose values are issued elsewhere are left alone/);
    t.keys('y', 'Enter');
    await waitFor(() => /Really rotate all 2 secret\(s\) in every store\?/.test(t.screen()), 10_000, 'the second prompt', t.screen);
    expect(t.screen()).toMatch(/No --store, --type, --tag or --shard/);
    expect(t.screen()).toMatch(/local\W+database_password\W+1\b/);
    expect(t.screen()).toMatch(/local\W+jwt_secret\W+1\b/);
    t.keys('n', 'Enter');
    await waitFor(async () => (await t.exitCode()) !== undefined, 10_000, 'exit', t.screen);
    expect(await t.exitCode()).toBe(0);
    expect(t.screen()).toMatch(/nothing was changed/);
    expect([await current('app/db'), await current('app/jwt'), await current('app/vendor')]).toEqual(['1', '1', '1']);
  });

  test('rotate-all with a filter asks once', async () => {
    const t = start(['rotate-all', '--type', 'database_password']);
    await waitFor(() => /Rotate these 1 secret\(s\)\?/.test(t.screen()), 10_000, 'the prompt', t.screen);
    t.keys('y', 'Enter');
    await waitFor(async () => (await t.exitCode()) !== undefined, 20_000, 'exit', t.screen);
    expect(await t.exitCode()).toBe(0);
    expect(t.screen()).not.toMatch(/Really rotate/);
    expect(await current('app/db')).toBe('2');
  });

  test('rotate of a value issued elsewhere explains and asks (even with --yes); yes rotates it', async () => {
    let t = start(['rotate', 'app/vendor', '--yes']);
    await waitFor(() => /Replace local:app\/vendor with a generated value anyway\?/.test(t.screen()), 10_000, 'the prompt', t.screen);
    expect(t.screen()).toMatch(/issued elsewhere \(an api_key without a rotation target/);
    t.keys('n', 'Enter');
    await waitFor(async () => (await t.exitCode()) !== undefined, 10_000, 'exit', t.screen);
    expect(await t.exitCode()).toBe(0);
    expect(await current('app/vendor')).toBe('1');
    spawnSync('tmux', ['kill-session', '-t', session]);
    await fs.rm(join(home, 'exit'), { force: true });
    t = start(['rotate', 'app/vendor']);
    await waitFor(() => /Replace local:app\/vendor/.test(t.screen()), 10_000, 'the prompt', t.screen);
    t.keys('y', 'Enter');
    await waitFor(async () => (await t.exitCode()) !== undefined, 20_000, 'exit', t.screen);
    expect(await t.exitCode()).toBe(0);
    expect(await current('app/vendor')).toBe('2');
  });

  test('rotate --resume --all lists what it will do and asks', async () => {
    expect((await vh(['rotate', 'app/db', '--yes'], { VH_SECRETS_FAILPOINT: 'after:stage' })).signal).toBe('SIGKILL');
    const t = start(['rotate', '--resume', '--all']);
    await waitFor(() => /Resume these 1 rotation\(s\)\?/.test(t.screen()), 10_000, 'the prompt', t.screen);
    expect(t.screen()).toMatch(/local:app\/db: verify and promote staged version 2/);
    t.keys('y', 'Enter');
    await waitFor(async () => (await t.exitCode()) !== undefined, 20_000, 'exit', t.screen);
    expect(await t.exitCode()).toBe(0);
    expect(await current('app/db')).toBe('2');
    expect((await vh(['rotations'])).code).toBe(0);
  });
});
