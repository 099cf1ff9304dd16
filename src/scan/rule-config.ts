import { promises as fs } from 'node:fs';
import { VhError } from '../base/errors.js';
import { BUILTIN_RULES } from './rules/index.js';
import { help } from './rules/define.js';
import type { Allowlist, AllowlistSpec, Rule, RuleConfig, RuleSpec } from './types.js';

/**
 * Rule configuration: the built-in rules, plus rules and allowlists from a `.gitleaks.toml`-style file
 * (`--rules`, or `.gitleaks.toml` in the scanned root) and from the `[scan]` section of the vh-secrets config.
 * Everything here is data until `buildRules` compiles it, so workers get the same rules from the same config.
 */

export const DEFAULT_RULE_CONFIG: RuleConfig = { useDefault: true, disabledRules: [], rules: [], allowlists: [], sources: [] };

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new VhError('CONFIG', `${where} must be a list of strings`);
  return v as string[];
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'A-Za-z0-9', alpha: 'A-Za-z', digit: '0-9', lower: 'a-z', upper: 'A-Z', space: '\\s', xdigit: '0-9A-Fa-f',
  word: '\\w', punct: '!-\\/:-@\\[-`{-~', blank: ' \\t', cntrl: '\\x00-\\x1f\\x7f', print: '\\x20-\\x7e', graph: '\\x21-\\x7e',
};

/** Go (RE2) regex syntax to JavaScript: inline flags, named groups, POSIX classes, `\z`. */
export function goRegexToJs(source: string): { source: string; flags: string } {
  const flags = new Set<string>();
  let s = source.replace(/\(\?([imsU]+)\)/g, (_m, f: string) => {
    for (const c of f) if (c !== 'U') flags.add(c);
    return '';
  });
  s = s.replace(/\(\?P</g, '(?<').replace(/\\z/g, '$').replace(/\\A/g, '^');
  s = s.replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => (POSIX_CLASSES[name] && !neg ? POSIX_CLASSES[name]! : m));
  return { source: s, flags: [...flags].join('') };
}

function compile(source: string, flags: string, where: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new VhError('CONFIG', `${where}: invalid regex: ${(err as Error).message}`, { cause: err });
  }
}

function compileGo(source: string, where: string, extraFlags = ''): RegExp {
  const js = goRegexToJs(source);
  return compile(js.source, [...new Set((js.flags + extraFlags).split(''))].join(''), where);
}

export function compileAllowlist(spec: AllowlistSpec, where: string): Allowlist {
  return {
    ...(spec.condition === 'and' ? { condition: 'and' as const } : {}),
    regexes: spec.regexes.map((r, i) => compileGo(r, `${where} regexes[${i}]`)),
    regexTarget: spec.regexTarget,
    stopwords: spec.stopwords.map((w) => w.toLowerCase()),
    paths: spec.paths.map((p, i) => compileGo(p, `${where} paths[${i}]`)),
    commits: spec.commits,
  };
}

/** Compiles a configuration into the rule set and global allowlists the detector uses. */
export function buildRules(config: RuleConfig): { rules: Rule[]; allowlists: Allowlist[] } {
  const custom = new Map<string, Rule>();
  for (const spec of config.rules) {
    const where = `rule "${spec.id}"`;
    const re = compileGo(spec.regex, where, `${spec.flags}gd`);
    const rule: Rule = {
      id: spec.id,
      description: spec.description || spec.id,
      keywords: spec.keywords.map((k) => k.toLowerCase()),
      regex: re,
      secretGroup: spec.secretGroup,
      help: help(spec.description || `Matched the configured rule ${spec.id}.`),
      tags: spec.tags.length ? spec.tags : ['secret'],
    };
    if (spec.entropy !== undefined) rule.entropy = spec.entropy;
    if (spec.path !== undefined) rule.path = compileGo(spec.path, `${where} path`);
    if (spec.allowlists?.length) rule.allowlists = spec.allowlists.map((a, i) => compileAllowlist(a, `${where} allowlist ${i + 1}`));
    custom.set(spec.id, rule);
  }
  const disabled = new Set(config.disabledRules);
  const rules: Rule[] = [];
  if (config.useDefault) for (const r of BUILTIN_RULES) if (!custom.has(r.id)) rules.push(r);
  rules.push(...custom.values());
  return {
    rules: rules.filter((r) => !disabled.has(r.id)),
    allowlists: config.allowlists.map((a, i) => compileAllowlist(a, `allowlist ${i + 1}`)),
  };
}

function allowlistSpec(t: Table, where: string): AllowlistSpec {
  const target = t.regexTarget ?? t.regex_target ?? 'secret';
  if (target !== 'secret' && target !== 'match' && target !== 'line') throw new VhError('CONFIG', `${where}: regexTarget must be secret, match or line`);
  // gitleaks: `condition = "AND"` (or "&&") needs every criterion that is set; "OR" (the default) any one.
  const condition = t.condition ?? 'OR';
  const and = typeof condition === 'string' && ['and', '&&'].includes(condition.toLowerCase());
  if (!and && !(typeof condition === 'string' && ['or', '||'].includes(condition.toLowerCase()))) throw new VhError('CONFIG', `${where}: condition must be "OR" or "AND"`);
  return {
    ...(and ? { condition: 'and' as const } : {}),
    regexes: strings(t.regexes, `${where}.regexes`),
    regexTarget: target,
    stopwords: strings(t.stopwords, `${where}.stopwords`),
    paths: strings(t.paths, `${where}.paths`),
    commits: strings(t.commits, `${where}.commits`),
  };
}

