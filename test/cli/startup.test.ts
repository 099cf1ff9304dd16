import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, baseEnv, tempHome } from '../helpers/cli.js';

/** Heavy modules that must not load for --help, --version or a usage error. */
const HEAVY = ['@aws-sdk', '@azure', '@google-cloud', 'node-vault', 'google-gax', '@grpc', 'inquirer', '@inquirer', 'cli-table3', 'ora', 'smol-toml', 'chalk'];

let dir: string;
beforeAll(async () => {
  dir = tempHome('vh-startup-');
  await fs.writeFile(
    join(dir, 'hook.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.VH_LOAD_LOG, result.url + '\\n');
  return result;
}`,
  );
  await fs.writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hook.mjs')).href)});\n`);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function loadedModules(args: string[]): { urls: string[]; status: number | null; stdout: string } {
  const log = join(dir, `load-${args.join('_').replace(/[^a-z]/gi, '')}.log`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, BIN, ...args], {
    env: { ...baseEnv(dir), VH_LOAD_LOG: log },
    encoding: 'utf8',
  });
  return { urls: [...new Set(readText(log).split('\n').filter(Boolean))], status: r.status, stdout: r.stdout };
}

function readText(path: string): string {
  try {
    return spawnSync('cat', [path], { encoding: 'utf8' }).stdout;
  } catch {
    return '';
  }
}

describe('fast start', () => {
  test.each([[['--version']], [['--help']], [['get', '--help']], [['rotate-all', '--help']], [['nosuchcommand']]])('%j loads no SDK or rendering module', (args) => {
    const { urls, status } = loadedModules(args);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.some((u) => u.includes('/dist/src/cli/main.js'))).toBe(true);
    const heavy = urls.filter((u) => HEAVY.some((h) => u.includes(`/node_modules/${h}`)));
    expect(heavy).toEqual([]);
    expect(status).toBe(args[0] === 'nosuchcommand' ? 64 : 0);
  });

  test('--version loads nothing but the entry point', () => {
    const { urls, stdout } = loadedModules(['--version']);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(urls.filter((u) => u.startsWith('file:') && !u.includes('register.mjs') && !u.endsWith('/bin/vh-secrets'))).toEqual([expect.stringContaining('/dist/src/cli/main.js')]);
  });

  test('a file-store command loads no cloud SDK', () => {
    const { urls } = loadedModules(['list']);
    expect(urls.some((u) => u.includes('/dist/src/providers/file.js'))).toBe(true);
    expect(urls.filter((u) => /@aws-sdk|@azure|@google-cloud|node-vault/.test(u))).toEqual([]);
  });
});
