import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, promises as fs, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import openVault, { vaultAuth, DEFAULT_KUBERNETES_TOKEN_FILE } from '../../src/providers/vault.js';
import { makeCertificates } from '../helpers/collector.js';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { peerSkip } from './peers.js';

/**
 * Vault Kubernetes auth against OpenBao's own `kubernetes` auth method, mounted at a path of this test's own.
 * OpenBao validates a login's JWT by asking the Kubernetes API (`POST /apis/authentication.k8s.io/v1/tokenreviews`):
 * that API is a small HTTPS double here, answering "authenticated" for this test's service-account JWT only.
 */
const address = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const rootToken = process.env.VH_TEST_VAULT_TOKEN ?? 'root';
const skip = await peerSkip('vault', address, 'scripts/peers.sh start openbao');
const block = skip ? describe.skip : describe;

const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const mount = `k8s-${suffix}`;
const policy = `vh-k8s-${suffix}`;
const prefix = `vh-test/k8s-${suffix}`;
const namespace = 'vh-apps';
const serviceAccount = 'vh-app';
const uid = '6f0e2c1a-0000-4000-8000-00000000beef';

function jwtFor(name: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({
    iss: 'kubernetes/serviceaccount',
    sub: `system:serviceaccount:${namespace}:${name}`,
    'kubernetes.io/serviceaccount/namespace': namespace,
    'kubernetes.io/serviceaccount/service-account.name': name,
    'kubernetes.io/serviceaccount/service-account.uid': uid,
  })}`;
  return `${head}.${createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url')}`;
}

/** The service-account token the TokenReview double accepts, and one it does not. */
const goodJwt = jwtFor(serviceAccount);
const unknownJwt = jwtFor(serviceAccount);

