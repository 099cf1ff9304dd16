import { describeSecret } from '../../core/secrets.js';
import type { CommandContext } from '../context.js';

export async function run(ctx: CommandContext, [ref]: string[]): Promise<number> {
  const rt = await ctx.runtime();
  const d = await describeSecret(rt, ref!);
  if (ctx.io.json) {
    ctx.io.outJson(d);
    return 0;
  }
  const c = await ctx.io.chalk();
  const field = (k: string, v: string | number | null | boolean) => `${c.bold(k.padEnd(16))}${v === null ? '-' : String(v)}\n`;
  let text = '';
  text += field('secret', d.ref);
  text += field('type', d.type);
  text += field('owner', d.owner);
  text += field('state', d.revoked ? c.red('revoked') : 'active');
  text += field('current version', d.current_version);
  if (d.pending_version) text += field('pending version', c.yellow(d.pending_version));
  text += field('created', d.created_at);
  text += field('rotated', d.rotated_at);
  text += field('rotation every', `${d.rotation_days} days (due ${d.rotation_due_at ?? '-'})`);
  text += field('expires', d.expires_at);
  text += field('tags', Object.entries(d.tags).map(([k, v]) => `${k}=${v}`).join(' ') || '-');
  const rows = d.versions.map((v) => [v.version, v.state, v.stages.join(',') || '-', v.created_at ?? '-']);
  text += `\n${await ctx.io.table(['VERSION', 'STATE', 'STAGES', 'CREATED'], rows)}\n`;
  ctx.io.out(text);
  return 0;
}
