import { VhError } from '../base/errors.js';

/** How `get` prints a value: as-is, JSON, shell `export` lines, a .env file, or YAML. */
export const VALUE_FORMATS = ['raw', 'json', 'env', 'dotenv', 'yaml'] as const;
export type ValueFormat = (typeof VALUE_FORMATS)[number];

export function parseValueFormat(text: string): ValueFormat {
  if (!(VALUE_FORMATS as readonly string[]).includes(text)) throw new VhError('USAGE', `unknown --format "${text}"`, { hint: `use one of: ${VALUE_FORMATS.join(', ')}` });
  return text as ValueFormat;
}

/** `app/db-password` → `DB_PASSWORD`: the last path segment, upper case, anything else an underscore. */
export function variableName(name: string): string {
  const last = name.split('/').filter(Boolean).pop() ?? name;
  const v = last.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[0-9]/.test(v) ? `_${v}` : v;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Double-quoted, as dotenv readers (docker compose, python-dotenv, dotenv for Node) unescape it. */
function dotenvQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\$/g, '\\$')}"`;
}

/**
 * The pairs a value stands for: a JSON object of scalars gives one pair per key (nested values as JSON); any
 * other text one pair named after the secret (or its #KEY). Bytes that are not UTF-8 have no text form.
 */
export function valuePairs(value: Buffer, name: string, key: string | null): [string, string][] {
  const text = value.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(value)) throw new VhError('INVALID_FORMAT', `the value of ${name} is not text (not UTF-8)`, { hint: 'use --format raw or json (base64)' });
  if (!key) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [variableName(k), typeof v === 'string' ? v : JSON.stringify(v)]);
    }
  }
  return [[variableName(key ?? name), text]];
}

export function formatPairs(pairs: [string, string][], format: 'env' | 'dotenv' | 'yaml'): string {
  const line = ([k, v]: [string, string]) => (format === 'env' ? `export ${k}=${shellQuote(v)}` : format === 'dotenv' ? `${k}=${dotenvQuote(v)}` : `${k}: ${JSON.stringify(v)}`);
  return pairs.map(line).join('\n') + (pairs.length ? '\n' : '');
}
