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
