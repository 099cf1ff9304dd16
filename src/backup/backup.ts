import { noteCurrentValue } from '../core/value-index.js';
import { constants, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson, type DetailValue } from '../audit/event.js';
import { VhError, fromSystemError, isVhError, type ErrorCode } from '../base/errors.js';
import { writeFileAtomic } from '../base/fsutil.js';
import { decodeMeta, metaFilter } from '../core/metadata.js';
import { mapBounded } from '../base/pool.js';
import type { Stage } from '../core/ref.js';
import type { Runtime } from '../core/runtime.js';
import { authorize, policyDetails } from '../core/secrets.js';
import type { Metadata, SecretDescription, SecretStore, VersionState } from '../core/store.js';
import type { SecretType } from '../core/types.js';

/**
 * Encrypted backup and restore of whole stores.
 *
 * The archive is an age file (https://age-encryption.org/v1) whose plaintext is one JSON document, format
 * `vh-secrets-backup` version 1 (docs/backup.md describes every field). It is written with the
 * `age-encryption` package, so the standard `age -d -i KEYFILE` opens it too. Nothing here prints; values
 * only ever exist in memory, in the stores and inside the encrypted archive.
 */

export const BACKUP_FORMAT = 'vh-secrets-backup';
export const BACKUP_FORMAT_VERSION = 1;

export interface ArchiveVersion {
  /** The version id in the source store (informational: a restore writes new versions with new ids). */
  version: string;
  state: VersionState;
  stages: Stage[];
  created_at: string | null;
  /** The value, base64; null when the store would not give it (revoked / destroyed versions). */
  value_base64: string | null;
}

export interface ArchiveSecret {
  /** Source store alias and provider. */
  store: string;
  provider: string;
  name: string;
  /** The store's metadata as vh-secrets sees it (`vh-` keys and the operator's tags). */
  metadata: Metadata;
  created_at: string | null;
  updated_at: string | null;
  /** The whole secret was revoked in the source: no value was backed up. */
  revoked: boolean;
  current_version: string | null;
  /** Oldest first; only the current version unless the backup was taken with --all-versions. */
  versions: ArchiveVersion[];
}

export interface BackupArchive {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  created_at: string;
  all_versions: boolean;
  stores: { alias: string; provider: string }[];
  secrets: ArchiveSecret[];
}

// ---------------------------------------------------------------------------------------------- recipients

const RECIPIENT_RE = /^age1[0-9a-z]+$/;

/** Recipients from `--recipient` values and `--recipients-file` files (age's format: one per line, # comments). */
export async function collectRecipients(direct: readonly string[], files: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of direct) out.push(...checkRecipient(r.trim(), '--recipient'));
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      throw fromSystemError(err, 'cannot read recipients file', file);
    }
    text.split(/\r?\n/).forEach((line, i) => {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) return;
      out.push(...checkRecipient(t, `${file} line ${i + 1}`));
    });
  }
  if (out.length === 0) {
    throw new VhError('USAGE', 'a backup needs at least one recipient', { hint: 'pass --recipient age1… (the output of age-keygen -y KEYFILE) or --recipients-file FILE' });
  }
  return [...new Set(out)];
}

function checkRecipient(text: string, where: string): string[] {
  if (!RECIPIENT_RE.test(text)) {
    // Never echo the text: someone may paste an identity (AGE-SECRET-KEY-…) where the public key belongs.
    const hint = text.startsWith('AGE-SECRET-KEY-')
      ? 'that is a private identity; give the public key instead (age-keygen -y KEYFILE prints it)'
      : 'an age recipient (public key) starts with age1, e.g. the output of age-keygen -y KEYFILE';
    throw new VhError('USAGE', `${where}: not an age recipient`, { hint });
  }
  return [text];
}

// ------------------------------------------------------------------------------------------------- backup

export interface BackupInput {
  /** One store alias; all configured stores when absent. */
  store?: string;
  prefix?: string;
  type?: SecretType;
  tags?: Record<string, string>;
  allVersions: boolean;
  recipients: string[];
  output: string;
  now?: Date;
}

