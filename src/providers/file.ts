import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { VhError, fromSystemError } from '../base/errors.js';
import { createFileExclusive, ensurePrivateDir, withLock, writeFileAtomic } from '../base/fsutil.js';
import type { Stage } from '../core/ref.js';
import type {
  ListFilter,
  Metadata,
  MetadataPatch,
  PingResult,
  PromoteOptions,
  PutOptions,
  ReadSelector,
  SecretDescription,
  SecretStore,
  SecretSummary,
  SecretValue,
  VersionInfo,
  VersionState,
  OptionType,
  PostureFinding,
  PostureProbe,
  ProviderContext,
} from '../core/store.js';
import { defineProvider, applyPatch, matchesFilter, timedPing } from './shared.js';

/** `[stores.<alias>] provider = "file"` */
export interface FileStoreOptions {
  /** Encrypted store file. @default $VH_SECRETS_HOME/store.vhs */
  path?: string;
  /**
   * File holding the 32-byte key (created 0600 on first use). Ignored when VH_SECRETS_FILE_KEY is set.
   * @default $VH_SECRETS_HOME/store.key
   */
  key_file?: string;
}

/** The `[stores.<alias>]` settings this provider takes (anything else is refused when the store is opened). */
export const options = { path: 'path', key_file: 'path' } as const satisfies Record<keyof Required<FileStoreOptions>, OptionType>;

const FORMAT = 'vh-secrets/file-store';
const FORMAT_VERSION = 1;
const MAX_VALUE_BYTES = 8 * 1024 * 1024;

interface Envelope {
  format: typeof FORMAT;
  v: number;
  kdf: 'hkdf-sha256' | 'scrypt';
  salt: string;
  nonce: string;
  tag: string;
  data: string;
}

/** Every field an envelope has: anything beside them would sit in the file unencrypted. */
const ENVELOPE_FIELDS: readonly (keyof Envelope)[] = ['format', 'v', 'kdf', 'salt', 'nonce', 'tag', 'data'];

interface FileVersion {
  id: string;
  createdAt: string;
  state: VersionState;
  /** base64; absent once destroyed */
  value?: string;
  token?: string;
}

interface FileSecret {
  createdAt: string;
  updatedAt: string;
  metadata: Metadata;
  versions: FileVersion[];
  current?: string;
  pending?: string;
  previous?: string;
  revoked?: boolean;
  nextVersion: number;
}

/** A Map, not an object, so that names such as `__proto__` are plain keys. */
interface StoreData {
  secrets: Map<string, FileSecret>;
}

interface KeyMaterial {
  bytes: Buffer;
  kdf: Envelope['kdf'];
}

function parseKeyText(text: string): KeyMaterial {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return { bytes: Buffer.from(trimmed, 'hex'), kdf: 'hkdf-sha256' };
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const raw = Buffer.from(trimmed, 'base64');
    if (raw.length === 32) return { bytes: raw, kdf: 'hkdf-sha256' };
  }
  if (trimmed.length < 16) {
    throw new VhError('CONFIG', 'VH_SECRETS_FILE_KEY is too short', {
      hint: 'use 32 random bytes as hex or base64 (openssl rand -hex 32), or a passphrase of at least 16 characters',
    });
  }
  return { bytes: Buffer.from(trimmed, 'utf8'), kdf: 'scrypt' };
}

