import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, baseEnv, run, shellQuote, tempHome, waitFor } from '../helpers/cli.js';

/**
 * Progress output never keeps a finished command alive: on a terminal that reports 0 columns (`stty cols 0`,
 * `script -qec … /dev/null` under some CI runners) the spinner used to divide by the width and loop forever
 * writing `\e[0K\e[1A`, after promote, deaf to SIGTERM. Under a real terminal (tmux, script) `rotate` ends,
 * says what it did, and leaves no journal behind.
 */
const tmux = spawnSync('tmux', ['-V']).error === undefined;
const script = spawnSync('script', ['--version']).error === undefined;
if ((!tmux || !script) && process.env.VH_REQUIRE_PEERS === '1') throw new Error('tmux and script (util-linux) are required here');



describe('rotate on a terminal with 0 columns', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    home = tempHome('vh-cols0-');
    env = baseEnv(home);
    expect((await run(['create', 'app/db', '--type', 'database_password', '--generate'], { env })).code).toBe(0);
  });
  afterEach(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  const current = async () => JSON.parse((await run(['describe', 'app/db', '--json'], { env })).out).current_version as string;
  const journal = async () => fs.readdir(join(home, 'vh', 'journal')).catch(() => [] as string[]);
  /** The command line run under the terminal; its pid goes to a file so a hung run can be killed for sure. */
  const rotateCommand = () => `stty cols 0; sh -c 'echo $$ > ${join(home, 'pid')}; exec "$@"' sh env -i ${envAssignments()} ${shellQuote(NODE)} ${shellQuote(BIN)} rotate app/db --yes`;
  /** A hung run ignores SIGTERM and outlives its terminal: SIGKILL it, or it burns a CPU after the test. */
  const killHung = async () => {
    const pid = Number((await fs.readFile(join(home, 'pid'), 'utf8').catch(() => '')).trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const envAssignments = () =>
    Object.entries({ ...env, TERM: 'xterm-256color' })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${shellQuote(v!)}`)
      .join(' ');

  (tmux ? test : test.skip)('under tmux: the command ends and says what it did', async () => {
    const session = `vhc0${process.pid}${Date.now().toString(36)}`;
    const exitFile = join(home, 'exit');
    const cmd = `${rotateCommand()}; echo $? > ${shellQuote(exitFile)}; sleep 60`;
    expect(spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '40', cmd]).status).toBe(0);
    const exitCode = async () => {
      const text = await fs.readFile(exitFile, 'utf8').catch(() => '');
      return text.trim() === '' ? undefined : Number(text.trim());
    };
    try {
      await waitFor(async () => (await exitCode()) !== undefined, 30_000, 'rotate to exit');
      expect(await exitCode()).toBe(0);
      const screen = spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
      expect(screen).toMatch(/rotated local:app\/db: version 1 → 2/);
    } finally {
      if ((await exitCode()) === undefined) await killHung();
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
    expect(await current()).toBe('2');
    expect(await journal()).toEqual([]);
  });

  (script ? test : test.skip)('under script(1): the command ends, and its output is a few lines, not an endless stream', async () => {
    const child = spawn('script', ['-qec', rotateCommand(), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let bytes = 0;
    let text = '';
    child.stdout.on('data', (b: Buffer) => {
      bytes += b.length;
      if (text.length < 64 * 1024) text += b.toString('utf8');
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let ended = false;
    void closed.then(() => (ended = true));
    try {
      await waitFor(async () => ended, 30_000, 'rotate under script to exit');
    } finally {
      if (!ended) {
        await killHung();
        child.kill('SIGKILL');
      }
    }
    expect(await closed).toBe(0);
    expect(text).toMatch(/rotated local:app\/db: version 1 → 2/);
    expect(text).not.toContain('\u001b[0K\u001b[1A');
    expect(bytes).toBeLessThan(4096);
    expect(await current()).toBe('2');
    expect(await journal()).toEqual([]);
  });
});
