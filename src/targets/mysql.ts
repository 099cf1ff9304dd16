import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Connection, ConnectionOptions } from 'mysql2/promise';
import { VhError, type ErrorCode } from '../base/errors.js';
import { targetError } from './errors.js';
import { logsIn, openSession, withinDeadline } from './session.js';
import { TargetOptions } from './options.js';
import type { Credential, RotationTarget, TargetContext, TargetFactory } from '../core/target.js';

/**
 * MySQL and MariaDB: `ALTER USER … IDENTIFIED BY` for one user, or alternating users (`<user>` and
 * `<user>_clone`, the clone given the same grants as the user on first rotation, as in the AWS multi-user
 * rotation template). Values travel as escaped string literals over the connection (TLS when configured):
 * these servers hash them, but a general query log would show them, so keep it off on rotated servers.
 */

const STRATEGIES = ['single', 'alternating'] as const;
const SSL_MODES = ['disable', 'require', 'verify-full'] as const;

function classify(e: Record<string, unknown>): ErrorCode | undefined {
  switch (e.errno) {
    case 1045: // ER_ACCESS_DENIED_ERROR: wrong user or password
    case 1698:
      return 'AUTH_FAILED';
    case 1044: // ER_DBACCESS_DENIED_ERROR
    case 1142: // ER_TABLEACCESS_DENIED_ERROR
    case 1227: // ER_SPECIFIC_ACCESS_DENIED_ERROR
    case 1410: // ER_CANT_CREATE_USER_WITH_GRANT
      return 'PERMISSION_DENIED';
    case 1049: // ER_BAD_DB_ERROR
      return 'CONFIG';
    case 1040: // ER_CON_COUNT_ERROR
      return 'NETWORK';
    default:
      return e.code === 'PROTOCOL_CONNECTION_LOST' ? 'NETWORK' : undefined;
  }
}

class MysqlTarget implements RotationTarget {
  readonly kind = 'mysql';
  readonly alternating: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly database: string | undefined;
  private readonly user: string | undefined;
  private readonly userHost: string;
  private readonly cloneSuffix: string;
  private readonly probe: string;
  private readonly ssl: ConnectionOptions['ssl'];
  private readonly timeoutMs: number;