export interface BackupResult {
  output: string;
  created_at: string;
  format_version: number;
  all_versions: boolean;
  stores: string[];
  recipients: number;
  secrets: { ref: string; versions: number; revoked: boolean }[];
  /** Secrets listed but gone (or unreadable) by the time they were read. */
  skipped: { ref: string; reason: string }[];
  total_secrets: number;
  total_versions: number;
  bytes: number;
}

/** Fails early (before any secret is read) when the output file cannot be created. */
async function checkOutputDir(output: string): Promise<void> {
  const dir = dirname(output);
  try {
    await fs.access(dir, constants.W_OK);
    const st = await fs.stat(output).catch(() => undefined);
    if (st?.isDirectory()) throw new VhError('CANT_CREATE', `cannot write the backup: ${output} is a directory`);
  } catch (err) {
    if (isVhError(err)) throw err;
    throw new VhError('CANT_CREATE', `cannot write the backup: directory ${dir} does not exist or is not writable`, { details: { path: output } });
  }
}

export async function readSecret(rt: Runtime, alias: string, store: SecretStore, name: string, allVersions: boolean, purpose: 'backup' | 'copy' = 'backup'): Promise<ArchiveSecret> {
  const d: SecretDescription = await store.describe(name);
  const versions: ArchiveVersion[] = [];
  const wanted = allVersions ? orderVersions(d.versions) : d.versions.filter((v) => v.version === d.currentVersion);
  for (const v of wanted) {
    let value: Buffer | null = null;
    if (!d.revoked && v.state === 'enabled') {
      try {
        value = v.version === d.currentVersion ? (await store.get(name, { stage: 'current' })).value : (await store.get(name, { version: v.version })).value;
      } catch (err) {
        if (!isVhError(err) || err.code !== 'NOT_FOUND') throw err;
      }
    }
    versions.push({ version: v.version, state: v.state, stages: [...v.stages], created_at: v.createdAt ?? null, value_base64: value === null ? null : value.toString('base64') });
  }
  const readable = versions.filter((v) => v.value_base64 !== null).length;
  // Reading values for a backup is an access like `get`: one event per secret, never a value.
  await rt.audit.record({
    event: 'accessed',
    secret: `${alias}:${name}`,
    secret_type: decodeMeta(d.metadata).type,
    store: alias,
    success: true,
    error_code: null,
    details: { purpose, versions: readable },
  });
  return {
    store: alias,
    provider: store.provider,
    name,
    metadata: { ...d.metadata },
    created_at: d.createdAt ?? null,
    updated_at: d.updatedAt ?? null,
    revoked: d.revoked,
    current_version: d.currentVersion ?? null,
    versions,
  };
}

/** Oldest first by creation time; versions without a time keep the store's order. */
function orderVersions<T extends { createdAt?: string | undefined; created_at?: string | null }>(versions: readonly T[]): T[] {
  const time = (v: T): number => {
    const t = v.createdAt ?? v.created_at ?? undefined;
    const ms = t ? Date.parse(t) : NaN;
    return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
  };
  return versions
    .map((v, i) => ({ v, i }))
    .sort((a, b) => {
      const ta = time(a.v);
      const tb = time(b.v);
      if (ta === tb || ta === Number.NEGATIVE_INFINITY || tb === Number.NEGATIVE_INFINITY) return a.i - b.i;
      return ta - tb;
    })
    .map((x) => x.v);
}

export async function encryptArchive(plaintext: Uint8Array, recipients: readonly string[]): Promise<Uint8Array> {
  const { Encrypter } = await import('age-encryption');
  const enc = new Encrypter();
  for (const r of recipients) {
    try {
      enc.addRecipient(r);
    } catch {
      throw new VhError('USAGE', 'not a valid age recipient (bad checksum or length)', { hint: 'copy the public key again from age-keygen -y KEYFILE' });
    }
  }
  return enc.encrypt(plaintext);
}

