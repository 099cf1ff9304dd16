/**
 * A Google Cloud Secret Manager (v1, gRPC) test double with the API the blackwell-systems emulator v0.1.0 lacks:
 * UpdateSecret with etags and version aliases, ListSecretVersions, Enable/Disable/DestroySecretVersion. It is
 * built from the service's own proto files (shipped in @google-cloud/secret-manager) and follows the documented
 * behaviour, so the real client runs unmodified against it — and a rotation on GCP (stage, promote, revoke) runs
 * on a wire. The third-party emulator still runs beside it for the calls it has: a double written from the
 * documentation checks our reading of it, not the service.
 *
 * - etags (AIP-154): every change gives the secret and the version a new one; a request carrying a stale etag
 *   fails with FAILED_PRECONDITION and changes nothing;
 * - `latest` is the most recently created version; an alias names a version; a disabled or destroyed version
 *   cannot be accessed (FAILED_PRECONDITION); payloads are limited to 64 KiB (INVALID_ARGUMENT);
 * - secret ids `[A-Za-z0-9_-]{1,255}`; a second CreateSecret of an id is ALREADY_EXISTS.
 *
 * Usage: node gcp-double.js --port P (plaintext gRPC on 127.0.0.1; no authentication).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

interface Timestamp {
  seconds: number;
  nanos: number;
}
interface Version {
  id: number;
  state: 'ENABLED' | 'DISABLED' | 'DESTROYED';
  data: Buffer | undefined;
  createTime: Timestamp;
  destroyTime: Timestamp | undefined;
  etag: string;
}
interface Secret {
  name: string;
  createTime: Timestamp;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  aliases: Record<string, number>;
  etag: string;
  versions: Version[];
}
type Callback = (err: Partial<grpc.StatusObject> | null, value?: unknown) => void;
type Call = { request: Record<string, unknown> };

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '59091' } } });
const require = createRequire(import.meta.url);
const smPackage = require.resolve('@google-cloud/secret-manager/package.json');
const protos = join(dirname(smPackage), 'build', 'protos');
// google/api, google/iam and google/type come with google-gax, the client's own transport.
let gaxRoot = dirname(createRequire(smPackage).resolve('google-gax'));
while (!gaxRoot.endsWith(`${sep}google-gax`) && dirname(gaxRoot) !== gaxRoot) gaxRoot = dirname(gaxRoot);
const gaxProtos = join(gaxRoot, 'build', 'protos');
const definition = protoLoader.loadSync('google/cloud/secretmanager/v1/service.proto', { includeDirs: [protos, gaxProtos], keepCase: false, longs: String, enums: String, defaults: false, oneofs: true });
const pkg = grpc.loadPackageDefinition(definition) as unknown as { google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } } } };

const secrets = new Map<string, Secret>();
const MAX_PAYLOAD = 64 * 1024;
const ID_RE = /^[A-Za-z0-9_-]{1,255}$/;

const now = (): Timestamp => {
  const ms = Date.now();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
};
const etag = () => `"${randomBytes(6).toString('hex')}"`;
const error = (code: grpc.status, details: string): Partial<grpc.StatusObject> => ({ code, details });

function secretOf(name: unknown): Secret {
  const s = typeof name === 'string' ? secrets.get(name) : undefined;
  if (!s) throw error(grpc.status.NOT_FOUND, `Secret [${String(name)}] not found or has no versions.`);
  return s;
}

function versionOf(name: unknown): { s: Secret; v: Version } {
  const text = typeof name === 'string' ? name : '';
  const m = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(text);
  if (!m) throw error(grpc.status.INVALID_ARGUMENT, `Invalid resource field value in the request: ${text}`);
  const s = secretOf(m[1]);
  const key = m[2]!;
  const id = key === 'latest' ? s.versions.at(-1)?.id : /^\d+$/.test(key) ? Number(key) : s.aliases[key];
  const v = s.versions.find((x) => x.id === id);
  if (!v) throw error(grpc.status.NOT_FOUND, `Secret Version [${text}] not found.`);
  return { s, v };
}

function checkEtag(given: unknown, current: string, what: string): void {
  if (typeof given === 'string' && given !== '' && given !== current) throw error(grpc.status.FAILED_PRECONDITION, `The etag provided in the request does not match the current etag of the ${what}.`);
}

const secretMsg = (s: Secret) => ({
  name: s.name,
  replication: { automatic: {} },
  createTime: s.createTime,
  labels: s.labels,
  annotations: s.annotations,
  versionAliases: Object.fromEntries(Object.entries(s.aliases).map(([k, v]) => [k, String(v)])),
  etag: s.etag,
});
const versionMsg = (s: Secret, v: Version) => ({
  name: `${s.name}/versions/${v.id}`,
  createTime: v.createTime,
  state: v.state,
  etag: v.etag,
  ...(v.destroyTime ? { destroyTime: v.destroyTime } : {}),
  replicationStatus: { automatic: {} },
});

function page<T>(items: T[], req: Record<string, unknown>): { items: T[]; next: string } {
  const start = Number(req.pageToken || 0) || 0;
  const size = Math.min(Number(req.pageSize || 25) || 25, 25000);
  return { items: items.slice(start, start + size), next: start + size < items.length ? String(start + size) : '' };
}

/** Wraps a handler: a thrown status becomes the call's error. */
const rpc = (fn: (req: Record<string, unknown>) => unknown) => (call: Call, cb: Callback) => {
  try {
    cb(null, fn(call.request));
  } catch (err) {
    cb(err && typeof err === 'object' && 'code' in err ? (err as Partial<grpc.StatusObject>) : error(grpc.status.INTERNAL, String(err)));
  }
};

