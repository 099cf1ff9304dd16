import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename, dirname, join } from 'node:path';
import { deadlineSignal } from '../base/deadline.js';
import { VhError, isVhError, type ErrorCode } from '../base/errors.js';
import { runHook } from '../base/hook.js';
import { NETWORK_ERRNOS, NOT_SENT_ERRNOS } from '../base/net.js';
import { withRetry, writeOnce } from '../base/retry.js';
import { globToRegExp, redact } from '../base/text.js';
import { TargetOptions } from './options.js';
import type { Credential, IssuedCredential, RotationTarget, TargetContext, TargetFactory, TargetState } from '../core/target.js';

/**
 * A Vault / OpenBao transit encryption key. Transit versions its keys itself and never lets the key material out
 * (a key is not exportable unless made so; this target never asks), so the stored secret is no key at all but a
 * pointer: `{"key": "<name>", "version": N}` — which version of which key the secret's readers should treat as
 * current (encrypt with `key_version=N`, expect `vault:vN:` ciphertexts). Other fields of the object are kept.
 *
 * - generate (`issue`): `transit/keys/<key>/rotate` makes version N+1, read back; its id is `vN+1`. From that
 *   moment the transit engine encrypts with N+1 for everyone who does not pin a version: transit has no "staged"
 *   version, and nothing can take a version back (see rollback).
 * - stage (`apply`): the version exists and still decrypts (between `min_decryption_version` and the latest).
 * - verify: a random probe encrypted with `key_version=N` must come back as a `vault:vN:` ciphertext and decrypt to
 *   the probe. Neither the probe nor its ciphertext is kept or said anywhere.
 * - rollback / discard: nothing to undo — a transit version cannot be deleted, and data may already be encrypted
 *   under it. The version stays, decryptable, and the store keeps pointing at the previous one.
 * - cleanup(previous, current): the operator's `rewrap` command runs first (if configured); then, if `samples` are
 *   configured, the cleanup is refused while any of them holds a ciphertext under a version the cleanup would
 *   retire; else `min_decryption_version` is raised to previous + 1 (never lowered, never past current). Raising
 *   it to previous + 1 rather than to current keeps every newer version decrypting: a later previous version
 *   still in its grace, or a version a killed rotation made (see resume below).
 * - inUse: how many sample ciphertexts are still under a version the cleanup would retire (after the rewrap).
 *
 * Resuming after a crash. A rotate is not idempotent (each call makes a version), so it is sent once; a lost answer
 * is settled by reading the key (a latest version past the one before is taken as ours). Killed after the rotate
 * but before the engine journals `vN+1`, a resumed rotation rotates again (N+2): N+1 stays a valid version no
 * secret names — harmless, as transit versions hold no secret anyone keeps, and it stays decryptable (data may
 * have been encrypted under it meanwhile) until a later cleanup raises `min_decryption_version` past it.
 *
 * vh-secrets calls transit with the target's `admin` secret as its token if it has one, else `token_file`, else
 * VAULT_TOKEN — never with anything from the secret being rotated (which holds no credential).
 */

interface KeyPointer {
  key: string;
  version: number;
  /** The whole stored object, so that a rotation keeps the fields beside the pointer. */
  fields: Record<string, unknown>;
}

/** `transit/keys/<key>` as Vault and OpenBao answer it (the fields this target reads). */
interface TransitKey {
  name?: string;
  type?: string;
  latest_version: number;
  min_decryption_version: number;
  min_encryption_version: number;
  exportable?: boolean;
  deletion_allowed?: boolean;
  auto_rotate_period?: number;
  /** Version → creation time: unix seconds (symmetric keys) or an object with `creation_time` (asymmetric ones). */
  keys?: Record<string, number | { creation_time?: string }>;
}

interface Answer {
  status: number;
  body: string;
}

