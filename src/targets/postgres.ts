import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client, ClientConfig } from 'pg';
import { VhError, type ErrorCode } from '../base/errors.js';
import { targetError } from './errors.js';
import { logsIn, openSession, withinDeadline } from './session.js';
import { TargetOptions } from './options.js';
import type { Credential, RotationTarget, TargetContext, TargetFactory } from '../core/target.js';

/**
 * PostgreSQL: `ALTER ROLE … PASSWORD` for one user, or alternating users (`<user>` and `<user>_clone`, the clone
 * a member of the user so it has the same privileges, as in the AWS multi-user rotation template).
 *
 * Passwords reach the server only as SCRAM-SHA-256 verifiers computed here, never as cleartext, so a server
 * with statement logging on does not log them (what psql's \password does).
 */

const STRATEGIES = ['single', 'alternating'] as const;
const SSL_MODES = ['disable', 'require', 'verify-full'] as const;

/** RFC 5802 / RFC 7677 verifier in PostgreSQL's text form. Generated passwords are ASCII, so SASLprep is the identity. */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

function classify(e: Record<string, unknown>): ErrorCode | undefined {
  switch (e.code) {
    case '28P01':
    case '28000':
      return 'AUTH_FAILED';
    case '42501':
      return 'PERMISSION_DENIED';
    case '3D000':
      return 'CONFIG';
    case '57P03':
    case '53300':
      return 'NETWORK';
    default:
      // connectionTimeoutMillis passed: the server accepted the connection and never finished the start-up.
      return e.message === 'timeout expired' ? 'NETWORK' : undefined;
  }
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

class PostgresTarget implements RotationTarget {
  readonly kind = 'postgres';
  readonly alternating: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly database: string;
  private readonly user: string | undefined;
  private readonly cloneSuffix: string;
  private readonly probe: string;
  private readonly ssl: ClientConfig['ssl'];
  private readonly timeoutMs: number;

  constructor(
    options: Record<string, unknown>,
    private readonly context: TargetContext,
  ) {
    const o = new TargetOptions(options, context.name);
    this.host = o.string('host', '127.0.0.1');
    this.port = o.int('port', 5432, 1, 65535);
    this.database = o.string('database', 'postgres');
    this.user = o.string('user');
    this.alternating = o.oneOf('strategy', STRATEGIES, 'single') === 'alternating';
    this.cloneSuffix = o.string('clone_suffix', '_clone');
    this.probe = o.string('probe', 'SELECT 1');
    const sslMode = o.oneOf('ssl', SSL_MODES, 'disable');
    const caFile = o.string('ca_file');
    this.timeoutMs = o.int('connect_timeout_ms', 10_000, 100, 600_000);
    o.done();
    if (this.alternating && !this.user) throw new VhError('CONFIG', `targets.${context.name}.user: alternating users need the base user named`);
    this.ssl = sslMode === 'disable' ? false : { rejectUnauthorized: sslMode === 'verify-full', ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}) };
  }

  get name(): string {
    return this.context.name;
  }

  private where(user: string | undefined): string {
    return `target ${this.name} (postgres ${this.host}:${this.port}/${this.database}${user ? ` as ${user}` : ''})`;
  }

  private userOf(c: Credential): string {
    const u = c.username ?? this.user;
    if (!u) throw new VhError('CONFIG', `targets.${this.name}.user: no user: set it, or keep a "username" field in the secret's JSON value`);
    return u;
  }

  private async connect(user: string, password: string, secrets: readonly string[]): Promise<Client> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ host: this.host, port: this.port, database: this.database, user, password, ssl: this.ssl, connectionTimeoutMillis: this.timeoutMs, application_name: 'vh-secrets' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw targetError(err, this.where(user), classify, secrets, true);
    }
  }

  private async run<T>(client: Client, user: string, secrets: readonly string[], fn: (c: Client) => Promise<T>): Promise<T> {
    let abandoned = false;
    try {
      // On a statement that never ends, end() drops the socket at once (pg does so while a query is active).
      return await withinDeadline(fn(client), this.timeoutMs, this.where(user), () => {
        abandoned = true;
        void client.end().catch(() => undefined);
      });
    } catch (err) {
      // A SQLSTATE is the server's answer: the statement failed, and a failed statement changes nothing.
      const sqlState = typeof (err as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((err as { code: string }).code);
      throw targetError(err, this.where(user), classify, secrets, sqlState);
    } finally {
      if (!abandoned) await client.end().catch(() => undefined);
    }
  }

  /** An administrative session: the admin secret when there is one, else the first credential that logs in. */
  private async session(candidates: Credential[], secrets: readonly string[]): Promise<{ client: Client; user: string }> {
    const { conn, user } = await openSession((u, pw) => this.connect(u, pw, secrets), this.context.admin, 'postgres', candidates, (c) => this.userOf(c));
    return { client: conn, user };
  }

  private logsIn(c: Credential): Promise<boolean> {
    return logsIn((u, pw) => this.connect(u, pw, [pw]), this.userOf(c), c.password, (client) => client.end().catch(() => undefined));
  }

  nextUser(current: Credential): string | undefined {
    if (!this.alternating) return current.username ?? this.user;
    const base = this.user!;
    const clone = `${base}${this.cloneSuffix}`;
    return this.userOf(current) === clone ? base : clone;
  }

  async apply(current: Credential, next: Credential): Promise<void> {
    const secrets = [current.password, next.password];
    const target = this.userOf(next);
    // Single user without an admin: log in as the user itself; if the current password is refused, the new one
    // may already be in place (a repeated stage after a crash), which the session then proves.
    const { client, user } = await this.session([current, next], secrets);
    await this.run(client, user, secrets, async (c) => {
      const exists = (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [target])).rowCount === 1;
      if (!exists && this.alternating && target !== this.user) {
        // First rotation of an alternating pair: the clone logs in as itself and acts as the base user. One
        // transaction, so that a refusal leaves no half-made clone.
        await c.query('BEGIN');
        try {
          await c.query(`CREATE ROLE ${ident(target)} WITH LOGIN PASSWORD ${literal(scramVerifier(next.password))} IN ROLE ${ident(this.user!)}`);
          await c.query(`ALTER ROLE ${ident(target)} SET role TO ${ident(this.user!)}`);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        return;
      }
      if (!exists) throw new VhError('CONFIG', `${this.where(user)}: role "${target}" does not exist`);
      await c.query(`ALTER ROLE ${ident(target)} WITH PASSWORD ${literal(scramVerifier(next.password))}`);
    });
  }

  async verify(next: Credential): Promise<void> {
    const user = this.userOf(next);
    const client = await this.connect(user, next.password, [next.password]);
    await this.run(client, user, [next.password], async (c) => {
      await c.query(this.probe);
    });
  }

  async rollback(current: Credential, next: Credential): Promise<void> {
    const secrets = [current.password, next.password];
    if (this.alternating) {
      // The active user was never touched; the inactive one loses the discarded password.
      if (this.userOf(next) === this.userOf(current)) return;
      const { client, user } = await this.session([current], secrets);
      await this.run(client, user, secrets, async (c) => {
        const exists = (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [this.userOf(next)])).rowCount === 1;
        if (exists) await c.query(`ALTER ROLE ${ident(this.userOf(next))} WITH PASSWORD NULL`);
      });
      return;
    }
    // Stage may have failed before changing anything: then the current password still logs in and nothing is undone.
    if ((await this.logsIn(current)) && !(await this.logsIn(next).catch(() => false))) return;
    const { client, user } = await this.session([next, current], secrets);
    await this.run(client, user, secrets, async (c) => {
      await c.query(`ALTER ROLE ${ident(this.userOf(current))} WITH PASSWORD ${literal(scramVerifier(current.password))}`);
    });
  }

  async cleanup(previous: Credential, current: Credential): Promise<void> {
    if (!this.alternating) return; // the single user's old password stopped working when the new one was set
    const old = this.userOf(previous);
    if (old === this.userOf(current)) return;
    const secrets = [previous.password, current.password];
    const { client, user } = await this.session([current], secrets);
    await this.run(client, user, secrets, async (c) => {
      await c.query(`ALTER ROLE ${ident(old)} WITH PASSWORD NULL`);
    });
  }

  async inUse(previous: Credential, current: Credential, since: Date): Promise<number> {
    const old = this.userOf(previous);
    const shared = old === this.userOf(current);
    const secrets = [previous.password, current.password];
    const { client, user } = await this.session([current], secrets);
    return this.run(client, user, secrets, async (c) => {
      // Every role sees every session's user and start time (only the query text is kept from others).
      const sql = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()${shared ? ' AND backend_start < $2' : ''}`;
      const rows = await c.query<{ n: number }>(sql, shared ? [old, since] : [old]);
      return rows.rows[0]?.n ?? 0;
    });
  }

  async close(): Promise<void> {}
}

const factory: TargetFactory = (options, context) => new PostgresTarget(options, context);
export default factory;
