/**
 * An Azure Key Vault (secrets data plane) test double, for the tests only: lowkey-vault, the double PEERS.md
 * names, is not served by this machine's Maven Central, and no other Key Vault emulator is reachable from its
 * registries. It follows the documented REST API (api-version 2025-07-01) closely enough for the real
 * `@azure/keyvault-secrets` + `@azure/identity` clients to run unmodified against it, over TLS:
 *
 * - challenge-based auth: a request without a bearer token gets 401 + `WWW-Authenticate: Bearer
 *   authorization="…/<tenant>", resource="https://vault.azure.net"`; only tokens this process issued are taken;
 * - a managed-identity token endpoint in the App Service protocol (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`,
 *   api-version 2019-08-01), the credential DefaultAzureCredential picks up without any Azure account;
 * - secrets: set (PUT), get latest / by version, update properties (PATCH), list secrets and versions with
 *   `nextLink` paging, soft delete (DELETE), get / purge / recover deleted secrets;
 * - the service's refusals: 404 SecretNotFound, 403 for a disabled version, 409 for a name held by a deleted
 *   secret, 400 for a bad name, more than 15 tags or a value over 25 KiB;
 * - fault injection for the retry tests: `POST /_double/fail?status=429&count=N` answers the next N data-plane
 *   requests with that status (429 with `Retry-After: 0`).
 *
 * Usage: node keyvault-double.js --port P --cert CRT --key KEY --identity-header H
 * Known gaps against the real service: no RBAC (every issued token may do everything), no soft-delete retention
 * timer (a deleted secret stays recoverable until purged), no certificates/keys.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { parseArgs } from 'node:util';

interface Version {
  id: string;
  value: string;
  contentType: string | undefined;
  tags: Record<string, string> | undefined;
  enabled: boolean;
  exp: number | undefined;
  nbf: number | undefined;
  created: number;
  updated: number;
}

interface Secret {
  versions: Version[];
  deletedDate: number | undefined;
}

const TENANT = '72f988bf-0000-4000-8000-00000000d0b1';
const CLIENT_ID = '5a0e5f0e-0000-4000-8000-00000000c1d2';
const PAGE = 25;
const MAX_VALUE = 25 * 1024;
const NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '58443' },
    'token-port': { type: 'string', default: '58080' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'identity-header': { type: 'string', default: '' },
  },
});
if (!args.cert || !args.key || !args['identity-header']) {
  process.stderr.write('usage: keyvault-double --port P --token-port T --cert CRT --key KEY --identity-header H\n');
  process.exit(64);
}
const identityHeader = args['identity-header'];

const secrets = new Map<string, Secret>();
const tokens = new Map<string, number>();
let injected: { status: number; count: number } = { status: 0, count: 0 };
const now = () => Math.floor(Date.now() / 1000);

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), 'x-ms-keyvault-service-version': 'double', ...headers });
  res.end(text);
}

function fail(res: ServerResponse, status: number, code: string, message: string, inner?: string): void {
  send(res, status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } });
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function attributes(v: Version) {
  return { enabled: v.enabled, created: v.created, updated: v.updated, ...(v.exp !== undefined ? { exp: v.exp } : {}), ...(v.nbf !== undefined ? { nbf: v.nbf } : {}), recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 };
}

function item(base: string, name: string, v: Version, withVersion: boolean) {
  return { id: `${base}/secrets/${name}${withVersion ? `/${v.id}` : ''}`, attributes: attributes(v), ...(v.tags ? { tags: v.tags } : {}), ...(v.contentType !== undefined ? { contentType: v.contentType } : {}) };
}

function bundle(base: string, name: string, v: Version, withValue: boolean) {
  return { ...(withValue ? { value: v.value } : {}), ...item(base, name, v, true) };
}

function deletedBundle(base: string, name: string, s: Secret) {
  const latest = s.versions.at(-1)!;
  return { ...bundle(base, name, latest, false), recoveryId: `${base}/deletedsecrets/${name}`, deletedDate: s.deletedDate, scheduledPurgeDate: (s.deletedDate ?? now()) + 90 * 86400 };
}

function page<T>(res: ServerResponse, base: string, path: string, all: T[], url: URL): void {
  const skip = Number(url.searchParams.get('$skiptoken') ?? '0') || 0;
  const size = Math.min(Number(url.searchParams.get('maxresults') ?? PAGE) || PAGE, PAGE);
  const slice = all.slice(skip, skip + size);
  const next = skip + size < all.length ? `${base}${path}?api-version=${url.searchParams.get('api-version') ?? '2025-07-01'}&$skiptoken=${skip + size}&maxresults=${size}` : null;
  send(res, 200, { value: slice, nextLink: next });
}

/** The managed-identity endpoint (App Service protocol): a token for any resource, to a caller with the header. */
function tokenEndpoint(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/msi/token') return fail(res, 404, 'NotFound', 'no such endpoint');
  if (req.headers['x-identity-header'] !== identityHeader) return fail(res, 401, 'Unauthorized', 'X-IDENTITY-HEADER is missing or wrong');
  const resource = url.searchParams.get('resource') ?? '';
  const exp = now() + 3600;
  const payload = { aud: resource, iss: `https://sts.windows.net/${TENANT}/`, tid: TENANT, appid: CLIENT_ID, oid: 'a1b2c3d4-0000-4000-8000-0000000000e5', exp, nonce: randomBytes(8).toString('hex') };
  const token = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
  tokens.set(token, exp);
  send(res, 200, { access_token: token, expires_on: String(exp), resource, token_type: 'Bearer', client_id: CLIENT_ID });
}

