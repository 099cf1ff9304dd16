import { promises as fs, statSync } from 'node:fs';
import { posix, sep } from 'node:path';
import { VhError } from '../base/errors.js';
import { Detector } from './detector.js';
import { MANAGED_RULE, ManagedMatcher, type ManagedSpec } from './managed.js';
import { scanHistory, scanStaged } from './git.js';
import { ScanPool } from './pool.js';
import { ChunkScanner, scanBatch, scanFile, type BatchResult, type FileResult } from './read.js';
import { buildRules } from './rule-config.js';
import { inShard, type Shard } from '../base/shard.js';
import { SKIP_CATEGORIES, skipCategory, type Finding, type Rule, type RuleConfig, type ScanError, type SkipCounts, type Skipped } from './types.js';
import { walk, type WalkEntry } from './walk.js';

export type ScanSource = 'dir' | 'git' | 'staged' | 'stdin';

export interface ScanOptions {
  source: ScanSource;
  /** Directory or file to scan; for git sources, a directory inside the repository. */
  path: string;
  logOpts?: string;
  stdin?: AsyncIterable<Buffer | string>;
  maxBytes: number;
  /** Worker threads for directory scans (1: scan in this thread). */
  jobs: number;
  shard?: Shard;
  ruleConfig: RuleConfig;
  /** Fingerprints of known findings, not reported. */
  baseline?: Set<string>;
  decodeDepth?: number;
  /** Directory scans: a worker stuck this long in one step is stopped (see ScanPool); default STALL_MS. */
  stallMs?: number;
  /** Directory scans: honour `.gitignore` (inside a git work tree) and `.vhsecretsignore`; default true. */
  ignore?: boolean;
  /** Directory scans: scan dot files and directories; default true. */
  hidden?: boolean;
  /** scan --managed: the index of managed values; findings that are one say which, and any verbatim is a finding. */
  managed?: ManagedSpec;
}

export interface ScanReport {
  source: ScanSource;
  target: string;
  findings: Finding[];
  skipped: Skipped[];
  errors: ScanError[];
  files: number;
  bytes: number;
  commits?: number;
  /** Findings left out because the baseline holds them. */
  baselined: number;
  durationMs: number;
  rules: readonly Rule[];
  /** How many inputs were not scanned, by why (every category present, zeros included). */
  skips: SkipCounts;
  /** Of the ignored and hidden entries, how many were directories (not entered). */
  skippedDirs: number;
}

/** Below this much work, starting worker threads costs more than it saves. */
const INLINE_FILES = 200;
const INLINE_BYTES = 4 * 1024 * 1024;
const BATCH_FILES = 64;

/** `displayPath(given, rel)` for the files of one scan, without normalising the whole path each time. */
function filePaths(given: string): (rel: string) => string {
  const base = sep === '/' ? given : given.split(sep).join('/');
  if (base === '.' || base === './') return (rel) => rel;
  const root = posix.join(base, '.');
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return (rel) => prefix + rel;
}

function displayPath(given: string, rel: string): string {
  const base = sep === '/' ? given : given.split(sep).join('/');
  return base === '.' || base === './' ? rel : posix.join(base, rel);
}

async function scanDirectory(detector: Detector, options: ScanOptions, report: ScanReport): Promise<void> {
  const add = (r: FileResult) => {
    if (r.error) report.errors.push(r.error);
    if (r.skipped) report.skipped.push(r.skipped);
    if (!r.error && !(r.skipped && r.skipped.reason !== 'invalid-utf8')) report.files++;
    report.bytes += r.bytes;
    report.findings.push(...r.findings);
  };
  const addBatch = (b: BatchResult) => {
    report.files += b.clean;
    report.bytes += b.cleanBytes;
    for (const r of b.results) add(r);
  };
  const shownPath = filePaths(options.path);
  const keep = (rel: string) => {
    const shown = shownPath(rel);
    return inShard(shown, options.shard) && !detector.pathAllowed(shown);
  };

  let pending: WalkEntry[] = [];
  let pool: ScanPool | undefined;
  const startPool = () =>
    new ScanPool(Math.max(1, options.jobs), { config: options.ruleConfig, maxBytes: options.maxBytes, decodeDepth: options.decodeDepth ?? 2, ...(options.managed ? { managed: options.managed } : {}) }, addBatch, {
      ruleIds: detector.rules.map((r) => r.id),
      ...(options.stallMs !== undefined ? { stallMs: options.stallMs } : {}),
    });
  // Rules from a config file were written for Go's linear-time regex engine and may backtrack here: they run
  // only in worker threads, where the pool's watchdog can stop one that is stuck.
  const guarded = options.ruleConfig.rules.length > 0;
  const flush = () => {
    if (pending.length) pool!.submit(pending);
    pending = [];
  };
  for await (const ev of walk(options.path, { maxBytes: options.maxBytes, keep, ignore: options.ignore !== false, hidden: options.hidden !== false })) {
    if (ev.kind === 'omitted') {
      report.skips[ev.omitted.why]++;
      if (ev.omitted.isDir) report.skippedDirs++;
    } else if (ev.kind === 'error') report.errors.push({ ...ev.error, file: displayPath(options.path, ev.error.file) });
    else if (ev.kind === 'skipped') report.skipped.push({ ...ev.skipped, file: displayPath(options.path, ev.skipped.file) });
    else {
      pending.push({ abs: ev.entry.abs, rel: shownPath(ev.entry.rel) });
      if (!pool && (guarded || (options.jobs > 1 && pending.length > INLINE_FILES))) pool = startPool();
      if (pool && pending.length >= BATCH_FILES) flush();
    }
  }
  // A few files: worth the threads only when they are large (sizes are known only now; the walk does not stat).
  if (!pool && options.jobs > 1 && pending.length > 1 && totalSize(pending) > INLINE_BYTES) pool = startPool();
  if (pool) {
    flush();
    await pool.finish();
  } else addBatch(scanBatch(detector, pending, options.maxBytes));
}

