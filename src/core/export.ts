import { VhError } from '../base/errors.js';
import type { Runtime } from './runtime.js';
import { getSecret } from './secrets.js';

export interface ExportInput {
  store?: string;
  /** Only names under this; the variable names are made from what follows it. */
  prefix?: string;
}

export interface ExportedSecret {
  ref: string;
  /** `app/db-password` under prefix `app/` → `DB_PASSWORD`. */
  variable: string;
  value: Buffer;
}

/** The variable a secret is exported as: its name after the prefix, upper case, `/` and the rest `_`. */
export function exportVariable(name: string, prefix = ''): string {
  const rest = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  const v = rest.replace(/^\/+/, '').toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[0-9]/.test(v) ? `_${v}` : v || '_';
}

/**
 * Every current value of one store (under a prefix), for `export`: each read audited as `accessed`, the policy
 * asked per secret. Two names that would become one variable are refused before anything is printed.
 */
export async function exportSecrets(rt: Runtime, input: ExportInput): Promise<ExportedSecret[]> {
  const alias = rt.resolveAlias(input.store);
  const store = await rt.store(alias);
  const names: string[] = [];
  for await (const s of store.list(input.prefix ? { prefix: input.prefix } : undefined)) if (s.currentVersion) names.push(s.name);
  names.sort();
  const seen = new Map<string, string>();
  for (const n of names) {
    const v = exportVariable(n, input.prefix);
    const other = seen.get(v);
    if (other !== undefined) throw new VhError('INVALID_FORMAT', `${alias}:${other} and ${alias}:${n} would both be exported as ${v}`, { hint: 'narrow the export with --prefix' });
    seen.set(v, n);
  }
  const out: ExportedSecret[] = [];
  for (const n of names) {
    const got = await getSecret(rt, `${alias}:${n}`);
    out.push({ ref: got.ref, variable: exportVariable(n, input.prefix), value: got.value });
  }
  return out;
}