export async function createBackup(rt: Runtime, input: BackupInput): Promise<BackupResult> {
  const aliases = input.store !== undefined ? [rt.resolveAlias(input.store)] : [...rt.config.stores.keys()].sort();
  const createdAt = (input.now ?? new Date()).toISOString();
  const filter = { metadata: metaFilter(input.type, input.tags ?? {}), ...(input.prefix ? { prefix: input.prefix } : {}) };
  const base = { event: 'backed_up' as const, secret: null, secret_type: null, store: input.store !== undefined ? aliases[0]! : null };
  const summary: Record<string, DetailValue> = { output: input.output, all_versions: input.allVersions, recipients: input.recipients.length, stores: aliases.join(',') };
  try {
    await checkOutputDir(input.output);
    // Validate the recipients before reading anything.
    await encryptArchive(new Uint8Array(0), input.recipients);
    const archive: BackupArchive = { format: BACKUP_FORMAT, format_version: BACKUP_FORMAT_VERSION, created_at: createdAt, all_versions: input.allVersions, stores: [], secrets: [] };
    const skipped: BackupResult['skipped'] = [];
    for (const alias of aliases) {
      const store = await rt.store(alias);
      archive.stores.push({ alias, provider: store.provider });
      const names: string[] = [];
      for await (const s of store.list(filter)) names.push(s.name);
      names.sort();
      // Every secret the archive would hold must be one the actor may back up: no partial archive.
      for (const name of names) await authorize(rt, 'backup', { store: alias, id: `${alias}:${name}` });
      const read = await mapBounded(names, 4, async (name) => {
        try {
          return await readSecret(rt, alias, store, name, input.allVersions);
        } catch (err) {
          // Deleted between list and read: nothing to back up, and not worth failing the whole backup.
          if (isVhError(err) && err.code === 'NOT_FOUND') {
            skipped.push({ ref: `${alias}:${name}`, reason: 'deleted while the backup ran' });
            return undefined;
          }
          throw err;
        }
      });
      for (const s of read) if (s) archive.secrets.push(s);
    }
    const plaintext = Buffer.from(`${JSON.stringify(archive)}\n`);
    const sealed = await encryptArchive(plaintext, input.recipients);
    plaintext.fill(0);
    try {
      await writeFileAtomic(input.output, Buffer.from(sealed), 0o600);
      // writeFileAtomic creates with 0600; an umask can only narrow it, but make sure.
      await fs.chmod(input.output, 0o600);
    } catch (err) {
      throw new VhError('CANT_CREATE', `cannot write the backup to ${input.output}: ${isVhError(err) ? err.message : 'write failed'}`, { details: { path: input.output }, cause: err });
    }
    const result: BackupResult = {
      output: input.output,
      created_at: createdAt,
      format_version: BACKUP_FORMAT_VERSION,
      all_versions: input.allVersions,
      stores: aliases,
      recipients: input.recipients.length,
      secrets: archive.secrets.map((s) => ({ ref: `${s.store}:${s.name}`, versions: s.versions.filter((v) => v.value_base64 !== null).length, revoked: s.revoked })),
      skipped,
      total_secrets: archive.secrets.length,
      total_versions: 0,
      bytes: sealed.length,
    };
    result.total_versions = result.secrets.reduce((n, s) => n + s.versions, 0);
    await rt.audit.record({ ...base, success: true, error_code: null, details: { ...summary, secrets: result.total_secrets, versions: result.total_versions, skipped: skipped.length } });
    return result;
  } catch (err) {
    await rt.audit.record({ ...base, success: false, error_code: isVhError(err) ? err.code : 'INTERNAL', details: { ...summary, ...policyDetails(err) } }).catch(() => undefined);
    throw err;
  }
}

// ------------------------------------------------------------------------------------------------ restore

