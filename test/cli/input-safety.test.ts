import { promises as fs } from 'node:fs';
import { baseEnv, runInProcess, tempHome } from '../helpers/cli.js';

// Bad input gets one clear error and a documented exit code — never a silent answer about something else, and
// never a line or an escape sequence of its own on the operator's terminal.
let home: string;
let env: NodeJS.ProcessEnv;
const vh = (args: string[], input?: string) => runInProcess(args, { env, ...(input !== undefined ? { input } : {}) });

beforeAll(async () => {
  home = tempHome('vh-input-');
  env = baseEnv(home);
  expect((await vh(['create', 'app/x', '--type', 'generic'], 'abc')).code).toBe(0);
});
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

test.each([
  ['describe', 'app/x@999999999999999999999', 66],
  ['describe', 'app/x@2', 66],
  ['describe', 'app/x@pending', 66],
  ['describe', 'app/x@-1', 64],
  ['get', 'app/x@999999999999999999999', 66],
  ['get', 'app/x@-1', 64],
  ['rotate', 'app/x@1', 64],
])('%s %s: exit %i, never an answer about another version', async (verb, ref, code) => {
  const r = await vh([verb, ref, '--yes']);
  expect(r.code).toBe(code);
  expect(r.out).toBe('');
  expect(r.stderr).toMatch(/^vh-secrets: error: /);
});

test('describe names an existing version or stage and answers', async () => {
  expect((await vh(['describe', 'app/x@1'])).code).toBe(0);
  expect((await vh(['describe', 'app/x@current'])).code).toBe(0);
});

test.each([
  ['a newline that would forge a line', 'ok\nvh-secrets: forged line'],
  ['a carriage return', 'ok\rvh-secrets: forged'],
  ['an ANSI colour sequence', 'a\u001b[31mred'],
  ['a C1 control', 'a\u009bred'],
  ['a bidi override', 'a\u202eder'],
])('input holding %s is echoed escaped, on one line', async (_what, ref) => {
  const r = await vh(['get', ref]);
  expect(r.code).toBe(64);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^vh-secrets: error: /);
  expect(lines.slice(1).every((l) => l.startsWith('  hint: '))).toBe(true);
  expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
});

test('a damaged file store: one error with a hint, exit 65, and no "0 secrets" count that would read as an empty store', async () => {
  const h = tempHome('vh-damaged-');
  const e = baseEnv(h);
  try {
    expect((await runInProcess(['create', 'app/y', '--type', 'generic'], { env: e, input: 'abc' })).code).toBe(0);
    const file = `${e.VH_SECRETS_HOME}/store.vhs`;
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 5]! ^= 0xff;
    await fs.writeFile(file, bytes);
    const r = await runInProcess(['list'], { env: e });
    expect(r.code).toBe(65);
    expect(r.stderr).not.toMatch(/\b0 secrets\b/);
    expect(r.stderr).toMatch(/^vh-secrets: error: store local: .+\n {2}hint: .+\n$/);
  } finally {
    await fs.rm(h, { recursive: true, force: true });
  }
});

describe('usage errors', () => {
  test('--json makes a usage error one JSON object on stderr; without it, one line and one hint line', async () => {
    const home = tempHome();
    try {
      const env = baseEnv(home);
      for (const args of [['--json', 'get'], ['get', '--json', '--bogus'], ['bogus', '--json']]) {
        const r = await runInProcess(args, { env });
        expect(r.code).toBe(64);
        expect(r.out).toBe('');
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(JSON.parse(lines[0]!)).toMatchObject({ error: { code: 'USAGE', exit_code: 64, hint: 'run with --help for usage' } });
      }
      const plain = await runInProcess(['get', '--bogus'], { env });
      expect(plain.stderr.trim().split('\n')).toEqual(["vh-secrets: error: unknown option '--bogus'", '  hint: run with --help for usage']);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });

  test('-V is the program version wherever it stands; a secret version is REF@VERSION or --at', async () => {
    const home = tempHome();
    try {
      const env = baseEnv(home);
      const v = (await runInProcess(['-V'], { env })).out;
      expect((await runInProcess(['get', 'app/db', '-V'], { env })).out).toBe(v);
      expect((await runInProcess(['revoke', 'x', '--version'], { env })).out).toBe(v);
      expect((await runInProcess(['create', 'app/v'], { env, input: 'one' })).code).toBe(0);
      expect((await runInProcess(['get', 'app/v', '--at', '1'], { env })).out).toBe('one');
      expect((await runInProcess(['get', 'app/v@1'], { env })).out).toBe('one');
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});

test('a gcp store without credentials: one line and AUTH (77) for list and get, health CRITICAL for that store — no stack, no SDK warning', async () => {
  const home = tempHome();
  try {
    const config = `${home}/vh-secrets.toml`;
    await fs.writeFile(config, '[stores.g]\nprovider = "gcp"\nproject = "p1"\n');
    // No ADC file under this HOME, no key in the environment, no metadata server probed.
    const env = baseEnv(home, { VH_SECRETS_CONFIG: config, METADATA_SERVER_DETECTION: 'none' });
    for (const args of [['list', '--store', 'g'], ['get', 'g:x']]) {
      const r = await runInProcess(args, { env });
      expect({ args, code: r.code }).toEqual({ args, code: 77 });
      expect(r.stderr).toMatch(/^vh-secrets: error: gcp projects\/p1: no Google credentials/);
      expect(r.stderr.trim().split('\n')).toHaveLength(2);
      expect(r.stderr).not.toMatch(/\n\s+at |Warning/);
    }
    const health = await runInProcess(['health', '--store', 'g'], { env });
    expect(health.code).toBe(2);
    expect(health.out).toMatch(/CRITICAL\s+store g .*AUTH_FAILED/);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});