async function bao(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${address}/v1/${path}`, { method, headers: { 'X-Vault-Token': rootToken }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

let dir: string;
let server: Server;
const reviews: { authorized: boolean; known: boolean }[] = [];

block('vault: Kubernetes auth against OpenBao\'s kubernetes auth method', () => {
  let goodFile: string;
  let unknownFile: string;

  beforeAll(async () => {
    dir = tempHome('vh-k8s-');
    const certs = makeCertificates(dir);
    server = createServer({ key: readFileSync(certs.key), cert: readFileSync(certs.cert) }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const token = (JSON.parse(body || '{}') as { spec?: { token?: string } }).spec?.token;
        const known = req.method === 'POST' && req.url === '/apis/authentication.k8s.io/v1/tokenreviews' && token === goodJwt;
        reviews.push({ authorized: req.headers.authorization === 'Bearer reviewer-jwt', known });
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({
          kind: 'TokenReview',
          apiVersion: 'authentication.k8s.io/v1',
          status: known ? { authenticated: true, user: { username: `system:serviceaccount:${namespace}:${serviceAccount}`, uid, groups: [] } } : { authenticated: false, error: 'token not recognised' },
        }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await bao('POST', `sys/auth/${mount}`, { type: 'kubernetes' });
    await bao('POST', `auth/${mount}/config`, {
      kubernetes_host: `https://127.0.0.1:${port}`,
      kubernetes_ca_cert: readFileSync(certs.ca, 'utf8'),
      disable_local_ca_jwt: true,
      token_reviewer_jwt: 'reviewer-jwt',
    });
    await bao('PUT', `sys/policies/acl/${policy}`, {
      policy: `path "secret/data/${prefix}/*" { capabilities = ["create", "read", "update", "list"] }\npath "secret/metadata/${prefix}/*" { capabilities = ["create", "read", "update", "list", "patch"] }\n`,
    });
    await bao('POST', `auth/${mount}/role/app`, { bound_service_account_names: [serviceAccount], bound_service_account_namespaces: [namespace], token_policies: [policy], token_ttl: '10m' });
    mkdirSync(join(dir, 'sa'), { recursive: true });
    goodFile = join(dir, 'sa', 'token');
    unknownFile = join(dir, 'sa', 'other-token');
    await fs.writeFile(goodFile, `${goodJwt}\n`, { mode: 0o600 });
    await fs.writeFile(unknownFile, unknownJwt, { mode: 0o600 });
  });

  afterAll(async () => {
    await bao('DELETE', `sys/auth/${mount}`).catch(() => undefined);
    await bao('DELETE', `sys/policies/acl/${policy}`).catch(() => undefined);
    await bao('DELETE', `secret/metadata/${prefix}/db`).catch(() => undefined);
    await bao('DELETE', `secret/metadata/${prefix}/cli`).catch(() => undefined);
    await new Promise((resolve) => server?.close(resolve));
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a store logged in with its service-account token creates a secret and reads it back (the JWT checked by a TokenReview)', async () => {
    const before = reviews.length;
    const store = await openVault({ address, kubernetes_role: 'app', kubernetes_path: mount, kubernetes_token_file: goodFile }, { alias: 'k8s', home: dir });
    await store.create(`${prefix}/db`, Buffer.from('s3cret-k8s'), {});
    expect((await store.get(`${prefix}/db`)).value.toString()).toBe('s3cret-k8s');
    expect(await store.identity?.()).toMatch(/:app$/);
    const mine = reviews.slice(before);
    expect(mine).toEqual([{ authorized: true, known: true }]);
    // The login's token carries the role's policy and nothing more.
    await expect(store.get('vh-test/not-under-the-prefix')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  test('the seed\'s form: config/production.toml [secrets] provider = "vault" with VAULT_ROLE, through the CLI', async () => {
    const home = join(dir, 'cli');
    mkdirSync(join(home, 'config'), { recursive: true });
    await fs.writeFile(join(home, 'config', 'production.toml'), `[secrets]\nprovider = "vault"\naddress = "${address}"\ntoken = "\${VAULT_TOKEN:-}"\nkubernetes_path = "${mount}"\nkubernetes_token_file = "${goodFile}"\n`);
    const env = baseEnv(home, { VAULT_ROLE: 'app', DEBUG: '*' });
    const created = await run(['--env', 'production', 'create', `${prefix}/cli`], { env, cwd: home, input: 'from-the-seed-form' });
    expect(created.code).toBe(0);
    const got = await run(['--env', 'production', 'get', `secrets:${prefix}/cli`], { env, cwd: home });
    expect(got.code).toBe(0);
    expect(got.out).toBe('from-the-seed-form');
    for (const r of [created, got]) {
      expect(r.out + r.stderr).not.toContain(goodJwt);
      expect(r.out + r.stderr).not.toContain(goodJwt.split('.')[2]!);
    }
  });

  const refusal = async (settings: string, environ: NodeJS.ProcessEnv = {}) => {
    const home = join(dir, `r-${randomBytes(3).toString('hex')}`);
    mkdirSync(home, { recursive: true });
    const config = join(home, 'vh.toml');
    await fs.writeFile(config, `[secrets]\nprovider = "vault"\naddress = "${address}"\n${settings}`);
    const r = await run(['--config', config, 'get', `${prefix}/db`], { env: baseEnv(home, environ), cwd: home });
    expect(r.out).toBe('');
    expect(r.stderr).not.toContain(goodJwt);
    expect(r.stderr).not.toContain(unknownJwt);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    return r;
  };

  test('a JWT the TokenReview does not accept: exit 77, AUTH_FAILED, the server\'s refusal in words and no token', async () => {
    const r = await refusal(`kubernetes_role = "app"\nkubernetes_path = "${mount}"\nkubernetes_token_file = "${unknownFile}"\n`);
    expect(r.code).toBe(77);
    expect(r.stderr).toContain(`Kubernetes login as role "app" (auth/${mount}): refused: permission denied`);
  });

  test('a role the method does not know: exit 77 naming the role', async () => {
    const r = await refusal(`kubernetes_path = "${mount}"\nkubernetes_token_file = "${goodFile}"\n`, { VAULT_ROLE: 'no-such-role' });
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(new RegExp(`Kubernetes login as role "no-such-role" \\(auth/${mount}\\): refused: .*no-such-role`));
  });

  test('no auth method at that mount: exit 77 and a hint to kubernetes_path', async () => {
    const r = await refusal(`kubernetes_role = "app"\nkubernetes_path = "${mount}-absent"\nkubernetes_token_file = "${goodFile}"\n`);
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(/refused: permission denied[\s\S]*kubernetes_path/);
  });

  test('no service-account token file (not in a pod): exit 77 naming the file, before anything is sent', async () => {
    const before = reviews.length;
    const missing = join(dir, 'sa', 'absent');
    const r = await refusal(`kubernetes_role = "app"\nkubernetes_path = "${mount}"\nkubernetes_token_file = "${missing}"\n`);
    expect(r.code).toBe(77);
    expect(r.stderr).toContain(`the service-account token file ${missing} does not exist`);
    expect(reviews.length).toBe(before);
  });

  test('a token written in the settings wins over Kubernetes auth (its token file is then never read)', async () => {
    const store = await openVault({ address, token: rootToken, kubernetes_role: 'app', kubernetes_path: mount, kubernetes_token_file: join(dir, 'absent') }, { alias: 'k8s', home: dir });
    expect((await store.get(`${prefix}/db`)).value.toString()).toBe('s3cret-k8s');
  });
});

describe('vault: which credential a store uses', () => {
  test('a written token; else AppRole; else Kubernetes; else $VAULT_TOKEN', () => {
    const env = { VAULT_TOKEN: 'env-token', VAULT_ROLE: 'env-role', VAULT_ROLE_ID: 'env-role-id' };
    expect(vaultAuth({ token: 't', role_id: 'r', kubernetes_role: 'k' }, env)).toEqual({ method: 'token', token: 't' });
    expect(vaultAuth({ token: '', kubernetes_role: 'k' }, env)).toMatchObject({ method: 'approle', roleId: 'env-role-id' });
    expect(vaultAuth({ kubernetes_role: 'k' }, { VAULT_TOKEN: 'env-token' })).toEqual({ method: 'kubernetes', role: 'k', tokenFile: DEFAULT_KUBERNETES_TOKEN_FILE, path: 'kubernetes' });
    expect(vaultAuth({ kubernetes_path: '/k8s-prod/' }, { VAULT_TOKEN: 'env-token', VAULT_ROLE: 'env-role' })).toMatchObject({ method: 'kubernetes', role: 'env-role', path: 'k8s-prod' });
    expect(vaultAuth({}, { VAULT_TOKEN: 'env-token', VAULT_ROLE: '' })).toEqual({ method: 'token', token: 'env-token' });
    expect(vaultAuth({}, {})).toEqual({ method: 'none' });
  });
});
