import { createHash } from 'node:crypto';
import { shannonEntropy } from './entropy.js';
import { isExampleValue, isProtectedValue } from './placeholders.js';
import { MANAGED_RULE, MANAGED_RULE_ID, refOf, type ManagedMatcher } from './managed.js';
import { base64Runs, isSpace, KeywordIndex } from './prefilter.js';
import type { Allowlist, Finding, Rule } from './types.js';

const INLINE_ALLOW = ['vh-secrets:allow', 'gitleaks:allow'];
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/g;
/** Where a percent-encoded segment ends: white space, a quote or an angle bracket (`/[\s"'<>`]/`). */
function endsSegment(c: number): boolean {
  return c === 0x22 || c === 0x27 || c === 0x3c || c === 0x3e || c === 0x60 || isSpace(c);
}
const MAX_SEGMENT = 4096;

/**
 * Slots of an Int32Array (over a SharedArrayBuffer) where a detector in a worker thread shows what it is doing,
 * so the thread that started it can tell a stuck scan from a slow one and name the rule that got stuck.
 */
export const PROGRESS = {
  /** Files started by this thread so far. */
  file: 0,
  /** Position + 1 in `Detector.rules` of the rule running now; 0 between rules. */
  rule: 1,
  /** Bumped at every step (each file, each rule on each text or chunk, each match): unchanged for long means
   * stuck inside one regex run. */
  beat: 2,
} as const;

export interface DetectorOptions {
  /** How many layers of base64 / percent-encoding to look through (0: none). */
  decodeDepth?: number;
  /** Values vh-secrets manages (scan --managed): findings that are one say so, and any verbatim is a finding. */
  managed?: ManagedMatcher;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** rule + file + hash of the secret: stable when lines move, different when the secret changes. */
export function fingerprintOf(ruleId: string, file: string, secret: string): string {
  return sha256Hex(`${ruleId}\0${file}\0${sha256Hex(secret)}`).slice(0, 32);
}

/** A finding not yet placed: `place` sets its lines and columns. */
function newFinding(ruleId: string, description: string, file: string, secret: string): Finding {
  return { ruleId, description, file, secret, line: 0, column: 0, endLine: 0, endColumn: 0, fingerprint: fingerprintOf(ruleId, file, secret) };
}

/** Maps offsets in a text to 1-based line and column, computing line starts only once something is found. */
class LineIndex {
  private starts: number[] | undefined;
  constructor(private readonly text: string) {}

  locate(offset: number): { line: number; column: number } {
    if (!this.starts) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.starts = starts;
    }
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }
}

/** How far either side of a finding its "line" reaches, so a huge one-line file costs each finding the same. */
const LINE_WINDOW = 4096;

/** The line holding `offset` (at most LINE_WINDOW characters either side of it), for inline markers and allowlists. */
function lineAround(text: string, offset: number): string {
  const floor = Math.max(0, offset - LINE_WINDOW);
  let start = offset;
  while (start > floor && text.charCodeAt(start - 1) !== 0x0a) start--;
  const ceiling = Math.min(text.length, offset + LINE_WINDOW);
  let end = offset;
  while (end < ceiling && text.charCodeAt(end) !== 0x0a) end++;
  return text.slice(start, end);
}

function isMostlyPrintable(text: string): boolean {
  let printable = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13) printable++;
  }
  return printable >= text.length * 0.95;
}

