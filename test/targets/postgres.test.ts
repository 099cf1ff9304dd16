import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { run, tempHome, type RunResult } from '../helpers/cli.js';
import { ADMIN_PASSWORD, ADMIN_USER, HOST, PG_PORT, credential, dbName, password, pgAdmin, pgLogin, skipPg, targetEnv } from '../helpers/databases.js';
import { LeakLedger, sampleProcesses } from '../leak/canary.js';

const skip = await skipPg();
if (skip) process.stderr.write(`SKIP postgres target tests: ${skip}\n`);

type Json = Record<string, unknown>;

const config = (extra = '') => `
[targets.pg-admin]
kind = "postgres"
host = "${HOST}"
port = ${PG_PORT}
admin = "local:admin/pg"

[targets.pg-self]
kind = "postgres"
host = "${HOST}"
port = ${PG_PORT}

[targets.pg-probe]
kind = "postgres"
host = "${HOST}"
port = ${PG_PORT}
probe = "SELECT count(*) FROM vh_probe_table"

[targets.pg-limited]
kind = "postgres"
host = "${HOST}"
port = ${PG_PORT}
admin = "local:admin/limited"
${extra}`;

(skip ? describe.skip : describe)('postgres target', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const ledger = new LeakLedger();
  const vh = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) =>
    run(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}) }).then((r) => ledger.record(args.join(' '), r, args[0] === 'get'));
  const current = async (name: string) => JSON.parse((await vh(['get', name])).out) as { username: string; password: string };

  beforeAll(async () => {
    home = tempHome('vh-pg-');
    env = await targetEnv(home, config());
    ledger.add(ADMIN_PASSWORD);
    expect((await vh(['create', 'local:admin/pg', '--type', 'database_password'], credential(ADMIN_USER, ADMIN_PASSWORD))).code).toBe(0);
  });
  afterAll(async () => {
    await ledger.recordFiles(join(home, 'vh'), () => false);
    expect(ledger.leaks()).toEqual([]);
    await fs.rm(home, { recursive: true, force: true });
  });

  async function newRole(prefix: string, extra = ''): Promise<{ user: string; pass: string }> {
    const user = dbName(prefix);
    const pass = ledger.add(password());
    await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${pass}' ${extra}`);
    return { user, pass };
  }

  test('single user with an admin secret: the new password logs in, the old one is refused, the store agrees', async () => {
    const { user, pass } = await newRole('vh_single');
    const name = `local:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-admin'], credential(user, pass))).code).toBe(0);
    // Everything `ps` could show while the rotation runs (argv and environment of every process) goes to the ledger.
    const { result: r, seen, samples } = await sampleProcesses(() => vh(['rotate', name, '--yes', '--json']));
    expect(samples).toBeGreaterThan(3);
    expect(seen).toContain('rotate');
    ledger.record('ps during rotate', { code: 0, signal: null, stdout: Buffer.alloc(0), out: '', stderr: seen });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'rotated', error: null });
    const now = await current(name);
    ledger.add(now.password);
    expect(now.username).toBe(user);
    expect(now.password).not.toBe(pass);
    expect(await pgLogin(user, now.password)).toBe(true);
    expect(await pgLogin(user, pass)).toBe(false);
    // The server never saw the cleartext: it stores the SCRAM verifier computed by vh-secrets.
    const stored = (await pgAdmin('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [user])).rows[0].rolpassword as string;
    expect(stored).toMatch(/^SCRAM-SHA-256\$4096:/);
  });

  test('single user without an admin: the user changes its own password (a repeated stage is idempotent)', async () => {
    const { user, pass } = await newRole('vh_self');
    const name = `local:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-self'], credential(user, pass))).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const before = await current(name);
      const r = await vh(['rotate', name, '--yes']);
      expect(r.code).toBe(0);
      const now = await current(name);
      ledger.add(now.password);
      expect(await pgLogin(user, now.password)).toBe(true);
      expect(await pgLogin(user, before.password)).toBe(false);
    }
  });

  test('a bare password with the user named in the target, claimed by a secrets pattern', async () => {
    const { user, pass } = await newRole('vh_bare');
    const extra = `\n[targets.pg-bare]\nkind = "postgres"\nhost = "${HOST}"\nport = ${PG_PORT}\nuser = "${user}"\nadmin = "local:admin/pg"\nsecrets = ["local:bare/*"]\n`;
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config(extra));
    const name = 'local:bare/pw';
    expect((await vh(['create', name, '--type', 'database_password'], pass)).code).toBe(0);
    const plan = await vh(['rotate', name, '--dry-run', '--json']);
    expect(JSON.parse(plan.out).note).toContain('target pg-bare');
    expect((await vh(['rotate', name, '--yes'])).code).toBe(0);
    const now = (await vh(['get', name])).out;
    ledger.add(now);
    expect(await pgLogin(user, now)).toBe(true);
    expect(await pgLogin(user, pass)).toBe(false);
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });

  test('the admin loses its rights mid-rotation: the target refuses, the rotation rolls back, the old password still logs in', async () => {
    const admin = await newRole('vh_rotator', 'CREATEROLE');
    expect((await vh(['create', 'local:admin/limited', '--type', 'database_password'], credential(admin.user, admin.pass))).code).toBe(0);
    const { user, pass } = await newRole('vh_victim');
    const name = `local:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-limited'], credential(user, pass))).code).toBe(0);
    // With its rights the admin rotates fine.
    expect((await vh(['rotate', name, '--yes'])).code).toBe(0);
    const good = await current(name);
    ledger.add(good.password);
    await pgAdmin(`ALTER ROLE ${admin.user} NOCREATEROLE`);
    const r = await vh(['rotate', name, '--yes', '--json']);
    expect(r.code).toBe(77);
    const o = JSON.parse(r.out) as Json;
    expect(o.status).toBe('failed');
    expect((o.error as Json).code).toBe('PERMISSION_DENIED');
    expect((o.error as Json).phase).toBe('stage');
    expect((o.error as Json).message).toContain('pg-limited');
    expect(await current(name)).toEqual(good);
    expect(await pgLogin(user, good.password)).toBe(true);
    const d = JSON.parse((await vh(['describe', name, '--json'])).out) as Json;
    expect(d.pending_version).toBeNull();
  });

  test('verification fails at the target (the probe is refused): rolled back to the old password', async () => {
    const { user, pass } = await newRole('vh_probe');
    await pgAdmin('CREATE TABLE IF NOT EXISTS vh_probe_table (x int)');
    await pgAdmin(`REVOKE ALL ON vh_probe_table FROM ${user}`);
    const name = `local:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-probe'], credential(user, pass))).code).toBe(0);
    const r = await vh(['rotate', name, '--yes', '--json']);
    expect(r.code).toBe(77);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'failed', error: { phase: 'verify', code: 'PERMISSION_DENIED' } });
    expect(await current(name)).toEqual({ username: user, password: pass });
    expect(await pgLogin(user, pass)).toBe(true);
    // Granted the probe, the same secret rotates.
    await pgAdmin(`GRANT SELECT ON vh_probe_table TO ${user}`);
    expect((await vh(['rotate', name, '--yes'])).code).toBe(0);
    const now = await current(name);
    ledger.add(now.password);
    expect(await pgLogin(user, now.password, 'SELECT count(*) FROM vh_probe_table')).toBe(true);
    expect(await pgLogin(user, pass)).toBe(false);
  });

  test('alternating users: a clone with the same grants, both valid until cleanup, then only the current user', async () => {
    const { user, pass } = await newRole('vh_alt');
    await pgAdmin(`CREATE TABLE ${user}_t (x int)`);
    await pgAdmin(`GRANT SELECT, INSERT ON ${user}_t TO ${user}`);
    const extra = `\n[targets.pg-alt]\nkind = "postgres"\nhost = "${HOST}"\nport = ${PG_PORT}\nstrategy = "alternating"\nuser = "${user}"\nadmin = "local:admin/pg"\n`;
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config(extra));
    const name = `local:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-alt'], credential(user, pass))).code).toBe(0);

    expect((await vh(['rotate', name, '--yes'])).code).toBe(0);
    const first = await current(name);
    ledger.add(first.password);
    expect(first.username).toBe(`${user}_clone`);
    expect(await pgLogin(first.username, first.password, `SELECT count(*) FROM ${user}_t`)).toBe(true);
    expect(await pgLogin(user, pass)).toBe(true); // the previous user still works through the grace period

    // A second rotation inside the grace period would overwrite the previous user's password, which is still
    // promised to work: it is deferred, naming the version, the target and when the grace ends.
    const v1 = JSON.parse((await vh(['describe', name, '--json'])).out).versions[0].version as string;
    const deferred = await vh(['rotate', name, '--yes']);
    expect(deferred.code).toBe(75);
    expect(deferred.stderr).toMatch(new RegExp(`would cut version ${v1} \\(at target pg-alt\\), in its grace period until \\d{4}-`));
    const plan = await vh(['rotate', name, '--dry-run', '--json']);
    expect(JSON.parse(plan.out)).toMatchObject({ status: 'deferred' });
    expect(await current(name)).toEqual(first);
    expect(await pgLogin(user, pass)).toBe(true); // still inside its grace: still works

    // --force cuts it, knowingly.
    const second = await vh(['rotate', name, '--yes', '--force']);
    expect(second.code).toBe(0);
    const now = await current(name);
    ledger.add(now.password);
    expect(now.username).toBe(user);
    expect(await pgLogin(user, now.password, `INSERT INTO ${user}_t VALUES (1)`)).toBe(true);
    expect(await pgLogin(user, pass)).toBe(false); // the inactive user was reset by this rotation
    expect(await pgLogin(first.username, first.password)).toBe(true);

    // Cleanup (at once with --emergency): the previous user stops working; the current one keeps working.
    const e = await vh(['rotate', name, '--yes', '--emergency', '--reason', 'test cleanup', '--json']);
    expect(JSON.parse(e.out)).toMatchObject({ status: 'rotated', cleanup: 'revoked' });
    const last = await current(name);
    ledger.add(last.password);
    expect(last.username).toBe(`${user}_clone`);
    expect(await pgLogin(last.username, last.password, `SELECT count(*) FROM ${user}_t`)).toBe(true);
    expect(await pgLogin(user, now.password)).toBe(false);
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });

  test('deferred cleanup through rotate-all retires the previous user of an alternating pair', async () => {
    const { user, pass } = await newRole('vh_altc');
    const extra = `\n[targets.pg-altc]\nkind = "postgres"\nhost = "${HOST}"\nport = ${PG_PORT}\nstrategy = "alternating"\nuser = "${user}"\nadmin = "local:admin/pg"\n`;
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config(extra));
    const name = `local:db/${user}`;
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-altc', '--rotation-days', '365', '--tag', `t=${user}`], credential(user, pass))).code).toBe(0);
    expect((await vh(['rotate', name, '--yes'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' })).code).toBe(0);
    const now = await current(name);
    ledger.add(now.password);
    expect(await pgLogin(user, pass)).toBe(true);
    const all = await vh(['rotate-all', '--tag', `t=${user}`, '--yes', '--json'], undefined, { VOICEHIVE_GRACE_PERIOD_HOURS: '0' });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.out).cleanups).toHaveLength(1);
    expect(await pgLogin(user, pass)).toBe(false);
    expect(await pgLogin(now.username, now.password)).toBe(true);
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });

  test('bad target settings and unknown targets are configuration errors (78), nothing changed', async () => {
    const { user, pass } = await newRole('vh_cfg');
    const name = `local:db/${user}`;
    const bad = await vh(['create', name, '--type', 'database_password', '--target', 'nope'], credential(user, pass));
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('no rotation target named "nope"');
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config(`\n[targets.pg-typo]\nkind = "postgres"\nprot = 5432\n`));
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-typo'], credential(user, pass))).code).toBe(0);
    const r = await vh(['rotate', name, '--yes']);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('targets.pg-typo.prot: unknown setting');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await current(name)).toEqual({ username: user, password: pass });
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });

  test('an unreachable target: exit 69 with host and port named, rolled back, no stack trace', async () => {
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config(`\n[targets.pg-down]\nkind = "postgres"\nhost = "127.0.0.1"\nport = 1\nuser = "nobody"\n`));
    const name = 'local:db/down';
    expect((await vh(['create', name, '--type', 'database_password', '--target', 'pg-down'], credential('nobody', ledger.add(password())))).code).toBe(0);
    const r: RunResult = await vh(['rotate', name, '--yes']);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('127.0.0.1:1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const d = JSON.parse((await vh(['describe', name, '--json'])).out) as Json;
    expect(d.pending_version).toBeNull();
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });
});
