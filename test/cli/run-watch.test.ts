import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CONCEALED } from '../../src/cli/mask.js';
import { BIN, NODE, alive, baseEnv, run, tempHome, waitFor } from '../helpers/cli.js';

/**
 * `run --watch` on the embedded file store: a new version of a referenced secret restarts the command with the
 * new value (SIGTERM, SIGKILL after --restart-grace), a pinned reference never does, a check that fails leaves
 * the command running, and the operator's SIGTERM/SIGINT — or the command ending by itself — ends it all.
 * Each child appends "PID VALUE…" to a 0600 report file (values never on stdout unless masking is the point).
 */

const DEADLINE = 30_000;

let home: string;
let env: NodeJS.ProcessEnv;
const vh = (args: string[], input?: string) => run(args, { env, ...(input !== undefined ? { input } : {}) });
const fresh = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;

beforeAll(() => {
  home = tempHome('vh-run-watch-');
  env = baseEnv(home);
});
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});


/** A child script: reports its pid and the named variables, then waits; `onTerm` is its SIGTERM handler's body. */
function childScript(report: string, vars: string[], onTerm: string, extra = ''): string {
  const values = vars.map((v) => `process.env.${v}`).join(' + " " + ');
  return `process.on("SIGTERM", () => { ${onTerm} }); ${extra} require("fs").appendFileSync(${JSON.stringify(report)}, process.pid + " " + ${values} + "\\n", { mode: 0o600 }); setInterval(() => {}, 1000);`;
}

async function reports(file: string): Promise<{ pid: number; values: string[] }[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, ...values] = line.split(' ');
      return { pid: Number(pid), values };
    });
}

interface Watching {
  out: () => string;
  err: () => string;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
}

function watchRun(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Watching {
  const child = spawn(NODE, [BIN, 'run', '--watch', '--watch-interval', '200ms', ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal });
    }),
  );
  return { out: () => out, err: () => err, closed, kill: (signal) => child.kill(signal) };
}

const reported = (file: string, what: string, check: (r: { pid: number; values: string[] }[]) => boolean, w: Watching) =>
  waitFor(async () => check(await reports(file)), DEADLINE, what, () => `stdout:\n${w.out()}\nstderr:\n${w.err()}`);

test('run --watch: a new version restarts the command with the new value; output masked for old and new; SIGTERM then ends it with its code and nothing restarts', async () => {
  const name = fresh('app/watched');
  const first = fresh('pw-first');
  const second = fresh('pw-second');
  const report = join(home, `${fresh('report')}.txt`);
  expect((await vh(['create', name], first)).code).toBe(0);
  // The child prints its value (masked) at start and while it is being stopped.
  const script = childScript(report, ['DB'], 'console.log("bye " + process.env.DB); process.exit(42);', 'console.log("start " + process.env.DB);');
  const w = watchRun(['--env', `DB=${name}`, '--', NODE, '-e', script]);
  await reported(report, 'the first child', (r) => r.length === 1, w);
  expect((await reports(report))[0]!.values).toEqual([first]);

  expect((await vh(['set', name], second)).code).toBe(0);
  await reported(report, 'the restarted child with the new value', (r) => r.some((x) => x.values[0] === second), w);
  const [old, restarted] = await reports(report);
  expect(old!.pid).not.toBe(restarted!.pid);
  expect(alive(old!.pid)).toBe(false);

  w.kill('SIGTERM');
  expect(await w.closed).toEqual({ code: 42, signal: null });
  expect(await reports(report)).toHaveLength(2);
  expect(alive(restarted!.pid)).toBe(false);
  const lines = w.out().split('\n').filter(Boolean);
  expect(lines.sort()).toEqual([`bye ${CONCEALED}`, `bye ${CONCEALED}`, `start ${CONCEALED}`, `start ${CONCEALED}`]);
  expect(w.err()).toMatch(/new version of local:\S+ \(version \S+\): restarting node/);
  for (const v of [first, second]) expect(w.out() + w.err()).not.toContain(v);
  // Both reads audited as run's, with the version read; no value in the log.
  const log = await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8');
  const accessed = log
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; secret: string; details: Record<string, unknown> })
    .filter((e) => e.event === 'accessed' && e.secret === `local:${name}`);
  expect(accessed.map((e) => e.details)).toEqual([expect.objectContaining({ purpose: 'run', command: 'node' }), expect.objectContaining({ purpose: 'run', command: 'node' })]);
  expect(accessed[0]!.details.version).not.toBe(accessed[1]!.details.version);
  for (const v of [first, second]) expect(log).not.toContain(v);
});

