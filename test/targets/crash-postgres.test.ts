import { promises as fs } from 'node:fs';
import { run, tempHome } from '../helpers/cli.js';
import { ADMIN_PASSWORD, ADMIN_USER, HOST, PG_PORT, credential, dbName, password, pgAdmin, pgLogin, skipPg, targetEnv } from '../helpers/databases.js';

/**
 * Crash with a target attached: SIGKILL the rotation at every phase boundary, then finish it with `--resume` or
 * `--abort`. At the end the database and the store agree: the store's current value logs in, and in single-user
 * mode every other value the rotation produced is refused.
 */

const skip = await skipPg();
if (skip) process.stderr.write(`SKIP postgres crash tests: ${skip}\n`);

const PHASES = ['prepare', 'generate', 'stage', 'verify', 'promote', 'cleanup'];
const BOUNDARIES = PHASES.flatMap((p) => [`before:${p}`, `after:${p}`]);
type Cred = { username: string; password: string };

for (const strategy of ['single', 'alternating'] as const) {
  // Alternating users run through the boundaries around the target's work; single user through all of them.
  const boundaries = strategy === 'single' ? BOUNDARIES : ['after:generate', 'before:verify', 'after:stage', 'after:verify', 'after:promote'];
  (skip ? describe.skip : describe)(`crash at every failpoint with a postgres target (${strategy})`, () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    const rows: string[] = [];
    const vh = (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string) => run(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}) });
    const current = async (name: string) => JSON.parse((await vh(['get', name])).out) as Cred;

    beforeAll(async () => {
      home = tempHome('vh-pgcrash-');
      const base = `kind = "postgres"\nhost = "${HOST}"\nport = ${PG_PORT}\n`;
      // Single user without an admin (the user changes its own password: the hardest case to undo).
      env = await targetEnv(home, `[targets.self]\n${base}\n[targets.alt]\n${base}strategy = "alternating"\nadmin = "local:admin/pg"\nuser = "placeholder"\n`);
      expect((await vh(['create', 'local:admin/pg', '--type', 'database_password'], {}, credential(ADMIN_USER, ADMIN_PASSWORD))).code).toBe(0);
    });
    afterAll(async () => {
      await fs.rm(home, { recursive: true, force: true });
      if (rows.length) process.stderr.write(`\npostgres target crash matrix (${strategy}):\n${rows.join('\n')}\n`);
    });

    for (const boundary of boundaries) {
      for (const finish of ['--resume', '--abort'] as const) {
        test(`${boundary} then ${finish}`, async () => {
          const user = dbName(`vhc_${strategy.slice(0, 3)}`);
          const pass = password();
          await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${pass}'`);
          let targetName = 'self';
          if (strategy === 'alternating') {
            // One target per user: the base user is part of the target's settings.
            targetName = `alt-${user}`;
            const cfg = await fs.readFile(env.VH_SECRETS_CONFIG!, 'utf8');
            await fs.writeFile(env.VH_SECRETS_CONFIG!, `${cfg}\n[targets.${targetName}]\nkind = "postgres"\nhost = "${HOST}"\nport = ${PG_PORT}\nstrategy = "alternating"\nadmin = "local:admin/pg"\nuser = "${user}"\n`);
          }
          const name = `local:crash/${user}`;
          expect((await vh(['create', name, '--type', 'database_password', '--target', targetName], {}, credential(user, pass))).code).toBe(0);

          const crashed = await vh(['rotate', name, '--yes'], { VH_SECRETS_FAILPOINT: boundary });
          expect(crashed.signal).toBe('SIGKILL');
          // Right after the crash the database accepts what the store holds: the current value, or — for a single
          // user between stage and promote, the window alternating users exist to close — the pending one.
          const mid = await current(name);
          const pendingRead = await vh(['get', `${name}@pending`]);
          const pending = pendingRead.code === 0 ? (JSON.parse(pendingRead.out) as Cred) : undefined;
          const accepted = (await pgLogin(mid.username, mid.password)) || (pending !== undefined && (await pgLogin(pending.username, pending.password)));
          expect(accepted).toBe(true);
          if (strategy === 'alternating') expect(await pgLogin(mid.username, mid.password)).toBe(true);

          const done = await vh(['rotate', name, finish, '--yes', '--json']);
          expect([0]).toContain(done.code);
          const o = JSON.parse(done.out) as { status: string };
          const end = await current(name);
          expect(await pgLogin(end.username, end.password)).toBe(true);
          const d = JSON.parse((await vh(['describe', name, '--json'])).out) as { pending_version: string | null };
          expect(d.pending_version).toBeNull();
          if (strategy === 'single') {
            // One user, one password: whichever value is not current is refused.
            for (const other of [pass, mid.password]) if (other !== end.password) expect(await pgLogin(user, other)).toBe(false);
          }
          // Nothing left for a later run to trip over: a fresh rotation goes through. With alternating users the
          // previous user is still inside its grace period when a rotation went through: the next one is deferred
          // (never cut unasked), and goes through with --force.
          const again = await vh(['rotate', name, '--yes']);
          if (strategy === 'alternating' && o.status === 'rotated') {
            expect(again.code).toBe(75);
            expect(again.stderr).toMatch(/would cut version \S+ \(at target \S+\), in its grace period until/);
            expect((await vh(['rotate', name, '--yes', '--force'])).code).toBe(0);
          } else {
            expect(again.code).toBe(0);
          }
          const fin = await current(name);
          expect(await pgLogin(fin.username, fin.password)).toBe(true);
          rows.push(`  ${boundary.padEnd(16)} ${finish.padEnd(9)} → ${o.status.padEnd(8)} current logs in: yes`);
        });
      }
    }
  });
}
