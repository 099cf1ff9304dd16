import { VhError } from '../base/errors.js';
import type { DetailValue } from '../audit/event.js';
import type { Runtime } from './runtime.js';
import { getSecret } from './secrets.js';
import type { ReadVersion } from './watch.js';

/** `NAME=REF` as `run --env` takes it. */
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface EnvBinding {
  name: string;
  /** A secret reference, or (from an env file) a literal value. */
  ref?: string;
  literal?: string;
}

export function parseEnvFlag(text: string): EnvBinding {
  const eq = text.indexOf('=');
  const name = eq > 0 ? text.slice(0, eq) : '';
  if (!NAME_RE.test(name) || eq === text.length - 1) throw new VhError('USAGE', `invalid --env "${text.slice(0, 80)}"`, { hint: 'write --env NAME=STORE:NAME[#KEY][@VERSION]' });
  return { name, ref: text.slice(eq + 1) };
}

/**
 * A dotenv-style file: `NAME=VALUE` lines, `#` comments, optional `export ` and quotes. A value that starts with
 * a configured store's alias and a colon (`prod-vault:app/db#password`) is a secret reference; any other value
 * is a literal passed as it is.
 */
export function parseEnvFile(text: string, stores: ReadonlySet<string>, where: string): EnvBinding[] {
  const out: EnvBinding[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new VhError('USAGE', `${where}:${i + 1}: not NAME=VALUE`);
    let value = m[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    const colon = value.indexOf(':');
    if (colon > 0 && stores.has(value.slice(0, colon))) out.push({ name: m[1]!, ref: value });
    else out.push({ name: m[1]!, literal: value });
  });
  return out;
}

export interface InjectedEnv {
  env: Record<string, string>;
  /** The secret values injected (for masking), each once. */
  secrets: Buffer[];
  /** The version each reference read (what `run --watch` compares the store with). */
  read: ReadVersion[];
}

/**
 * Reads every referenced secret (each an `accessed` event naming `purpose`, never the environment) into
 * environment variables. A value an environment cannot carry (not UTF-8, or holding NUL) is refused.
 */
export async function resolveEnv(rt: Runtime, bindings: readonly EnvBinding[], purpose: Record<string, DetailValue>): Promise<InjectedEnv> {
  const env: Record<string, string> = {};
  const secrets: Buffer[] = [];
  const read: ReadVersion[] = [];
  for (const b of bindings) {
    if (b.ref === undefined) {
      env[b.name] = b.literal ?? '';
      continue;
    }
    const got = await getSecret(rt, b.ref, undefined, undefined, purpose);
    const text = got.value.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(got.value) || text.includes('\0')) {
      throw new VhError('INVALID_FORMAT', `${b.ref} is not text an environment variable can hold (not UTF-8, or a NUL byte)`, { hint: 'use `vh-secrets template` or `get` for binary values' });
    }
    env[b.name] = text;
    secrets.push(got.value);
    read.push({ ref: b.ref, version: got.version });
    // The fields of a JSON-object value are masked too: a child may print one of them alone.
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const v of Object.values(parsed as Record<string, unknown>)) if (typeof v === 'string') secrets.push(Buffer.from(v, 'utf8'));
      }
    } catch {
      // not JSON
    }
  }
  return { env, secrets, read };
}
