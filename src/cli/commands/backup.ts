import { resolve } from 'node:path';
import { VhError } from '../../base/errors.js';
import { collectRecipients, createBackup } from '../../backup/backup.js';
import { parseTags } from '../../core/metadata.js';
import { parseSecretType } from '../../core/types.js';
import type { CommandContext } from '../context.js';
import { progress } from '../progress.js';
import type { BackupOptions } from './backup.spec.js';

export async function run(ctx: CommandContext, _args: string[], opts: BackupOptions): Promise<number> {
  if (opts.output === undefined || opts.output === '') throw new VhError('USAGE', 'backup needs --output FILE', { hint: 'e.g. --output backup-$(date +%F).age' });
  const type = opts.type === undefined ? undefined : parseSecretType(opts.type);
  const tags = parseTags(opts.tag);
  const recipients = await collectRecipients(opts.recipient, opts.recipientsFile);
  const rt = await ctx.runtime();
  const spinner = await progress(ctx.io, 'backing up');
  let result;
  try {
    result = await createBackup(rt, {
      output: resolve(opts.output),
      recipients,
      allVersions: opts.allVersions === true,
      tags,
      ...(type ? { type } : {}),
      ...(opts.store !== undefined ? { store: opts.store } : {}),
      ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
    });
  } finally {
    spinner.stop();
  }
  if (ctx.io.json) {
    ctx.io.outJson(result);
    return 0;
  }
  for (const s of result.skipped) ctx.io.note(`vh-secrets: skipped ${s.ref}: ${s.reason}`);
  const revoked = result.secrets.filter((s) => s.revoked).length;
  ctx.io.note(
    `backed up ${result.total_secrets} secret(s), ${result.total_versions} version(s)${revoked ? ` (${revoked} revoked, names and metadata only)` : ''} from ${result.stores.join(', ')} to ${result.output} (age, ${result.recipients} recipient(s), ${result.bytes} bytes)`,
  );
  return 0;
}
