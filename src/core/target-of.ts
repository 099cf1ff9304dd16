import { VhError } from '../base/errors.js';
import { globToRegExp } from '../base/text.js';
import type { Config, TargetConfig } from './config.js';
import type { Metadata } from './store.js';

/**
 * Which rotation target a secret uses: the one it names in its metadata (`vh-target`, set by `create --target`),
 * else the `[targets.<name>]` table whose `secrets` patterns claim it. Config and metadata only — no value is
 * read, no target opened — so the rotation, health and compliance all answer it the same way.
 */

export const TARGET_META = 'vh-target';

export function targetConfigFor(config: Config, secretId: string, metadata: Metadata): TargetConfig | undefined {
  const named = metadata[TARGET_META];
  if (named !== undefined && named !== '') {
    const t = config.targets.get(named);
    if (!t) {
      throw new VhError('CONFIG', `${secretId} names rotation target "${named}", which the config does not define`, {
        hint: config.targets.size ? `defined targets: ${[...config.targets.keys()].join(', ')}` : `add a [targets.${named}] table to the config`,
      });
    }
    return t;
  }
  const claims = [...config.targets.values()].filter((t) => t.secrets.some((g) => globToRegExp(g).test(secretId)));
  if (claims.length > 1) {
    throw new VhError('CONFIG', `${secretId} is claimed by more than one rotation target (${claims.map((t) => t.name).join(', ')})`, { hint: 'narrow the secrets patterns, or set vh-target on the secret' });
  }
  return claims[0];
}
