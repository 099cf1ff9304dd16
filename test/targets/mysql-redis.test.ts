import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { run, tempHome } from '../helpers/cli.js';
import { ADMIN_PASSWORD, ADMIN_USER, HOST, MARIADB_PORT, REDIS_PORT, credential, dbName, mysqlAdmin, mysqlLogin, password, redisAdmin, redisLogin, skipMariadb, skipRedis, targetEnv } from '../helpers/databases.js';
import { LeakLedger } from '../leak/canary.js';

const skipMy = await skipMariadb();
const skipRd = await skipRedis();
for (const s of [skipMy, skipRd]) if (s) process.stderr.write(`SKIP target tests: ${s}\n`);

type Json = Record<string, unknown>;

const config = `
[targets.my-admin]
kind = "mysql"
host = "${HOST}"
port = ${MARIADB_PORT}
admin = "local:admin/db"

[targets.my-self]
kind = "mysql"
host = "${HOST}"
port = ${MARIADB_PORT}

[targets.redis-acl]
kind = "redis"
host = "${HOST}"
port = ${REDIS_PORT}
admin = "local:admin/db#password"
admin_user = "default"
`;

function harness(prefix: string) {
  const h = {
    home: '',
    env: {} as NodeJS.ProcessEnv,
    ledger: new LeakLedger(),
    vh: (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) =>
      run(args, { env: { ...h.env, ...extra }, ...(input !== undefined ? { input } : {}) }).then((r) => h.ledger.record(args.join(' '), r, args[0] === 'get')),
    current: async (name: string) => JSON.parse((await h.vh(['get', name])).out) as { username: string; password: string },
  };
  beforeAll(async () => {
    h.home = tempHome(prefix);
    h.env = await targetEnv(h.home, config);
    h.ledger.add(ADMIN_PASSWORD);
    expect((await h.vh(['create', 'local:admin/db', '--type', 'database_password'], credential(ADMIN_USER, ADMIN_PASSWORD))).code).toBe(0);
  });
  afterAll(async () => {
    await h.ledger.recordFiles(join(h.home, 'vh'), () => false);
    expect(h.ledger.leaks()).toEqual([]);
    await fs.rm(h.home, { recursive: true, force: true });
  });
  return h;
}

(skipMy ? describe.skip : describe)('mysql target (MariaDB)', () => {
  const h = harness('vh-my-');
  async function newUser(prefix: string): Promise<{ user: string; pass: string }> {
    const user = dbName(prefix);
    const pass = h.ledger.add(password());
    await mysqlAdmin('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', pass]);
    return { user, pass };
  }

  test('single user, with the admin and as the user itself: new password in, old one refused', async () => {
    for (const target of ['my-admin', 'my-self']) {
      const { user, pass } = await newUser('vhs');
      const name = `local:my/${user}`;
      expect((await h.vh(['create', name, '--type', 'database_password', '--target', target], credential(user, pass))).code).toBe(0);
      const r = await h.vh(['rotate', name, '--yes']);
      expect(r.stderr).toMatch(/^rotated /);
      expect(r.code).toBe(0);
      const now = await h.current(name);
      h.ledger.add(now.password);
      expect(await mysqlLogin(user, now.password)).toBe(true);
      expect(await mysqlLogin(user, pass)).toBe(false);
    }
  });

  test('alternating users: the clone gets the same grants; both work until cleanup, then only the current one', async () => {
    const { user, pass } = await newUser('vha');
    const db = dbName('vhdb');
    await mysqlAdmin(`CREATE DATABASE ${db}`);
    await mysqlAdmin(`CREATE TABLE ${db}.t (x int)`);
    await mysqlAdmin(`GRANT SELECT, INSERT ON ${db}.* TO ?@?`, [user, '%']);
    await fs.writeFile(h.env.VH_SECRETS_CONFIG!, `${config}\n[targets.my-alt]\nkind = "mysql"\nhost = "${HOST}"\nport = ${MARIADB_PORT}\nstrategy = "alternating"\nuser = "${user}"\nadmin = "local:admin/db"\n`);
    const name = `local:my/${user}`;
    expect((await h.vh(['create', name, '--type', 'database_password', '--target', 'my-alt'], credential(user, pass))).code).toBe(0);
    expect((await h.vh(['rotate', name, '--yes'])).code).toBe(0);
    const first = await h.current(name);
    h.ledger.add(first.password);
    expect(first.username).toBe(`${user}_clone`);
    expect(await mysqlLogin(first.username, first.password, `INSERT INTO ${db}.t VALUES (1)`)).toBe(true);
    expect(await mysqlLogin(user, pass)).toBe(true);
    const grants = JSON.stringify(await mysqlAdmin('SHOW GRANTS FOR ?@?', [first.username, '%']));
    expect(grants).toContain(`SELECT, INSERT ON \`${db}\``);

    // The base user's password is inside its grace: a second rotation, which would overwrite it, is deferred.
    const deferred = await h.vh(['rotate', name, '--yes', '--json']);
    expect(deferred.code).toBe(75);
    expect(JSON.parse(deferred.out)).toMatchObject({ status: 'deferred' });
    expect(await mysqlLogin(user, pass)).toBe(true);

    const e = await h.vh(['rotate', name, '--yes', '--emergency', '--reason', 'cleanup now', '--json']);
    expect(JSON.parse(e.out)).toMatchObject({ status: 'rotated', cleanup: 'revoked' });
    const now = await h.current(name);
    h.ledger.add(now.password);
    expect(now.username).toBe(user);
    expect(await mysqlLogin(user, now.password, `SELECT count(*) FROM ${db}.t`)).toBe(true);
    expect(await mysqlLogin(first.username, first.password)).toBe(false);
    expect(await mysqlLogin(user, pass)).toBe(false);
    await fs.writeFile(h.env.VH_SECRETS_CONFIG!, config);
  });

  test('a refusing target rolls back: the store keeps the old value and MariaDB still accepts it', async () => {
    const { user, pass } = await newUser('vhf');
    const name = `local:my/${user}`;
    expect((await h.vh(['create', name, '--type', 'database_password', '--target', 'my-admin'], credential(user, pass))).code).toBe(0);
    const r = await h.vh(['rotate', name, '--yes', '--json'], undefined, { VH_SECRETS_FAILPOINT: 'fail:verify' });
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'failed', error: { phase: 'verify' } });
    expect(await h.current(name)).toEqual({ username: user, password: pass });
    expect(await mysqlLogin(user, pass)).toBe(true);
  });
});

