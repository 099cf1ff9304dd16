import { promises as fs } from 'node:fs';
import pg from 'pg';
import { run, tempHome } from '../helpers/cli.js';
import { ADMIN_PASSWORD, ADMIN_USER, HOST, PG_PORT, credential, dbName, password, pgAdmin, skipPg, targetEnv } from '../helpers/databases.js';

/**
 * Zero downtime with alternating users: while 20 rotations run one after another, a client keeps a query loop
 * going. Like a real application it holds the credential it read, opens a fresh connection per query (so every
 * query authenticates), and re-reads the secret only when the database refuses its password. The test counts
 * queries, re-reads and failed queries; a query fails only if it cannot complete even after a re-read.
 */

const skip = await skipPg();
if (skip) process.stderr.write(`SKIP zero-downtime test: ${skip}\n`);
const ROTATIONS = 20;

(skip ? describe.skip : describe)('zero downtime: alternating-users postgres secret', () => {
  test(`${ROTATIONS} consecutive rotations, a query loop that re-reads on auth failure: zero failed queries`, async () => {
    const home = tempHome('vh-zdt-');
    let stop = false;
    try {
      const user = dbName('vh_zdt');
      await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${password()}'`);
      await pgAdmin(`CREATE TABLE ${user}_orders (id serial primary key, at timestamptz default now())`);
      await pgAdmin(`GRANT SELECT, INSERT ON ${user}_orders TO ${user}`);
      await pgAdmin(`GRANT USAGE ON SEQUENCE ${user}_orders_id_seq TO ${user}`);
      const initial = password();
      await pgAdmin(`ALTER ROLE ${user} PASSWORD '${initial}'`);
      const env = await targetEnv(home, `[targets.app-db]\nkind = "postgres"\nhost = "${HOST}"\nport = ${PG_PORT}\nstrategy = "alternating"\nuser = "${user}"\nadmin = "local:admin/pg"\nprobe = "SELECT count(*) FROM ${user}_orders"\n`);
      const vh = (args: string[], input?: string) => run(args, { env, ...(input !== undefined ? { input } : {}) });
      expect((await vh(['create', 'local:admin/pg', '--type', 'database_password'], credential(ADMIN_USER, ADMIN_PASSWORD))).code).toBe(0);
      const name = 'local:app/db';
      expect((await vh(['create', name, '--type', 'database_password', '--target', 'app-db'], credential(user, initial))).code).toBe(0);

      const read = async () => JSON.parse((await vh(['get', name])).out) as { username: string; password: string };
      const stats = { queries: 0, rereads: 0, failed: 0, errors: [] as string[] };
      let cred = await read();
      const query = async (c: { username: string; password: string }) => {
        const client = new pg.Client({ host: HOST, port: PG_PORT, database: 'postgres', user: c.username, password: c.password });
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.query(`INSERT INTO ${user}_orders DEFAULT VALUES`);
        } finally {
          await client.end().catch(() => undefined);
        }
      };
      const loop = (async () => {
        while (!stop) {
          try {
            await query(cred);
          } catch (err) {
            if ((err as { code?: string }).code !== '28P01') {
              stats.failed++;
              stats.errors.push((err as Error).message);
              continue;
            }
            stats.rereads++;
            cred = await read();
            try {
              await query(cred);
            } catch (again) {
              stats.failed++;
              stats.errors.push((again as Error).message);
              continue;
            }
          }
          stats.queries++;
        }
      })();

      const started = Date.now();
      const users = new Set<string>();
      for (let i = 0; i < ROTATIONS; i++) {
        // Back to back, each inside the previous one's grace period: alternating users hold two credentials, so
        // every rotation cuts the one before last — knowingly (--force). The loop below re-reads on a refusal.
        const r = await vh(['rotate', name, '--yes', '--force', '--json']);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.out).status).toBe('rotated');
        users.add((await read()).username);
      }
      stop = true;
      await loop;
      const seconds = (Date.now() - started) / 1000;
      const rows = Number((await pgAdmin(`SELECT count(*) AS n FROM ${user}_orders`)).rows[0].n);
      process.stderr.write(
        `\nzero-downtime: ${ROTATIONS} rotations in ${seconds.toFixed(1)} s; ${stats.queries} queries completed, ` +
          `${stats.rereads} re-reads after a refused password, ${stats.failed} failed queries; ${rows} rows written\n`,
      );
      expect(stats.errors).toEqual([]);
      expect(stats.failed).toBe(0);
      expect(stats.queries).toBeGreaterThan(ROTATIONS);
      expect(rows).toBe(stats.queries);
      expect(users).toEqual(new Set([user, `${user}_clone`]));
    } finally {
      // A failed assertion above must not leave the query loop running (and the test run unable to end).
      stop = true;
      await fs.rm(home, { recursive: true, force: true });
    }
  }, 180_000);
});