function deriveKey(material: KeyMaterial, salt: Buffer): Buffer {
  if (material.kdf === 'scrypt') return scryptSync(material.bytes, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return Buffer.from(hkdfSync('sha256', material.bytes, salt, 'vh-secrets file store v1', 32));
}

function aad(env: Pick<Envelope, 'format' | 'v' | 'kdf' | 'salt'>): Buffer {
  return Buffer.from(`${env.format}|${env.v}|${env.kdf}|${env.salt}`);
}

function now(): string {
  return new Date().toISOString();
}

function stagesOf(secret: FileSecret, id: string): Stage[] {
  const stages: Stage[] = [];
  if (secret.current === id) stages.push('current');
  if (secret.pending === id) stages.push('pending');
  if (secret.previous === id) stages.push('previous');
  return stages;
}

function notFound(alias: string, name: string, what = 'secret'): VhError {
  return new VhError('NOT_FOUND', `${what} "${name}" not found in store ${alias}`, { details: { name, store: alias } });
}

class FileStore implements SecretStore {
  readonly provider = 'file';
  readonly capabilities = {
    versions: true,
    stagedWrites: true,
    compareAndSwap: true,
    revokeVersion: true,
    maxValueBytes: MAX_VALUE_BYTES,
  };

  private material: KeyMaterial | undefined;
  private derived = new Map<string, Buffer>();

  constructor(
    private readonly path: string,
    private readonly keyFile: string,
    private readonly alias: string,
  ) {}

  private async keyMaterial(): Promise<KeyMaterial> {
    if (this.material) return this.material;
    const fromEnv = process.env.VH_SECRETS_FILE_KEY;
    if (fromEnv !== undefined && fromEnv !== '') {
      this.material = parseKeyText(fromEnv);
      return this.material;
    }
    await ensurePrivateDir(dirname(this.keyFile));
    let text: string;
    try {
      text = await fs.readFile(this.keyFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, 'cannot read store key', this.keyFile);
      if (await this.exists()) {
        throw new VhError('CONFIG', `the store ${this.path} exists but its key file ${this.keyFile} is missing`, {
          hint: 'restore the key file or set VH_SECRETS_FILE_KEY; a new key would not open this store',
        });
      }
      await createFileExclusive(this.keyFile, `${randomBytes(32).toString('hex')}\n`, 0o600);
      text = await fs.readFile(this.keyFile, 'utf8').catch((e: unknown) => {
        throw fromSystemError(e, 'cannot read store key', this.keyFile);
      });
    }
    try {
      const material = parseKeyText(text);
      if (material.kdf !== 'hkdf-sha256') throw new Error('not a raw key');
      this.material = material;
    } catch {
      throw new VhError('INVALID_FORMAT', `key file ${this.keyFile} does not hold a 32-byte key (hex or base64)`, {
        details: { path: this.keyFile },
      });
    }
    return this.material;
  }

  private async exists(): Promise<boolean> {
    try {
      await fs.access(this.path);
      return true;
    } catch {
      return false;
    }
  }

  private async keyFor(salt: string): Promise<Buffer> {
    let key = this.derived.get(salt);
    if (!key) {
      key = deriveKey(await this.keyMaterial(), Buffer.from(salt, 'base64'));
      this.derived.set(salt, key);
    }
    return key;
  }

  private corrupt(why: string): VhError {
    return new VhError('INVALID_FORMAT', `store file ${this.path} is unreadable: ${why}`, {
      details: { path: this.path },
      hint: 'nothing was changed; restore the file from a backup or check VH_SECRETS_FILE_KEY / the key file',
    });
  }

  /** Returns the decrypted data and the salt to keep using, or an empty store. */
  private async load(): Promise<{ data: StoreData; salt: string | undefined }> {
    let raw: string;
    try {
      raw = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { data: { secrets: new Map() }, salt: undefined };
      throw fromSystemError(err, 'cannot read store', this.path);
    }
    let env: Envelope;
    try {
      env = JSON.parse(raw) as Envelope;
    } catch {
      throw this.corrupt('not a vh-secrets store (invalid JSON envelope)');
    }
    if (env.format !== FORMAT || typeof env.data !== 'string' || typeof env.salt !== 'string') {
      throw this.corrupt('not a vh-secrets store (unknown envelope)');
    }
    if (env.v !== FORMAT_VERSION) throw this.corrupt(`format version ${String(env.v)} is not supported by this release`);
    const material = await this.keyMaterial();
    if (material.kdf !== env.kdf) {
      throw this.corrupt(`it was encrypted with a ${env.kdf === 'scrypt' ? 'passphrase' : 'raw key'}, but a ${material.kdf === 'scrypt' ? 'passphrase' : 'raw key'} was given`);
    }
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', await this.keyFor(env.salt), Buffer.from(env.nonce, 'base64'));
      decipher.setAAD(aad(env));
      decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]);
    } catch {
      throw this.corrupt('decryption failed (wrong key, or the file was modified or truncated)');
    }
    try {
      const parsed = JSON.parse(plain.toString('utf8')) as { secrets: Record<string, FileSecret> };
      if (typeof parsed.secrets !== 'object' || parsed.secrets === null) throw new Error('shape');
      return { data: { secrets: new Map(Object.entries(parsed.secrets)) }, salt: env.salt };
    } catch {
      throw this.corrupt('decrypted content is malformed');
    }
  }

  private async save(data: StoreData, salt: string | undefined): Promise<void> {
    const material = await this.keyMaterial();
    const useSalt = salt ?? randomBytes(16).toString('base64');
    const header = { format: FORMAT, v: FORMAT_VERSION, kdf: material.kdf, salt: useSalt } as const;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.keyFor(useSalt), nonce);
    cipher.setAAD(aad(header));
    const ct = Buffer.concat([cipher.update(Buffer.from(JSON.stringify({ secrets: Object.fromEntries(data.secrets) }), 'utf8')), cipher.final()]);
    const env: Envelope = {
      ...header,
      nonce: nonce.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: ct.toString('base64'),
    };
    await writeFileAtomic(this.path, JSON.stringify(env), 0o600);
  }

  private async mutate<T>(fn: (data: StoreData) => T): Promise<T> {
    await ensurePrivateDir(dirname(this.path));
    return withLock(`${this.path}.lock`, async () => {
      const { data, salt } = await this.load();
      const result = fn(data);
      await this.save(data, salt);
      return result;
    });
  }

  private secret(data: StoreData, name: string): FileSecret {
    const secret = data.secrets.get(name);
    if (!secret) throw notFound(this.alias, name);
    return secret;
  }

  private static patch(secret: FileSecret, patch: MetadataPatch | undefined): void {
    applyPatch(secret.metadata, patch);
  }

  private static checkSize(value: Buffer): void {
    if (value.length > MAX_VALUE_BYTES) {
      throw new VhError('INVALID_FORMAT', `value is ${value.length} bytes; the file store keeps at most ${MAX_VALUE_BYTES}`);
    }
  }

  private static addVersion(secret: FileSecret, value: Buffer, token?: string): FileVersion {
    const version: FileVersion = {
      id: String(secret.nextVersion++),
      createdAt: now(),
      state: 'enabled',
      value: value.toString('base64'),
    };
    if (token) version.token = token;
    secret.versions.push(version);
    secret.updatedAt = version.createdAt;
    return version;
  }

  async get(name: string, select: ReadSelector = { stage: 'current' }): Promise<SecretValue> {
    const { data } = await this.load();
    const secret = this.secret(data, name);
    let id: string | undefined;
    if ('stage' in select) {
      id = secret[select.stage];
      if (id === undefined) throw notFound(this.alias, name, `${select.stage} version of secret`);
    } else {
      id = select.version;
    }
    const version = secret.versions.find((v) => v.id === id);
    if (!version) throw notFound(this.alias, `${name}@${id}`, 'version');
    if (version.state !== 'enabled' || version.value === undefined) {
      throw new VhError('NOT_FOUND', `version ${id} of "${name}" is ${version.state === 'destroyed' ? 'destroyed' : 'revoked'}`, {
        details: { name, version: id },
      });
    }
    return { value: Buffer.from(version.value, 'base64'), version: id };
  }

  async create(name: string, value: Buffer, metadata: Metadata): Promise<{ version: string }> {
    FileStore.checkSize(value);
    return this.mutate((data) => {
      if (data.secrets.has(name)) {
        throw new VhError('CONFLICT', `secret "${name}" already exists`, {
          details: { name },
          hint: 'rotate it, or choose another name',
        });
      }
      const secret: FileSecret = { createdAt: now(), updatedAt: now(), metadata: { ...metadata }, versions: [], nextVersion: 1 };
      const version = FileStore.addVersion(secret, value);
      secret.current = version.id;
      data.secrets.set(name, secret);
      return { version: version.id };
    });
  }

  async put(name: string, value: Buffer, options: PutOptions): Promise<{ version: string }> {
    FileStore.checkSize(value);
    return this.mutate((data) => {
      const secret = this.secret(data, name);
      if (options.token) {
        const same = secret.versions.find((v) => v.token === options.token);
        if (same) return { version: same.id };
      }
      if (options.expectedCurrent !== undefined && secret.current !== options.expectedCurrent) {
        throw new VhError('CONFLICT', `"${name}" changed: current version is ${secret.current ?? 'none'}, expected ${options.expectedCurrent}`, {
          details: { name },
        });
      }
      if (options.stage === 'pending' && secret.pending !== undefined) {
        throw new VhError('CONFLICT', `"${name}" already has a pending version ${secret.pending}`, { details: { name } });
      }
      const version = FileStore.addVersion(secret, value, options.token);
      FileStore.patch(secret, options.metadata);
      if (options.stage === 'pending') {
        secret.pending = version.id;
      } else {
        if (secret.current !== undefined) secret.previous = secret.current;
        secret.current = version.id;
        secret.revoked = false;
      }
      return { version: version.id };
    });
  }

  async promote(name: string, version: string, options: PromoteOptions = {}): Promise<void> {
    await this.mutate((data) => {
      const secret = this.secret(data, name);
      FileStore.patch(secret, options.metadata);
      if (secret.current === version) {
        if (secret.pending === version) delete secret.pending;
        return;
      }
      if (options.expectedCurrent !== undefined && secret.current !== options.expectedCurrent) {
        throw new VhError('CONFLICT', `"${name}" changed: current version is ${secret.current ?? 'none'}, expected ${options.expectedCurrent}`);
      }
      const target = secret.versions.find((v) => v.id === version);
      if (!target || target.state !== 'enabled') throw notFound(this.alias, `${name}@${version}`, 'enabled version');
      if (secret.current !== undefined) secret.previous = secret.current;
      secret.current = version;
      if (secret.pending === version) delete secret.pending;
      secret.updatedAt = now();
    });
  }

  async discardPending(name: string, version: string): Promise<void> {
    await this.mutate((data) => {
      const secret = data.secrets.get(name);
      if (!secret) return;
      if (secret.current === version) return;
      secret.versions = secret.versions.filter((v) => v.id !== version);
      if (secret.pending === version) delete secret.pending;
    });
  }

  async *list(filter?: ListFilter): AsyncIterable<SecretSummary> {
    const { data } = await this.load();
    for (const name of [...data.secrets.keys()].sort()) {
      const secret = data.secrets.get(name)!;
      if (filter?.prefix && !name.startsWith(filter.prefix)) continue;
      if (!matchesFilter(secret.metadata, filter)) continue;
      yield { name, metadata: { ...secret.metadata }, currentVersion: secret.current, updatedAt: secret.updatedAt };
    }
  }

  async describe(name: string): Promise<SecretDescription> {
    const { data } = await this.load();
    const secret = this.secret(data, name);
    const versions: VersionInfo[] = secret.versions.map((v) => ({
      version: v.id,
      createdAt: v.createdAt,
      state: v.state,
      stages: stagesOf(secret, v.id),
    }));
    return {
      name,
      metadata: { ...secret.metadata },
      createdAt: secret.createdAt,
      updatedAt: secret.updatedAt,
      currentVersion: secret.current,
      pendingVersion: secret.pending,
      versions,
      revoked: secret.revoked === true,
    };
  }

  async setMetadata(name: string, patch: Record<string, string | null>): Promise<void> {
    await this.mutate((data) => {
      const secret = this.secret(data, name);
      FileStore.patch(secret, patch);
      secret.updatedAt = now();
    });
  }

  async revoke(name: string, version?: string): Promise<{ revoked: string[] }> {
    return this.mutate((data) => {
      const secret = this.secret(data, name);
      const targets = version === undefined ? secret.versions.filter((v) => v.state === 'enabled') : secret.versions.filter((v) => v.id === version);
      if (version !== undefined && targets.length === 0) throw notFound(this.alias, `${name}@${version}`, 'version');
      for (const v of targets) if (v.state === 'enabled') v.state = 'disabled';
      if (version === undefined) secret.revoked = true;
      secret.updatedAt = now();
      return { revoked: targets.map((v) => v.id) };
    });
  }

  async destroy(name: string, version?: string): Promise<void> {
    await this.mutate((data) => {
      const secret = this.secret(data, name);
      if (version === undefined) {
        data.secrets.delete(name);
        return;
      }
      const target = secret.versions.find((v) => v.id === version);
      if (!target) throw notFound(this.alias, `${name}@${version}`, 'version');
      target.state = 'destroyed';
      delete target.value;
      if (secret.pending === version) delete secret.pending;
      secret.updatedAt = now();
    });
  }

  async ping(): Promise<PingResult> {
    return timedPing(() => this.load());
  }
}