/** Reads a gitleaks v8 configuration: `[[rules]]`, `[allowlist]` / `[[allowlists]]`, `[extend] useDefault`. */
export function parseGitleaksConfig(data: Table, source: string): RuleConfig {
  const extend = isTable(data.extend) ? data.extend : undefined;
  const rulesIn = data.rules === undefined ? [] : data.rules;
  if (!Array.isArray(rulesIn)) throw new VhError('CONFIG', `${source}: rules must be an array of tables ([[rules]])`);
  const rules: RuleSpec[] = rulesIn.map((r: unknown, i: number) => {
    const where = `${source}: rules[${i}]`;
    if (!isTable(r) || typeof r.id !== 'string') throw new VhError('CONFIG', `${where}: every rule needs an id`);
    if (typeof r.regex !== 'string' && typeof r.path !== 'string') throw new VhError('CONFIG', `${where} (${r.id}): a rule needs a regex or a path`);
    const lists: AllowlistSpec[] = [];
    if (isTable(r.allowlist)) lists.push(allowlistSpec(r.allowlist, `${where}.allowlist`));
    if (Array.isArray(r.allowlists)) r.allowlists.forEach((a: unknown, j: number) => isTable(a) && lists.push(allowlistSpec(a, `${where}.allowlists[${j}]`)));
    const spec: RuleSpec = {
      id: r.id,
      description: typeof r.description === 'string' ? r.description : r.id,
      keywords: strings(r.keywords, `${where}.keywords`),
      regex: typeof r.regex === 'string' ? r.regex : '^',
      flags: '',
      secretGroup: typeof r.secretGroup === 'number' ? r.secretGroup : 0,
      tags: strings(r.tags, `${where}.tags`),
    };
    // gitleaks reports the first capture group when secretGroup is not set and the regex has groups.
    if (typeof r.secretGroup !== 'number' && typeof r.regex === 'string') {
      const re = compileGo(r.regex, where);
      const groups = new RegExp(`${re.source}|`, re.flags).exec('')!.length - 1;
      if (groups > 0) spec.secretGroup = 1;
    }
    if (typeof r.entropy === 'number') spec.entropy = r.entropy;
    if (typeof r.path === 'string') spec.path = r.path;
    if (lists.length) spec.allowlists = lists;
    return spec;
  });
  const allowlists: AllowlistSpec[] = [];
  if (isTable(data.allowlist)) allowlists.push(allowlistSpec(data.allowlist, `${source}: allowlist`));
  if (Array.isArray(data.allowlists)) data.allowlists.forEach((a: unknown, j: number) => isTable(a) && allowlists.push(allowlistSpec(a, `${source}: allowlists[${j}]`)));
  // gitleaks: a config without [extend] replaces the default rules, unless it defines no rules at all.
  const useDefault = extend ? extend.useDefault === true : rules.length === 0;
  return {
    useDefault,
    disabledRules: extend ? strings(extend.disabledRules, `${source}: extend.disabledRules`) : [],
    rules,
    allowlists,
    sources: [source],
  };
}

export async function loadRulesFile(path: string): Promise<RuleConfig> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw new VhError('CONFIG', `cannot read rules file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const { parse } = await import('smol-toml');
  let data: Table;
  try {
    data = parse(text) as Table;
  } catch (err) {
    throw new VhError('CONFIG', `${path}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const config = parseGitleaksConfig(data, path);
  validateConfig(config);
  return config;
}

/**
 * The `[scan]` section of the vh-secrets config: `rules` (a gitleaks-style file, relative to the config file),
 * `use_default`, `disabled_rules`, and one allowlist from `allowlist_paths`, `allowlist_regexes`, `stopwords`.
 */
export async function scanSectionConfig(section: Table, source: string, resolvePath: (p: string) => string): Promise<RuleConfig> {
  const known = ['rules', 'use_default', 'disabled_rules', 'allowlist_paths', 'allowlist_regexes', 'stopwords', 'allowlist_commits', 'max_file_size_mb', 'managed'];
  for (const k of Object.keys(section)) if (!known.includes(k)) throw new VhError('CONFIG', `${source}: unknown key scan.${k}`, { hint: `known keys: ${known.join(', ')}` });
  const base = typeof section.rules === 'string' ? await loadRulesFile(resolvePath(section.rules)) : { ...DEFAULT_RULE_CONFIG, sources: [] };
  const allow: AllowlistSpec = {
    regexes: strings(section.allowlist_regexes, `${source}: scan.allowlist_regexes`),
    regexTarget: 'secret',
    stopwords: strings(section.stopwords, `${source}: scan.stopwords`),
    paths: strings(section.allowlist_paths, `${source}: scan.allowlist_paths`),
    commits: strings(section.allowlist_commits, `${source}: scan.allowlist_commits`),
  };
  const config: RuleConfig = {
    useDefault: typeof section.use_default === 'boolean' ? section.use_default : base.useDefault,
    disabledRules: [...base.disabledRules, ...strings(section.disabled_rules, `${source}: scan.disabled_rules`)],
    rules: base.rules,
    allowlists: [...base.allowlists, allow],
    sources: [...base.sources, `${source} [scan]`],
  };
  validateConfig(config);
  return config;
}

/** Later configurations add rules (replacing same ids), allowlists and disabled rules. */
export function mergeRuleConfigs(a: RuleConfig, b: RuleConfig): RuleConfig {
  const rules = new Map(a.rules.map((r) => [r.id, r]));
  for (const r of b.rules) rules.set(r.id, r);
  return {
    useDefault: a.useDefault && b.useDefault,
    disabledRules: [...a.disabledRules, ...b.disabledRules],
    rules: [...rules.values()],
    allowlists: [...a.allowlists, ...b.allowlists],
    sources: [...a.sources, ...b.sources],
  };
}

/** Compiles once in the main thread so a bad regex is a config error before any worker starts. */
function validateConfig(config: RuleConfig): void {
  buildRules(config);
}
