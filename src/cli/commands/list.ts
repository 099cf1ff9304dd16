import { exitCodeFor } from '../../base/errors.js';
import { oneLine } from '../../base/text.js';
import { parseTags } from '../../core/metadata.js';
import { listSecrets } from '../../core/secrets.js';
import { parseSecretType } from '../../core/types.js';
import type { CommandContext } from '../context.js';
import type { ListOptions } from './list.spec.js';

function day(iso: string | null): string {
  return iso ? iso.slice(0, 10) : '-';
}

export async function run(ctx: CommandContext, [pattern]: string[], opts: ListOptions): Promise<number> {
  const type = opts.type === undefined ? undefined : parseSecretType(opts.type);
  const tags = parseTags(opts.tag);
  const rt = await ctx.runtime();
  const result = await listSecrets(rt, {
    tags,
    ...(type !== undefined ? { type } : {}),
    ...(opts.store !== undefined ? { store: opts.store } : {}),
    ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
    ...(pattern !== undefined ? { match: pattern } : {}),
  });
  if (ctx.io.json) {
    ctx.io.outJson(result);
  } else {
    if (result.secrets.length > 0) {
      const rows = result.secrets.map((s) => [
        s.ref,
        s.type,
        s.current_version ?? '-',
        day(s.rotated_at),
        day(s.expires_at),
        Object.entries(s.tags).map(([k, v]) => `${k}=${v}`).join(' '),
      ]);
      ctx.io.out(`${await ctx.io.table(['SECRET', 'TYPE', 'VERSION', 'ROTATED', 'EXPIRES', 'TAGS'], rows)}\n`);
    }
    // A count is only a count when every store answered: "0 secrets" beside a store that failed would read as empty.
    if (result.errors.length === 0 || result.secrets.length > 0) {
      ctx.io.note(`${result.secrets.length} secret${result.secrets.length === 1 ? '' : 's'}${result.errors.length > 0 ? ` in the stores that answered` : ''}`);
    }
    for (const e of result.errors) ctx.io.err(`vh-secrets: error: store ${e.store}: ${oneLine(e.message)}${e.hint ? `\n  hint: ${oneLine(e.hint)}` : ''}`);
  }
  // A store that failed fails the command with its own code, after the others' rows were shown.
  return result.errors.length > 0 ? exitCodeFor(result.errors[0]!.code) : 0;
}