  constructor(
    options: Record<string, unknown>,
    private readonly context: TargetContext,
  ) {
    const o = new TargetOptions(options, context.name);
    this.host = o.string('host', '127.0.0.1');
    this.port = o.int('port', 3306, 1, 65535);
    this.database = o.string('database');
    this.user = o.string('user');
    this.userHost = o.string('user_host', '%');
    this.alternating = o.oneOf('strategy', STRATEGIES, 'single') === 'alternating';
    this.cloneSuffix = o.string('clone_suffix', '_clone');
    this.probe = o.string('probe', 'SELECT 1');
    const sslMode = o.oneOf('ssl', SSL_MODES, 'disable');
    const caFile = o.string('ca_file');
    this.timeoutMs = o.int('connect_timeout_ms', 10_000, 100, 600_000);
    o.done();
    if (this.alternating && !this.user) throw new VhError('CONFIG', `targets.${context.name}.user: alternating users need the base user named`);
    if (this.alternating && `${this.user}${this.cloneSuffix}`.length > 80) throw new VhError('CONFIG', `targets.${context.name}.user: the clone's name would be longer than MySQL allows`);
    this.ssl = sslMode === 'disable' ? undefined : { rejectUnauthorized: sslMode === 'verify-full', ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}) };
  }

  get name(): string {
    return this.context.name;
  }

  private where(user: string | undefined): string {
    return `target ${this.name} (mysql ${this.host}:${this.port}${user ? ` as ${user}` : ''})`;
  }

  private userOf(c: Credential): string {
    const u = c.username ?? this.user;
    if (!u) throw new VhError('CONFIG', `targets.${this.name}.user: no user: set it, or keep a "username" field in the secret's JSON value`);
    return u;
  }

  private async connect(user: string, password: string, secrets: readonly string[]): Promise<Connection> {
    const mysql = await import('mysql2/promise');
    try {
      const conn = await mysql.createConnection({ host: this.host, port: this.port, user, password, ...(this.database ? { database: this.database } : {}), ...(this.ssl ? { ssl: this.ssl } : {}), connectTimeout: this.timeoutMs });
      conn.on('error', () => undefined);
      return conn;
    } catch (err) {
      throw targetError(err, this.where(user), classify, secrets, true);
    }
  }

  private async run<T>(conn: Connection, user: string, secrets: readonly string[], fn: (c: Connection) => Promise<T>): Promise<T> {
    let abandoned = false;
    try {
      return await withinDeadline(fn(conn), this.timeoutMs, this.where(user), () => {
        abandoned = true;
        conn.destroy();
      });
    } catch (err) {
      // An error number with an SQL state is the server's answer: the statement failed and changed nothing.
      const answered = typeof (err as { errno?: unknown }).errno === 'number' && typeof (err as { sqlState?: unknown }).sqlState === 'string';
      throw targetError(err, this.where(user), classify, secrets, answered);
    } finally {
      // A destroyed connection takes no QUIT: queued behind the statement that never ended, it would wait for ever.
      if (!abandoned) await conn.end().catch(() => undefined);
    }
  }

  private session(candidates: Credential[], secrets: readonly string[]): Promise<{ conn: Connection; user: string; self: boolean }> {
    return openSession((u, pw) => this.connect(u, pw, secrets), this.context.admin, 'root', candidates, (c) => this.userOf(c));
  }

  private logsIn(c: Credential): Promise<boolean> {
    return logsIn((u, pw) => this.connect(u, pw, [pw]), this.userOf(c), c.password, (conn) => conn.end().catch(() => undefined));
  }

  /** Sets `user`'s password: as that user itself (no privilege needed), or over another user (CREATE USER). */
  private async setPassword(c: Connection, asSelf: boolean, user: string, password: string): Promise<void> {
    if (asSelf) {
      const [rows] = await c.query('SELECT VERSION() AS v');
      const mariadb = /mariadb/i.test(String((rows as { v: string }[])[0]?.v));
      await c.query(mariadb ? 'SET PASSWORD = PASSWORD(?)' : 'ALTER USER CURRENT_USER() IDENTIFIED BY ?', [password]);
    } else {
      await c.query('ALTER USER ?@? IDENTIFIED BY ?', [user, this.userHost, password]);
    }
  }

  /** Gives the clone the base user's grants. SHOW GRANTS may carry the base user's password hash: dropped. */
  private async copyGrants(c: Connection, clone: string): Promise<void> {
    const [rows] = await c.query('SHOW GRANTS FOR ?@?', [this.user!, this.userHost]);
    const from = new RegExp(`TO [\`'"]?${this.user!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\`'"]?@[\`'"]?${this.userHost.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\`'"]?`);
    for (const row of rows as Record<string, string>[]) {
      const grant = Object.values(row)[0] ?? '';
      if (!from.test(grant)) continue;
      const stmt = grant.replace(/\s+IDENTIFIED BY PASSWORD\s+'[^']*'/i, '').replace(from, 'TO ?@?');
      if (/^GRANT USAGE ON \*\.\* TO \?@\?$/i.test(stmt.trim())) continue;
      await c.query(stmt, [clone, this.userHost]);
    }
  }

  nextUser(current: Credential): string | undefined {
    if (!this.alternating) return current.username ?? this.user;
    const base = this.user!;
    const clone = `${base}${this.cloneSuffix}`;
    return this.userOf(current) === clone ? base : clone;
  }

  private async exists(c: Connection, user: string): Promise<boolean> {
    const [rows] = await c.query('SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [user, this.userHost]);
    return (rows as unknown[]).length > 0;
  }

  async apply(current: Credential, next: Credential): Promise<void> {
    const secrets = [current.password, next.password];
    const target = this.userOf(next);
    const { conn, user, self } = await this.session([current, next], secrets);
    await this.run(conn, user, secrets, async (c) => {
      if (this.alternating && target !== this.user && !(await this.exists(c, target))) {
        await c.query('CREATE USER ?@? IDENTIFIED BY ?', [target, this.userHost, next.password]);
        try {
          await this.copyGrants(c, target);
        } catch (err) {
          // The clone exists now: this failure changed something, so it is not marked as a clean refusal.
          throw targetError(err, this.where(user), classify, secrets, false);
        }
        return;
      }
      if (!self && !(await this.exists(c, target))) throw new VhError('CONFIG', `${this.where(user)}: user '${target}'@'${this.userHost}' does not exist`);
      await this.setPassword(c, self && user === target, target, next.password);
    });
  }

  async verify(next: Credential): Promise<void> {
    const user = this.userOf(next);
    const conn = await this.connect(user, next.password, [next.password]);
    await this.run(conn, user, [next.password], async (c) => {
      await c.query(this.probe);
    });
  }

  async rollback(current: Credential, next: Credential): Promise<void> {
    const secrets = [current.password, next.password];
    if (this.alternating) {
      const inactive = this.userOf(next);
      if (inactive === this.userOf(current)) return;
      const { conn, user } = await this.session([current], secrets);
      await this.run(conn, user, secrets, async (c) => {
        if (await this.exists(c, inactive)) await c.query('ALTER USER ?@? IDENTIFIED BY ?', [inactive, this.userHost, randomBytes(24).toString('base64url')]);
      });
      return;
    }
    if ((await this.logsIn(current)) && !(await this.logsIn(next).catch(() => false))) return;
    const { conn, user, self } = await this.session([next, current], secrets);
    await this.run(conn, user, secrets, async (c) => {
      await this.setPassword(c, self, this.userOf(current), current.password);
    });
  }

  async cleanup(previous: Credential, current: Credential): Promise<void> {
    if (!this.alternating) return;
    const old = this.userOf(previous);
    if (old === this.userOf(current)) return;
    const secrets = [previous.password, current.password];
    const { conn, user } = await this.session([current], secrets);
    await this.run(conn, user, secrets, async (c) => {
      // MySQL has no "no password": the old user gets a random one that nobody keeps.
      await c.query('ALTER USER ?@? IDENTIFIED BY ?', [old, this.userHost, randomBytes(24).toString('base64url')]);
    });
  }

  async inUse(previous: Credential, current: Credential): Promise<number | undefined> {
    // One user holds both passwords (single strategy): the processlist cannot tell which one a session used.
    const old = this.userOf(previous);
    if (old === this.userOf(current)) return undefined;
    const secrets = [previous.password, current.password];
    const { conn, user } = await this.session([current], secrets);
    return this.run(conn, user, secrets, async (c) => {
      // Without PROCESS a session sees only its own threads, and "no sessions" would be a guess.
      const [grants] = await c.query(
        "SELECT COUNT(*) AS n FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE IN ('PROCESS', 'SUPER') AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')",
      );
      if (Number((grants as { n: number | string }[])[0]?.n ?? 0) === 0) {
        throw new VhError('PERMISSION_DENIED', `${this.where(user)}: cleanup = "when-idle" needs the PROCESS privilege to see other users' sessions`, { hint: `GRANT PROCESS ON *.* TO '${user}'@'...', or use cleanup = "after-grace"` });
      }
      const [rows] = await c.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()', [old]);
      return Number((rows as { n: number | string }[])[0]?.n ?? 0);
    });
  }

  async close(): Promise<void> {}
}

const factory: TargetFactory = (options, context) => new MysqlTarget(options, context);
export default factory;
