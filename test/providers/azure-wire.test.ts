import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import openAzure from '../../src/providers/azure.js';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { azureEnv, azureUrl } from '../helpers/stores.js';
import { LeakLedger, canary } from '../leak/canary.js';
import { uniqueName } from './contract.js';
import { peerSkip } from './peers.js';

/**
 * Azure beyond the contract, on the wire against the Key Vault double (scripts/peers.sh start azure): who the
 * store says we are, throttling retried with backoff (and given up on, with THROTTLED), and the Azure SDK's own
 * logging switch (AZURE_LOG_LEVEL) left without effect, so no value or token reaches stderr.
 */
const url = azureUrl;
const skip = await peerSkip('azure', url, 'scripts/peers.sh start azure');
process.env.IDENTITY_ENDPOINT = azureEnv.IDENTITY_ENDPOINT;
process.env.IDENTITY_HEADER = azureEnv.IDENTITY_HEADER;

/** The double answers the next `count` data-plane requests with `status`. */
async function inject(status: number, count: number): Promise<void> {
  const res = await fetch(`${url}/_double/fail?status=${status}&count=${count}`, { method: 'POST' });
  if (res.status !== 204) throw new Error(`fault injection: HTTP ${res.status}`);
}

(skip ? describe.skip : describe)('azure on the wire', () => {
  const open = () => openAzure({ vault_url: url, disable_challenge_resource_verification: true }, { alias: 'azure', home: '/nonexistent' });

  test('identity: the application the managed-identity token is issued to', async () => {
    const store = await open();
    expect(await store.identity!()).toBe('5a0e5f0e-0000-4000-8000-00000000c1d2');
    await store.close?.();
  });

  test('HTTP 429 is retried with backoff until it passes; a throttle that does not end is THROTTLED, not a hang', async () => {
    const store = await open();
    const name = uniqueName('throttle');
    await store.create(name, Buffer.from('throttled-value'), {});
    await inject(429, 2);
    const started = Date.now();
    expect((await store.get(name)).value.toString()).toBe('throttled-value');
    expect(Date.now() - started).toBeLessThan(10_000);
    await inject(429, 1000);
    const previous = process.env.VH_SECRETS_RETRIES;
    process.env.VH_SECRETS_RETRIES = '2';
    try {
      await expect(store.get(name)).rejects.toMatchObject({ code: 'THROTTLED' });
    } finally {
      if (previous === undefined) delete process.env.VH_SECRETS_RETRIES;
      else process.env.VH_SECRETS_RETRIES = previous;
      await inject(429, 0);
    }
    await store.destroy(name);
    await store.close?.();
  });

  test('AZURE_LOG_LEVEL=verbose is switched off for the SDK (its logs carry headers); no value anywhere', async () => {
    const home = tempHome('vh-azure-log-');
    try {
      const config = join(home, 'vh-secrets.toml');
      await fs.writeFile(config, `default_store = "kv"\n[stores.kv]\nprovider = "azure"\nvault_url = "${url}"\ndisable_challenge_resource_verification = true\n`);
      const env = baseEnv(home, { ...azureEnv, AZURE_LOG_LEVEL: 'verbose', VH_SECRETS_CONFIG: config });
      const ledger = new LeakLedger();
      const value = ledger.add(canary('azurelog'));
      const name = uniqueName('log');
      const created = ledger.record('create', await run(['create', name, '--type', 'api_key'], { env, input: value }));
      expect(created.code).toBe(0);
      // vh-secrets silences the SDK's logger (src/cli/main.ts): nothing of @azure/logger on stderr.
      expect(created.stderr).not.toMatch(/azure:(core|identity|keyvault)/);
      await inject(429, 1);
      expect(ledger.record('get', await run(['get', name], { env }), true).out).toBe(value);
      expect(ledger.record('rotate', await run(['rotate', name, '--yes', '--force'], { env })).code).toBe(0);
      // The generated value joins the canaries: every output so far (rotate's too) is checked for it.
      const rotated = ledger.record('get rotated', await run(['get', name], { env }), true).out;
      expect(rotated).not.toBe(value);
      ledger.add(rotated);
      expect(ledger.record('missing', await run(['get', uniqueName('nope')], { env })).code).toBe(66);
      expect(ledger.leaks()).toEqual([]);
      await ledger.recordFiles(join(home, 'vh'), () => false);
      expect(ledger.leaks()).toEqual([]);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
