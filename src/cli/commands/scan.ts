import { promises as fs } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { VhError, exitCodeFor, isVhError } from '../../base/errors.js';
import { writeFileAtomic } from '../../base/fsutil.js';
import type { CommandContext } from '../context.js';
import type { ScanOptions } from './scan.spec.js';

/** `scan` exit codes: 0 clean (or findings without --fail-on-secrets), 1 findings, 2 could not read the input. */
const SCAN_EXIT = { CLEAN: 0, FINDINGS: 1, SCAN_ERROR: 2 } as const;
const DEFAULT_MAX_FILE_MB = 10;


function readVersion(): Promise<string> {
  return fs
    .readFile(new URL('../../../../package.json', import.meta.url), 'utf8')
    .then((t) => (JSON.parse(t) as { version?: string }).version ?? '0.0.0')
    .catch(() => '0.0.0');
}

function positiveNumber(text: string, flag: string, integer: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new VhError('USAGE', `${flag} must be a positive ${integer ? 'integer' : 'number'}, not "${text}"`);
  return n;
}

async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function run(ctx: CommandContext, [positional]: string[], opts: ScanOptions): Promise<number> {
  try {
    return await scan(ctx, positional, opts);
  } catch (err) {
    if (!isVhError(err)) throw err;
    // Usage, configuration and output errors keep their own codes; anything that stopped the scan reading
    // its input is a scan error (2), so CI never mistakes an unread tree for a clean one.
    const own = ['USAGE', 'CONFIG', 'CANT_CREATE'].includes(err.code);
    ctx.io.err(`vh-secrets: error: ${err.message}`);
    if (err.hint) ctx.io.err(`  hint: ${err.hint}`);
    return own ? exitCodeFor(err.code) : SCAN_EXIT.SCAN_ERROR;
  }
}