/** Reads an age identity file (age-keygen's format), refusing one that group or others can read. */
export async function loadIdentities(path: string): Promise<string[]> {
  let st: import('node:fs').Stats;
  try {
    st = await fs.stat(path);
  } catch (err) {
    throw fromSystemError(err, 'cannot read identity file', path);
  }
  if (!st.isFile()) throw new VhError('INVALID_FORMAT', `identity file ${path} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new VhError('PERMISSION_DENIED', `identity file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); refusing to use it`, {
      hint: `chmod 600 ${path}`,
      details: { path },
    });
  }
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw fromSystemError(err, 'cannot read identity file', path);
  }
  const ids: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    if (!t.startsWith('AGE-SECRET-KEY-')) {
      // Never echo the line: it may be key material in another format.
      throw new VhError('INVALID_FORMAT', `identity file ${path} line ${i + 1} is not an age identity`, { hint: 'use a file written by age-keygen (lines starting AGE-SECRET-KEY-)' });
    }
    ids.push(t);
  });
  if (ids.length === 0) throw new VhError('INVALID_FORMAT', `identity file ${path} holds no age identity`, { hint: 'use a file written by age-keygen' });
  return ids;
}

export async function decryptArchive(sealed: Uint8Array, identities: readonly string[], where: string): Promise<BackupArchive> {
  const { Decrypter } = await import('age-encryption');
  const dec = new Decrypter();
  for (const id of identities) {
    try {
      dec.addIdentity(id);
    } catch {
      throw new VhError('INVALID_FORMAT', 'the identity file holds a malformed age identity', { hint: 'check the file was written by age-keygen and not edited' });
    }
  }
  let plain: Uint8Array;
  try {
    plain = await dec.decrypt(sealed);
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    if (/no identity matched/i.test(message)) {
      throw new VhError('PERMISSION_DENIED', `none of the identities can open ${where}`, { hint: 'use the identity whose public key was given as --recipient when the backup was made' });
    }
    throw new VhError('INVALID_FORMAT', `${where} is not an age-encrypted file, or it is damaged`);
  }
  const text = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength).toString('utf8');
  plain.fill(0);
  return parseArchive(text, where);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** Parses and checks the plaintext of an archive. Messages never quote content (it holds values). */
export function parseArchive(text: string, where: string): BackupArchive {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new VhError('INVALID_FORMAT', `${where} opens, but what is inside is not JSON`);
  }
  const bad = (why: string) => new VhError('INVALID_FORMAT', `${where} is not a vh-secrets backup: ${why}`);
  if (!isRecord(doc) || doc.format !== BACKUP_FORMAT) throw bad('no "format": "vh-secrets-backup" header');
  if (typeof doc.format_version !== 'number' || !Number.isInteger(doc.format_version)) throw bad('no format_version');
  if (doc.format_version > BACKUP_FORMAT_VERSION) {
    throw new VhError('INVALID_FORMAT', `${where} is format version ${doc.format_version}; this vh-secrets reads up to version ${BACKUP_FORMAT_VERSION}`, { hint: 'restore with a newer vh-secrets' });
  }
  if (!str(doc.created_at) || !Array.isArray(doc.secrets) || !Array.isArray(doc.stores)) throw bad('created_at, stores or secrets missing');
  doc.secrets.forEach((s: unknown, i: number) => {
    const at = `secret #${i + 1}`;
    if (!isRecord(s) || !str(s.store) || !str(s.name) || !str(s.provider) || !isRecord(s.metadata) || !Array.isArray(s.versions) || !strOrNull(s.current_version)) throw bad(`${at} is malformed`);
    for (const v of Object.values(s.metadata)) if (!str(v)) throw bad(`${at} has non-string metadata`);
    for (const v of s.versions as unknown[]) {
      if (!isRecord(v) || !str(v.version) || !strOrNull(v.value_base64) || !strOrNull(v.created_at) || !Array.isArray(v.stages)) throw bad(`${at} has a malformed version`);
    }
  });
  return doc as unknown as BackupArchive;
}

export type RestoreAction = 'created' | 'updated' | 'skipped' | 'conflict' | 'failed';

export interface RestoreOutcome {
  /** Where it goes: `store:name` in the target. */
  secret: string;
  /** Where it came from, as recorded in the archive. */
  source: string;
  action: RestoreAction;
  reason: string | null;
  /** Versions written (or that would be, with dry-run). */
  versions: number;
  /** The new current version in the target (null with dry-run or when nothing was written). */
  version: string | null;
  error: { code: ErrorCode; message: string } | null;
}

export interface RestoreInput {
  archive: string;
  identityFile: string;
  toStore?: string;
  dryRun: boolean;
  force: boolean;
}

export interface RestoreReport {
  archive: string;
  archive_created_at: string;
  format_version: number;
  all_versions: boolean;
  dry_run: boolean;
  force: boolean;
  results: RestoreOutcome[];
  summary: Record<RestoreAction, number> & { total: number };
}

/**
 * Keys that describe store-side state of an operation in flight (a rotation marker, a deferred cleanup, a
 * failed rotation): true of the source when it was backed up, false of a freshly restored secret.
 */
