import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis, RedisOptions } from 'ioredis';
import { VhError, type ErrorCode } from '../base/errors.js';
import { targetError } from './errors.js';
import { openSession } from './session.js';
import { TargetOptions } from './options.js';
import type { Credential, RotationTarget, TargetContext, TargetFactory } from '../core/target.js';

/**
 * Redis ACL users. A user may hold several passwords, so a rotation adds the new one beside the old (both work
 * through the grace period) and cleanup removes the old. Passwords are sent as SHA-256 hashes (`#<hash>` adds,
 * `!<hash>` removes), never in clear, so neither SLOWLOG nor MONITOR can show them.
 */

const hash = (password: string) => createHash('sha256').update(password).digest('hex');

function classify(e: Record<string, unknown>): ErrorCode | undefined {
  const msg = typeof e.message === 'string' ? e.message : '';
  if (/^WRONGPASS|invalid username-password|NOAUTH/i.test(msg)) return 'AUTH_FAILED';
  if (/^NOPERM/i.test(msg)) return 'PERMISSION_DENIED';
  // `Command timed out`: no reply within commandTimeout (a server that accepts connections and never answers).
  if (/Connection is closed|connect ETIMEDOUT|Stream isn't writeable|Command timed out/i.test(msg)) return 'NETWORK';
  return undefined;
}

class RedisTarget implements RotationTarget {
  readonly kind = 'redis';
  readonly alternating = false;
  private readonly host: string;
  private readonly port: number;
  private readonly user: string | undefined;
  private readonly tls: RedisOptions['tls'];
  private readonly aclSave: boolean;
  private readonly timeoutMs: number;

  constructor(
    options: Record<string, unknown>,
    private readonly context: TargetContext,
  ) {
    const o = new TargetOptions(options, context.name);
    this.host = o.string('host', '127.0.0.1');
    this.port = o.int('port', 6379, 1, 65535);
    this.user = o.string('user');
    const tls = o.bool('tls', false);
    const caFile = o.string('ca_file');
    this.aclSave = o.bool('acl_save', false);
    this.timeoutMs = o.int('connect_timeout_ms', 10_000, 100, 600_000);
    o.done();
    this.tls = tls ? (caFile ? { ca: readFileSync(caFile, 'utf8') } : {}) : undefined;
  }

  get name(): string {
    return this.context.name;
  }

  private where(user: string | undefined): string {
    return `target ${this.name} (redis ${this.host}:${this.port}${user ? ` as ${user}` : ''})`;
  }

  private userOf(c: Credential): string {
    const u = c.username ?? this.user;
    if (!u) throw new VhError('CONFIG', `targets.${this.name}.user: no ACL user: set it, or keep a "username" field in the secret's JSON value`);
    return u;
  }

  private async connect(user: string, password: string, secrets: readonly string[]): Promise<Redis> {
    const { Redis } = await import('ioredis');
    // AUTH is sent as a command of its own: a refused password is then a WRONGPASS reply, where ioredis'
    // built-in handshake would only report a closed connection.
    const client = new Redis({
      host: this.host,
      port: this.port,
      ...(this.tls ? { tls: this.tls } : {}),
      lazyConnect: true,
      // RESP2: no HELLO handshake, which an unauthenticated connection may not send.
      protocol: 2,
      // The ready check runs INFO, which a least-privilege user may not run (and ioredis would warn on stderr).
      enableReadyCheck: false,
      connectTimeout: this.timeoutMs,
      // connectTimeout ends at the TCP connect: every command (AUTH first) gets the same deadline of its own.
      commandTimeout: this.timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.call('AUTH', user, password);
      return client;
    } catch (err) {
      client.disconnect();
      throw targetError(err, this.where(user), classify, secrets, true);
    }
  }

  private async run<T>(client: Redis, user: string, secrets: readonly string[], fn: (c: Redis) => Promise<T>): Promise<T> {
    try {
      return await fn(client);
    } catch (err) {
      // A reply error is the server refusing the command, which then changed nothing.
      throw targetError(err, this.where(user), classify, secrets, (err as { name?: unknown }).name === 'ReplyError');
    } finally {
      client.disconnect();
    }
  }

  private async admin(candidates: Credential[], secrets: readonly string[]): Promise<{ client: Redis; user: string }> {
    const { conn, user } = await openSession((u, pw) => this.connect(u, pw, secrets), this.context.admin, 'default', candidates, (c) => this.userOf(c));
    return { client: conn, user };
  }

  /** The user's password hashes, or undefined when the user does not exist. */
  private async hashes(c: Redis, user: string): Promise<string[] | undefined> {
    const reply = (await c.call('ACL', 'GETUSER', user)) as unknown[] | null;
    if (!reply) return undefined;
    const i = reply.findIndex((v) => String(v) === 'passwords');
    const list = i >= 0 ? reply[i + 1] : [];
    return Array.isArray(list) ? list.map(String) : [];
  }

  private async setUser(c: Redis, user: string, ...rules: string[]): Promise<void> {
    await c.call('ACL', 'SETUSER', user, ...rules);
    if (this.aclSave) await c.call('ACL', 'SAVE');
  }

  nextUser(current: Credential): string | undefined {
    return current.username ?? this.user;
  }

  async apply(current: Credential, next: Credential): Promise<void> {
    const secrets = [current.password, next.password];
    const target = this.userOf(next);
    const { client, user } = await this.admin([current, next], secrets);
    await this.run(client, user, secrets, async (c) => {
      const have = await this.hashes(c, target);
      if (!have) throw new VhError('CONFIG', `${this.where(user)}: ACL user "${target}" does not exist`);
      if (!have.includes(hash(next.password))) await this.setUser(c, target, `#${hash(next.password)}`);
    });
  }

  async verify(next: Credential): Promise<void> {
    const user = this.userOf(next);
    const client = await this.connect(user, next.password, [next.password]);
    await this.run(client, user, [next.password], async (c) => {
      const pong = await c.ping();
      if (pong !== 'PONG') throw new VhError('INTERNAL', `${this.where(user)}: PING answered ${JSON.stringify(pong)}`);
    });
  }

  private async remove(keep: Credential, drop: Credential): Promise<void> {
    if (drop.password === keep.password) return;
    const secrets = [keep.password, drop.password];
    const target = this.userOf(drop);
    const { client, user } = await this.admin([keep], secrets);
    await this.run(client, user, secrets, async (c) => {
      const have = await this.hashes(c, target);
      if (have?.includes(hash(drop.password))) await this.setUser(c, target, `!${hash(drop.password)}`);
    });
  }

  rollback(current: Credential, next: Credential): Promise<void> {
    return this.remove(current, next);
  }

  cleanup(previous: Credential, current: Credential): Promise<void> {
    return this.remove(current, previous);
  }

  async inUse(previous: Credential, current: Credential, since: Date): Promise<number> {
    const old = this.userOf(previous);
    const shared = old === this.userOf(current);
    const secrets = [previous.password, current.password];
    const { client, user } = await this.admin([current], secrets);
    return this.run(client, user, secrets, async (c) => {
      const own = String(await c.call('CLIENT', 'ID'));
      // One user holds both passwords: a connection made before the new one existed logged in with an old one.
      // Redis counts ages in whole seconds (rounded either way): only connections older by more than a second
      // count, so that one made just after the new password never holds a cleanup for ever.
      const maxAge = (Date.now() - since.getTime()) / 1000 + 1;
      let n = 0;
      for (const line of String(await c.call('CLIENT', 'LIST')).split('\n')) {
        const f = Object.fromEntries(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
        if (f.user !== old || f.id === own) continue;
        if (shared && !(Number(f.age) > maxAge)) continue;
        n++;
      }
      return n;
    });
  }

  async close(): Promise<void> {}
}

const factory: TargetFactory = (options, context) => new RedisTarget(options, context);
export default factory;
