import { VhError, isVhError } from '../base/errors.js';
import type { Runtime } from './runtime.js';
import { getSecret } from './secrets.js';

/** `{{ secret "REF" }}`, `{{ secret "REF" | base64 }}`, `{{ secret "REF" | json }}` — and any other `{{ … }}` is an error. */
const PLACEHOLDER = /\{\{(.*?)\}\}/g;
const SECRET = /^\s*secret\s+"([^"\\]+)"\s*(?:\|\s*(base64|json)\s*)?$/;

interface Placeholder {
  line: number;
  ref: string;
  filter: 'base64' | 'json' | undefined;
}

/** The placeholders of a template, each checked: a malformed one is refused naming its line. */
export function placeholders(text: string, where: string): Placeholder[] {
  const out: Placeholder[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(PLACEHOLDER)) {
      const p = SECRET.exec(m[1]!);
      if (!p) throw new VhError('INVALID_FORMAT', `${where}:${i + 1}: not a placeholder vh-secrets knows: {{${m[1]!.slice(0, 60)}}}`, { hint: 'write {{ secret "STORE:NAME[#KEY][@VERSION]" }}, optionally | base64 or | json' });
      out.push({ line: i + 1, ref: p[1]!, filter: p[2] as 'base64' | 'json' | undefined });
    }
  });
  return out;
}

/**
 * Renders a template: every secret is read first (each an `accessed` event), so a missing one fails the whole
 * render — naming its line — before anything is produced.
 */
export async function renderTemplate(rt: Runtime, text: string, where: string): Promise<{ text: string; secrets: number }> {
  const found = placeholders(text, where);
  const values = new Map<string, Buffer>();
  for (const p of found) {
    if (values.has(p.ref)) continue;
    try {
      values.set(p.ref, (await getSecret(rt, p.ref, undefined, undefined, { purpose: 'template', template: where })).value);
    } catch (err) {
      if (isVhError(err)) throw new VhError(err.code, `${where}:${p.line}: ${err.message}`, err.hint ? { hint: err.hint } : {});
      throw err;
    }
  }
  const rendered = text.split('\n').map((line) =>
    line.replace(PLACEHOLDER, (_all, inner: string) => {
      const p = SECRET.exec(inner)!;
      const value = values.get(p[1]!)!;
      if (p[2] === 'base64') return value.toString('base64');
      if (p[2] === 'json') return JSON.stringify(value.toString('utf8'));
      return value.toString('utf8');
    }),
  );
  return { text: rendered.join('\n'), secrets: values.size };
}
