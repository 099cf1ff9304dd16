import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, run, runInProcess, tempHome } from '../helpers/cli.js';
import { LeakLedger, canary } from '../leak/canary.js';

/**
 * The in-process CLI layer answers as the real process does, and leaves the test process as it found it.
 */
let home: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  home = tempHome('vh-inproc-');
  env = baseEnv(home);
});
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

test('the same exit code, stdout and stderr as the process', async () => {
  const steps: [string[], string?][] = [
    [['--version']],
    [['--help']],
    [['get', '--help']],
    [['get']],
    [['nosuchcommand']],
    [['--json', 'get', '--bogus']],
    [['completion', 'bash']],
    [['create', 'app/a'], 'v1'],
    [['create', 'app/a'], 'v2'],
    [['get', 'app/a']],
    [['get', 'app/nothing']],
    [['list']],
    [['describe', 'app/a', '--json']],
    [['__complete', 'refs', 'app/']],
  ];
  // Each way in a home of its own, the same steps in the same order; the homes' paths and the times differ.
  const sequence = async (how: typeof run, dir: string) => {
    const e = baseEnv(dir);
    const results = [];
    for (const [args, input] of steps) {
      const r = await how(args, { env: e, ...(input !== undefined ? { input } : {}) });
      const plain = (text: string) => text.split(dir).join('HOME').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME');
      results.push({ args: args.join(' '), code: r.code, out: plain(r.out), stderr: plain(r.stderr) });
    }
    return results;
  };
  const other = tempHome('vh-inproc-spawned-');
  try {
    expect(await sequence(runInProcess, join(home, 'same'))).toEqual(await sequence(run, other));
  } finally {
    await fs.rm(other, { recursive: true, force: true });
  }
});

test('leaves the environment, working directory, exit code and listeners of the test process alone', async () => {
  const before = { env: { ...process.env }, cwd: process.cwd(), exitCode: process.exitCode, sigint: process.listenerCount('SIGINT'), exit: process.listenerCount('exit') };
  const dir = join(home, 'elsewhere');
  await fs.mkdir(dir, { recursive: true });
  const r = await runInProcess(['--timeout', '5s', 'list'], { env: { ...env, DEBUG: '*' }, cwd: dir });
  expect(r.code).toBe(0);
  expect({ env: { ...process.env }, cwd: process.cwd(), exitCode: process.exitCode, sigint: process.listenerCount('SIGINT'), exit: process.listenerCount('exit') }).toEqual(before);
});

test('each run sees its own environment: two homes, two stores', async () => {
  const other = tempHome('vh-inproc-other-');
  try {
    const otherEnv = baseEnv(other);
    const [a, b] = await Promise.all([runInProcess(['create', 'only/here'], { env: otherEnv, input: 'x' }), runInProcess(['get', 'only/here'], { env })]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(66);
    expect((await runInProcess(['get', 'only/here'], { env: otherEnv })).out).toBe('x');
  } finally {
    await fs.rm(other, { recursive: true, force: true });
  }
});

test('a leak ledger sees what an in-process run printed, as it sees a process', async () => {
  const ledger = new LeakLedger();
  const value = ledger.add(canary('inproc'));
  expect((await runInProcess(['create', 'app/canary'], { env, input: value })).code).toBe(0);
  ledger.record('create', await runInProcess(['describe', 'app/canary'], { env }));
  expect(ledger.leaks()).toEqual([]);
  // Recorded as if the value were not the requested output: the ledger must find it.
  ledger.record('get, counted as a leak', await runInProcess(['get', 'app/canary'], { env }));
  expect(ledger.leaks()).toEqual([expect.stringContaining('get, counted as a leak stdout contains a canary')]);
});
