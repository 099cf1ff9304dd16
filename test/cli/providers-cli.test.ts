import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LeakLedger, canary } from '../leak/canary.js';
import { peerSkip } from '../providers/peers.js';
import { uniqueName } from '../providers/contract.js';
import { baseEnv, run, runInProcess, tempHome } from '../helpers/cli.js';
import { azureEnv, azureUrl, gcpDoubleEndpoint } from '../helpers/stores.js';

/** The everyday verbs, unchanged, on every store alias backed by a real peer. */
const vaultAddr = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const vaultToken = process.env.VH_TEST_VAULT_TOKEN ?? 'root';
const awsEndpoint = process.env.VH_TEST_AWS_ENDPOINT ?? 'http://127.0.0.1:5055';
const gcpEndpoint = process.env.VH_TEST_GCP_ENDPOINT ?? '127.0.0.1:59090';
const azureToml = `[stores.azure-kv]\nprovider = "azure"\nvault_url = "${azureUrl}"\ndisable_challenge_resource_verification = true\n`;

interface Peer {
  alias: string;
  skip: string | undefined;
  toml: string;
  env: NodeJS.ProcessEnv;
  /** null: the peer has no authentication to fail (said why in `lacks.auth`). */
  badAuth: { toml: string; env: NodeJS.ProcessEnv } | null;
  /** What the peer does not implement, with why: those verbs must fail cleanly (NOT_IMPLEMENTED, exit 70). */
  lacks?: { revoke?: string; auth?: string };
}

/** A Vault token that is itself a canary: it must never show up in any output, even with DEBUG=*. */
const vaultCanaryToken = canary('vaulttoken');
const vaultSkip = await peerSkip('vault', vaultAddr, 'scripts/peers.sh start openbao');
if (!vaultSkip) {
  const res = await fetch(`${vaultAddr}/v1/auth/token/create`, {
    method: 'POST',
    headers: { 'X-Vault-Token': vaultToken },
    body: JSON.stringify({ id: vaultCanaryToken, policies: ['root'], ttl: '1h' }),
  });
  if (!res.ok) throw new Error(`cannot create the canary Vault token: ${res.status}`);
}

