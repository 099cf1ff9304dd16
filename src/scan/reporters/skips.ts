import type { ScanReport } from '../index.js';
import { SKIP_CATEGORIES, type SkipCategory } from '../types.js';

const LABEL: Record<SkipCategory, string> = {
  ignored: 'ignored',
  hidden: 'hidden',
  binary: 'binary',
  'too-large': 'too large',
  special: 'not regular files',
  symlink: 'symlink loops or links to nothing',
  unreadable: 'unreadable',
};

/** What each category means, for reports that explain it (SARIF notifications). */
export const SKIP_MEANING: Record<SkipCategory, string> = {
  ignored: 'left out by .gitignore (inside a git work tree), the repository exclude file or .vhsecretsignore; --no-ignore scans them',
  hidden: 'dot files and directories left out by --no-hidden',
  binary: 'binary files (NUL bytes in the first 8000)',
  'too-large': 'files over --max-file-size',
  special: 'FIFOs, sockets and devices, never opened',
  symlink: 'symlink loops and symlinks to nothing',
  unreadable: 'inputs that could not be read (the scan is incomplete)',
};

export function skippedTotal(report: ScanReport): number {
  return SKIP_CATEGORIES.reduce((n, c) => n + report.skips[c], 0);
}

/** `skipped: 2 ignored, 1 binary (1 of them a directory, not entered)`, or `skipped: none`. */
export function describeSkips(report: ScanReport): string {
  const total = skippedTotal(report);
  if (total === 0) return 'skipped: none';
  const parts = SKIP_CATEGORIES.filter((c) => report.skips[c] > 0).map((c) => `${report.skips[c]} ${LABEL[c]}`);
  const dirs = report.skippedDirs ? ` (${report.skippedDirs} of them ${report.skippedDirs === 1 ? 'a directory' : 'directories'}, not entered)` : '';
  return `skipped: ${parts.join(', ')}${dirs}`;
}