function percentDecode(segment: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const ch = segment.charCodeAt(i);
    if (ch === 0x25 && i + 2 < segment.length + 0 && /^[0-9A-Fa-f]{2}$/.test(segment.slice(i + 1, i + 3))) {
      bytes.push(parseInt(segment.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) bytes.push(ch);
    else bytes.push(...Buffer.from(segment[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Where a text comes from. */
interface Source {
  file: string;
  commit?: string | undefined;
}

/** A candidate finding, as allowlists see it. */
interface Candidate extends Source {
  secret: string;
  match: string;
  line: string;
}

/** Whether an allowlist drops `c`: any criterion it sets (`or`), or every one (`and`, gitleaks `condition = "AND"`). */
function allows(a: Allowlist, c: Candidate): boolean {
  const checks: boolean[] = [];
  if (a.commits.length) checks.push(c.commit !== undefined && a.commits.some((x) => c.commit!.startsWith(x)));
  if (a.paths.length) checks.push(a.paths.some((p) => p.test(c.file)));
  if (a.regexes.length) {
    const target = a.regexTarget === 'match' ? c.match : a.regexTarget === 'line' ? c.line : c.secret;
    checks.push(a.regexes.some((re) => re.test(target)));
  }
  if (a.stopwords.length) {
    const lower = c.secret.toLowerCase();
    checks.push(a.stopwords.some((w) => lower.includes(w)));
  }
  return a.condition === 'and' ? checks.length > 0 && checks.every(Boolean) : checks.some(Boolean);
}

/** An allowlist whose `criterion` alone decides: an `or` list, or an `and` list that sets nothing else. */
function decidesAlone(a: Allowlist, criterion: 'paths' | 'commits'): boolean {
  if (a.condition !== 'and') return true;
  const others = (['paths', 'commits', 'regexes', 'stopwords'] as const).filter((k) => k !== criterion);
  return others.every((k) => a[k].length === 0);
}

/**
 * The parts of a text already reported, as disjoint sorted intervals (overlapping ones are merged), so asking
 * whether a candidate overlaps one is a binary search and thousands of findings in one text stay linear-ish.
 */
class Spans {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  /** Index of the last interval starting before `end`, or -1. */
  private lastBefore(end: number): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  overlaps(start: number, end: number): boolean {
    const i = this.lastBefore(end);
    return i >= 0 && this.ends[i]! > start;
  }

  add(start: number, end: number): void {
    const i = this.lastBefore(end);
    let from = i;
    // Merge every interval that overlaps or touches [start, end).
    while (from >= 0 && this.ends[from]! >= start) {
      start = Math.min(start, this.starts[from]!);
      end = Math.max(end, this.ends[from]!);
      from--;
    }
    this.starts.splice(from + 1, i - from, start);
    this.ends.splice(from + 1, i - from, end);
  }
}

/**
 * The matching engine. One case-insensitive search for every rule keyword decides which rules run on a text;
 * each candidate then passes entropy, the rule's own check, the built-in example allowlist, configured
 * allowlists and inline `vh-secrets:allow` / `gitleaks:allow` comments. Encoded text is decoded and scanned
 * again, to a bounded depth.
 */
export class Detector {
  readonly rules: readonly Rule[];
  private readonly byId = new Map<string, Rule>();
  private readonly position = new Map<Rule, number>();
  /** Where to show progress (see PROGRESS); set in worker threads that a watchdog looks after. */
  progress: Int32Array | undefined;
  private readonly keywords: KeywordIndex;
  /** By position in `keywords.keywords`: the rules that keyword selects. */
  private readonly rulesByKeyword: Rule[][];
  private readonly pathRules: Rule[];
  private readonly decodeDepth: number;
  private readonly managed: ManagedMatcher | undefined;

  constructor(
    rules: readonly Rule[],
    private readonly allowlists: readonly Allowlist[] = [],
    options: DetectorOptions = {},
  ) {
    this.rules = rules;
    this.decodeDepth = options.decodeDepth ?? 2;
    this.managed = options.managed;
    rules.forEach((rule, i) => {
      this.byId.set(rule.id, rule);
      this.position.set(rule, i);
    });
    this.keywords = new KeywordIndex(rules.flatMap((r) => r.keywords));
    this.rulesByKeyword = this.keywords.keywords.map((k) => rules.filter((r) => r.keywords.some((w) => w.toLowerCase() === k)));
    this.pathRules = rules.filter((r) => r.keywords.length === 0);
  }

  rule(id: string): Rule | undefined {
    return this.byId.get(id);
  }

  /** A path that a configured allowlist excludes from every rule, whatever the file holds. */
  pathAllowed(file: string): boolean {
    return this.allowlists.some((a) => a.paths.length > 0 && decidesAlone(a, 'paths') && a.paths.some((p) => p.test(file)));
  }

  /** A commit that a configured allowlist excludes from every rule, whatever it changed. */
  commitAllowed(commit: string): boolean {
    return this.allowlists.some((a) => a.commits.length > 0 && decidesAlone(a, 'commits') && a.commits.some((c) => commit.startsWith(c)));
  }

  /**
   * Findings in `text`, which is the content of `file` starting at line `lineOffset + 1` (in `commit`, for
   * history: allowlists may name commits). Secrets are kept whole here; reporters mask them.
   */
  scan(text: string, file: string, lineOffset = 0, commit?: string): Finding[] {
    const found: Finding[] = [];
    const index = new LineIndex(text);
    this.scanInto(text, { file, commit }, 0, found, new Spans(), (start, end, f) => {
      const a = index.locate(start);
      const b = index.locate(Math.max(start, end - 1));
      f.line = a.line + lineOffset;
      f.column = a.column;
      f.endLine = b.line + lineOffset;
      f.endColumn = b.column + 1;
    });
    return found;
  }

  private selectRules(text: string, file: string): Rule[] {
    const selected = new Set<Rule>();
    const found = this.keywords.find(text);
    for (let k = 0; k < found.length; k++) if (found[k] === 1) for (const r of this.rulesByKeyword[k]!) selected.add(r);
    // Rules without keywords run on every text (gitleaks semantics), limited by their path when they have one.
    for (const r of this.pathRules) if (!r.path || r.path.test(file)) selected.add(r);
    // Keep the declared order: specific rules report before generic ones claim the same span.
    return this.rules.filter((r) => selected.has(r) && (!r.path || r.path.test(file)));
  }

  private allowed(rule: Rule, candidate: Candidate): boolean {
    if (isExampleValue(candidate.secret) || isProtectedValue(candidate.secret)) return true;
    return (rule.allowlists ?? []).some((a) => allows(a, candidate)) || this.allowlists.some((a) => allows(a, candidate));
  }

  private scanInto(text: string, source: Source, depth: number, found: Finding[], spans: Spans, place: (start: number, end: number, f: Finding) => void): void {
    const file = source.file;
    const progress = this.progress;
    const here: { start: number; end: number; finding: Finding }[] = [];
    for (const rule of this.selectRules(text, file)) {
      const re = rule.regex;
      re.lastIndex = 0;
      if (progress) {
        Atomics.store(progress, PROGRESS.rule, this.position.get(rule)! + 1);
        Atomics.add(progress, PROGRESS.beat, 1);
      }
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (progress) Atomics.add(progress, PROGRESS.beat, 1);
        if (m[0].length === 0) re.lastIndex++;
        const secret = m[rule.secretGroup];
        const at = m.indices?.[rule.secretGroup];
        if (secret === undefined || secret === '' || !at) continue;
        const [start, end] = at;
        if (spans.overlaps(start, end)) continue;
        if (rule.entropy !== undefined && shannonEntropy(secret) < rule.entropy) continue;
        if (rule.validate && !rule.validate(secret, m, text)) continue;
        const line = lineAround(text, start);
        if (INLINE_ALLOW.some((marker) => line.includes(marker))) continue;
        if (this.allowed(rule, { secret, match: m[0], line, ...source })) continue;
        const finding = newFinding(rule.id, rule.description, file, secret);
        place(start, end, finding);
        spans.add(start, end);
        found.push(finding);
        if (this.managed) here.push({ start, end, finding });
      }
    }
    if (progress) Atomics.store(progress, PROGRESS.rule, 0);
    if (this.managed) this.matchManaged(this.managed, text, file, here, found, spans, place);
    if (depth < this.decodeDepth) this.scanEncoded(text, source, depth, found, spans, place);
  }

  /**
   * With an index of managed values: a rule's finding that is one names it, and a managed value found verbatim
   * where no rule matched is a finding of its own (`managed-secret`). Allow comments and the example-value
   * allowlist do not hide these — a value vh-secrets manages is never a false positive; a baseline can.
   */
  private matchManaged(
    managed: ManagedMatcher,
    text: string,
    file: string,
    here: readonly { start: number; end: number; finding: Finding }[],
    found: Finding[],
    spans: Spans,
    place: (start: number, end: number, f: Finding) => void,
  ): void {
    for (const h of here) {
      const r = managed.lookup(h.finding.secret);
      if (r) h.finding.managed = refOf(r);
    }
    for (const hit of managed.find(text)) {
      const over = here.find((h) => h.start < hit.end && hit.start < h.end);
      if (over) {
        over.finding.managed ??= refOf(hit.entry);
        continue;
      }
      if (spans.overlaps(hit.start, hit.end)) continue;
      const secret = text.slice(hit.start, hit.end);
      const finding: Finding = { ...newFinding(MANAGED_RULE_ID, MANAGED_RULE.description, file, secret), managed: refOf(hit.entry) };
      place(hit.start, hit.end, finding);
      spans.add(hit.start, hit.end);
      found.push(finding);
    }
  }

  private scanEncoded(text: string, source: Source, depth: number, found: Finding[], spans: Spans, place: (start: number, end: number, f: Finding) => void): void {
    const decodedScan = (start: number, end: number, decoded: string, kind: 'base64' | 'percent') => {
      const inner: Finding[] = [];
      // Newlines around it: the decoded text is a value of its own, so a nested base64 run has its delimiters.
      this.scanInto(`\n${decoded}\n`, source, depth + 1, inner, new Spans(), () => undefined);
      for (const f of inner) {
        // Already reported from the text as it is: a percent-encoded value is the same secret decoded, and a value
        // holding `%20` or `%0C` (a password may) decodes to pieces of itself.
        if (found.some((g) => g.ruleId === f.ruleId && (g.secret === f.secret || (kind === 'percent' && percentDecode(g.secret).includes(f.secret))))) continue;
        if (!INLINE_ALLOW.some((marker) => lineAround(text, start).includes(marker))) {
          f.decoded = kind;
          place(start, end, f);
          found.push(f);
        }
      }
      spans.add(start, end);
    };

    const runs = base64Runs(text);
    for (let r = 0; r < runs.length; r += 2) {
      const start = runs[r]!;
      const end = runs[r + 1]!;
      if (spans.overlaps(start, end)) continue;
      const decoded = Buffer.from(text.slice(start, end), 'base64').toString('latin1');
      if (decoded.length >= 12 && isMostlyPrintable(decoded)) decodedScan(start, end, Buffer.from(decoded, 'latin1').toString('utf8'), 'base64');
    }

    if (text.indexOf('%') === -1) return;
    const pct = new RegExp(PERCENT_ESCAPE.source, 'g');
    let doneUntil = -1;
    for (let m = pct.exec(text); m; m = pct.exec(text)) {
      if (m.index < doneUntil) continue;
      let start = m.index;
      const floor = Math.max(0, start - MAX_SEGMENT);
      while (start > floor && !endsSegment(text.charCodeAt(start - 1))) start--;
      let end = m.index;
      const ceiling = Math.min(text.length, m.index + MAX_SEGMENT);
      while (end < ceiling && !endsSegment(text.charCodeAt(end))) end++;
      doneUntil = end;
      pct.lastIndex = end;
      const segment = text.slice(start, end);
      const decoded = percentDecode(segment);
      if (decoded !== segment) decodedScan(start, end, decoded, 'percent');
    }
  }
}
