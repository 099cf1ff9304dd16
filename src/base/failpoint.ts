import { VhError } from './errors.js';

/**
 * Fault injection for tests, at phase boundaries:
 * - `VH_SECRETS_FAILPOINT=before:<phase>|after:<phase>` kills this process with SIGKILL there — no cleanup, no
 *   flush, exactly like a power cut or an OOM kill;
 * - `VH_SECRETS_FAILPOINT=fail:<phase>` makes that phase fail with an error, as a refusing target would.
 */
export function failpoint(when: 'before' | 'after', phase: string, env: NodeJS.ProcessEnv = process.env): void {
  const spec = env.VH_SECRETS_FAILPOINT;
  if (!spec) return;
  if (spec === `${when}:${phase}`) process.kill(process.pid, 'SIGKILL');
  if (when === 'before' && spec === `fail:${phase}`) throw new VhError('INTERNAL', `injected failure in ${phase} (VH_SECRETS_FAILPOINT)`);
}

/**
 * A rendezvous for tests that need two processes to overlap however busy the machine is:
 * `VH_SECRETS_BARRIER=<point>:<dir>:<n>` makes the process, on reaching `point`, announce itself in `dir` and
 * wait until `n` processes have (at most 120 s, then it goes on alone). Without the variable: nothing.
 */
export async function barrier(point: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const spec = env.VH_SECRETS_BARRIER;
  if (!spec?.startsWith(`${point}:`)) return;
  const rest = spec.slice(point.length + 1);
  const cut = rest.lastIndexOf(':');
  const dir = rest.slice(0, cut);
  const n = Number(rest.slice(cut + 1));
  if (!dir || !Number.isInteger(n) || n < 1) return;
  const { promises: fs } = await import('node:fs');
  const { join } = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(join(dir, `${process.pid}`), '');
  const until = Date.now() + 120_000;
  while (Date.now() < until && (await fs.readdir(dir)).length < n) await new Promise((r) => setTimeout(r, 20));
}
