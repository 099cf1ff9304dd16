import { crc32 } from 'node:zlib';
import type { Rule } from '../types.js';

export interface RuleInput extends Omit<Rule, 'secretGroup' | 'tags' | 'regex'> {
  regex: RegExp;
  secretGroup?: number;
  tags?: string[];
}

/** Fills a rule's defaults and gives its regex the flags the detector relies on (`g` to iterate, `d` for offsets). */
export function defineRule(input: RuleInput): Rule {
  const flags = new Set(input.regex.flags.split(''));
  flags.add('g');
  flags.add('d');
  return {
    ...input,
    regex: new RegExp(input.regex.source, [...flags].join('')),
    secretGroup: input.secretGroup ?? 1,
    tags: input.tags ?? ['secret'],
  };
}

/** Text just before `index` (at most `n` characters), for rules that look at what precedes a match. */
export function before(text: string, index: number, n: number): string {
  return text.slice(Math.max(0, index - n), index);
}

/** Standard advice, followed by what is specific to the credential. */
export function help(specific: string): string {
  return `${specific} Treat the value as compromised: revoke or rotate it at its issuer, remove it from the code and from git history, and load it at run time from a secret store (e.g. \`vh-secrets get\`). If this is a test value, mark the line with a \`vh-secrets:allow\` comment or add it to the baseline.`;
}

/** Regex source of a UUID (lower-case hex; rules that take upper case too are case-insensitive). */
export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

export interface TokenRuleInput extends Omit<RuleInput, 'regex' | 'keywords'> {
  /** Regex source of the whole token (prefix and body); it becomes capture group 1. */
  token: string;
  /** Lower-case literals the token contains (usually its prefix). */
  keywords: string[];
  flags?: string;
}

/**
 * A credential recognisable by its own shape (`dop_v1_` + 64 hex): the token, not continuing a longer word on
 * either side. Every quantifier in `token` is bounded, so the rule runs in linear time.
 */
export function tokenRule(input: TokenRuleInput): Rule {
  const { token, flags, ...rest } = input;
  return defineRule({
    entropy: 3.0,
    ...rest,
    regex: new RegExp(`(?<![A-Za-z0-9_-])(${token})(?![A-Za-z0-9_-])`, flags ?? ''),
  });
}

export interface ContextRuleInput extends Omit<RuleInput, 'regex' | 'keywords'> {
  /** Lower-case names that must precede the value (`datadog`, `dd_api_key`); also the rule's keywords. */
  names: string[];
  /** Regex source of the value: a shape too common to report without the vendor's name in front of it. */
  value: string;
  /** Extra names whose presence selects the rule but that are written in `nameSource` instead. */
  keywords?: string[];
  /** Regex source matching the names, when they are not plain literals. */
  nameSource?: string;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A value of a generic shape (32 hex, a UUID) assigned to a name that says whose it is:
 * `DATADOG_API_KEY=…`, `datadog.app_key: "…"`, `("datadog_api_key", "…")`, also inside JSON with escaped quotes.
 * Case-insensitive, names and value alike.
 */
export function contextRule(input: ContextRuleInput): Rule {
  const { names, value, nameSource, keywords, ...rest } = input;
  const name = nameSource ?? names.map(escapeRegex).join('|');
  return defineRule({
    entropy: 3.0,
    ...rest,
    keywords: keywords ?? names,
    regex: new RegExp(
      `(?:${name})[\\w.-]{0,30}?(?:\\\\?["'])?[ \\t]{0,3}(?::=|=>|[:=]|,)[ \\t]{0,3}(?:\\\\?["'\`])?(${value})(?![A-Za-z0-9_-])`,
      'i',
    ),
  });
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * GitHub's (2021) and npm's token format: `prefix_`, 30 random base62 characters, then their CRC32 as 6 base62
 * digits. A token of that shape whose checksum does not hold was made up (an example, a placeholder): no issuer
 * would accept it. Bodies of other lengths (newer, longer server tokens) carry no checksum we know: kept.
 */
export function base62ChecksumHolds(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1);
  if (body.length !== 36) return true;
  let sum = 0;
  for (const ch of body.slice(30)) {
    const digit = BASE62.indexOf(ch);
    if (digit < 0) return false;
    sum = sum * 62 + digit;
  }
  return sum === crc32(body.slice(0, 30));
}
