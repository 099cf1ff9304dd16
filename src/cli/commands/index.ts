import { exitCodeFor, VhError } from '../../base/errors.js';
import { oneLine } from '../../base/text.js';
import { DEFAULT_INDEX_VERSIONS } from '../../core/value-index.js';
import type { CommandContext } from '../context.js';
import type { IndexOptions } from './index.spec.js';

/** `vh-secrets index`: builds the index of managed values (keyed fingerprints, never values) that `scan --managed` reads. */
export async function run(ctx: CommandContext, _args: string[], opts: IndexOptions): Promise<number> {
  let versions = DEFAULT_INDEX_VERSIONS;
  if (opts.versions !== undefined) {
    versions = Number(opts.versions);
    if (!Number.isInteger(versions) || versions < 1 || versions > 100) throw new VhError('USAGE', `--versions must be an integer from 1 to 100, not "${opts.versions}"`);
  }
  const rt = await ctx.runtime();
  const { buildIndex } = await import('../../core/value-index-build.js');
  const started = Date.now();
  if (opts.prefix === '') throw new VhError('USAGE', '--prefix needs a name prefix');
  const result = await buildIndex(rt, { stores: opts.store ?? [], versions, ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (ctx.io.json) ctx.io.outJson({ ...result, versions_per_secret: versions, duration_ms: Date.now() - started });
  else {
    ctx.io.note(`indexed ${result.values} value${result.values === 1 ? '' : 's'} of ${result.secrets} secret${result.secrets === 1 ? '' : 's'} (${result.fingerprints} fingerprints, up to ${versions} version${versions === 1 ? '' : 's'} each) in ${seconds} s: ${result.path}`);
    for (const s of result.skipped) ctx.io.err(`vh-secrets: warning: ${s.secret} not indexed: ${oneLine(s.message)}`);
    for (const e of result.errors) ctx.io.err(`vh-secrets: error: store ${e.store}: ${oneLine(e.message)}`);
  }
  // A store that could not be listed leaves the index without it: the command fails with that store's code.
  if (result.errors.length) return exitCodeFor(result.errors[0]!.code);
  return result.skipped.length ? 1 : 0;
}
