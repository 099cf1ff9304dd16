import { VhError } from '../base/errors.js';
import type { OptionSpec, ProviderContext, ProviderModule, ProviderName, SecretStore, StorePosture } from '../core/store.js';

/**
 * Provider name → module loader, one for each name in core/store.ts PROVIDERS (the type keeps the two in step).
 * Nothing here imports a provider (or its SDK) until a store of that kind is used, which keeps `--help`,
 * `--version` and completion as fast as bare node.
 */
const LOADERS: Record<ProviderName, (() => Promise<ProviderModule<never>>) | null> = {
  file: () => import('./file.js'),
  vault: () => import('./vault.js'),
  aws: () => import('./aws.js'),
  azure: () => import('./azure.js'),
  gcp: () => import('./gcp.js'),
};

const PROVIDERS = Object.keys(LOADERS);

export function isKnownProvider(name: string): name is ProviderName {
  return Object.prototype.hasOwnProperty.call(LOADERS, name);
}

/**
 * Opens a store: loads its provider, hands the provider's option declarations to `check` (the config loader's
 * validation, which names the file and line of a bad setting), and builds the store from the checked options.
 */
export async function openStore(provider: string, check: (spec: OptionSpec) => Record<string, unknown>, context: ProviderContext): Promise<SecretStore> {
  const mod = await loadProvider(provider, context);
  return mod.default(check(mod.options), context);
}

/**
 * What a store's settings tell of its security (TLS, encryption at rest), judged by its provider: the provider
 * module loads, its SDK does not, and no connection is made. `check` as for openStore.
 */
export async function storePosture(provider: string, check: (spec: OptionSpec) => Record<string, unknown>, context: ProviderContext): Promise<StorePosture> {
  const mod = await loadProvider(provider, context);
  return mod.posture(check(mod.options), context);
}

async function loadProvider(provider: string, context: ProviderContext): Promise<ProviderModule<Record<string, unknown>>> {
  if (!isKnownProvider(provider)) {
    throw new VhError('CONFIG', `unknown provider "${provider}" for store "${context.alias}"`, {
      hint: `use one of: ${PROVIDERS.join(', ')}`,
    });
  }
  const load = LOADERS[provider];
  if (!load) {
    throw new VhError('NOT_IMPLEMENTED', `the ${provider} provider is not implemented in this release (store "${context.alias}")`);
  }
  return (await load()) as unknown as ProviderModule<Record<string, unknown>>;
}
