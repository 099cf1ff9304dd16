import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BIN, baseEnv, run, tempHome } from '../helpers/cli.js';

/** Completion in real shells: tmux types a command and TAB, then reads what the shell offered. */
const has = (cmd: string) => spawnSync(cmd, ['--version']).error === undefined;
const shells = ['bash', 'zsh', 'fish'].filter(has);
if (process.env.VH_REQUIRE_PEERS === '1' && (shells.length < 3 || !has('tmux'))) throw new Error(`bash, zsh, fish and tmux are required here (found: ${shells.join(', ')})`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let home: string;
let env: NodeJS.ProcessEnv;
let binDir: string;
beforeAll(async () => {
  home = tempHome('vh-complete-');
  env = baseEnv(home);
  binDir = join(home, 'bin');
  await fs.mkdir(binDir);
  await fs.symlink(BIN, join(binDir, 'vh-secrets'));
  for (const name of ['payments/db', 'payments/stripe', 'search/api']) {
    expect((await run(['create', name, '--generate'], { env })).code).toBe(0);
  }
  for (const shell of ['bash', 'zsh', 'fish']) {
    expect((await run(['completion', shell], { env })).code).toBe(0);
    await fs.writeFile(join(home, `vh.${shell}`), (await run(['completion', shell], { env })).out);
  }
});
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

/**
 * Types `typed` and TAB in a fresh shell under tmux and returns the screen once every pattern in `expected` is on it
 * (or, past a deadline, whatever is there, for the assertion to report). Polled, never a fixed wait: a busy machine
 * only makes it take longer.
 */
async function complete(shell: string, typed: string, expected: RegExp[]): Promise<string> {
  const session = `vhc${process.pid}${Date.now().toString(36)}`;
  const exports = { ...env, PATH: `${binDir}:${process.env.PATH}`, TERM: 'xterm', HOME: home };
  const envArgs = Object.entries(exports).map(([k, v]) => `${k}=${v}`);
  const start: Record<string, string[]> = {
    bash: ['bash', '--norc', '--noprofile'],
    zsh: ['zsh', '-f'],
    fish: ['fish', '--no-config'],
  };
  spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', 'env', '-i', ...envArgs, ...start[shell]!]);
  const screen = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout ?? '';
  const until = async (done: (text: string) => boolean, ms: number): Promise<string> => {
    const end = Date.now() + ms;
    let text = screen();
    while (!done(text) && Date.now() < end) {
      await sleep(100);
      text = screen();
    }
    return text;
  };
  try {
    const send = (...keys: string[]) => spawnSync('tmux', ['send-keys', '-t', session, ...keys]);
    // The completion script loaded and the shell back at its prompt: the marker printed (typed, it is quoted apart).
    const load = shell === 'zsh' ? `autoload -U compinit && compinit -u; source ${join(home, 'vh.zsh')}` : `source ${join(home, `vh.${shell}`)}`;
    send(`${load}; clear; echo VH''READY`, 'Enter');
    await until((t) => /^VHREADY$/m.test(t), 20_000);
    // The first TAB fills in the common prefix, the next list the candidates (bash wants two more: the first
    // after a partial completion only rings the bell).
    send(typed, 'Tab', 'Tab', ...(shell === 'bash' ? ['Tab'] : []));
    return await until((t) => expected.every((re) => re.test(t)), 20_000);
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
  }
}

describe.each(shells)('%s', (shell) => {
  test('commands', async () => {
    const screen = await complete(shell, 'vh-secrets rot', [/rotate /, /rotate-all/]);
    expect(screen).toMatch(/rotate/);
    expect(screen).toMatch(/rotate-all/);
  });

  test('--type values', async () => {
    const screen = await complete(shell, 'vh-secrets create x --type data', [/--type database_password/]);
    expect(screen).toMatch(/--type database_password/);
  });

  test('lifecycle completes both the word report and secret references', async () => {
    expect(await complete(shell, 'vh-secrets lifecycle rep', [/lifecycle report/])).toMatch(/lifecycle report/);
    const screen = await complete(shell, 'vh-secrets lifecycle search/', [/lifecycle search\/api/]);
    expect(screen).toMatch(/lifecycle search\/api/);
  });

  test('secret references from the store, through STORE: too', async () => {
    const screen = await complete(shell, 'vh-secrets get local:pay', [/get local:payments\//, /payments\/db/, /payments\/stripe/]);
    // The common prefix is filled in on the command line, then both candidates are listed (bash lists the
    // part after ':', as it does for every colon-separated word).
    expect(screen).toMatch(/get local:payments\//);
    expect(screen).toMatch(/payments\/db/);
    expect(screen).toMatch(/payments\/stripe/);
    expect(screen).not.toMatch(/search\/api/);
  });
});
