import { createHash } from 'node:crypto';
import { VhError } from './errors.js';

/** `--shard i/n`: one stable n-th of the work, so several hosts or CI jobs split it without talking. */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new VhError('USAGE', `invalid --shard "${text}"`, { hint: 'write i/n with 1 <= i <= n, e.g. --shard 2/4' });
  return { index, count };
}

/** Stable across hosts, runs and commands: the same key (a secret, a path) always lands in the same shard. */
export function inShard(key: string, shard: Shard | undefined): boolean {
  if (!shard) return true;
  return (createHash('sha256').update(key).digest().readUInt32BE(0) % shard.count) + 1 === shard.index;
}