function storePath(options: FileStoreOptions, context: ProviderContext): string {
  return options.path ?? join(context.home, 'store.vhs');
}

/** Reads the store file as it rests on disk: an AES-256-GCM envelope with nothing beside it, private to its owner. */
async function atRest(path: string): Promise<PostureFinding> {
  let text: string;
  let mode: number;
  try {
    mode = (await fs.stat(path)).mode & 0o777;
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'not-measurable', detail: `no store file at ${path} yet: nothing at rest to examine` };
    return { status: 'not-measurable', detail: `${path} cannot be read: ${(err as Error).message}` };
  }
  let env: Record<string, unknown> = {};
  try {
    env = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { status: 'fail', detail: `${path} is not an encrypted store envelope` };
  }
  const sealed = env.format === FORMAT && typeof env.nonce === 'string' && typeof env.tag === 'string' && typeof env.data === 'string' && Object.keys(env).every((k) => (ENVELOPE_FIELDS as readonly string[]).includes(k));
  if (!sealed) return { status: 'fail', detail: `${path} holds fields outside the AES-256-GCM envelope` };
  if ((mode & 0o077) !== 0) return { status: 'fail', detail: `${path} is encrypted but readable by others (mode ${mode.toString(8)})` };
  return { status: 'pass', detail: `${path}: AES-256-GCM envelope (kdf ${String(env.kdf)}), mode ${mode.toString(8).padStart(4, '0')} — measured` };
}

export const posture: PostureProbe<FileStoreOptions> = (options, context) => ({
  transport: { status: 'pass', detail: 'local file: no network transmission' },
  atRest: () => atRest(storePath(options, context)),
});

export default defineProvider((options: FileStoreOptions, context) => {
  const path = storePath(options, context);
  const keyFile = options.key_file ?? join(context.home, 'store.key');
  return new FileStore(path, keyFile, context.alias);
});
