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
