import { describeSecret } from '../../core/secrets.js';
import { describeTargetOf, type TargetView } from '../../rotation/targets.js';
import type { CommandContext } from '../context.js';

export async function run(ctx: CommandContext, [ref]: string[]): Promise<number> {
  const rt = await ctx.runtime();
  const d = await describeSecret(rt, ref!);
  // The secret's rotation target, and what it says of its own state (a transit key's versions): only for a
  // secret that has one, so the answer for every other secret is as it was.
  const target = await describeTargetOf(rt, ref!);
  if (ctx.io.json) {
    ctx.io.outJson(target ? { ...d, target } : d);
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
  if (target) text += await targetText(ctx, target, field);
  ctx.io.out(text);
  return 0;
}

async function targetText(ctx: CommandContext, t: TargetView, field: (k: string, v: string | number | null | boolean) => string): Promise<string> {
  const c = await ctx.io.chalk();
  let text = `\n${field('target', `${t.name} (${t.kind})`)}`;
  if (t.error) return `${text}${field('target state', c.yellow(`unavailable: ${t.error.message}`))}`;
  if (!t.state) return text;
  // The target's own labels are longer than the secret's: aligned among themselves, as Vault names them.
  const entries = Object.entries(t.state.fields);
  const width = Math.max(16, ...entries.map(([k]) => k.length + 2));
  for (const [k, v] of entries) text += `${c.bold(k.padEnd(width))}${v === null ? '-' : String(v)}\n`;
  if (t.state.versions?.length) {
    const rows = t.state.versions.map((v) => [v.version, v.state, v.created_at ?? '-']);
    text += `\n${await ctx.io.table(['TARGET VERSION', 'STATE', 'CREATED'], rows)}\n`;
  }
  return text;
}
