import { EXIT } from '../../core/errors.js';
import type { CommandContext } from '../context.js';

export async function run(ctx: CommandContext): Promise<number> {
  ctx.io.err(`vh-secrets: ${ctx.command} is not implemented yet in this release`);
  return EXIT.SOFTWARE;
}
