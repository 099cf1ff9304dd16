import { VhError } from '../base/errors.js';
import type { ProviderContext, ProviderFactory, SecretStore } from '../core/store.js';

/**
 * Provider name → module loader. Nothing here imports a provider (or its SDK) until a store of that kind is
 * used, which keeps `--help`, `--version` and completion as fast as bare node.
 */
const LOADERS: Record<string, (() => Promise<{ default: ProviderFactory<never> }>) | null> = {
  file: () => import('./file.js'),
  vault: () => import('./vault.js'),
  aws: () => import('./aws.js'),
  azure: () => import('./azure.js'),
  gcp: () => import('./gcp.js'),
};

export const PROVIDERS = Object.keys(LOADERS);

export function isKnownProvider(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(LOADERS, name);
}

export async function openStore(provider: string, options: Record<string, unknown>, context: ProviderContext): Promise<SecretStore> {
  if (!isKnownProvider(provider)) {
    throw new VhError('CONFIG', `unknown provider "${provider}" for store "${context.alias}"`, {
      hint: `use one of: ${PROVIDERS.join(', ')}`,
    });
  }
  const load = LOADERS[provider];
  if (!load) {
    throw new VhError('NOT_IMPLEMENTED', `the ${provider} provider is not implemented in this release (store "${context.alias}")`);
  }
  const mod = await load();
  return (mod.default as ProviderFactory<Record<string, unknown>>)(options, context);
}
