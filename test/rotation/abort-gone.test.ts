import { promises as fs } from 'node:fs';
import { baseEnv, run, tempHome } from '../helpers/cli.js';

// After an outage the store may no longer hold a secret that a journal still names (deleted, or the store
// restored from a backup without it): --abort clears that journal instead of failing with 66 and leaving it to
// block every later rotation, and it never claims to discard a version that does not exist.
let home: string;
let env: NodeJS.ProcessEnv;
const vh = (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string) => run(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}) });

beforeEach(() => {
  home = tempHome('vh-abort-gone-');
  env = baseEnv(home);
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

test('a journal whose secret is gone: --resume says so (66), --abort clears it, a new secret of that name rotates', async () => {
  expect((await vh(['create', 'app/gone', '--type', 'database_password', '--generate'])).code).toBe(0);
  const killed = await vh(['rotate', 'app/gone', '--yes'], { VH_SECRETS_FAILPOINT: 'after:stage' });
  expect(killed.signal).toBe('SIGKILL');
  expect((await vh(['purge', 'app/gone', '--yes', '--force'])).code).toBe(0);

  const resume = await vh(['rotate', 'app/gone', '--resume', '--yes']);
  expect(resume.code).toBe(66);
  expect(resume.stderr).toMatch(/not in the store any more.*\n {2}hint: .*--abort/);

  const abort = await vh(['rotate', 'app/gone', '--abort', '--yes', '--json']);
  expect(abort.code).toBe(0);
  const o = JSON.parse(abort.out) as { status: string; note: string };
  expect(o.status).toBe('aborted');
  expect(o.note).toMatch(/journal of rotation rot-\S+ was cleared; nothing was discarded/);
  expect(o.note).not.toMatch(/pending version \S+ discarded/);

  // Nothing blocks the name any more.
  expect((await vh(['create', 'app/gone', '--type', 'database_password', '--generate'])).code).toBe(0);
  const again = await vh(['rotate', 'app/gone', '--yes', '--json']);
  expect(again.code).toBe(0);
  expect(JSON.parse(again.out)).toMatchObject({ status: 'rotated' });
});
