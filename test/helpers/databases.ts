import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { peerSkip } from '../providers/peers.js';
import { baseEnv } from './cli.js';

/**
 * The rotation-target peers started by scripts/peers.sh (PostgreSQL, MariaDB, Redis on 127.0.0.1), an admin
 * session on each for setting up users, and "does this password log in?" probes that go through the real
 * authentication of each server.
 */

export const HOST = '127.0.0.1';
export const PG_PORT = Number(process.env.VH_TEST_PG_PORT ?? 55432);
export const MARIADB_PORT = Number(process.env.VH_TEST_MARIADB_PORT ?? 53306);
export const REDIS_PORT = Number(process.env.VH_TEST_REDIS_PORT ?? 56379);
export const ADMIN_USER = process.env.VH_TEST_DB_ADMIN_USER ?? 'vh_admin';
export const ADMIN_PASSWORD = process.env.VH_TEST_DB_ADMIN_PASSWORD ?? 'vh-peer-admin-pw';

export const skipPg = () => peerSkip('postgres', `${HOST}:${PG_PORT}`, 'scripts/peers.sh start postgres');
export const skipMariadb = () => peerSkip('mariadb', `${HOST}:${MARIADB_PORT}`, 'scripts/peers.sh start mariadb');
export const skipRedis = () => peerSkip('redis', `${HOST}:${REDIS_PORT}`, 'scripts/peers.sh start redis');

export const password = () => `p${randomBytes(15).toString('base64url')}`;
export const dbName = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

export async function pgAdmin(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ host: HOST, port: PG_PORT, user: ADMIN_USER, password: ADMIN_PASSWORD, database: 'postgres' });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

/** true: logged in (and ran `probe`); false: the server refused the password. Anything else throws. */
export async function pgLogin(user: string, pass: string, probe = 'SELECT 1'): Promise<boolean> {
  const c = new pg.Client({ host: HOST, port: PG_PORT, user, password: pass, database: 'postgres', connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (err) {
    if (['28P01', '28000'].includes((err as { code?: string }).code ?? '')) return false;
    throw err;
  }
  try {
    await c.query(probe);
    return true;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function mysqlAdmin(sql: string, params: unknown[] = []): Promise<unknown> {
  const c = await mysql.createConnection({ host: HOST, port: MARIADB_PORT, user: ADMIN_USER, password: ADMIN_PASSWORD });
  try {
    const [rows] = await c.query(sql, params);
    return rows;
  } finally {
    await c.end();
  }
}

export async function mysqlLogin(user: string, pass: string, probe = 'SELECT 1'): Promise<boolean> {
  let c: mysql.Connection;
  try {
    c = await mysql.createConnection({ host: HOST, port: MARIADB_PORT, user, password: pass, connectTimeout: 5000 });
  } catch (err) {
    if ((err as { errno?: number }).errno === 1045) return false;
    throw err;
  }
  try {
    await c.query(probe);
    return true;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** AUTH as its own command, so that a refused password is a WRONGPASS reply rather than a closed connection. */
async function redisClient(user: string, pass: string): Promise<Redis> {
  const r = new Redis({ host: HOST, port: REDIS_PORT, lazyConnect: true, protocol: 2, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  await r.connect();
  try {
    await r.call('AUTH', user, pass);
  } catch (err) {
    r.disconnect();
    throw err;
  }
  return r;
}

export async function redisAdmin(...args: string[]): Promise<unknown> {
  const r = await redisClient('default', ADMIN_PASSWORD);
  try {
    return await r.call(args[0]!, ...args.slice(1));
  } finally {
    r.disconnect();
  }
}

export async function redisLogin(user: string, pass: string): Promise<boolean> {
  let r: Redis;
  try {
    r = await redisClient(user, pass);
  } catch (err) {
    if (/WRONGPASS/.test((err as Error).message)) return false;
    throw err;
  }
  try {
    return (await r.ping()) === 'PONG';
  } finally {
    r.disconnect();
  }
}

/** A CLI environment on the embedded file store with `targets` (TOML text) in its config. */
export async function targetEnv(home: string, targets: string): Promise<NodeJS.ProcessEnv> {
  await fs.mkdir(home, { recursive: true });
  const path = join(home, 'vh-secrets.toml');
  await fs.writeFile(path, targets);
  return baseEnv(home, { VH_SECRETS_CONFIG: path });
}

export const credential = (username: string, pass: string) => JSON.stringify({ username, password: pass });

/** An open session as `user` (what a running application holds); the returned function ends it. */
export async function holdSession(kind: 'postgres' | 'mysql' | 'redis', user: string, pass: string): Promise<() => Promise<void>> {
  if (kind === 'postgres') {
    const c = new pg.Client({ host: HOST, port: PG_PORT, user, password: pass, database: 'postgres' });
    c.on('error', () => undefined);
    await c.connect();
    await c.query('SELECT 1');
    return () => c.end().catch(() => undefined);
  }
  if (kind === 'mysql') {
    const c = await mysql.createConnection({ host: HOST, port: MARIADB_PORT, user, password: pass });
    c.on('error', () => undefined);
    return () => c.end().catch(() => undefined);
  }
  const r = await redisClient(user, pass);
  // QUIT: the server closes the connection itself once it has answered.
  return async () => {
    await r.quit().catch(() => r.disconnect());
  };
}
