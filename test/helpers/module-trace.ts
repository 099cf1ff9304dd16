import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN } from './cli.js';

/**
 * Which modules a CLI run loads: an ESM resolve hook (registered with --import) appends every resolved URL to a
 * file. Start-up tests use it to prove that heavy modules stay unloaded.
 */
export function traceModules(dir: string, args: string[], env: NodeJS.ProcessEnv, name = args.join('_').replace(/[^a-z]/gi, '') || 'run'): { urls: string[]; status: number | null; stdout: string } {
  const hook = join(dir, 'trace-hook.mjs');
  writeFileSync(
    hook,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.VH_LOAD_LOG, result.url + '\\n');
  return result;
}`,
  );
  const register = join(dir, 'trace-register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  const log = join(dir, `trace-${name}.log`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, BIN, ...args], { env: { ...env, VH_LOAD_LOG: log }, encoding: 'utf8' });
  return { urls: [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))], status: r.status, stdout: r.stdout };
}
