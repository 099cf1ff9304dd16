import { VhError } from '../base/errors.js';
import { oneLine } from '../base/text.js';
import type { LeakedFinding } from '../rotation/leaked.js';
import type { Finding } from '../scan/types.js';
import type { CommandContext } from './context.js';
import { progress } from './progress.js';
import { confirm } from './prompt.js';

/**
 * `scan --managed --rotate-leaked`: shows what the incident will do, asks (on a terminal; `--yes` otherwise), acts,
 * and says per secret what was done. Returns false when any of it failed.
 */
export async function rotateLeaked(ctx: CommandContext, findings: readonly Finding[], options: { dryRun: boolean; force: boolean }): Promise<boolean> {
  const leaked: LeakedFinding[] = findings.flatMap((f) => (f.managed ? [{ ruleId: f.ruleId, file: f.file, line: f.line, fingerprint: f.fingerprint, managed: f.managed, ...(f.commit ? { commit: f.commit } : {}) }] : []));
  const { planLeaks, respondToLeaks } = await import('../rotation/leaked.js');
  const items = planLeaks(leaked);
  if (items.length === 0) {
    ctx.io.note('vh-secrets: no managed value was found: nothing to rotate');
    return true;
  }
  const rt = await ctx.runtime();
  if (!options.dryRun && ctx.io.globals.yes !== true) {
    if (!ctx.io.interactive) throw new VhError('USAGE', `rotating ${items.length} leaked secret${items.length === 1 ? '' : 's'} needs confirmation`, { hint: 'pass --yes to confirm when not running interactively, or --dry-run to see the plan' });
    for (const i of items) ctx.io.err(`  ${i.secret}: version${i.versions.length === 1 ? '' : 's'} ${i.versions.join(', ')} found (${i.reason.replace(/^leaked: /, '')})`);
    if (!(await confirm(ctx.io, `Rotate or revoke ${items.length === 1 ? 'this secret' : `these ${items.length} secrets`} NOW (emergency: leaked values stop working at once)?`))) {
      ctx.io.err('vh-secrets: not confirmed; nothing was changed');
      return true;
    }
  }
  const spinner = await progress(ctx.io, 'responding to the leak');
  let result;
  try {
    result = await respondToLeaks(rt, items, { dryRun: options.dryRun, force: options.force, onItem: (s) => spinner.text(`responding to the leak: ${s}`) });
  } finally {
    spinner.stop();
  }
  if (ctx.io.json) {
    // The report is already on stdout; the incident goes to stderr as one JSON line, so stdout stays one document.
    ctx.io.err(JSON.stringify({ incident: result.incident, ok: result.ok, results: result.results }));
  } else {
    for (const r of result.results) {
      const line = `${r.secret}: ${r.status === 'planned' ? 'would act' : r.status}: ${oneLine(r.detail)}`;
      if (r.status === 'failed') ctx.io.err(`vh-secrets: error: ${line}`);
      else ctx.io.err(line);
    }
    if (result.incident) ctx.io.err(`vh-secrets: incident ${result.incident} ${result.ok ? 'contained' : 'NOT contained'}: recorded in the audit log (\`vh-secrets audit report\` lists it)`);
  }
  return result.ok;
}