const peers: Peer[] = [
  {
    alias: 'prod-vault',
    skip: vaultSkip,
    toml: `[stores.prod-vault]\nprovider = "vault"\naddress = "${vaultAddr}"\n`,
    env: { VAULT_TOKEN: vaultCanaryToken },
    badAuth: { toml: `[stores.prod-vault]\nprovider = "vault"\naddress = "${vaultAddr}"\n`, env: { VAULT_TOKEN: 'not-a-real-token' } },
  },
  {
    alias: 'aws-eu',
    skip: await peerSkip('aws', awsEndpoint, 'scripts/peers.sh start moto'),
    toml: `[stores.aws-eu]\nprovider = "aws"\nregion = "us-east-1"\nendpoint = "${awsEndpoint}"\n`,
    env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
    // moto accepts any credentials; a missing credential chain is the auth failure it can show.
    badAuth: { toml: `[stores.aws-eu]\nprovider = "aws"\nregion = "us-east-1"\nendpoint = "${awsEndpoint}"\n`, env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' } },
  },
  {
    alias: 'azure-kv',
    skip: await peerSkip('azure', azureUrl, 'scripts/peers.sh start azure'),
    toml: azureToml,
    env: azureEnv,
    // The managed-identity endpoint refuses a caller without its secret header: no token, exit 77.
    badAuth: { toml: azureToml, env: { ...azureEnv, IDENTITY_HEADER: 'wrong-header' } },
  },
  {
    alias: 'gcp-full',
    skip: await peerSkip('gcp-double', gcpDoubleEndpoint, 'scripts/peers.sh start gcp-double'),
    toml: `[stores.gcp-full]\nprovider = "gcp"\nproject = "test-project"\nendpoint = "${gcpDoubleEndpoint}"\n`,
    env: {},
    badAuth: null,
    lacks: { auth: 'the Secret Manager double takes every caller (plaintext gRPC, no credentials)' },
  },
  {
    alias: 'gcp-proj',
    skip: await peerSkip('gcp', gcpEndpoint, 'scripts/peers.sh start gcp'),
    toml: `[stores.gcp-proj]\nprovider = "gcp"\nproject = "test-project"\nendpoint = "${gcpEndpoint}"\n`,
    env: {},
    badAuth: null,
    lacks: {
      revoke: 'the blackwell-systems emulator v0.1.0 has no DisableSecretVersion',
      auth: 'the emulator accepts every caller (plaintext gRPC, no credentials)',
    },
  },
];

let home: string;
beforeAll(() => {
  home = tempHome('vh-providers-cli-');
});
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

async function configFor(toml: string, name: string): Promise<string> {
  const path = join(home, `${name}.toml`);
  await fs.writeFile(path, toml);
  return path;
}

for (const peer of peers) {
  const block = peer.skip ? describe.skip : describe;
  block(`CLI verbs on ${peer.alias}`, () => {
    test('create / get (with #key and @version) / list / describe / revoke, no value leaks', async () => {
      const ledger = new LeakLedger();
      // DEBUG=* turns on every `debug`-module logger in the SDKs' dependency trees: they must still not leak.
      const env = baseEnv(home, { ...peer.env, DEBUG: '*', VH_SECRETS_CONFIG: await configFor(peer.toml, peer.alias) });
      // In-process (the ledger sees all a run wrote, as with a child's pipes); one read below in a process of its
      // own, where DEBUG=* is in the environment from the start, before any SDK module loads.
      const vh = async (label: string, args: string[], input?: string, value = false, how = runInProcess) =>
        ledger.record(label, await how(args, { env, ...(input !== undefined ? { input } : {}) }), value);
      const name = uniqueName('cli');
      const ref = `${peer.alias}:${name}`;
      const password = ledger.add(canary(peer.alias));
      ledger.add(vaultCanaryToken);

      const created = await vh('create', ['create', `${ref}#password`, '--type', 'database_password', '--tag', 'team=payments', '--json'], password);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const version = JSON.parse(created.out).version as string;

      expect((await vh('get key', ['get', `${ref}#password`], undefined, true, run)).out).toBe(password);
      expect((await vh('get version', ['get', `${ref}#password@${version}`], undefined, true)).out).toBe(password);
      expect(JSON.parse((await vh('get whole', ['get', ref], undefined, true)).out)).toEqual({ password });

      const listed = JSON.parse((await vh('list', ['list', '--store', peer.alias, '--tag', 'team=payments', '--json'])).out);
      expect(listed.secrets.map((s: { ref: string }) => s.ref)).toContain(ref);

      const desc = JSON.parse((await vh('describe', ['describe', ref, '--json'])).out);
      expect(desc).toMatchObject({ ref, store: peer.alias, type: 'database_password', current_version: version, revoked: false, tags: { team: 'payments' } });

      const dup = await vh('dup', ['create', ref], 'other');
      expect(dup.code).toBe(75);

      if (peer.lacks?.revoke) {
        process.stderr.write(`${peer.alias}: revoke not implemented by the peer (${peer.lacks.revoke}): it must fail cleanly\n`);
        const refused = await vh('revoke (unimplemented)', ['revoke', ref, '--yes']);
        expect(refused.code).toBe(70);
        expect(refused.stderr).toMatch(/vh-secrets: error: .*not implemented/i);
        expect(refused.stderr).toMatch(/hint: /);
        expect(refused.stderr).not.toMatch(/\n\s+at /);
        expect((await vh('get after refused revoke', ['get', `${ref}#password`], undefined, true)).out).toBe(password);
      } else {
        expect((await vh('revoke', ['revoke', ref, '--yes'])).code).toBe(0);
        const gone = await vh('get revoked', ['get', ref, '--debug']);
        expect(gone.code).toBe(66);
        expect(gone.stdout.length).toBe(0);
      }

      expect((await vh('missing', ['get', `${peer.alias}:${uniqueName('nope')}`, '--debug'])).code).toBe(66);
      expect(ledger.leaks()).toEqual([]);
      await ledger.recordFiles(join(home, 'vh'), () => false);
      expect(ledger.leaks()).toEqual([]);
    });

    (peer.badAuth ? test : test.skip)('bad credentials: exit 77, a clear message, and no retry storm', async () => {
      if (!peer.badAuth) return;
      const env = baseEnv(home, { ...peer.badAuth.env, VH_SECRETS_CONFIG: await configFor(peer.badAuth.toml, `${peer.alias}-bad`) });
      const started = Date.now();
      const r = await run(['get', `${peer.alias}:${uniqueName('auth')}`], { env });
      const elapsed = Date.now() - started;
      expect(r.code).toBe(77);
      expect(r.stderr).toMatch(/vh-secrets: error: /);
      expect(r.stderr).toMatch(/hint: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // Auth errors are not retried: one attempt, well inside the first backoff step budget.
      expect(elapsed).toBeLessThan(5_000);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await peerSkip('moto', `http://127.0.0.1:${port}`, '')) === undefined) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto did not start on ${port}`);
}

const motoSkip = await new Promise<string | undefined>((resolve) => {
  const probe = spawn('moto_server', ['--help'], { stdio: 'ignore' });
  probe.on('error', () => resolve('moto_server is not installed (pip install "moto[server]")'));
  probe.on('close', () => resolve(undefined));
});
if (motoSkip && process.env.VH_REQUIRE_PEERS === '1') throw new Error(motoSkip);

(motoSkip ? describe.skip : describe)('network failures', () => {
  test('a store that is down, then comes back mid-command: retried with backoff, the command succeeds', async () => {
    const port = await freePort();
    const env = baseEnv(home, {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      VH_SECRETS_CONFIG: await configFor(`[stores.flaky]\nprovider = "aws"\nregion = "us-east-1"\nendpoint = "http://127.0.0.1:${port}"\n`, 'flaky'),
    });
    let moto: ChildProcess | undefined;
    const starter = setTimeout(() => {
      moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    }, 1_500);
    try {
      const r = await run(['list', '--store', 'flaky', '--json'], { env, timeoutMs: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).secrets).toEqual([]);
      await waitForPort(port, 5_000);

      // Stop it for good: the command gives up after its bounded retries with 69 and says what to check.
      moto!.kill('SIGTERM');
      await new Promise((res) => moto!.once('close', res));
      const down = await run(['list', '--store', 'flaky'], { env: { ...env, VH_SECRETS_RETRIES: '3' }, timeoutMs: 30_000 });
      expect(down.code).toBe(69);
      expect(down.stderr).toMatch(/cannot reach|ECONNREFUSED/);
      expect(down.stderr).toMatch(/hint: /);
    } finally {
      clearTimeout(starter);
      moto?.kill('SIGKILL');
    }
  });
});
