import { randomBytes } from 'node:crypto';
import type { SecretStore } from '../../src/core/store.js';

/**
 * The one store contract suite. Every provider's test file calls `testStore` with a way to open the store
 * against its real peer; capability-specific cases are skipped by capability, not forked per provider.
 */
export interface ContractOptions {
  /** Provider name for the describe block. */
  name: string;
  open: () => Promise<SecretStore>;
  /** Why the block is skipped (peer not running locally), or undefined to run. */
  skip?: string | undefined;
  /** Known peer deviations the suite tolerates, keyed by case; each says why. */
  deviations?: Partial<Record<'concurrentConflict' | 'listAfterDestroy', string>>;
  /**
   * Cases whose API the peer does not implement (an emulator's UNIMPLEMENTED), each with why. Such a case is
   * not skipped: it must fail with NOT_IMPLEMENTED — a clear error, never a silent wrong answer — and its
   * other assertions are left to a peer that has the API.
   */
  unsupported?: Partial<Record<GatedCase, string>>;
}

export type GatedCase = 'twoPhase' | 'tokenIdempotent' | 'discardPending' | 'metadata' | 'revokeVersion' | 'revokeSecret';

export function uniqueName(prefix = 'contract'): string {
  return `vh-test/${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function testStore(options: ContractOptions): void {
  const block = options.skip ? describe.skip : describe;
  if (options.skip) {
    // One loud line, so a skipped peer is never mistaken for a pass.
    process.stderr.write(`\n*** contract suite for ${options.name} SKIPPED: ${options.skip}\n\n`);
  }
  block(`store contract: ${options.name}`, () => {
    let store: SecretStore;
    const created: string[] = [];
    const fresh = (p?: string) => {
      const n = uniqueName(p);
      created.push(n);
      return n;
    };

    beforeAll(async () => {
      store = await options.open();
    });

    /** A case the peer may not implement (see ContractOptions.unsupported). */
    const gated = (key: GatedCase, title: string, body: () => Promise<void>) => {
      const why = options.unsupported?.[key];
      if (!why) return test(title, body);
      return test(`${title} [peer lacks the API: must fail with NOT_IMPLEMENTED]`, async () => {
        process.stderr.write(`${options.name}: "${title}" not implemented by the peer: ${why}\n`);
        await expect(body()).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
      });
    };

    afterAll(async () => {
      for (const n of created) await store.destroy(n).catch(() => undefined);
      await store.close?.();
    });

    test('ping: reachable and authenticated', async () => {
      const p = await store.ping();
      expect(p.reachable).toBe(true);
      expect(p.authenticated).toBe(true);
      expect(p.latencyMs).toBeGreaterThanOrEqual(0);
    });

    test('create, read current, read by version, describe', async () => {
      const name = fresh('create');
      const { version } = await store.create(name, Buffer.from('v-one'), { 'vh-type': 'api_key', team: 'payments' });
      const current = await store.get(name);
      expect(current.value.toString()).toBe('v-one');
      expect(current.version).toBe(version);
      expect((await store.get(name, { version })).value.toString()).toBe('v-one');
      expect((await store.get(name, { stage: 'current' })).version).toBe(version);
      const d = await store.describe(name);
      expect(d.name).toBe(name);
      expect(d.currentVersion).toBe(version);
      expect(d.metadata).toMatchObject({ 'vh-type': 'api_key', team: 'payments' });
      expect(d.versions.find((v) => v.version === version)).toMatchObject({ state: 'enabled', stages: expect.arrayContaining(['current']) });
      expect(d.revoked).toBe(false);
    });

    test('create of an existing name is CONFLICT', async () => {
      const name = fresh('dup');
      await store.create(name, Buffer.from('a'), {});
      await expect(store.create(name, Buffer.from('b'), {})).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await store.get(name)).value.toString()).toBe('a');
    });

    test('not found: secret, version, stage', async () => {
      const name = uniqueName('missing');
      await expect(store.get(name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.describe(name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const existing = fresh('nover');
      await store.create(existing, Buffer.from('x'), {});
      await expect(store.get(existing, { version: '999999' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.get(existing, { stage: 'pending' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    test('put current makes a new version; the old one stays readable by id and as previous', async () => {
      const name = fresh('put');
      const v1 = (await store.create(name, Buffer.from('one'), {})).version;
      const v2 = (await store.put(name, Buffer.from('two'), { stage: 'current', expectedCurrent: v1 })).version;
      expect(v2).not.toBe(v1);
      expect((await store.get(name)).value.toString()).toBe('two');
      expect((await store.get(name, { version: v1 })).value.toString()).toBe('one');
      expect((await store.get(name, { stage: 'previous' })).version).toBe(v1);
    });

    gated('twoPhase', 'two-phase write: put pending → read pending → promote → read current', async () => {
      const name = fresh('stage');
      const v1 = (await store.create(name, Buffer.from('old'), {})).version;
      const pending = (await store.put(name, Buffer.from('new'), { stage: 'pending', expectedCurrent: v1, token: `tok-${randomBytes(8).toString('hex')}` })).version;
      expect((await store.get(name)).value.toString()).toBe('old');
      expect((await store.get(name, { stage: 'pending' })).value.toString()).toBe('new');
      expect((await store.describe(name)).pendingVersion).toBe(pending);
      await store.promote(name, pending, { expectedCurrent: v1 });
      const after = await store.get(name);
      expect(after.value.toString()).toBe('new');
      expect(after.version).toBe(pending);
      expect((await store.get(name, { stage: 'previous' })).value.toString()).toBe('old');
      expect((await store.describe(name)).pendingVersion).toBeUndefined();
    });

    gated('tokenIdempotent', 'put with the same token is idempotent', async () => {
      const name = fresh('token');
      const v1 = (await store.create(name, Buffer.from('old'), {})).version;
      const token = `tok-${randomBytes(8).toString('hex')}`;
      const a = await store.put(name, Buffer.from('new'), { stage: 'pending', expectedCurrent: v1, token });
      const b = await store.put(name, Buffer.from('new'), { stage: 'pending', expectedCurrent: v1, token });
      expect(b.version).toBe(a.version);
    });

    gated('discardPending', 'discardPending removes a staged version, current untouched', async () => {
      const name = fresh('discard');
      const v1 = (await store.create(name, Buffer.from('keep'), {})).version;
      const p = (await store.put(name, Buffer.from('drop'), { stage: 'pending', expectedCurrent: v1 })).version;
      await store.discardPending(name, p);
      await store.discardPending(name, p);
      expect((await store.get(name)).value.toString()).toBe('keep');
      await expect(store.get(name, { stage: 'pending' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await store.describe(name)).pendingVersion).toBeUndefined();
    });

    test('stale expectedCurrent is CONFLICT (CAS / stage race)', async () => {
      const name = fresh('cas');
      const v1 = (await store.create(name, Buffer.from('a'), {})).version;
      await store.put(name, Buffer.from('b'), { stage: 'current', expectedCurrent: v1 });
      await expect(store.put(name, Buffer.from('c'), { stage: 'current', expectedCurrent: v1 })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await store.get(name)).value.toString()).toBe('b');
    });

    test('concurrent writers with the same expectedCurrent: exactly one wins', async () => {
      if (!store.capabilities.compareAndSwap) {
        process.stderr.write(`${options.name}: no atomic compare-and-swap (capability off): concurrent-writer case not applicable\n`);
        return;
      }
      const name = fresh('race');
      const v1 = (await store.create(name, Buffer.from('base'), {})).version;
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) => store.put(name, Buffer.from(`w${i}`), { stage: 'current', expectedCurrent: v1 })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      if (options.deviations?.concurrentConflict && won.length !== 1) {
        process.stderr.write(`tolerated deviation (${options.name}): ${options.deviations.concurrentConflict}\n`);
        return;
      }
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' });
    });

    gated('metadata', 'metadata round trip: set, merge, remove', async () => {
      const name = fresh('meta');
      await store.create(name, Buffer.from('m'), { 'vh-type': 'generic', a: '1' });
      await store.setMetadata(name, { b: '2', 'vh-rotated-at': '2026-01-02T03:04:05.000Z' });
      await store.setMetadata(name, { a: null });
      const d = await store.describe(name);
      expect(d.metadata).toEqual({ 'vh-type': 'generic', b: '2', 'vh-rotated-at': '2026-01-02T03:04:05.000Z' });
      expect((await store.get(name)).value.toString()).toBe('m');
    });

    test('list with metadata filters and prefix', async () => {
      const tag = `t${randomBytes(4).toString('hex')}`;
      const a = fresh('list-a');
      const b = fresh('list-b');
      await store.create(a, Buffer.from('1'), { 'vh-type': 'api_key', run: tag });
      await store.create(b, Buffer.from('2'), { 'vh-type': 'database_password', run: tag });
      const all: string[] = [];
      for await (const s of store.list({ metadata: { run: tag } })) all.push(s.name);
      expect(all.sort()).toEqual([a, b].sort());
      const typed: string[] = [];
      for await (const s of store.list({ metadata: { run: tag, 'vh-type': 'api_key' } })) typed.push(s.name);
      expect(typed).toEqual([a]);
      const prefixed: string[] = [];
      for await (const s of store.list({ prefix: a })) prefixed.push(s.name);
      expect(prefixed).toEqual([a]);
    });

    gated('revokeVersion', 'revoke an old version: it is unreadable, current still works', async () => {
      const name = fresh('revoke');
      const v1 = (await store.create(name, Buffer.from('old'), {})).version;
      await store.put(name, Buffer.from('new'), { stage: 'current', expectedCurrent: v1 });
      const r = await store.revoke(name, v1);
      expect(r.revoked).toEqual([v1]);
      await expect(store.get(name, { version: v1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await store.get(name)).value.toString()).toBe('new');
      const d = await store.describe(name);
      expect(d.versions.find((v) => v.version === v1)?.state).toMatch(/disabled|destroyed/);
    });

    gated('revokeSecret', 'revoke the whole secret', async () => {
      const name = fresh('revoke-all');
      await store.create(name, Buffer.from('x'), {});
      await store.revoke(name);
      await expect(store.get(name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await store.describe(name)).revoked).toBe(true);
    });

    test('destroy removes the secret', async () => {
      const name = uniqueName('destroy');
      await store.create(name, Buffer.from('x'), {});
      await store.destroy(name);
      await expect(store.get(name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    test('binary-safe and 64 KiB values', async () => {
      const bin = Buffer.concat([Buffer.from([0, 255, 10, 13, 0x80, 0xc3]), randomBytes(512)]);
      const a = fresh('bin');
      await store.create(a, bin, {});
      expect((await store.get(a)).value.equals(bin)).toBe(true);
      // 64 KiB, or the store's documented ceiling where it is lower (Azure Key Vault: 25 KiB of text; binary is
      // base64 inside that, so 18.75 KiB of random bytes).
      const caps = store.capabilities;
      const big = randomBytes(Math.min(64 * 1024, caps.maxBinaryValueBytes ?? caps.maxValueBytes));
      const b = fresh('big');
      await store.create(b, big, {});
      expect((await store.get(b)).value.equals(big)).toBe(true);
      const text = Buffer.from(randomBytes(Math.min(64 * 1024, caps.maxValueBytes)).toString('base64').slice(0, Math.min(64 * 1024, caps.maxValueBytes)));
      const t = fresh('big-text');
      await store.create(t, text, {});
      expect((await store.get(t)).value.equals(text)).toBe(true);
      if (caps.maxValueBytes < 64 * 1024) {
        // One byte over the ceiling: refused before anything is written, not truncated.
        const over = fresh('too-big');
        await expect(store.create(over, Buffer.concat([text, Buffer.from('x')]), {})).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
        await expect(store.get(over)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      }
    });

    test('names with /, - and _', async () => {
      const name = fresh('a/b-c_d/e');
      await store.create(name, Buffer.from('ok'), {});
      expect((await store.get(name)).value.toString()).toBe('ok');
    });
  });
}
