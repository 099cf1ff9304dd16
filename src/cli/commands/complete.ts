import { loadConfig, type Config } from '../../core/config.js';
import { completionRefs } from '../../core/ref-index.js';
import type { SecretStore } from '../../core/store.js';
import type { CommandContext } from '../context.js';
import type { Streams } from '../io.js';

/**
 * Hidden: `__complete stores` and `__complete refs [prefix]`, one candidate per line, silent on any error.
 * Shells run it on every TAB, so the entry calls `complete` directly, before commander or the runtime load;
 * stores (and their SDKs) open only when the 60 s cache needs a refresh.
 */
export async function complete(args: string[], config: () => Promise<Config>, write: (text: string) => void): Promise<number> {
  const [what, prefix = ''] = args;
  try {
    const cfg = await config();
    if (what === 'stores') {
      write([...cfg.stores.keys()].sort().map((s) => `${s}\n`).join(''));
    } else if (what === 'refs') {
      const open = async (alias: string): Promise<SecretStore> => {
        const store = cfg.stores.get(alias)!;
        const { openStore } = await import('../../providers/index.js');
        return openStore(store.provider, (spec) => store.settings(spec), { alias, home: cfg.paths.home });
      };
      const refs = await completionRefs(cfg, open);
      const local = cfg.defaultStore;
      // Refs in the default store complete with and without their alias.
      const candidates = prefix.includes(':') ? refs : [...refs, ...refs.filter((r) => r.startsWith(`${local}:`)).map((r) => r.slice(local.length + 1))];
      write(candidates.filter((r) => r.startsWith(prefix)).map((r) => `${r}\n`).join(''));
    }
  } catch {
    // A completion must never print an error into the user's command line.
  }
  return 0;
}

/** The same, through commander (`vh-secrets --config F __complete refs`). */
export async function run(ctx: CommandContext, args: string[]): Promise<number> {
  return complete(args, async () => (await ctx.runtime()).config, (text) => ctx.io.out(text));
}

/** The fast path from the entry: config from the environment (`VH_SECRETS_CONFIG`, ./vh-secrets.toml, ~/.config). */
export function completeFromEntry(args: string[], streams: Streams): Promise<number> {
  return complete(args, () => loadConfig({ environ: streams.env }), (text) => void streams.stdout.write(text));
}