async function dataPlane(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const base = `https://${req.headers.host ?? 'localhost'}`;
  const url = new URL(req.url ?? '/', base);
  const method = req.method ?? 'GET';
  if (url.pathname === '/_double/fail' && method === 'POST') {
    injected = { status: Number(url.searchParams.get('status') ?? 503), count: Number(url.searchParams.get('count') ?? 1) };
    return send(res, 204);
  }
  if (url.pathname === '/_double/health') return send(res, 200, { ok: true });

  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
  const exp = tokens.get(token);
  if (exp === undefined || exp < now()) {
    await body(req);
    return send(res, 401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } }, {
      'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`,
    });
  }
  if (injected.count > 0) {
    injected.count--;
    await body(req);
    const code = injected.status === 429 ? 'Throttled' : 'ServiceUnavailable';
    return send(res, injected.status, { error: { code, message: 'injected by the test' } }, injected.status === 429 ? { 'retry-after': '0' } : {});
  }

  const parts = url.pathname.split('/').filter(Boolean);
  const [collection, name, third, fourth] = parts;
  if (collection === 'secrets' && name === undefined && method === 'GET') {
    const live = [...secrets.entries()].filter(([, s]) => s.deletedDate === undefined).sort(([a], [b]) => a.localeCompare(b));
    return page(res, base, '/secrets', live.map(([n, s]) => item(base, n, s.versions.at(-1)!, false)), url);
  }
  if (collection === 'secrets' && name !== undefined) {
    const s = secrets.get(name);
    if (third === 'versions' && method === 'GET') {
      if (!s || s.deletedDate !== undefined) return fail(res, 404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
      return page(res, base, `/secrets/${name}/versions`, s.versions.map((v) => item(base, name, v, true)), url);
    }
    if (method === 'PUT' && third === undefined) {
      const b = await body(req);
      if (!NAME_RE.test(name)) return fail(res, 400, 'BadParameter', 'The request URI contains an invalid name: ' + name);
      if (s?.deletedDate !== undefined) return fail(res, 409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable');
      if (typeof b.value !== 'string') return fail(res, 400, 'BadParameter', 'Property value is required.');
      if (Buffer.byteLength(b.value) > MAX_VALUE) return fail(res, 400, 'BadParameter', 'Secret value is too large (maximum 25 KiB).');
      const tags = b.tags as Record<string, string> | undefined;
      if (tags && Object.keys(tags).length > 15) return fail(res, 400, 'BadParameter', 'Too many tags (maximum 15).');
      const a = (b.attributes ?? {}) as { enabled?: boolean; exp?: number; nbf?: number };
      const t = now();
      const v: Version = { id: randomBytes(16).toString('hex'), value: b.value, contentType: b.contentType as string | undefined, tags, enabled: a.enabled ?? true, exp: a.exp, nbf: a.nbf, created: t, updated: t };
      const entry = s ?? { versions: [], deletedDate: undefined };
      entry.versions.push(v);
      secrets.set(name, entry);
      return send(res, 200, bundle(base, name, v, true));
    }
    if (!s || s.deletedDate !== undefined) {
      await body(req);
      return fail(res, 404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
    }
    const version = third && third !== '' ? s.versions.find((v) => v.id === third) : s.versions.at(-1);
    if (fourth !== undefined) return fail(res, 404, 'NotFound', 'no such path');
    if (method === 'GET') {
      if (!version) return fail(res, 404, 'SecretNotFound', `A secret with (name/id) ${name}/${third} was not found in this key vault.`);
      if (!version.enabled) return fail(res, 403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
      return send(res, 200, bundle(base, name, version, true));
    }
    if (method === 'PATCH') {
      const b = await body(req);
      if (!version) return fail(res, 404, 'SecretNotFound', `A secret with (name/id) ${name}/${third} was not found in this key vault.`);
      const a = (b.attributes ?? {}) as { enabled?: boolean; exp?: number | null; nbf?: number | null };
      if (a.enabled !== undefined) version.enabled = a.enabled;
      if (a.exp !== undefined) version.exp = a.exp ?? undefined;
      if (a.nbf !== undefined) version.nbf = a.nbf ?? undefined;
      if (b.contentType !== undefined) version.contentType = b.contentType as string;
      if (b.tags !== undefined) {
        const tags = b.tags as Record<string, string>;
        if (Object.keys(tags).length > 15) return fail(res, 400, 'BadParameter', 'Too many tags (maximum 15).');
        version.tags = tags;
      }
      version.updated = now();
      return send(res, 200, bundle(base, name, version, false));
    }
    if (method === 'DELETE' && third === undefined) {
      s.deletedDate = now();
      return send(res, 200, deletedBundle(base, name, s));
    }
  }
  if (collection === 'deletedsecrets' && name !== undefined) {
    const s = secrets.get(name);
    if (!s || s.deletedDate === undefined) return fail(res, 404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
    if (method === 'GET' && third === undefined) return send(res, 200, deletedBundle(base, name, s));
    if (method === 'DELETE' && third === undefined) {
      secrets.delete(name);
      return send(res, 204);
    }
    if (method === 'POST' && third === 'recover') {
      s.deletedDate = undefined;
      return send(res, 200, bundle(base, name, s.versions.at(-1)!, false));
    }
  }
  await body(req);
  fail(res, 404, 'NotFound', `no route for ${method} ${url.pathname}`);
}

const handle = (fn: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>) => (req: IncomingMessage, res: ServerResponse) => {
  Promise.resolve(fn(req, res)).catch((err: unknown) => {
    if (!res.headersSent) fail(res, 500, 'InternalError', err instanceof Error ? err.message : 'error');
  });
};

const tls = createTlsServer({ cert: readFileSync(args.cert), key: readFileSync(args.key) }, handle(dataPlane));
const msi = createServer(handle(tokenEndpoint));
tls.listen(Number(args.port), '127.0.0.1', () => process.stderr.write(`keyvault-double: vault on https://127.0.0.1:${args.port}\n`));
msi.listen(Number(args['token-port']), '127.0.0.1', () => process.stderr.write(`keyvault-double: token endpoint on http://127.0.0.1:${args['token-port']}/msi/token\n`));
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    tls.close();
    msi.close();
    process.exit(0);
  });
}
