import openVault from '../../src/providers/vault.js';
import { peerSkip } from './peers.js';
import { testStore, uniqueName } from './contract.js';

const address = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const token = process.env.VH_TEST_VAULT_TOKEN ?? 'root';

testStore({
  name: 'vault (OpenBao)',
  skip: await peerSkip('vault', address, 'scripts/peers.sh start openbao'),
  open: async () => openVault({ address, token }, { alias: 'vault', home: '/nonexistent' }),
});

/**
 * The claim protocol on the wire (docs/providers.md, vault): a rotation whose read is stale — another host
 * promoted, or a plain `vault kv put` landed, after it — loses the cas race and leaves the store exactly as the
 * other writer left it; a version it reads as current is never re-pinned to an older one.
 */
const skipVault = await peerSkip('vault', address, 'scripts/peers.sh start openbao');
describe.each(skipVault ? [] : ['vault'])('%s: claims from stale reads', () => {
  type Raw = { data?: { current_version: number; custom_metadata: Record<string, string> | null } };
  const raw = async (path: string, init: { method?: string; body?: unknown } = {}): Promise<Raw> => {
    const res = await fetch(`${address}/v1/secret/${path}`, {
      method: init.method ?? 'GET',
      headers: { 'X-Vault-Token': token, 'Content-Type': init.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    if (!res.ok) throw new Error(`vault ${path}: ${res.status}`);
    return res.status === 204 ? {} : ((await res.json()) as Raw);
  };
  const claims = async (name: string) => Object.keys((await raw(`metadata/${name}`)).data?.custom_metadata ?? {}).filter((k) => k.startsWith('vh-stage-claim-'));

  test('another host promoted after our read: our claim loses, its version stays current, no claim is left', async () => {
    const a = await openVault({ address, token }, { alias: 'vault', home: '/nonexistent' });
    const b = await openVault({ address, token }, { alias: 'vault', home: '/nonexistent' });
    const name = uniqueName('stale-claim');
    await a.create(name, Buffer.from('v1-value'), {});
    const seen = (await a.get(name, { version: '1', newest: true })).seen;
    expect(seen).toBeDefined();
    // Host B rotates in full between our read and our claim.
    const staged = await b.put(name, Buffer.from('v2-value'), { stage: 'pending', expectedCurrent: '1', token: 'rot-b' });
    const back = await b.get(name, { version: staged.version, newest: true });
    await b.promote(name, staged.version, { expectedCurrent: '1', token: 'rot-b', seen: back.seen });
    expect((await b.describe(name)).currentVersion).toBe('2');
    // Our claim, from the stale read, names version 1; the cas write refuses, and the claim goes.
    await expect(a.put(name, Buffer.from('v3-value'), { stage: 'pending', expectedCurrent: '1', token: 'rot-a', seen })).rejects.toMatchObject({ code: 'CONFLICT' });
    const d = await a.describe(name);
    expect(d.currentVersion).toBe('2');
    expect(d.pendingVersion).toBeUndefined();
    expect((await a.get(name)).value.toString()).toBe('v2-value');
    expect(await claims(name)).toEqual([]);
  });

  test('a claim stands above an older pin while it is written, and a plain kv put after a rotation is current, as Vault says', async () => {
    const s = await openVault({ address, token }, { alias: 'vault', home: '/nonexistent' });
    const name = uniqueName('plain-put');
    await s.create(name, Buffer.from('one'), {});
    const staged = await s.put(name, Buffer.from('two'), { stage: 'pending', expectedCurrent: '1', token: 'rot-1' });
    expect((await s.describe(name)).pendingVersion).toBe('2');
    expect((await s.get(name)).version).toBe('1');
    await s.promote(name, staged.version, { expectedCurrent: '1', token: 'rot-1' });
    expect(await claims(name)).toEqual([]);
    // A plain KV write (another tool) with no rotation holding the slot: the newest version is current.
    await raw(`data/${name}`, { method: 'POST', body: { data: { value: 'three' } } });
    const d = await s.describe(name);
    expect(d.currentVersion).toBe('3');
    expect(d.pendingVersion).toBeUndefined();
    // A rotation started from it claims version 3: the pin (2) is below it, and its staged version is pending.
    const next = await s.put(name, Buffer.from('four'), { stage: 'pending', expectedCurrent: '3', token: 'rot-2' });
    const during = await s.describe(name);
    expect(during.currentVersion).toBe('3');
    expect(during.pendingVersion).toBe(next.version);
    expect((await s.get(name)).value.toString()).toBe('three');
    await s.discardPending(name, next.version);
    const after = await s.describe(name);
    expect(after.currentVersion).toBe('3');
    expect((await s.get(name)).value.toString()).toBe('three');
    expect(await claims(name)).toEqual([]);
  });
});