const TRANSIENT_META = new Set(['vh-rotation', 'vh-cleanup', 'vh-cleanup-held', 'vh-rotation-failed-at']);

function restorableMeta(meta: Metadata): Metadata {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(meta)) if (!TRANSIENT_META.has(k)) out[k] = v;
  return out;
}

interface PlannedVersion {
  value: Buffer;
  createdAt: string | null;
}

/** The versions to write for a new secret, oldest first and the archive's current one last; pending ones never. */
function versionsToWrite(s: ArchiveSecret): { history: PlannedVersion[]; current: PlannedVersion | undefined } {
  const usable = orderVersions(s.versions).filter((v) => v.value_base64 !== null && v.state === 'enabled' && !(v.stages.length === 1 && v.stages[0] === 'pending'));
  const cur = usable.find((v) => v.version === s.current_version);
  const toPlanned = (v: ArchiveVersion): PlannedVersion => ({ value: Buffer.from(v.value_base64!, 'base64'), createdAt: v.created_at });
  return { history: usable.filter((v) => v !== cur).map(toPlanned), current: cur ? toPlanned(cur) : undefined };
}

function parseTime(t: string | null | undefined): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Equal bytes, or the same JSON object: Vault keeps a JSON object of strings as a KV map and hands it back with
 * its keys sorted, so a value that went through Vault may differ from the archive only in key order.
 */
function sameValue(a: Buffer, b: Buffer): boolean {
  if (a.equals(b)) return true;
  if (a[0] !== 0x7b || b[0] !== 0x7b) return false;
  try {
    return canonicalJson(JSON.parse(a.toString('utf8'))) === canonicalJson(JSON.parse(b.toString('utf8')));
  } catch {
    return false;
  }
}

/** Writes one secret into its target store (`input.toStore`, else its own), never over a newer value unless forced. */
export async function restoreOne(rt: Runtime, s: ArchiveSecret, input: RestoreInput, source = `${s.store}:${s.name}`): Promise<RestoreOutcome> {
  const alias = input.toStore ?? s.store;
  const outcome: RestoreOutcome = { secret: `${alias}:${s.name}`, source, action: 'skipped', reason: null, versions: 0, version: null, error: null };
  const { history, current } = versionsToWrite(s);
  if (s.revoked || current === undefined) {
    outcome.reason = s.revoked ? 'revoked in the source: the archive holds no value' : 'the archive holds no readable current value';
    return outcome;
  }
  const target = alias === input.toStore ? alias : rt.config.stores.has(alias) ? alias : undefined;
  if (target === undefined) {
    throw new VhError('CONFIG', `store "${alias}" from the archive is not configured here`, { hint: 'name a target with --to-store' });
  }
  await authorize(rt, 'restore', { store: target, id: `${target}:${s.name}` });
  const store = await rt.store(target);
  const meta = restorableMeta(s.metadata);
  const tooBig = [...history, current].find((v) => v.value.length > store.capabilities.maxValueBytes);
  if (tooBig) throw new VhError('INVALID_FORMAT', `a value is ${tooBig.value.length} bytes; store "${target}" accepts at most ${store.capabilities.maxValueBytes}`);

  let existing: SecretDescription | undefined;
  try {
    existing = await store.describe(s.name);
  } catch (err) {
    if (!isVhError(err) || err.code !== 'NOT_FOUND') throw err;
  }

  if (existing === undefined) {
    const all = [...history, current];
    outcome.action = 'created';
    outcome.versions = all.length;
    if (input.dryRun) return outcome;
    let { version } = await store.create(s.name, all[0]!.value, meta);
    for (const v of all.slice(1)) ({ version } = await store.put(s.name, v.value, { stage: 'current', expectedCurrent: version }));
    outcome.version = version;
    // The index of managed values (when there is one) learns the value now current, as after a create.
    await noteCurrentValue(rt.config.paths, outcome.secret, version, current.value);
    return outcome;
  }

  // The secret exists in the target: compare its current value with the archive's.
  let targetValue: Buffer | undefined;
  if (!existing.revoked && existing.currentVersion !== undefined) {
    try {
      targetValue = (await store.get(s.name, { stage: 'current' })).value;
    } catch (err) {
      if (!isVhError(err) || err.code !== 'NOT_FOUND') throw err;
    }
  }
  if (targetValue !== undefined && sameValue(targetValue, current.value)) {
    outcome.reason = 'unchanged: the target already holds this value';
    return outcome;
  }
  const targetTime = parseTime(existing.versions.find((v) => v.version === existing.currentVersion)?.createdAt) ?? parseTime(existing.updatedAt);
  const archiveTime = parseTime(current.createdAt) ?? parseTime(s.updated_at);
  const targetOlder = targetValue !== undefined && targetTime !== undefined && archiveTime !== undefined && targetTime <= archiveTime;
  if (!targetOlder && !input.force) {
    outcome.action = 'conflict';
    outcome.reason =
      targetValue === undefined ? 'the target secret exists but has no readable current value (revoked)'
      : targetTime === undefined || archiveTime === undefined ? 'the target holds a different value and it cannot be told which is newer'
      : `the target holds a different, newer value (${new Date(targetTime).toISOString()} > ${new Date(archiveTime).toISOString()})`;
    outcome.reason += '; use --force to overwrite';
    return outcome;
  }
  outcome.action = 'updated';
  outcome.reason = targetOlder ? 'the target held an older, different value' : 'forced over a newer or unknown target value';
  outcome.versions = 1;
  if (input.dryRun) return outcome;
  const put = await store.put(s.name, current.value, { stage: 'current', ...(existing.currentVersion !== undefined && targetValue !== undefined ? { expectedCurrent: existing.currentVersion } : {}) });
  await store.setMetadata(s.name, meta);
  outcome.version = put.version;
  await noteCurrentValue(rt.config.paths, outcome.secret, put.version, current.value);
  return outcome;
}

