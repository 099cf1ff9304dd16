import { promises as fs } from 'node:fs';
import { VhError } from '../base/errors.js';

/**
 * A baseline is a JSON report written earlier by `vh-secrets scan --format json` (or a plain list of
 * fingerprints): findings whose fingerprint it holds are known and not reported again. Fingerprints hash the
 * rule, the file and the secret, not the line, so a baseline survives code moving around.
 */
export async function loadBaseline(path: string): Promise<Set<string>> {
  let data: unknown;
  try {
    data = JSON.parse(await fs.readFile(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VhError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_FORMAT', `cannot read baseline ${path}: ${code ?? (err as Error).message}`, {
      hint: 'create one with: vh-secrets scan --format json --output <baseline.json>',
      cause: err,
    });
  }
  const list = Array.isArray(data) ? data : (data as { findings?: unknown }).findings;
  if (!Array.isArray(list)) throw new VhError('INVALID_FORMAT', `baseline ${path}: expected a vh-secrets JSON report or a list of fingerprints`);
  const out = new Set<string>();
  for (const item of list) {
    if (typeof item === 'string') out.add(item);
    else if (item && typeof (item as { fingerprint?: unknown }).fingerprint === 'string') out.add((item as { fingerprint: string }).fingerprint);
  }
  return out;
}
