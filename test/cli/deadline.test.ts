import { spawnSync } from 'node:child_process';
import { Budget, deadlineSignal, formatDuration, parseDuration, withDeadline } from '../../src/base/deadline.js';
import { NODE, ROOT } from '../helpers/cli.js';

/** The deadline helpers every wait on a store goes through (`--timeout`, `health`'s budget). */

const never = () => new Promise<never>(() => undefined);

test('--timeout durations: ms, s, m, h, bare seconds; anything else is a usage error naming the option', () => {
  expect([parseDuration('500ms', 'x'), parseDuration('10s', 'x'), parseDuration('1.5m', 'x'), parseDuration('1h', 'x'), parseDuration('3', 'x')]).toEqual([500, 10_000, 90_000, 3_600_000, 3_000]);
  for (const bad of ['', 'soon', '0s', '-1s', '10 parsecs', '25h']) {
    expect(() => parseDuration(bad, '--timeout')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('--timeout') as unknown }) as Error);
  }
  expect([formatDuration(250), formatDuration(2_000), formatDuration(1_500), formatDuration(600_000)]).toEqual(['250ms', '2s', '1.5s', '10m']);
});

test('withDeadline: the answer when it comes in time, else TIMEOUT naming what did not answer', async () => {
  await expect(withDeadline(Promise.resolve(7), 1_000, 'store a')).resolves.toBe(7);
  await expect(withDeadline(Promise.reject(new Error('refused')), 1_000, 'store a')).rejects.toThrow('refused');
  await expect(withDeadline(never(), 20, 'store a')).rejects.toMatchObject({ code: 'TIMEOUT', message: 'store a did not answer within 20ms' });
  const stop = new AbortController();
  const raced = withDeadline(never(), 60_000, 'store a', stop.signal);
  stop.abort('SIGTERM');
  await expect(raced).rejects.toBe('SIGTERM');
});

test('a won race leaves no timer behind: a process that used a long deadline ends at once', () => {
  // Loads the compiled helper in a fresh Node: if the 10-minute timer were left armed, the process would stay.
  const script = `import('${ROOT}/dist/src/base/deadline.js').then(async (d) => { await d.withDeadline(Promise.resolve(1), 600000, 'x'); const s = d.deadlineSignal(600000, 'y'); s.clear(); console.log('done'); })`;
  const r = spawnSync(NODE, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.signal).toBeNull();
  expect(r.stdout.trim()).toBe('done');
});

test('deadlineSignal aborts with a TIMEOUT reason, or with its parent', async () => {
  const { signal, clear } = deadlineSignal(20, 'store b');
  await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
  expect(signal.reason).toMatchObject({ code: 'TIMEOUT', message: 'store b did not answer within 20ms' });
  clear();
  const parent = new AbortController();
  const child = deadlineSignal(60_000, 'store c', parent.signal);
  parent.abort('SIGINT');
  expect(child.signal.aborted).toBe(true);
  expect(child.signal.reason).toBe('SIGINT');
  child.clear();
});

test('a Budget: every call races what is left, and the timeout names the whole budget', async () => {
  let now = 0;
  const budget = new Budget(10_000, () => now);
  expect(budget.remaining()).toBe(10_000);
  now = 9_990;
  await expect(budget.race(never(), 'store d')).rejects.toMatchObject({ code: 'TIMEOUT', message: 'store d did not answer within 10s' });
  now = 20_000;
  expect(budget.expired()).toBe(true);
  await expect(budget.race(Promise.resolve(1), 'store d')).rejects.toMatchObject({ code: 'TIMEOUT' });
});
