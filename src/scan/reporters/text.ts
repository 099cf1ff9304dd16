import type { ChalkInstance } from 'chalk';
import type { ScanReport } from '../index.js';
import { maskSecret } from './mask.js';
import { describeSkips } from './skips.js';

function mb(bytes: number): string {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

/**
 * Human report: findings grouped by file, secrets masked unless `redact` is false, then one summary line that
 * always says how many inputs were skipped and why.
 */
export function renderText(report: ScanReport, options: { redact: boolean; chalk: ChalkInstance }): string {
  const c = options.chalk;
  let out = '';
  let shownFile: string | undefined;
  for (const f of report.findings) {
    if (f.file !== shownFile) {
      shownFile = f.file;
      out += `${out ? '\n' : ''}${c.bold(f.file)}\n`;
    }
    const where = `${f.line}:${f.column}`.padEnd(9);
    const secret = options.redact ? maskSecret(f.secret) : f.secret;
    out += `  ${where} ${c.red(f.ruleId.padEnd(28))} ${secret}  ${c.dim(f.description)}${f.decoded ? c.dim(` (${f.decoded}-encoded)`) : ''}\n`;
    if (f.commit) out += `  ${''.padEnd(9)} ${c.dim(`commit ${f.commit.slice(0, 12)} by ${f.author} <${f.email}> on ${f.date}`)}\n`;
    if (f.managed) out += `  ${''.padEnd(9)} ${f.managed.current ? c.red(`this is the current value of ${f.managed.ref} (version ${f.managed.version})`) : c.yellow(`this is an earlier value of ${f.managed.ref} (version ${f.managed.version}, no longer current)`)}\n`;
  }
  const files = new Set(report.findings.map((f) => f.file)).size;
  const n = report.findings.length;
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  const what = report.source === 'git' ? plural(report.commits ?? 0, 'commit') : report.source === 'staged' ? 'staged changes' : report.source === 'stdin' ? 'stdin' : plural(report.files, 'file');
  // Git sources read diffs, not files: nothing there is skipped by file.
  const extra = [report.source === 'dir' || report.source === 'stdin' ? describeSkips(report) : '', report.baselined ? `${report.baselined} in baseline` : ''].filter(Boolean);
  const current = report.findings.filter((f) => f.managed?.current).length;
  if (current) extra.unshift(`${current} current managed value${current === 1 ? '' : 's'}`);
  const head = n === 0 ? c.green('no secrets found') : c.red(`${n} secret${n === 1 ? '' : 's'} found in ${files} file${files === 1 ? '' : 's'}`);
  out += `${out ? '\n' : ''}${head} (${what}, ${mb(report.bytes)} scanned in ${(report.durationMs / 1000).toFixed(2)} s${extra.length ? `; ${extra.join(', ')}` : ''})\n`;
  return out;
}
