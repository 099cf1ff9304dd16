/**
 * Shapes shared by the scanner's parts: rules (what to look for), findings (what was found), and the record of
 * what could not be scanned. Everything here is plain data so it crosses worker threads unchanged.
 */

/** A detection rule. Built-in rules may add `validate`; rules from a config file are data only. */
export interface Rule {
  id: string;
  description: string;
  /** Lower-case literals; the rule runs only on text containing one of them. Empty: runs when `path` matches. */
  keywords: string[];
  /** Must carry the `g` and `d` flags; written so that it runs in linear time on any input. */
  regex: RegExp;
  /** Capture group holding the secret (0: the whole match). */
  secretGroup: number;
  /** Minimum Shannon entropy (bits per character) of the secret, when set. */
  entropy?: number;
  /** The rule applies only to files whose path matches. */
  path?: RegExp;
  /** What an operator should do; shown in SARIF `help`. */
  help: string;
  tags: string[];
  /** Allowlists of this rule only (a finding any of them allows is dropped). */
  allowlists?: Allowlist[];
  /** Extra check on a candidate; `text` is the scanned text and `index` where the match starts. */
  validate?: (secret: string, match: RegExpExecArray, text: string) => boolean;
}

/**
 * When a finding is allowed: `or` (the default), when any of the lists' criteria holds; `and` (gitleaks
 * `condition = "AND"`), when every criterion that is set holds (commit, path, regex, stopword).
 */
export type AllowlistCondition = 'or' | 'and';

export interface Allowlist {
  condition?: AllowlistCondition;
  /** Regexes tested against the secret (or the whole match / line, per `regexTarget`). */
  regexes: RegExp[];
  regexTarget: 'secret' | 'match' | 'line';
  /** Lower-case substrings that make a secret a placeholder. */
  stopwords: string[];
  /** File paths (relative, forward slashes) never reported. */
  paths: RegExp[];
  /** Git commits never reported. */
  commits: string[];
}

/** Serialisable rule configuration: what workers need to rebuild the same rule set. */
export interface RuleSpec {
  id: string;
  description: string;
  keywords: string[];
  regex: string;
  flags: string;
  secretGroup: number;
  entropy?: number;
  path?: string;
  tags: string[];
  allowlists?: AllowlistSpec[];
}

export interface AllowlistSpec {
  condition?: AllowlistCondition;
  regexes: string[];
  regexTarget: 'secret' | 'match' | 'line';
  stopwords: string[];
  paths: string[];
  commits: string[];
}

export interface RuleConfig {
  /** Include the built-in rules. */
  useDefault: boolean;
  disabledRules: string[];
  rules: RuleSpec[];
  allowlists: AllowlistSpec[];
  /** Where this configuration came from, for messages. */
  sources: string[];
}

/** Where a managed value lives (scan --managed): what a finding says it is. */
export interface ManagedRef {
  /** `store:name`, with `#field` when the value is one field of a JSON object. */
  ref: string;
  version: string;
  /** The secret's current version (true), or an earlier one still kept. */
  current: boolean;
}

/** A match as the detector sees it, before it is tied to a source. Lines and columns are 1-based. */
export interface RawFinding {
  ruleId: string;
  secret: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** Set when the secret was found inside base64 or percent-encoded text. */
  decoded?: 'base64' | 'percent';
  /** scan --managed: the managed secret (and version) this value is. */
  managed?: ManagedRef;
}

export interface Finding extends RawFinding {
  description: string;
  /** Path relative to the scanned root, forward slashes; `-` for stdin. */
  file: string;
  /** rule + file + SHA-256 of the secret; survives line shifts. */
  fingerprint: string;
  commit?: string;
  author?: string;
  email?: string;
  date?: string;
}

export type SkipReason = 'binary' | 'too-large' | 'not-regular' | 'symlink-loop' | 'broken-symlink' | 'invalid-utf8';

/** A file that was not scanned, or scanned with a caveat (`invalid-utf8`: scanned as Latin-1). */
export interface Skipped {
  file: string;
  reason: SkipReason;
  detail: string;
}

/**
 * Why inputs were not scanned, counted for the summary: left out by an ignore file, hidden (`--no-hidden`),
 * binary, over the size limit, special (FIFO, socket, device), a symlink loop or a link to nothing, unreadable
 * (the errors). A directory left out counts once: its contents are not walked.
 */
export type SkipCategory = 'ignored' | 'hidden' | 'binary' | 'too-large' | 'special' | 'symlink' | 'unreadable';

export type SkipCounts = Record<SkipCategory, number>;

export const SKIP_CATEGORIES: readonly SkipCategory[] = ['ignored', 'hidden', 'binary', 'too-large', 'special', 'symlink', 'unreadable'];

export function skipCategory(reason: SkipReason): SkipCategory | undefined {
  switch (reason) {
    case 'binary':
    case 'too-large':
      return reason;
    case 'not-regular':
      return 'special';
    case 'symlink-loop':
    case 'broken-symlink':
      return 'symlink';
    case 'invalid-utf8':
      return undefined;
  }
}

/** Something the scan was asked to read and could not. Any of these makes the scan exit 2. */
export interface ScanError {
  file: string;
  message: string;
}