test('run --watch: a reference pinned to a version id never restarts the command; the watched ones do', async () => {
  const pinnedName = fresh('app/pinned');
  const otherName = fresh('app/other');
  const [p1, p2, o1, o2] = [fresh('p1'), fresh('p2'), fresh('o1'), fresh('o2')];
  expect((await vh(['create', pinnedName], p1)).code).toBe(0);
  expect((await vh(['create', otherName], o1)).code).toBe(0);
  const version = (JSON.parse((await vh(['describe', pinnedName, '--json'])).out) as { current_version: string }).current_version;
  const report = join(home, `${fresh('report')}.txt`);
  const main = watchRun(['--env', `P=${pinnedName}@${version}`, '--env', `O=${otherName}`, '--', NODE, '-e', childScript(report, ['P', 'O'], 'process.exit(0);')]);
  // A second watcher of the pinned secret, unpinned: once it has seen the new version, the first one has had
  // its chances to check too.
  const clockReport = join(home, `${fresh('clock')}.txt`);
  const clock = watchRun(['--env', `X=${pinnedName}`, '--', NODE, '-e', childScript(clockReport, ['X'], 'process.exit(0);')]);
  await reported(report, 'the first child', (r) => r.length === 1, main);
  await reported(clockReport, 'the clock child', (r) => r.length === 1, clock);
  expect(main.err()).toContain(`pinned, not watched: local:${pinnedName}@${version}`);

  expect((await vh(['set', pinnedName], p2)).code).toBe(0);
  await reported(clockReport, 'the clock restarted', (r) => r.some((x) => x.values[0] === p2), clock);
  expect((await vh(['set', otherName], o2)).code).toBe(0);
  await reported(report, 'the restart for the watched secret', (r) => r.some((x) => x.values[1] === o2), main);
  expect((await reports(report)).map((r) => r.values)).toEqual([
    [p1, o1],
    [p1, o2],
  ]);

  main.kill('SIGTERM');
  clock.kill('SIGTERM');
  expect((await main.closed).code).toBe(0);
  expect((await clock.closed).code).toBe(0);
  expect(await reports(report)).toHaveLength(2);
});

test('run --watch: a command that ignores SIGTERM is killed after --restart-grace; SIGINT ends the watch with the command\'s code', async () => {
  const name = fresh('app/stubborn');
  const [v1, v2] = [fresh('s1'), fresh('s2')];
  expect((await vh(['create', name], v1)).code).toBe(0);
  const report = join(home, `${fresh('report')}.txt`);
  const script = childScript(report, ['DB'], '/* ignored */', 'process.on("SIGINT", () => process.exit(5));');
  const w = watchRun(['--restart-grace', '1s', '--env', `DB=${name}`, '--', NODE, '-e', script]);
  await reported(report, 'the first child', (r) => r.length === 1, w);
  expect((await vh(['set', name], v2)).code).toBe(0);
  await reported(report, 'the restarted child', (r) => r.some((x) => x.values[0] === v2), w);
  const [old] = await reports(report);
  expect(alive(old!.pid)).toBe(false);
  expect(w.err()).toMatch(/node was still running 1s after SIGTERM: killed/);

  w.kill('SIGINT');
  expect(await w.closed).toEqual({ code: 5, signal: null });
  expect(await reports(report)).toHaveLength(2);
});

test('run --watch: a command that ends on its own is not restarted: run exits with its code', async () => {
  const name = fresh('app/short');
  expect((await vh(['create', name], fresh('v'))).code).toBe(0);
  const report = join(home, `${fresh('report')}.txt`);
  // It lives a few check intervals, then fails.
  const script = `require("fs").appendFileSync(${JSON.stringify(report)}, process.pid + "\\n", { mode: 0o600 }); setTimeout(() => process.exit(3), 1000);`;
  const w = watchRun(['--env', `DB=${name}`, '--', NODE, '-e', script]);
  expect(await w.closed).toEqual({ code: 3, signal: null });
  expect(await reports(report)).toHaveLength(1);
});

test('run --watch: a check that fails warns once and the command keeps running; a new version after that still restarts it', async () => {
  const name = fresh('app/flaky');
  const [v1, v2] = [fresh('f1'), fresh('f2')];
  expect((await vh(['create', name], v1)).code).toBe(0);
  const report = join(home, `${fresh('report')}.txt`);
  const w = watchRun(['--env', `DB=${name}`, '--', NODE, '-e', childScript(report, ['DB'], 'process.exit(0);')]);
  await reported(report, 'the first child', (r) => r.length === 1, w);
  // The store file gone: every check fails (the secret cannot be found) until it is back.
  const storeFile = join(home, 'vh', 'store.vhs');
  const away = join(home, 'vh', 'store.away');
  await fs.rename(storeFile, away);
  try {
    await waitFor(() => /cannot check/.test(w.err()), DEADLINE, 'the warning', () => w.err());
  } finally {
    await fs.rename(away, storeFile);
  }
  await waitFor(() => /checking works again/.test(w.err()), DEADLINE, 'the recovery note', () => w.err());
  expect(w.err().match(/warning: --watch: cannot check local:\S+: .*\(NOT_FOUND\); node keeps running, checking again every 200ms/g)).toHaveLength(1);
  const [child] = await reports(report);
  expect(alive(child!.pid)).toBe(true);

  expect((await vh(['set', name], v2)).code).toBe(0);
  await reported(report, 'the restarted child', (r) => r.some((x) => x.values[0] === v2), w);
  w.kill('SIGTERM');
  expect((await w.closed).code).toBe(0);
  for (const v of [v1, v2]) expect(w.out() + w.err()).not.toContain(v);
});

test('run: --watch-interval and --restart-grace need --watch and a duration', async () => {
  expect((await vh(['run', '--watch-interval', '1s', '--env', 'X=app/none', '--', 'true'])).code).toBe(64);
  expect((await vh(['run', '--restart-grace', '1s', '--env', 'X=app/none', '--', 'true'])).code).toBe(64);
  const bad = await vh(['run', '--watch', '--watch-interval', 'soon', '--env', 'X=app/none', '--', 'true']);
  expect(bad.code).toBe(64);
  expect(bad.stderr).toContain('--watch-interval: "soon" is not a duration');
  expect((await vh(['run', '--watch', '--watch-interval', '10ms', '--env', 'X=app/none', '--', 'true'])).code).toBe(64);
});