/** `vault:v12:` — the prefix every transit ciphertext (and rewrapped one) starts with. */
const PREFIX = /vault:v(\d+):/g;
/** Sample files are read in chunks; a prefix split across two chunks is found in the carried tail. */
const CARRY = 24;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class VaultTransitTarget implements RotationTarget {
  readonly kind = 'vault-transit';
  readonly alternating = false;
  private readonly key: string;
  private readonly mount: string;
  private readonly address: string;
  private readonly namespace: string | undefined;
  private readonly tokenFile: string | undefined;
  private readonly caFile: string | undefined;
  private readonly samples: string[] | undefined;
  private readonly rewrap: string[] | undefined;
  private readonly rewrapTimeoutMs: number;
  private readonly timeoutMs: number;
  private readonly verifyTimeoutMs: number;
  private token: string | undefined;
  private ca: Buffer | undefined;
  /** Previous versions whose rewrap ran in this process: inUse and cleanup of one rotation run it once. */
  private readonly rewrapped = new Set<number>();

  constructor(
    options: Record<string, unknown>,
    private readonly context: TargetContext,
  ) {
    const o = new TargetOptions(options, context.name);
    this.key = o.required('key');
    this.mount = o.string('mount', 'transit').replace(/^\/+|\/+$/g, '');
    this.address = o.string('address', process.env.VAULT_ADDR ?? 'http://127.0.0.1:8200').replace(/\/+$/, '');
    this.namespace = o.string('namespace') ?? process.env.VAULT_NAMESPACE;
    this.tokenFile = o.string('token_file');
    this.caFile = o.string('ca_file') ?? process.env.VAULT_CACERT;
    this.samples = o.strings('samples');
    this.rewrap = o.argv('rewrap');
    this.rewrapTimeoutMs = o.int('rewrap_timeout_ms', 600_000, 1_000, 86_400_000);
    this.timeoutMs = o.int('timeout_ms', 15_000, 100, 600_000);
    this.verifyTimeoutMs = o.int('verify_timeout_ms', 10_000, 1_000, 600_000);
    o.done();
    if (this.key.includes('/') || this.mount === '') throw new VhError('CONFIG', `targets.${context.name}: key must be a transit key name (no "/") and mount a path`);
    if (!/^https?:\/\//.test(this.address)) throw new VhError('CONFIG', `targets.${context.name}.address: must be an http:// or https:// URL (or set VAULT_ADDR)`);
    for (const s of this.samples ?? []) {
      if (/[*?]/.test(dirname(s))) throw new VhError('CONFIG', `targets.${context.name}.samples: "${s}": a pattern may only be in the file name, not in its folders`);
    }
  }

  get name(): string {
    return this.context.name;
  }

  /** Names the target, the key and the server's host — never a URL's user info, never a token. */
  private get where(): string {
    let host = 'the server';
    try {
      host = new URL(this.address).host;
    } catch {
      // checked in the constructor
    }
    return `target ${this.name} (vault-transit ${this.mount}/${this.key} at ${host})`;
  }

  /** The pointer in a stored value; never echoes the value. */
  private pointer(c: Credential): KeyPointer {
    let parsed: unknown;
    try {
      parsed = JSON.parse(c.value.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const f = parsed as Record<string, unknown> | undefined;
    if (typeof f !== 'object' || f === null || Array.isArray(f) || typeof f.key !== 'string' || typeof f.version !== 'number' || !Number.isInteger(f.version) || f.version < 1) {
      throw new VhError('INVALID_FORMAT', `${this.where}: the secret's value must be a JSON object with "key" (the transit key's name) and "version" (a whole number)`, { hint: `store it as {"key": "${this.key}", "version": 1}` });
    }
    if (f.key !== this.key) {
      throw new VhError('CONFIG', `${this.where}: the secret names transit key "${f.key}", but the target rotates "${this.key}"`, { hint: `check targets.${this.name}.key, and that the secret belongs to this target` });
    }
    return { key: f.key, version: f.version, fields: f };
  }

  private async authToken(): Promise<string> {
    if (this.token) return this.token;
    let token: string | undefined;
    if (this.context.admin) token = this.context.admin.password.trim();
    else if (this.tokenFile) {
      try {
        token = (await fs.readFile(this.tokenFile, 'utf8')).trim();
      } catch (err) {
        throw new VhError('CONFIG', `${this.where}: cannot read token_file ${this.tokenFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    } else token = process.env.VAULT_TOKEN?.trim();
    if (!token) {
      throw new VhError('AUTH_FAILED', `${this.where}: no Vault token`, { hint: `give targets.${this.name} an admin secret holding a token, or set token_file or VAULT_TOKEN` });
    }
    this.token = token;
    return token;
  }

  private async caCert(): Promise<Buffer | undefined> {
    if (!this.caFile || !this.address.startsWith('https:')) return undefined;
    if (!this.ca) {
      try {
        this.ca = await fs.readFile(this.caFile);
      } catch {
        throw new VhError('CONFIG', `${this.where}: cannot read the CA certificate ${this.caFile}`, { hint: 'fix ca_file / VAULT_CACERT' });
      }
    }
    return this.ca;
  }

  /** One HTTP exchange, within `timeout_ms` as a whole (the request is aborted when it runs out). */
  private async exchange(method: 'GET' | 'POST', path: string, body: unknown, what: string): Promise<Answer> {
    const token = await this.authToken();
    const ca = await this.caCert();
    const url = new URL(`${this.address}/v1/${this.mount}/${path}`);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { 'X-Vault-Token': token, 'X-Vault-Request': 'true' };
    if (this.namespace) headers['X-Vault-Namespace'] = this.namespace;
    if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) });
    const deadline = deadlineSignal(this.timeoutMs, `${this.where}: ${what}`);
    try {
      return await new Promise<Answer>((resolve, reject) => {
        const onAnswer = (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('error', (err) => reject(deadline.signal.aborted ? deadline.signal.reason : err));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        };
        const options = { method, headers, signal: deadline.signal, ...(ca ? { ca } : {}) };
        const req = url.protocol === 'https:' ? httpsRequest(url, options, onAnswer) : httpRequest(url, options, onAnswer);
        req.on('error', (err) => reject(deadline.signal.aborted ? deadline.signal.reason : err));
        req.end(payload);
      });
    } finally {
      deadline.clear();
    }
  }

  /** A failed exchange as a VhError naming the target and what was asked; `secrets` never appear in it. */
  private failure(err: unknown, what: string, secrets: readonly string[]): VhError {
    // No answer within timeout_ms: like a reset connection, the request may or may not have been carried out.
    if (isVhError(err) && err.code === 'TIMEOUT') return new VhError('NETWORK', err.message, { hint: `raise targets.${this.name}.timeout_ms if the server is this slow` });
    if (isVhError(err)) return err;
    const errno = (err as NodeJS.ErrnoException).code;
    if (errno && NETWORK_ERRNOS.has(errno)) {
      return new VhError('NETWORK', `${this.where}: ${what}: cannot reach the server (${errno})`, {
        hint: 'check the address (VAULT_ADDR) and that the server is up and unsealed',
        ...(NOT_SENT_ERRNOS.has(errno) ? { details: { applied: false, target_unchanged: true } } : {}),
      });
    }
    const message = (err as Error).message ?? String(err);
    if (/certificate|self[- ]signed|SSL|TLS/i.test(message)) return new VhError('NETWORK', `${this.where}: ${what}: TLS failure (${errno ?? 'handshake'})`, { hint: 'set ca_file (or VAULT_CACERT) to the CA that signed the server certificate' });
    return new VhError('NETWORK', `${this.where}: ${what}: ${redact(message.split('\n')[0]!, secrets)}`);
  }

  /** A non-2xx answer as a VhError; Vault's own `errors` (redacted) are the message. */
  private refusal(answer: Answer, what: string, secrets: readonly string[]): VhError {
    let said = '';
    try {
      const errors = (JSON.parse(answer.body) as { errors?: unknown }).errors;
      if (Array.isArray(errors)) said = errors.filter((e): e is string => typeof e === 'string').join('; ');
    } catch {
      // not JSON (a proxy's page): the status says enough
    }
    // Vault wraps its errors as "1 error occurred:\n\t* permission denied\n\n": one line, the errors themselves.
    said = redact(said.replace(/\d+ errors? occurred:/g, '').replace(/\s*\n\s*\*\s*/g, '; ').replace(/\s+/g, ' ').replace(/^[;\s]+|[;\s]+$/g, ''), secrets).slice(0, 300);
    const s = answer.status;
    // The server answered and refused: nothing changed at the target.
    const make = (code: ErrorCode, text: string, hint?: string, applied?: false) =>
      new VhError(code, `${this.where}: ${what}: ${text}`, { ...(hint ? { hint } : {}), details: { target_unchanged: s < 500, ...(applied === false ? { applied } : {}) } });
    if (s === 401 || s === 403) {
      if (/invalid token|missing client token|token.*expired/i.test(said)) return make('AUTH_FAILED', said || `status ${s}`, 'the token is invalid or expired: renew it (admin secret, token_file or VAULT_TOKEN)');
      return make('PERMISSION_DENIED', said || `status ${s}`, 'the token\'s policy does not allow this path: see docs/targets.md and deploy/vault-transit-policy.hcl');
    }
    if (s === 404) return make('NOT_FOUND', said || 'not found');
    if (s === 429) return make('THROTTLED', 'rate limited (429)', undefined, false);
    if (s >= 500) return make('NETWORK', `server error ${s}${s === 503 ? ' (sealed or standby)' : ''}${said ? `: ${said}` : ''}`);
    if (s === 400) return make('INVALID_FORMAT', said || 'bad request');
    return make('INTERNAL', `unexpected status ${s}${said ? `: ${said}` : ''}`);
  }

  /**
   * One transit request: `data` of its answer (undefined for 204). Retried on network errors and throttling
   * unless `once` (the rotate: see issue); a request Vault refused is never sent again.
   */
  private async call<T>(what: string, method: 'GET' | 'POST', path: string, body?: unknown, secrets: readonly string[] = [], once = false): Promise<T | undefined> {
    const all = [...secrets, ...(this.token ? [this.token] : [])];
    const attempt = async (): Promise<T | undefined> => {
      let answer: Answer;
      try {
        answer = await this.exchange(method, path, body, what);
      } catch (err) {
        throw this.failure(err, what, all);
      }
      if (answer.status < 200 || answer.status >= 300) throw this.refusal(answer, what, all);
      if (answer.status === 204 || answer.body.trim() === '') return undefined;
      try {
        return (JSON.parse(answer.body) as { data?: T }).data;
      } catch {
        throw new VhError('INTERNAL', `${this.where}: ${what}: the answer is not JSON`);
      }
    };
    return once ? attempt() : withRetry(attempt);
  }

  private async readKey(): Promise<TransitKey> {
    let key: TransitKey | undefined;
    try {
      key = await this.call<TransitKey>('read key', 'GET', `keys/${encodeURIComponent(this.key)}`);
    } catch (err) {
      if (isVhError(err) && err.code === 'NOT_FOUND') {
        throw new VhError('CONFIG', `${this.where}: there is no transit key "${this.key}" at mount ${this.mount}`, { hint: `create it (vault write -f ${this.mount}/keys/${this.key}) or fix targets.${this.name}.key / mount` });
      }
      throw err;
    }
    if (!key || typeof key.latest_version !== 'number') throw new VhError('INTERNAL', `${this.where}: read key: the answer has no latest_version`);
    return key;
  }

  nextUser(): undefined {
    return undefined;
  }

  /**
   * Rotates the key and answers the new latest version. The rotate is sent once: a lost answer (a reset, a
   * timeout, a 5xx) is settled by reading the key — a latest version past the one before is the rotate's.
   */
  async issue(current: Credential): Promise<IssuedCredential> {
    const now = this.pointer(current);
    const before = await this.readKey();
    if (now.version > before.latest_version) {
      throw new VhError('CONFLICT', `${this.where}: the secret names version ${now.version}, but the key's latest version is ${before.latest_version}`, { hint: 'was the key deleted and made again? fix the secret\'s value to a version the key has' });
    }
    const rotate = async (): Promise<number> => {
      const out = await this.call<Partial<TransitKey>>('rotate', 'POST', `keys/${encodeURIComponent(this.key)}/rotate`, {}, [], true);
      // Vault answers 204 (older releases) or the key (newer ones, OpenBao): read back when it says nothing.
      return typeof out?.latest_version === 'number' ? out.latest_version : (await this.readKey()).latest_version;
    };
    const latest = await writeOnce(rotate, {
      policy: { attempts: 3, baseMs: 200, maxMs: 1_000 },
      reconcile: async () => {
        const k = await this.readKey();
        return k.latest_version > before.latest_version ? k.latest_version : undefined;
      },
    });
    if (latest <= before.latest_version) throw new VhError('INTERNAL', `${this.where}: rotate answered version ${latest}, not past ${before.latest_version}`);
    return { id: `v${latest}`, value: Buffer.from(JSON.stringify({ ...now.fields, key: this.key, version: latest })) };
  }

  /**
   * A version transit made cannot be deleted, and data may already be encrypted under it (it became the latest
   * at once): it stays, a version no secret names, decryptable until a later cleanup raises
   * `min_decryption_version` past it. Nothing to do, however often asked.
   */
  async discard(id: string): Promise<void> {
    if (!/^v\d+$/.test(id)) throw new VhError('INTERNAL', `${this.where}: "${id}" is not a transit version id`);
  }

  /** The new version must exist and still decrypt; nothing changes (transit made it current for encryption already). */
  async apply(current: Credential, next: Credential): Promise<void> {
    this.pointer(current);
    const v = this.pointer(next).version;
    const key = await this.readKey();
    if (v > key.latest_version || v < key.min_decryption_version) {
      throw new VhError('CONFLICT', `${this.where}: version ${v} is not a usable version of the key (versions ${key.min_decryption_version}–${key.latest_version} decrypt)`);
    }
  }

  /**
   * A random probe encrypted with `key_version=N` must come back as a `vault:vN:` ciphertext and decrypt to the
   * probe. A standby that has not seen the new version yet says so; the probe is asked again with backoff until
   * `verify_timeout_ms`. Refusals of the token itself are final at once.
   */
  async verify(next: Credential): Promise<void> {
    const v = this.pointer(next).version;
    const probe = randomBytes(24).toString('base64');
    const deadline = Date.now() + this.verifyTimeoutMs;
    let delay = 200;
    let last = '';
    for (;;) {
      let ciphertext = '';
      try {
        const enc = await this.call<{ ciphertext?: string }>('encrypt the probe', 'POST', `encrypt/${encodeURIComponent(this.key)}`, { plaintext: probe, key_version: v }, [probe]);
        ciphertext = enc?.ciphertext ?? '';
        if (!ciphertext.startsWith(`vault:v${v}:`)) {
          last = `the probe was encrypted under ${/^vault:v\d+:/.exec(ciphertext)?.[0].slice(6, -1) ?? 'no'} version, not v${v}`;
        } else {
          const dec = await this.call<{ plaintext?: string }>('decrypt the probe', 'POST', `decrypt/${encodeURIComponent(this.key)}`, { ciphertext }, [probe, ciphertext]);
          if (dec?.plaintext === probe) return;
          last = 'the probe did not decrypt to itself';
        }
      } catch (err) {
        if (isVhError(err) && (err.code === 'AUTH_FAILED' || err.code === 'PERMISSION_DENIED' || err.code === 'CONFIG')) throw err;
        last = redact((err as Error).message, [probe, ciphertext].filter((s) => s !== ''));
      }
      if (Date.now() + delay > deadline) break;
      await sleep(delay);
      delay = Math.min(delay * 2, 2_000);
    }
    throw new VhError('INTERNAL', `${this.where}: version ${v} did not encrypt and decrypt a probe within ${this.verifyTimeoutMs} ms (last: ${last})`, {
      hint: `a standby may not have the new version yet: raise targets.${this.name}.verify_timeout_ms if it is slower here`,
    });
  }

  /**
   * Nothing transit can undo: the rotated-to version stays (and stays the latest for encryption); the store keeps
   * pointing at the current one, which still decrypts and can be encrypted with by version.
   */
  async rollback(): Promise<void> {
    // nothing to undo at the target
  }

  /** Runs the operator's `rewrap` command once per retired version in this process. */
  private async runRewrap(previous: number, current: number): Promise<void> {
    if (!this.rewrap || this.rewrapped.has(previous)) return;
    await runHook(this.rewrap, {
      env: { VH_SECRET: this.context.secret, VH_TARGET: this.name, VH_TARGET_PHASE: 'rewrap', VH_TRANSIT_MOUNT: this.mount, VH_TRANSIT_KEY: this.key, VH_VERSION: String(current), VH_PREVIOUS_VERSION: String(previous) },
      timeoutMs: this.rewrapTimeoutMs,
      where: `target ${this.name} (vault-transit rewrap: ${this.rewrap[0]})`,
      secrets: this.token ? [this.token] : [],
    });
    this.rewrapped.add(previous);
  }

  /** The sample files: each configured path, a `*`/`?` pattern in its file name expanded (sorted). */
  private async sampleFiles(): Promise<string[]> {
    const out: string[] = [];
    for (const s of this.samples ?? []) {
      if (!/[*?]/.test(basename(s))) {
        out.push(s);
        continue;
      }
      const re = globToRegExp(basename(s));
      let names: string[];
      try {
        names = await fs.readdir(dirname(s));
      } catch (err) {
        throw new VhError('CONFIG', `${this.where}: samples: cannot list ${dirname(s)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      out.push(...names.filter((n) => re.test(n)).sort().map((n) => join(dirname(s), n)));
    }
    return [...new Set(out)];
  }

  /**
   * Counts the ciphertexts in the sample files under a version ≤ `atMost`: how many, in how many files, the oldest
   * version seen. A configured file that is missing fails (a cleanup must not go ahead on a check that did not run).
   * Only prefixes are matched; no ciphertext is kept or said.
   */
  private async scanSamples(atMost: number): Promise<{ count: number; files: number; oldest: number | undefined; scanned: number }> {
    const files = await this.sampleFiles();
    let count = 0;
    let withOld = 0;
    let oldest: number | undefined;
    for (const file of files) {
      let here = 0;
      let carry = '';
      try {
        for await (const chunk of createReadStream(file, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
          const text = carry + (chunk as string);
          PREFIX.lastIndex = 0;
          for (let m = PREFIX.exec(text); m; m = PREFIX.exec(text)) {
            // A match wholly inside the carried tail was counted with the chunk before.
            if (m.index + m[0].length <= carry.length) continue;
            const v = Number(m[1]);
            if (v <= atMost) {
              here++;
              oldest = oldest === undefined ? v : Math.min(oldest, v);
            }
          }
          carry = text.slice(-CARRY);
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new VhError(code === 'ENOENT' ? 'CONFIG' : 'IO', `${this.where}: samples: cannot read ${file} (${code ?? 'error'})`, { hint: 'a cleanup waits until every configured sample file can be checked' });
      }
      count += here;
      if (here > 0) withOld++;
    }
    return { count, files: withOld, oldest, scanned: files.length };
  }

  /**
   * Raises `min_decryption_version` to previous + 1, so `previous` (and anything older) stops decrypting while
   * `current` and every version between keep working. With `rewrap`, that runs first; with `samples`, the cleanup
   * is refused while any holds a ciphertext under a version it would retire. Never lowers the setting; nothing to
   * do when it is already past `previous`.
   */
  async cleanup(previous: Credential, current: Credential): Promise<void> {
    const old = this.pointer(previous).version;
    const now = this.pointer(current).version;
    if (old >= now) return;
    const key = await this.readKey();
    if (key.min_decryption_version > old) return;
    await this.runRewrap(old, now);
    if (this.samples) {
      const seen = await this.scanSamples(old);
      if (seen.count > 0) {
        throw new VhError('CONFLICT', `${this.where}: not retiring version ${old}: ${seen.count} ciphertext(s) in ${seen.files} of ${seen.scanned} sample file(s) are still under version ${old} or older (oldest v${seen.oldest})`, {
          hint: `rewrap them (${this.mount}/rewrap/${this.key}) or configure targets.${this.name}.rewrap; the cleanup is tried again by the next rotate-all`,
        });
      }
    }
    const floor = old + 1;
    if (key.min_encryption_version > 0 && key.min_encryption_version < floor) {
      throw new VhError('CONFLICT', `${this.where}: min_encryption_version ${key.min_encryption_version} is below ${floor}: raise it first (transit refuses a decryption floor above the encryption one)`);
    }
    await this.call('raise min_decryption_version', 'POST', `keys/${encodeURIComponent(this.key)}/config`, { min_decryption_version: floor });
  }

  /**
   * How many sample ciphertexts are still under `previous` or older (after the `rewrap` command, when there is
   * one): what holds a `when-idle` cleanup. Without samples the target cannot tell.
   */
  async inUse(previous: Credential, current: Credential): Promise<number | undefined> {
    if (!this.samples) return undefined;
    const old = this.pointer(previous).version;
    const now = this.pointer(current).version;
    if (old >= now) return 0;
    await this.runRewrap(old, now);
    return (await this.scanSamples(old)).count;
  }

  async describe(): Promise<TargetState> {
    const key = await this.readKey();
    const versions: NonNullable<TargetState['versions']> = [];
    for (let v = 1; v <= key.latest_version; v++) {
      const at = key.keys?.[String(v)];
      const created = typeof at === 'number' ? new Date(at * 1000).toISOString() : typeof at === 'object' && at?.creation_time ? at.creation_time : null;
      // Below min_decryption_version a version is archived (transit no longer answers its creation time).
      const state = v < key.min_decryption_version ? 'retired' : v === key.latest_version ? 'latest' : 'decrypts';
      versions.push({ version: String(v), created_at: created, state });
    }
    return {
      fields: {
        key: `${this.mount}/${this.key}`,
        type: key.type ?? null,
        latest_version: key.latest_version,
        min_decryption_version: key.min_decryption_version,
        min_encryption_version: key.min_encryption_version,
        exportable: key.exportable ?? null,
        auto_rotate_period: key.auto_rotate_period ? `${key.auto_rotate_period}s` : null,
      },
      versions,
    };
  }

  async close(): Promise<void> {
    // no connection kept: each request is its own
  }
}

const factory: TargetFactory = (options, context) => new VaultTransitTarget(options, context);
export default factory;