const setState = (state: Version['state']) =>
  rpc((req) => {
    const { s, v } = versionOf(req.name);
    checkEtag(req.etag, v.etag, 'secret version');
    if (v.state === 'DESTROYED') throw error(grpc.status.FAILED_PRECONDITION, `Secret Version [${s.name}/versions/${v.id}] is in DESTROYED state.`);
    v.state = state;
    v.etag = etag();
    if (state === 'DESTROYED') {
      v.data = undefined;
      v.destroyTime = now();
    }
    return versionMsg(s, v);
  });

const handlers = {
  createSecret: rpc((req) => {
    const id = String(req.secretId ?? '');
    if (!ID_RE.test(id)) throw error(grpc.status.INVALID_ARGUMENT, `Invalid secret id: ${id}`);
    const name = `${String(req.parent)}/secrets/${id}`;
    if (secrets.has(name)) throw error(grpc.status.ALREADY_EXISTS, `Secret [${name}] already exists.`);
    const given = (req.secret ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
    const s: Secret = { name, createTime: now(), labels: given.labels ?? {}, annotations: given.annotations ?? {}, aliases: {}, etag: etag(), versions: [] };
    secrets.set(name, s);
    return secretMsg(s);
  }),
  getSecret: rpc((req) => secretMsg(secretOf(req.name))),
  updateSecret: rpc((req) => {
    const given = (req.secret ?? {}) as { name?: string; etag?: string; labels?: Record<string, string>; annotations?: Record<string, string>; versionAliases?: Record<string, string> };
    const s = secretOf(given.name);
    checkEtag(given.etag, s.etag, 'secret');
    const paths = ((req.updateMask ?? {}) as { paths?: string[] }).paths ?? [];
    if (paths.length === 0) throw error(grpc.status.INVALID_ARGUMENT, 'update_mask is required');
    for (const p of paths) if (!['labels', 'annotations', 'version_aliases'].includes(p)) throw error(grpc.status.INVALID_ARGUMENT, `update_mask path "${p}" is not supported by this double`);
    if (paths.includes('version_aliases')) {
      const aliases: Record<string, number> = {};
      for (const [k, v] of Object.entries(given.versionAliases ?? {})) {
        const target = s.versions.find((x) => x.id === Number(v));
        if (!target || target.state === 'DESTROYED') throw error(grpc.status.INVALID_ARGUMENT, `version alias ${k} names version ${v}, which does not exist or is destroyed`);
        aliases[k] = Number(v);
      }
      s.aliases = aliases;
    }
    if (paths.includes('labels')) s.labels = given.labels ?? {};
    if (paths.includes('annotations')) s.annotations = given.annotations ?? {};
    s.etag = etag();
    return secretMsg(s);
  }),
  deleteSecret: rpc((req) => {
    const s = secretOf(req.name);
    checkEtag(req.etag, s.etag, 'secret');
    secrets.delete(s.name);
    return {};
  }),
  listSecrets: rpc((req) => {
    const prefix = `${String(req.parent)}/secrets/`;
    const all = [...secrets.values()].filter((s) => s.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
    const { items, next } = page(all, req);
    return { secrets: items.map(secretMsg), nextPageToken: next, totalSize: all.length };
  }),
  addSecretVersion: rpc((req) => {
    const s = secretOf(req.parent);
    const data = ((req.payload ?? {}) as { data?: Buffer }).data ?? Buffer.alloc(0);
    if (data.length > MAX_PAYLOAD) throw error(grpc.status.INVALID_ARGUMENT, `Secret payload data length must be at most ${MAX_PAYLOAD} bytes.`);
    const v: Version = { id: (s.versions.at(-1)?.id ?? 0) + 1, state: 'ENABLED', data: Buffer.from(data), createTime: now(), destroyTime: undefined, etag: etag() };
    s.versions.push(v);
    return versionMsg(s, v);
  }),
  getSecretVersion: rpc((req) => {
    const { s, v } = versionOf(req.name);
    return versionMsg(s, v);
  }),
  accessSecretVersion: rpc((req) => {
    const { s, v } = versionOf(req.name);
    if (v.state !== 'ENABLED' || !v.data) throw error(grpc.status.FAILED_PRECONDITION, `Secret Version [${s.name}/versions/${v.id}] is in ${v.state} state.`);
    return { name: `${s.name}/versions/${v.id}`, payload: { data: v.data } };
  }),
  listSecretVersions: rpc((req) => {
    const s = secretOf(req.parent);
    const all = [...s.versions].reverse();
    const { items, next } = page(all, req);
    return { versions: items.map((v) => versionMsg(s, v)), nextPageToken: next, totalSize: all.length };
  }),
  enableSecretVersion: setState('ENABLED'),
  disableSecretVersion: setState('DISABLED'),
  destroySecretVersion: setState('DESTROYED'),
};

const server = new grpc.Server();
// Calls this double does not implement answer UNIMPLEMENTED (grpc-js does so for any method without a handler).
server.addService(pkg.google.cloud.secretmanager.v1.SecretManagerService.service, handlers as unknown as grpc.UntypedServiceImplementation);
server.bindAsync(`127.0.0.1:${args.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`gcp-double: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`gcp-double: Secret Manager v1 on 127.0.0.1:${port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    server.forceShutdown();
    process.exit(0);
  });
}
