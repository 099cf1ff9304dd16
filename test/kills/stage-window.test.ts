import { promises as fs } from 'node:fs';
import { secretIdFor } from '../../src/providers/gcp.js';
import type { SecretStore } from '../../src/core/store.js';
import { run, tempHome } from '../helpers/cli.js';
import { gcpDoubleEndpoint, storesUnderTest } from '../helpers/stores.js';
import { killedAfterGenerate } from '../helpers/kill.js';
import { settledFindings } from '../helpers/kill-state.js';

/**
 * Two windows inside the stage phase that the random-kill matrix lands in now and then, made deterministic the
 * way test/kills/aws-stage.test.ts makes the AWS one: the rotation is killed at `after:generate` by the engine's
 * own failpoint, then the store write it would have made next is made directly, as the provider makes it, and
 * the process dies before the provider's following write and before the journal records a pending version.
 *
 * - vault: the pin and token were claimed and the KV data write (cas = the latest version) landed, the patch
 *   naming it pending did not — the new, never verified version is Vault's latest, the pin keeps the old current.
 * - gcp: the slot was claimed (pin + token annotations) and the version added, the pending annotation not yet
 *   written — an enabled version that nothing names.
 *
 * Then `--resume` must finish the rotation from the version current before the kill (verified, nothing of the
 * dead attempt left enabled), and `--abort` must leave the old value current with nothing left behind.
 */

const shared = tempHome('vh-kills-window-');
const stores = await storesUnderTest(shared);
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

const vaultAddr = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const vaultToken = process.env.VH_TEST_VAULT_TOKEN ?? 'root';

/**
 * VaultStore.put up to its data write: the current version pinned and the token claimed (one metadata merge
 * patch), then the new version, conditional on the latest one; the patch naming it pending not yet made.
 */
async function vaultDataWrite(name: string, c0: string, rotationId: string, value: string, write = true): Promise<void> {
  const path = name.split('/').map(encodeURIComponent).join('/');
  const headers = { 'X-Vault-Token': vaultToken, 'Content-Type': 'application/json' };
  const pin = await fetch(`${vaultAddr}/v1/secret/metadata/${path}`, { method: 'PATCH', headers: { ...headers, 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ custom_metadata: { 'vh-stage-current': c0, 'vh-stage-token': rotationId } }) });
  if (!pin.ok) throw new Error(`vault pin: ${pin.status} ${await pin.text()}`);
  if (!write) return;
  const md = (await (await fetch(`${vaultAddr}/v1/secret/metadata/${path}`, { headers })).json()) as { data: { current_version: number } };
  const res = await fetch(`${vaultAddr}/v1/secret/data/${path}`, { method: 'POST', headers, body: JSON.stringify({ options: { cas: md.data.current_version }, data: { value } }) });
  if (!res.ok) throw new Error(`vault write: ${res.status} ${await res.text()}`);
}

/** GcpStore.putOnly up to addSecretVersion: the slot claimed (pin + token), the version added. */
async function gcpClaimAndAdd(name: string, c0: string, rotationId: string, value: string, add = true): Promise<void> {
  const gcp = await import('@google-cloud/secret-manager');
  const { credentials } = await import('@grpc/grpc-js');
  const [host, port] = gcpDoubleEndpoint.split(':');
  const client = new gcp.SecretManagerServiceClient({ apiEndpoint: host, port: Number(port), sslCreds: credentials.createInsecure(), projectId: 'test-project' } as ConstructorParameters<typeof gcp.SecretManagerServiceClient>[0]);
  const o = { timeout: 15_000, maxRetries: 0 };
  try {
    const secretName = `projects/test-project/secrets/${secretIdFor(name)}`;
    const [s] = await client.getSecret({ name: secretName }, o);
    await client.updateSecret(
      { secret: { name: secretName, annotations: { ...(s.annotations ?? {}), 'vh-stage-current': c0, 'vh-stage-token': rotationId }, ...(s.etag ? { etag: s.etag } : {}) }, updateMask: { paths: ['annotations'] } },
      o,
    );
    if (add) await client.addSecretVersion({ parent: secretName, payload: { data: Buffer.from(value) } }, o);
  } finally {
    await client.close();
  }
}

interface Killed {
  home: string;
  env: NodeJS.ProcessEnv;
  name: string;
  ref: string;
  c0: string;
  v0: Buffer;
  direct: SecretStore;
}

for (const provider of ['vault', 'gcp'] as const) {
  const store = stores.find((s) => s.provider === provider)!;

  /** `written`: the version write landed before the kill; otherwise the process died between claim and write. */
  const killedInStage = async (written = true): Promise<Killed> => {
    const { home, env, name, ref, c0, v0, journal, staged, direct } = await killedAfterGenerate(store, `${provider}-stage`);
    if (provider === 'vault') await vaultDataWrite(name, c0, journal.id, staged, written);
    else await gcpClaimAndAdd(name, c0, journal.id, staged, written);
    // Readable: the old value, or the value the rotation wrote.
    const mid = await run(['get', name], { env });
    expect(mid.code).toBe(0);
    expect([v0.toString(), staged]).toContain(mid.out);
    return { home, env, name, ref, c0, v0, direct };
  };
  const settled = (k: Killed) => settledFindings({ provider, store: k.direct, name: k.name, ref: k.ref, home: k.home, env: k.env, c0: k.c0, v0: k.v0 });

  (store.skip ? describe.skip : describe)(`${provider}: a rotation killed in stage after its version write, before the store recorded it as pending`, () => {
    test('rotate --resume finishes it from the version current before the kill, leaving nothing of the dead attempt', async () => {
      const k = await killedInStage();
      try {
        const resumed = await run(['rotate', k.name, '--resume', '--json'], { env: k.env });
        const o = JSON.parse(resumed.out || '{}') as { status?: string; note?: string };
        expect({ code: resumed.code, status: o.status }).toEqual({ code: 0, status: 'rotated' });
        const end = await settled(k);
        expect(end.findings).toEqual([]);
        expect(end.end).toBe('new');
      } finally {
        await k.direct.close?.();
        await fs.rm(k.home, { recursive: true, force: true });
      }
    });

    test('rotate --abort leaves the old value current and nothing behind', async () => {
      const k = await killedInStage();
      try {
        const aborted = await run(['rotate', k.name, '--abort', '--json'], { env: k.env });
        const o = JSON.parse(aborted.out || '{}') as { status?: string; note?: string };
        expect({ code: aborted.code, status: o.status }).toEqual({ code: 0, status: 'aborted' });
        const end = await settled(k);
        expect(end.findings).toEqual([]);
        expect(end.end).toBe('old');
      } finally {
        await k.direct.close?.();
        await fs.rm(k.home, { recursive: true, force: true });
      }
    });
  });

  (store.skip ? describe.skip : describe)(`${provider}: a rotation killed after claiming the pending slot, before its version write`, () => {
    for (const verb of ['--resume', '--abort'] as const) {
      test(`rotate ${verb} leaves no claim behind`, async () => {
        const k = await killedInStage(false);
        try {
          const r = await run(['rotate', k.name, verb, '--json'], { env: k.env });
          const o = JSON.parse(r.out || '{}') as { status?: string };
          expect({ code: r.code, status: o.status }).toEqual({ code: 0, status: verb === '--resume' ? 'rotated' : 'aborted' });
          const end = await settled(k);
          expect(end.findings).toEqual([]);
          expect(end.end).toBe(verb === '--resume' ? 'new' : 'old');
        } finally {
          await k.direct.close?.();
          await fs.rm(k.home, { recursive: true, force: true });
        }
      });
    }
  });
}
