import { promises as fs } from 'node:fs';
import { baseEnv, tempHome } from '../helpers/cli.js';
import { traceModules } from '../helpers/module-trace.js';

/** Heavy modules that must not load for --help, --version or a usage error. */
const HEAVY = ['@aws-sdk', '@azure', '@google-cloud', 'node-vault', 'google-gax', '@grpc', 'inquirer', '@inquirer', 'cli-table3', 'ora', 'smol-toml', 'chalk', 'age-encryption', '@noble'];

let dir: string;
beforeAll(() => {
  dir = tempHome('vh-startup-');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const loadedModules = (args: string[]) => traceModules(dir, args, baseEnv(dir));

describe('fast start', () => {
  test.each([[['--version']], [['--help']], [['get', '--help']], [['rotate-all', '--help']], [['backup', '--help']], [['restore', '--help']], [['run', '--help']], [['template', '--help']], [['nosuchcommand']]])('%j loads no SDK or rendering module', (args) => {
    const { urls, status } = loadedModules(args);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.some((u) => u.includes('/dist/src/cli/main.js'))).toBe(true);
    const heavy = urls.filter((u) => HEAVY.some((h) => u.includes(`/node_modules/${h}`)));
    expect(heavy).toEqual([]);
    expect(status).toBe(args[0] === 'nosuchcommand' ? 64 : 0);
  });

  test('--version loads nothing but the entry point (the process wrapper and the CLI function)', () => {
    const { urls, stdout } = loadedModules(['--version']);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(urls.filter((u) => u.startsWith('file:') && !u.includes('register.mjs') && !u.endsWith('/bin/vh-secrets'))).toEqual([expect.stringContaining('/dist/src/cli/main.js'), expect.stringContaining('/dist/src/cli/entry.js')]);
  });

  test('a file-store command loads no cloud SDK', () => {
    const { urls } = loadedModules(['list']);
    expect(urls.some((u) => u.includes('/dist/src/providers/file.js'))).toBe(true);
    expect(urls.filter((u) => /@aws-sdk|@azure|@google-cloud|node-vault/.test(u))).toEqual([]);
  });
});
