import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { run, tempHome, waitFor } from '../helpers/cli.js';
import {
  ADMIN_PASSWORD, ADMIN_USER, HOST, MARIADB_PORT, PG_PORT, REDIS_PORT, credential, dbName, holdSession, mysqlAdmin, mysqlLogin, password, pgAdmin, pgLogin, redisAdmin, redisLogin,
  skipMariadb, skipPg, skipRedis, targetEnv,
} from '../helpers/databases.js';
import { LeakLedger } from '../leak/canary.js';
import { peerSkip } from '../providers/peers.js';

/**
 * `cleanup = "when-idle"`: a previous credential whose grace is over is retired only once the target sees no
 * session still using it (at most `idle_wait_hours` past the grace); `cleanup = "now"` retires it right after
 * the promote; an emergency says how many sessions it cut. Real PostgreSQL, MariaDB and Redis; the grace period
 * is set to 0 so that every cleanup is due at once and only the sessions decide.
 */

const vaultAddr = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const skips = { pg: await skipPg(), my: await skipMariadb(), redis: await skipRedis(), vault: await peerSkip('vault', vaultAddr, 'scripts/peers.sh start openbao') };
for (const s of Object.values(skips)) if (s) process.stderr.write(`SKIP when-idle tests: ${s}\n`);

type Json = Record<string, unknown>;
const NO_GRACE = { VOICEHIVE_GRACE_PERIOD_HOURS: '0' };

function targets(user: string, extra = ''): string {
  return `${skips.vault ? '' : `[stores.bao]\nprovider = "vault"\naddress = "${vaultAddr}"\n`}
[targets.pg-idle]
kind = "postgres"
host = "${HOST}"
port = ${PG_PORT}
strategy = "alternating"
user = "${user}"
admin = "local:admin/pg"
cleanup = "when-idle"
${extra}
[targets.pg-now]
kind = "postgres"
host = "${HOST}"
port = ${PG_PORT}
strategy = "alternating"
user = "${user}_n"
admin = "local:admin/pg"
cleanup = "now"

[targets.my-idle]
kind = "mysql"
host = "${HOST}"
port = ${MARIADB_PORT}
strategy = "alternating"
user = "${user}"
admin = "local:admin/pg"
cleanup = "when-idle"

[targets.redis-idle]
kind = "redis"
host = "${HOST}"
port = ${REDIS_PORT}
admin = "local:admin/pg#password"
admin_user = "default"
cleanup = "when-idle"
`;
}

