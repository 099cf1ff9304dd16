import { VhError } from '../base/errors.js';
import type { RotationTarget, TargetContext, TargetFactory, TargetKind } from '../core/target.js';

/**
 * Target kind → module loader, one for each kind in core/target.ts TARGET_KINDS (the type keeps the two in step):
 * a database driver or SDK loads only when a secret with that kind of target rotates.
 */
const LOADERS: Record<TargetKind, () => Promise<{ default: TargetFactory }>> = {
  postgres: () => import('./postgres.js'),
  mysql: () => import('./mysql.js'),
  redis: () => import('./redis.js'),
  command: () => import('./command.js'),
  'aws-iam-user': () => import('./aws-iam.js'),
  'vault-transit': () => import('./vault-transit.js'),
};

const TARGET_KINDS = Object.keys(LOADERS);

export async function openTarget(kind: string, options: Record<string, unknown>, context: TargetContext): Promise<RotationTarget> {
  const load = Object.prototype.hasOwnProperty.call(LOADERS, kind) ? LOADERS[kind as TargetKind] : undefined;
  if (!load) throw new VhError('CONFIG', `targets.${context.name}.kind: unknown kind "${kind}"`, { hint: `use one of: ${TARGET_KINDS.join(', ')}` });
  return (await load()).default(options, context);
}
