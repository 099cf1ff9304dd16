import { isIP } from 'node:net';
import { readJsonLines } from './json-lines.js';
import { isObject, parseTimestamp, str, type ProblemSink, type RecordSink, type SourceReader, type SourceStats } from './types.js';

/**
 * A Vault / OpenBao `file` audit device log: JSON lines, one `request` and one `response` entry per call.
 * Only `response` entries become records (they repeat the request and carry the outcome); request halves are
 * counted as ignored. Fields the device HMAC'd (tokens, accessors, request and response data) stay HMAC'd —
 * this reader copies none of them except as opaque actor fallback (the accessor's HMAC).
 */

interface VaultEntry {
  time?: unknown;
  type?: unknown;
  error?: unknown;
  auth?: { display_name?: unknown; accessor?: unknown; entity_id?: unknown; metadata?: unknown; policies?: unknown } | null;
  request?: {
    id?: unknown;
    operation?: unknown;
    path?: unknown;
    mount_point?: unknown;
    mount_type?: unknown;
    remote_address?: unknown;
    namespace?: { path?: unknown } | null;
  } | null;
}

const KV2_PREFIXES = new Set(['data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys']);

interface Classified {
  event: string;
  /** The path with secret names removed, so an action names a capability, not one secret. */
  target: string;
  secret: string | null;
  privileged: boolean;
}

/** Maps a request onto a normalized event. Exported for tests. */
export function classifyVaultRequest(operation: string, path: string, mountPoint: string | null, mountType: string | null): Classified {
  const mount = mountPoint ?? '';
  if (mountType === 'kv' && mount !== '' && path.startsWith(mount)) {
    const rest = path.slice(mount.length);
    const slash = rest.indexOf('/');
    const head = slash < 0 ? rest : rest.slice(0, slash);
    const kv2 = KV2_PREFIXES.has(head);
    const name = kv2 ? (slash < 0 ? '' : rest.slice(slash + 1)) : rest;
    const secret = name === '' ? null : `${mount}${name}`;
    const kind = kv2 ? head : 'data';
    const target = `${mount}${kind}`;
    if (operation === 'list') return { event: 'listed', target, secret, privileged: false };
    switch (kind) {
      case 'data':
        if (operation === 'read') return { event: 'accessed', target, secret, privileged: false };
        if (operation === 'create' || operation === 'update' || operation === 'patch') return { event: 'written', target, secret, privileged: false };
        if (operation === 'delete') return { event: 'revoked', target, secret, privileged: true };
        break;
      case 'metadata':
        if (operation === 'read') return { event: 'described', target, secret, privileged: false };
        if (operation === 'delete') return { event: 'purged', target, secret, privileged: true };
        return { event: 'metadata_changed', target, secret, privileged: false };
      case 'subkeys':
        return { event: 'described', target, secret, privileged: false };
      case 'delete':
        return { event: 'revoked', target, secret, privileged: true };
      case 'undelete':
        return { event: 'activated', target, secret, privileged: true };
      case 'destroy':
        return { event: 'purged', target, secret, privileged: true };
    }
    return { event: 'other', target, secret, privileged: false };
  }
  const changes = operation !== 'read' && operation !== 'list';
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  if (under('sys/policy') || under('sys/policies')) {
    return { event: changes ? 'policy_changed' : 'other', target: path.split('/').slice(0, under('sys/policies') ? 3 : 2).join('/'), secret: null, privileged: changes };
  }
  if (under('sys/auth') || under('sys/mounts') || under('sys/audit') || under('sys/raw') || under('sys/seal') || under('sys/generate-root') || under('sys/rotate')) {
    const target = path.split('/').slice(0, 2).join('/');
    return { event: changes ? (under('sys/auth') ? 'auth_changed' : 'config_changed') : 'other', target, secret: null, privileged: changes };
  }
  if (under('auth/token/create') || under('auth/token/create-orphan')) {
    return { event: 'token_created', target: path.split('/').slice(0, 3).join('/'), secret: null, privileged: true };
  }
  if (under('identity') && changes) return { event: 'auth_changed', target: path.split('/').slice(0, 2).join('/'), secret: null, privileged: true };
  // Logins and everything else: keep the mount-level shape, never the tail (it may hold role or user names only, but stays short).
  return { event: 'other', target: path.split('/').slice(0, 2).join('/'), secret: null, privileged: false };
}

function errorCode(error: unknown): string | null {
  if (typeof error !== 'string' || error === '') return null;
  const e = error.toLowerCase();
  if (e.includes('permission denied')) return 'PERMISSION_DENIED';
  if (e.includes('invalid token') || e.includes('bad token')) return 'AUTH_FAILED';
  if (e.includes('check-and-set') || e.includes('cas')) return 'CONFLICT';
  if (e.includes('not found') || e.includes('no value found')) return 'NOT_FOUND';
  return 'VAULT_ERROR';
}

export const vaultAuditSource: SourceReader = {
  read(path: string, emit: RecordSink, problems: ProblemSink): Promise<SourceStats> {
    return readJsonLines('vault-audit', path, problems, (value, lineNo) => {
      const e = value as VaultEntry;
      if (!isObject(e) || typeof e.time !== 'string' || (e.type !== 'request' && e.type !== 'response') || !isObject(e.request)) {
        return { problem: 'wrong_schema', detail: 'not a Vault/OpenBao audit entry (needs time, type request|response, request)' };
      }
      if (e.type === 'request') return 'ignored';
      const ts = parseTimestamp(e.time);
      const req = e.request;
      const operation = str(req.operation);
      const reqPath = typeof req.path === 'string' ? req.path : null;
      if (Number.isNaN(ts) || operation === null || reqPath === null) {
        return { problem: 'wrong_schema', detail: 'Vault audit entry without a valid time, request.operation or request.path' };
      }
      const c = classifyVaultRequest(operation, reqPath, str(req.mount_point), str(req.mount_type));
      const auth = isObject(e.auth) ? e.auth : null;
      const meta = auth && isObject(auth.metadata) ? auth.metadata : null;
      const displayName = str(auth?.display_name);
      const roleName = str(meta?.role_name);
      const accessor = str(auth?.accessor);
      // A bare "token" names no one: tell tokens apart by their accessor's HMAC (stable per token, still opaque).
      const fingerprint = accessor ? `#${accessor.replace(/^hmac-sha256:/, '').slice(0, 12)}` : '';
      const actor = displayName === 'token' ? `token${fingerprint}` : (displayName ?? str(meta?.username) ?? roleName ?? str(auth?.entity_id) ?? accessor ?? 'unauthenticated');
      const remote = str(req.remote_address);
      const namespace = isObject(req.namespace) ? str(req.namespace.path) : null;
      emit({
        ts,
        id: str(req.id) ?? `line-${lineNo}`,
        source: 'vault-audit',
        event: c.event,
        action: `${operation} ${c.target}`,
        secret: c.secret,
        store: namespace ? `vault:${namespace}${str(req.mount_point) ?? ''}` : `vault:${str(req.mount_point) ?? ''}`,
        actor,
        actorType: roleName || (displayName?.startsWith('approle') ?? false) ? 'service' : auth ? 'user' : null,
        sourceIp: remote && isIP(remote) ? remote : null,
        host: null,
        success: e.error === undefined || e.error === null || e.error === '',
        errorCode: errorCode(e.error),
        privileged: c.privileged,
        file: path,
        line: lineNo,
      });
      return 'record';
    });
  },
};
