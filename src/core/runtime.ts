import { resolve } from 'node:path';
import type { SinkStatus } from '../audit/forward.js';
import { AuditLogger, detectActor, type Actor, type AuditRecorder } from '../audit/logger.js';
import { loadConfig, type Config, type LoadConfigOptions } from './config.js';
import { VhError } from '../base/errors.js';
import type { Policy } from './policy.js';
import type { OptionSpec, ProviderContext, SecretStore, StorePosture } from './store.js';
import type { RotationTarget, TargetContext } from './target.js';

/**
 * How stores and rotation targets are opened: the registries in `providers/` and `targets/`, handed in by the CLI
 * entry (core depends on the two contracts, never on an implementation).
 */
export interface Openers {
  /** `check` validates and interpolates the store's settings against the provider's declared options. */
  store(provider: string, check: (spec: OptionSpec) => Record<string, unknown>, context: ProviderContext): Promise<SecretStore>;
  /** What the store's provider tells of its security from its settings (its module loads; no SDK, no connection). */
  posture(provider: string, check: (spec: OptionSpec) => Record<string, unknown>, context: ProviderContext): Promise<StorePosture>;
  target(kind: string, options: Record<string, unknown>, context: TargetContext): Promise<RotationTarget>;
}

/**
 * Everything a core operation needs: configuration, stores opened on first use (each provider module and its
 * SDK load only then), and the audit recorder. Built once per CLI invocation.
 */
export class Runtime {
  private readonly open = new Map<string, Promise<SecretStore>>();
  private readonly identities = new Map<string, Promise<string | undefined>>();
  /** Warn-mode policy violations met during this run, for the CLI to show (core never prints). */
  readonly warnings: string[] = [];

  constructor(
    readonly config: Config,
    readonly audit: AuditRecorder,
    readonly actor: Actor,
    readonly openers: Openers,
    /** The policy file's rules (`--policy`, `[policy] file`, `VH_SECRETS_POLICY`); null when none is set. */
    readonly policy: Policy | null = null,
  ) {}

  /**
   * `actorName` (`--actor`) wins over `VH_SECRETS_ACTOR` and the OS user; `policyFile` (`--policy`) over the
   * config's. A policy that cannot be read or parsed stops here (78): no command runs under half a policy.
   */
  static async create(openers: Openers, options: LoadConfigOptions & { actor?: Actor; actorName?: string; policyFile?: string } = {}): Promise<Runtime> {
    const config = await loadConfig(options);
    let actor = options.actor ?? detectActor();
    if (options.actorName !== undefined) {
      if (!/^[\w.@+=:/-]{1,128}$/.test(options.actorName)) {
        throw new VhError('USAGE', `--actor "${options.actorName}": use 1-128 letters, digits and . _ - @ + = : /`);
      }
      actor = { ...actor, name: options.actorName };
    }
    const policyFile = options.policyFile !== undefined ? resolve(options.cwd ?? process.cwd(), options.policyFile) : config.policyFile;
    let policy: Policy | null = null;
    if (policyFile !== undefined) {
      const { loadPolicy } = await import('./policy.js');
      policy = await loadPolicy(policyFile);
    }
    return new Runtime(config, new AuditLogger(config.audit, actor), actor, openers, policy);
  }

  resolveAlias(alias: string | undefined): string {
    const name = alias ?? this.config.defaultStore;
    if (!this.config.stores.has(name)) {
      throw new VhError('USAGE', `unknown store "${name}"`, {
        hint: `configured stores: ${[...this.config.stores.keys()].join(', ')}`,
        details: { store: name },
      });
    }
    return name;
  }

  store(alias: string | undefined): Promise<SecretStore> {
    const name = this.resolveAlias(alias);
    let store = this.open.get(name);
    if (!store) {
      const cfg = this.config.stores.get(name)!;
      if (cfg.problem) return Promise.reject(cfg.problem);
      store = this.openers.store(cfg.provider, (spec) => cfg.settings(spec), { alias: name, home: this.config.paths.home });
      this.open.set(name, store);
    }
    return store;
  }

  /**
   * Store `alias`'s posture (TLS, encryption at rest) as its provider judges it from the store's checked
   * settings, without opening the store. Throws the same config error opening it would.
   */
  async storePosture(alias: string): Promise<StorePosture> {
    const name = this.resolveAlias(alias);
    const cfg = this.config.stores.get(name)!;
    if (cfg.problem) throw cfg.problem;
    return this.openers.posture(cfg.provider, (spec) => cfg.settings(spec), { alias: name, home: this.config.paths.home });
  }

  /**
   * Who store `alias` knows this process as (see SecretStore.identity), asked once per run; undefined when the
   * store has no identity of its own. Noted in the audit log for that store's later events.
   */
  identityOf(alias: string): Promise<string | undefined> {
    let found = this.identities.get(alias);
    if (!found) {
      found = this.store(alias).then(async (store) => {
        const id = store.identity ? await store.identity() : undefined;
        if (id !== undefined) this.audit.noteIdentity?.(alias, id);
        return id;
      });
      this.identities.set(alias, found);
    }
    return found;
  }

  /**
   * Closes the stores, then the audit recorder: waits at most `[audit] flush_timeout_ms` for remote sinks and
   * returns where each stands (empty without remote sinks).
   */
  async close(): Promise<SinkStatus[]> {
    for (const store of this.open.values()) {
      await store.then((s) => s.close?.()).catch(() => undefined);
    }
    return this.audit.close();
  }
}