async function scan(ctx: CommandContext, positional: string | undefined, opts: ScanOptions): Promise<number> {
  const { runScan } = await import('../../scan/index.js');
  const { DEFAULT_RULE_CONFIG, loadRulesFile, mergeRuleConfigs, scanSectionConfig } = await import('../../scan/rule-config.js');
  const { parseShard } = await import('../../base/shard.js');

  const sources = [opts.git && 'git', opts.staged && 'staged', opts.stdin && 'stdin'].filter(Boolean) as ('git' | 'staged' | 'stdin')[];
  if (sources.length > 1) throw new VhError('USAGE', `choose one of --git, --staged and --stdin, not ${sources.map((s) => `--${s}`).join(' and ')}`);
  if (positional !== undefined && opts.path !== undefined && resolve(positional) !== resolve(opts.path)) throw new VhError('USAGE', 'give the path either as an argument or with --path, not both');
  if (opts.logOpts !== undefined && !opts.git) throw new VhError('USAGE', '--log-opts needs --git');
  if (sources.length && (opts.ignore === false || opts.hidden === false)) throw new VhError('USAGE', `--no-ignore and --no-hidden apply to files and directories, not to --${sources[0]}`);
  const source = sources[0] ?? 'dir';
  const path = positional ?? opts.path ?? '.';
  const format = ctx.io.json && opts.format === 'text' ? 'json' : (opts.format ?? 'text');
  const redact = opts.redact !== false;
  const jobs = opts.jobs === undefined ? availableParallelism() : positiveNumber(opts.jobs, '--jobs', true);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);

  let ruleConfig = { ...DEFAULT_RULE_CONFIG };
  let maxMb = DEFAULT_MAX_FILE_MB;
  // The vh-secrets config (global --config, VH_SECRETS_CONFIG, ./vh-secrets.toml, ~/.config) with its [scan] table.
  const section = (await ctx.runtime()).config.scan;
  if (section) {
    ruleConfig = await scanSectionConfig(section.section, section.file, (p) => resolve(dirname(section.file), p));
    if (section.section.max_file_size_mb !== undefined) maxMb = positiveNumber(String(section.section.max_file_size_mb), 'scan.max_file_size_mb', false);
  }
  if (opts.rules !== undefined) ruleConfig = mergeRuleConfigs(ruleConfig, await loadRulesFile(opts.rules));
  else if (source !== 'stdin') {
    const root = await fs.stat(path).then((s) => (s.isDirectory() ? path : dirname(path)), () => path);
    const gitleaks = join(root, '.gitleaks.toml');
    if (await exists(gitleaks)) {
      ruleConfig = mergeRuleConfigs(ruleConfig, await loadRulesFile(gitleaks));
      ctx.io.note(`vh-secrets: using rules from ${gitleaks}`);
    }
  }
  if (opts.maxFileSize !== undefined) maxMb = positiveNumber(opts.maxFileSize, '--max-file-size', false);

  const configManaged = section?.section.managed;
  if (configManaged !== undefined && typeof configManaged !== 'boolean') throw new VhError('CONFIG', `${section!.file}: scan.managed must be true or false`);
  if (opts.rotateLeaked && opts.managed === false) throw new VhError('USAGE', '--rotate-leaked needs --managed');
  if ((opts.dryRun || opts.force) && !opts.rotateLeaked) throw new VhError('USAGE', `${opts.dryRun ? '--dry-run' : '--force'} applies to --rotate-leaked`);
  const managed = opts.managed === true || opts.rotateLeaked === true || configManaged === true ? await openManagedIndex(ctx) : undefined;

  let baseline: Set<string> | undefined;
  if (opts.baseline !== undefined) {
    const { loadBaseline } = await import('../../scan/baseline.js');
    baseline = await loadBaseline(opts.baseline);
  }

  const report = await runScan({
    source,
    path,
    ...(opts.logOpts !== undefined ? { logOpts: opts.logOpts } : {}),
    ...(source === 'stdin' ? { stdin: ctx.io.streams.stdin as AsyncIterable<Buffer> } : {}),
    maxBytes: Math.floor(maxMb * 1024 * 1024),
    jobs,
    ...(shard ? { shard } : {}),
    ruleConfig,
    ...(baseline ? { baseline } : {}),
    ignore: opts.ignore !== false,
    hidden: opts.hidden !== false,
    ...(managed ? { managed: managed.index.spec } : {}),
  });
  if (managed) await sayFreshness(ctx, managed);

  const version = await readVersion();
  let rendered: string;
  if (format === 'sarif') rendered = (await import('../../scan/reporters/sarif.js')).renderSarif(report, { version });
  else if (format === 'json') rendered = (await import('../../scan/reporters/json.js')).renderJson(report, { version, redact });
  else rendered = (await import('../../scan/reporters/text.js')).renderText(report, { redact, chalk: await ctx.io.chalk() });

  const binaries = report.skipped.filter((s) => s.reason === 'binary').length;
  for (const s of report.skipped) if (s.reason !== 'binary') ctx.io.note(`vh-secrets: ${s.reason === 'invalid-utf8' ? 'note' : 'skipped'}: ${s.file}: ${s.detail}`);
  if (binaries) ctx.io.note(`vh-secrets: skipped ${binaries} binary file${binaries === 1 ? '' : 's'}`);
  // One unreadable input is one line; several get one line each and a closing one.
  if (report.errors.length === 1) ctx.io.err(`vh-secrets: error: ${report.errors[0]!.file}: ${report.errors[0]!.message}; the scan is incomplete`);
  else if (report.errors.length > 1) {
    for (const e of report.errors) ctx.io.err(`vh-secrets: error: ${e.file}: ${e.message}`);
    ctx.io.err(`vh-secrets: error: ${report.errors.length} inputs could not be read; the scan is incomplete`);
  }

  // Findings join the audit trail (rule, file, line, fingerprint — never the secret).
  if (report.findings.length > 0) {
    const { recordScanFindings } = await import('../../audit/review.js');
    await recordScanFindings((await ctx.runtime()).audit, report.findings);
  }

  if (opts.output !== undefined) {
    try {
      // An unredacted report holds live secrets: keep it private to its owner (a new file, whatever was there).
      await writeFileAtomic(opts.output, rendered, redact ? 0o644 : 0o600);
    } catch (err) {
      const code = ((err as { cause?: NodeJS.ErrnoException }).cause ?? (err as NodeJS.ErrnoException)).code;
      const why = code === 'ENOENT' ? 'its directory does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : code === 'ENOSPC' ? 'no space left on the device' : 'the file could not be written';
      throw new VhError('CANT_CREATE', `cannot write ${opts.output}: ${why}`, { cause: err });
    }
    if (format !== 'text') {
      const { describeSkips } = await import('../../scan/reporters/skips.js');
      ctx.io.note(`vh-secrets: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} in ${report.files} file${report.files === 1 ? '' : 's'} (${describeSkips(report)}); ${format} report written to ${opts.output}`);
    }
    else ctx.io.note(rendered.trimEnd().split('\n').pop()!);
  } else ctx.io.out(rendered);

  let incidentFailed = false;
  if (opts.rotateLeaked) {
    const { rotateLeaked } = await import('../leaked.js');
    incidentFailed = !(await rotateLeaked(ctx, report.findings, { dryRun: opts.dryRun === true, force: opts.force === true }));
  }

  if (report.errors.length || incidentFailed) return SCAN_EXIT.SCAN_ERROR;
  if (report.findings.length && opts.failOnSecrets) return SCAN_EXIT.FINDINGS;
  return SCAN_EXIT.CLEAN;
}