export async function restoreBackup(rt: Runtime, input: RestoreInput): Promise<RestoreReport> {
  if (input.toStore !== undefined) rt.resolveAlias(input.toStore);
  const identities = await loadIdentities(input.identityFile);
  let sealed: Buffer;
  try {
    sealed = await fs.readFile(input.archive);
  } catch (err) {
    throw fromSystemError(err, 'cannot read the backup', input.archive);
  }
  const archive = await decryptArchive(sealed, identities, input.archive);
  const results: RestoreOutcome[] = [];
  for (const s of archive.secrets) {
    let outcome: RestoreOutcome;
    try {
      outcome = await restoreOne(rt, s, input);
    } catch (err) {
      const code: ErrorCode = isVhError(err) ? err.code : 'INTERNAL';
      const message = isVhError(err) ? err.message : 'unexpected error';
      outcome = { secret: `${input.toStore ?? s.store}:${s.name}`, source: `${s.store}:${s.name}`, action: 'failed', reason: null, versions: 0, version: null, error: { code, message } };
    }
    results.push(outcome);
    if (!input.dryRun) {
      const store = outcome.secret.slice(0, outcome.secret.indexOf(':'));
      await rt.audit.record({
        event: 'restored',
        secret: outcome.secret,
        secret_type: decodeMeta(s.metadata).type,
        store,
        success: outcome.action !== 'failed' && outcome.action !== 'conflict',
        error_code: outcome.error?.code ?? (outcome.action === 'conflict' ? 'CONFLICT' : null),
        details: { action: outcome.action, source: outcome.source, reason: outcome.reason, versions: outcome.versions, version: outcome.version, forced: input.force },
      });
    }
  }
  const summary = { total: results.length, created: 0, updated: 0, skipped: 0, conflict: 0, failed: 0 };
  for (const r of results) summary[r.action] += 1;
  await rt.audit.record({
    event: 'restored',
    secret: null,
    secret_type: null,
    store: input.toStore ?? null,
    success: summary.failed === 0,
    error_code: results.find((r) => r.error !== null)?.error?.code ?? null,
    details: { archive: input.archive, archive_created_at: archive.created_at, dry_run: input.dryRun, force: input.force, ...summary },
  });
  return {
    archive: input.archive,
    archive_created_at: archive.created_at,
    format_version: archive.format_version,
    all_versions: archive.all_versions,
    dry_run: input.dryRun,
    force: input.force,
    results,
    summary,
  };
}
