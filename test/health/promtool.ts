import { spawnSync } from 'node:child_process';

/** Whether promtool (Debian's prometheus package) is on PATH; CI sets VH_REQUIRE_PROMTOOL=1 and installs it. */
export const promtool = spawnSync('promtool', ['--version']).error === undefined;
if (!promtool && process.env.VH_REQUIRE_PROMTOOL === '1') throw new Error('promtool is required here (apt-get install prometheus)');

/**
 * Names kept from the seeds whose spelling promtool's lint objects to, and why they stay: a current count the
 * seed named `…_total` is exported as what it is (a gauge) under the seed's name.
 */
export const KEPT_NAMES_LINT = ['voicehive_secrets_expiry_warnings_total non-counter metrics should not have "_total" suffix'];

/**
 * `promtool check metrics` on an exposition: the problems it reports beyond the kept names (empty when clean).
 * A parse error (exit 1) is always a problem.
 */
export function lintMetrics(text: string): string[] {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const lines = `${r.stdout}${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (r.status !== 0 && r.status !== 3) return [`promtool exit ${String(r.status)}`, ...lines];
  return lines.filter((l) => !KEPT_NAMES_LINT.includes(l));
}