interface ManagedIndex {
  index: import('../../core/value-index.js').LoadedIndex;
  /** The stores' current versions, asked while the scan runs. */
  freshness: Promise<import('../../core/value-index-build.js').Freshness>;
}

async function openManagedIndex(ctx: CommandContext): Promise<ManagedIndex> {
  const rt = await ctx.runtime();
  const { loadIndex } = await import('../../core/value-index.js');
  const index = await loadIndex(rt.config.paths);
  if (!index) throw new VhError('CONFIG', 'there is no index of managed values to match against', { hint: 'build it with `vh-secrets index` (and again after rotations made elsewhere)' });
  const { indexFreshness } = await import('../../core/value-index-build.js');
  const freshness = indexFreshness(rt, index);
  freshness.catch(() => undefined);
  return { index, freshness };
}

function age(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 1) return 'less than a minute';
  if (m < 120) return `${m} minute${m === 1 ? '' : 's'}`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} hours` : `${Math.round(h / 24)} days`;
}

/** How old the index is, and whether the stores have moved on since (said on stderr). */
async function sayFreshness(ctx: CommandContext, managed: ManagedIndex): Promise<void> {
  const { index } = managed;
  ctx.io.note(`vh-secrets: matched against ${index.spec.entries.length} fingerprints of ${index.secrets.size} managed secrets; index built ${age(Date.now() - index.builtAt.getTime())} ago${index.updatedAt > index.builtAt ? `, updated ${age(Date.now() - index.updatedAt.getTime())} ago` : ''}`);
  const f = await managed.freshness.catch((err: unknown) => ({ changed: [], unindexed: 0, unreachable: [{ store: '*', message: (err as Error).message }] }));
  if (f.changed.length || f.unindexed) {
    const what = [f.changed.length ? `${f.changed.length} secret${f.changed.length === 1 ? ' has' : 's have'} a newer current version (${f.changed.slice(0, 3).join(', ')}${f.changed.length > 3 ? ', …' : ''})` : '', f.unindexed ? `${f.unindexed} secret${f.unindexed === 1 ? ' is' : 's are'} not in it` : ''].filter(Boolean).join(' and ');
    ctx.io.err(`vh-secrets: warning: the index is stale: ${what}; run \`vh-secrets index\``);
  }
  for (const u of f.unreachable) ctx.io.err(`vh-secrets: warning: could not tell whether the index is current for store ${u.store}: ${u.message}`);
}