(skipRd ? describe.skip : describe)('redis target (ACL users)', () => {
  const h = harness('vh-redis-');
  async function newUser(): Promise<{ user: string; pass: string }> {
    const user = dbName('vhr');
    const pass = h.ledger.add(password());
    await redisAdmin('ACL', 'SETUSER', user, 'on', `>${pass}`, '+ping', '+get', '~app:*');
    return { user, pass };
  }

  test('both passwords work through the grace period; cleanup removes the old one; passwords kept only as hashes', async () => {
    const { user, pass } = await newUser();
    const name = `local:redis/${user}`;
    expect((await h.vh(['create', name, '--type', 'database_password', '--target', 'redis-acl', '--tag', `t=${user}`], credential(user, pass))).code).toBe(0);
    expect((await h.vh(['rotate', name, '--yes'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' })).code).toBe(0);
    const now = await h.current(name);
    h.ledger.add(now.password);
    expect(await redisLogin(user, now.password)).toBe(true);
    expect(await redisLogin(user, pass)).toBe(true);
    const all = await h.vh(['rotate-all', '--tag', `t=${user}`, '--yes', '--json'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' });
    expect(all.code).toBe(0);
    expect(await redisLogin(user, pass)).toBe(false);
    expect(await redisLogin(user, now.password)).toBe(true);
    // The user's other rules are untouched.
    const rules = JSON.stringify(await redisAdmin('ACL', 'GETUSER', user));
    expect(rules).toContain('app:*');
  });

  test('two rotations inside the grace period: every password still inside its grace keeps working', async () => {
    const { user, pass } = await newUser();
    const name = `local:redis/${user}`;
    expect((await h.vh(['create', name, '--type', 'database_password', '--target', 'redis-acl'], credential(user, pass))).code).toBe(0);
    expect((await h.vh(['rotate', name, '--yes'])).code).toBe(0);
    const second = await h.current(name);
    h.ledger.add(second.password);
    expect((await h.vh(['rotate', name, '--yes'])).code).toBe(0);
    const third = await h.current(name);
    h.ledger.add(third.password);
    // A user holds several passwords: nothing had to be cut, so all three work through their graces.
    expect(await redisLogin(user, pass)).toBe(true);
    expect(await redisLogin(user, second.password)).toBe(true);
    expect(await redisLogin(user, third.password)).toBe(true);
  });

  test('emergency rotation removes the old password at once; a failed verify removes the new one', async () => {
    const { user, pass } = await newUser();
    const name = `local:redis/${user}`;
    expect((await h.vh(['create', name, '--type', 'database_password', '--target', 'redis-acl'], credential(user, pass))).code).toBe(0);
    const failed = await h.vh(['rotate', name, '--yes', '--json'], undefined, { VH_SECRETS_FAILPOINT: 'fail:promote' });
    expect(JSON.parse(failed.out)).toMatchObject({ status: 'failed', error: { phase: 'promote' } });
    const hashes = (await redisAdmin('ACL', 'GETUSER', user)) as unknown[];
    expect((hashes[hashes.indexOf('passwords') + 1] as string[]).length).toBe(1);
    expect(await redisLogin(user, pass)).toBe(true);
    const r = await h.vh(['rotate', name, '--yes', '--emergency', '--reason', 'leaked', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'rotated', cleanup: 'revoked' });
    const now = await h.current(name);
    h.ledger.add(now.password);
    expect(await redisLogin(user, now.password)).toBe(true);
    expect(await redisLogin(user, pass)).toBe(false);
  });

  test('a user that does not exist is a configuration error; nothing is staged', async () => {
    const name = 'local:redis/ghost';
    expect((await h.vh(['create', name, '--type', 'database_password', '--target', 'redis-acl'], credential('ghost-user', h.ledger.add(password())))).code).toBe(0);
    const r = await h.vh(['rotate', name, '--yes', '--json']);
    expect(r.code).toBe(78);
    const o = JSON.parse(r.out) as Json;
    expect((o.error as Json).message).toContain('ACL user "ghost-user" does not exist');
    expect(JSON.parse((await h.vh(['describe', name, '--json'])).out).pending_version).toBeNull();
  });
});