function totalSize(entries: readonly WalkEntry[]): number {
  let bytes = 0;
  for (const e of entries) bytes += statSync(e.abs, { throwIfNoEntry: false })?.size ?? 0;
  return bytes;
}

async function scanOneFile(detector: Detector, options: ScanOptions, report: ScanReport): Promise<void> {
  const shown = displayPath('.', options.path.split(sep).join('/'));
  const r = scanFile(detector, options.path, shown, options.maxBytes);
  if (r.error) report.errors.push(r.error);
  else if (r.skipped?.reason === 'not-regular' || r.skipped?.reason === 'too-large') {
    // Asked to scan exactly this file and could not: that is an error (one), not a skip.
    report.errors.push({ file: shown, message: `not scanned: ${r.skipped.detail}` });
  } else {
    if (r.skipped) report.skipped.push(r.skipped);
    if (r.skipped?.reason !== 'binary') report.files++;
  }
  report.bytes += r.bytes;
  report.findings.push(...r.findings);
}

async function scanStdin(detector: Detector, options: ScanOptions, report: ScanReport): Promise<void> {
  const scanner = new ChunkScanner(detector, 'stdin');
  let open = true;
  for await (const chunk of options.stdin ?? []) {
    if (open) open = scanner.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  scanner.end();
  report.files = 1;
  report.bytes = scanner.bytes;
  if (scanner.binary) report.skipped.push({ file: 'stdin', reason: 'binary', detail: 'binary input (NUL bytes)' });
  else if (scanner.invalidUtf8) report.skipped.push({ file: 'stdin', reason: 'invalid-utf8', detail: 'not valid UTF-8: scanned as Latin-1' });
  report.findings.push(...scanner.findings);
}

/**
 * Runs one scan: builds the rules, reads the source (directory tree, single file, git history, staged changes
 * or stdin), drops baselined findings, and returns everything a reporter needs. Never prints.
 */
export async function runScan(options: ScanOptions): Promise<ScanReport> {
  const started = Date.now();
  const built = buildRules(options.ruleConfig);
  const { allowlists } = built;
  const managed = options.managed ? new ManagedMatcher(options.managed) : undefined;
  const detector = new Detector(built.rules, allowlists, { decodeDepth: options.decodeDepth ?? 2, ...(managed ? { managed } : {}) });
  // The managed-value search reports as a rule of its own (SARIF lists it), but is not one the detector runs.
  const rules = managed ? [...built.rules, MANAGED_RULE] : built.rules;
  const skips = Object.fromEntries(SKIP_CATEGORIES.map((c) => [c, 0])) as SkipCounts;
  const report: ScanReport = { source: options.source, target: options.path, findings: [], skipped: [], errors: [], files: 0, bytes: 0, baselined: 0, durationMs: 0, rules, skips, skippedDirs: 0 };

  if (options.source === 'stdin') {
    report.target = 'stdin';
    await scanStdin(detector, options, report);
  } else if (options.source === 'git' || options.source === 'staged') {
    await fs.stat(options.path).catch((err: unknown) => {
      throw new VhError('NOT_FOUND', `${options.path} does not exist`, { cause: err });
    });
    const r = options.source === 'git' ? await scanHistory(detector, options.path, options.logOpts) : await scanStaged(detector, options.path);
    report.findings = r.findings.filter((f) => inShard(f.file, options.shard));
    report.files = r.files;
    report.bytes = r.bytes;
    if (options.source === 'git') report.commits = r.commits;
  } else {
    let st: import('node:fs').Stats;
    try {
      st = await fs.stat(options.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new VhError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO', code === 'ENOENT' ? `${options.path} does not exist` : `cannot read ${options.path}: ${code ?? 'error'}`, { cause: err });
    }
    if (st.isDirectory()) await scanDirectory(detector, options, report);
    else await scanOneFile(detector, options, report);
  }

  if (options.baseline?.size) {
    const before = report.findings.length;
    report.findings = report.findings.filter((f) => !options.baseline!.has(f.fingerprint));
    report.baselined = before - report.findings.length;
  }
  report.findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || (a.commit ?? '').localeCompare(b.commit ?? '')));
  report.skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  report.errors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const s of report.skipped) {
    const c = skipCategory(s.reason);
    if (c) report.skips[c]++;
  }
  report.skips.unreadable = report.errors.length;
  report.durationMs = Date.now() - started;
  return report;
}