describe('cleanup only once the old credential is idle', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const ledger = new LeakLedger();
  const closers: (() => Promise<void>)[] = [];
  const vh = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) =>
    run(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}) }).then((r) => ledger.record(args.join(' '), r, args[0] === 'get'));
  const current = async (name: string) => JSON.parse((await vh(['get', name])).out) as { username: string; password: string };
  const setTargets = (user: string, extra = '') => fs.writeFile(env.VH_SECRETS_CONFIG!, targets(user, extra));
  const hold = async (kind: 'postgres' | 'mysql' | 'redis', user: string, pass: string) => {
    const close = await holdSession(kind, user, pass);
    closers.push(close);
    return close;
  };
  const healthOf = async (name: string) => {
    const h = await vh(['health', '--json'], undefined, NO_GRACE);
    const secrets = (JSON.parse(h.out) as { secrets: { secret: string; status: string; checks: { check: string; status: string; message: string }[] }[] }).secrets;
    return secrets.find((s) => s.secret === name)!;
  };

  beforeAll(async () => {
    home = tempHome('vh-idle-');
    env = { ...(await targetEnv(home, targets('nobody'))), VAULT_TOKEN: process.env.VH_TEST_VAULT_TOKEN ?? 'root' };
    ledger.add(ADMIN_PASSWORD);
    expect((await vh(['create', 'local:admin/pg', '--type', 'database_password'], credential(ADMIN_USER, ADMIN_PASSWORD))).code).toBe(0);
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await ledger.recordFiles(join(home, 'vh'), () => false);
    expect(ledger.leaks()).toEqual([]);
    await fs.rm(home, { recursive: true, force: true });
  });

  const onStores = [
    { alias: 'local', skip: skips.pg },
    { alias: 'bao', skip: skips.pg ?? skips.vault },
  ];
  test.each(onStores)('postgres, alternating users, on $alias: an open session on the previous user holds cleanup until it closes; health warns meanwhile', async ({ alias, skip }) => {
    if (skip) return;
    const user = dbName('vh_idle');
    const pass = ledger.add(password());
    await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${pass}'`);
    await setTargets(user);
    const name = `${alias}:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-idle', '--rotation-days', '365', '--tag', `t=${user}`], credential(user, pass))).code).toBe(0);
    const plan = await vh(['rotate', name, '--dry-run', '--json'], undefined, NO_GRACE);
    expect((JSON.parse(plan.out) as Json).note).toMatch(/once no session at target pg-idle uses it/);
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    const now = await current(name);
    ledger.add(now.password);
    expect(now.username).toBe(`${user}_clone`);

    // The application still holds a session as the previous user: its grace is over, but cleanup waits.
    const close = await hold('postgres', user, pass);
    const first = await vh(['rotate-all', '--tag', `t=${user}`, '--yes', '--json'], undefined, NO_GRACE);
    const report = JSON.parse(first.out) as { cleanups: unknown[]; held: Json[]; results: Json[] };
    expect(report.cleanups).toEqual([]);
    expect(report.held).toEqual([{ secret: name, version: expect.any(String), sessions: 1, target: 'pg-idle' }]);
    // Rotating again would overwrite that user's password: deferred, saying why.
    expect(report.results[0]).toMatchObject({ status: 'deferred', note: expect.stringMatching(/still used by 1 session\(s\) past its grace/) });
    expect(await pgLogin(user, pass)).toBe(true);
    const warned = await healthOf(name);
    expect(warned.status).toBe('WARNING');
    expect(warned.checks).toContainEqual({ check: 'cleanup', status: 'WARNING', message: expect.stringMatching(/still in use past its grace period: 1 session\(s\) at target pg-idle/) });
    expect(JSON.stringify(warned)).not.toContain(pass);

    // The session ends: the next run retires the previous user.
    await close();
    const second = await vh(['rotate-all', '--cleanup-only', '--tag', `t=${user}`, '--json'], undefined, NO_GRACE);
    expect((JSON.parse(second.out) as { cleanups: unknown[]; held: unknown[] }).held).toEqual([]);
    expect((JSON.parse(second.out) as { cleanups: unknown[] }).cleanups).toHaveLength(1);
    expect(await pgLogin(user, pass)).toBe(false);
    expect(await pgLogin(now.username, now.password)).toBe(true);
    expect((await healthOf(name)).checks.filter((c) => c.check === 'cleanup')).toEqual([]);

    // The audit trail has the held cleanup (count and target, no session detail) and the revoke.
    const audit = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { event: string; secret: string; details: Json });
    const mine = audit.filter((e) => e.secret === name);
    expect(mine).toContainEqual(expect.objectContaining({ event: 'rotation_phase', details: expect.objectContaining({ phase: 'cleanup', sessions_in_use: 1, target: 'pg-idle' }) }));
    expect(mine.filter((e) => e.event === 'revoked')).toHaveLength(1);
  });

  (skips.pg ? test.skip : test)('postgres, alternating users: a manual rotate checks a due cleanup first; while the previous user is in use it is deferred, once idle it retires it and rotates', async () => {
    const user = dbName('vh_idlem');
    const pass = ledger.add(password());
    await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${pass}'`);
    await setTargets(user);
    const name = `local:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-idle'], credential(user, pass))).code).toBe(0);
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    const first = await current(name);
    ledger.add(first.password);
    const close = await hold('postgres', user, pass);
    // The next rotation would stage on the previous user: never before the idle check, and not while in use.
    const deferred = await vh(['rotate', name, '--yes'], undefined, NO_GRACE);
    expect(deferred.code).toBe(75);
    expect(deferred.stderr).toMatch(/still used by 1 session\(s\) past its grace/);
    expect(await pgLogin(user, pass)).toBe(true);
    await close();
    const r = await vh(['rotate', name, '--yes', '--json'], undefined, NO_GRACE);
    expect(r.code).toBe(0);
    const second = await current(name);
    ledger.add(second.password);
    expect(second.username).toBe(user);
    expect(await pgLogin(user, second.password)).toBe(true);
    expect(await pgLogin(user, pass)).toBe(false);
    expect(await pgLogin(first.username, first.password)).toBe(true);
    const audit = await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8');
    expect(audit.split('\n').filter((l) => l.includes(`"${name}"`) && l.includes('"revoked"') && l.includes('grace period over'))).toHaveLength(1);
  });

  (skips.pg ? test.skip : test)('postgres: past idle_wait_hours the cleanup follows after-grace and says how many sessions it cut', async () => {
    const user = dbName('vh_idlew');
    const pass = ledger.add(password());
    await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${pass}'`);
    await setTargets(user, 'idle_wait_hours = 0\n');
    const name = `local:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-idle', '--rotation-days', '365', '--tag', `t=${user}`], credential(user, pass))).code).toBe(0);
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    ledger.add((await current(name)).password);
    await hold('postgres', user, pass);
    const all = JSON.parse((await vh(['rotate-all', '--tag', `t=${user}`, '--yes', '--json'], undefined, NO_GRACE)).out) as { cleanups: unknown[]; held: unknown[] };
    expect(all.held).toEqual([]);
    expect(all.cleanups).toHaveLength(1);
    expect(await pgLogin(user, pass)).toBe(false);
    const audit = await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8');
    expect(audit.split('\n').filter((l) => l.includes(name) && l.includes('"revoked"')).map((l) => (JSON.parse(l) as { details: Json }).details)).toEqual([expect.objectContaining({ sessions_cut: 1 })]);
  });

  (skips.pg ? test.skip : test)('postgres, cleanup = "now": the previous user is retired right after the promote; an emergency says how many sessions it cut', async () => {
    const base = dbName('vh_now');
    const user = `${base}_n`;
    const pass = ledger.add(password());
    await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${pass}'`);
    await setTargets(base);
    const name = `local:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-now'], credential(user, pass))).code).toBe(0);
    const r = await vh(['rotate', name, '--yes', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'rotated', cleanup: 'revoked' });
    const now = await current(name);
    ledger.add(now.password);
    expect(await pgLogin(user, pass)).toBe(false);
    expect(await pgLogin(now.username, now.password)).toBe(true);

    // An emergency with the current user's session open: it cuts, and says so.
    await hold('postgres', now.username, now.password);
    const e = await vh(['rotate', name, '--yes', '--emergency', '--reason', 'leaked in a log', '--json']);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.out)).toMatchObject({ status: 'rotated', cleanup: 'revoked', note: expect.stringMatching(/revoked at once: 1 session was still using it at target pg-now/) });
    ledger.add((await current(name)).password);
    expect(await pgLogin(now.username, now.password)).toBe(false);
  });

  (skips.my ? test.skip : test)('mariadb, alternating users: the processlist holds cleanup until the session closes', async () => {
    const user = dbName('vh_myi');
    const pass = ledger.add(password());
    await mysqlAdmin(`CREATE USER '${user}'@'%' IDENTIFIED BY '${pass}'`);
    await setTargets(user);
    const name = `local:db/${user}-my`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'my-idle', '--rotation-days', '365', '--tag', `t=${user}-my`], credential(user, pass))).code).toBe(0);
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    const now = await current(name);
    ledger.add(now.password);
    const close = await hold('mysql', user, pass);
    const held = JSON.parse((await vh(['rotate-all', '--tag', `t=${user}-my`, '--yes', '--json'], undefined, NO_GRACE)).out) as { held: Json[]; cleanups: unknown[] };
    expect(held.held).toEqual([expect.objectContaining({ sessions: 1, target: 'my-idle' })]);
    expect(await mysqlLogin(user, pass)).toBe(true);
    await close();
    // MariaDB ends a closed session's thread asynchronously: the next run may still see it, the one after not.
    let cleaned: unknown[] = [];
    for (let i = 0; i < 5 && cleaned.length === 0; i++) {
      cleaned = (JSON.parse((await vh(['rotate-all', '--cleanup-only', '--tag', `t=${user}-my`, '--json'], undefined, NO_GRACE)).out) as { cleanups: unknown[] }).cleanups;
    }
    expect(cleaned).toHaveLength(1);
    expect(await mysqlLogin(user, pass)).toBe(false);
    expect(await mysqlLogin(now.username, now.password)).toBe(true);
  });

  (skips.redis ? test.skip : test)('redis, one ACL user with two passwords: a connection made before the rotation holds cleanup; one made after does not', async () => {
    const user = dbName('vhri');
    const pass = ledger.add(password());
    await redisAdmin('ACL', 'SETUSER', user, 'on', `>${pass}`, '+ping', '+client|id');
    await setTargets('nobody');
    const name = `local:redis/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'redis-idle', '--rotation-days', '365', '--tag', `t=${user}`], credential(user, pass))).code).toBe(0);
    const old = await hold('redis', user, pass);
    // CLIENT LIST ages are whole seconds, so the target counts only connections over a second older than the new
    // version: the rotation starts once Redis itself reports this connection at least three seconds old.
    const age = async () => Math.max(-1, ...String(await redisAdmin('CLIENT', 'LIST')).split('\n').filter((l) => l.includes(` user=${user} `)).map((l) => Number(/ age=(\d+)/.exec(l)?.[1] ?? -1)));
    await waitFor(async () => (await age()) >= 3, 30_000, `Redis to report the connection of ${user} three seconds old`);
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    const now = await current(name);
    ledger.add(now.password);
    await hold('redis', user, now.password);
    const held = JSON.parse((await vh(['rotate-all', '--cleanup-only', '--tag', `t=${user}`, '--json'], undefined, NO_GRACE)).out) as { held: Json[]; cleanups: unknown[] };
    expect(held.held).toEqual([expect.objectContaining({ sessions: 1, target: 'redis-idle' })]);
    expect(await redisLogin(user, pass)).toBe(true);
    await old();
    let all = { held: [] as unknown[], cleanups: [] as unknown[] };
    for (let i = 0; i < 5 && all.cleanups.length === 0; i++) {
      all = JSON.parse((await vh(['rotate-all', '--cleanup-only', '--tag', `t=${user}`, '--json'], undefined, NO_GRACE)).out) as typeof all;
    }
    expect(all.held).toEqual([]);
    expect(all.cleanups).toHaveLength(1);
    expect(await redisLogin(user, pass)).toBe(false);
    expect(await redisLogin(user, now.password)).toBe(true);
  });

  test('a cleanup setting that is not one of the three is a configuration error naming the file and the choices', async () => {
    await fs.writeFile(env.VH_SECRETS_CONFIG!, `[targets.bad]\nkind = "postgres"\ncleanup = "whenever"\n`);
    const r = await vh(['list']);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/unknown cleanup "whenever".*after-grace, when-idle, now/s);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    await setTargets('nobody');
  });
});
