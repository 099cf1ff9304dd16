import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import {
  ADMIN_PASSWORD,
  ADMIN_USER,
  MARIADB_PORT,
  PG_PORT,
  REDIS_PORT,
  credential,
  dbName,
  mysqlAdmin,
  mysqlLogin,
  password,
  pgAdmin,
  pgLogin,
  redisAdmin,
  redisLogin,
  skipMariadb,
  skipPg,
  skipRedis,
} from '../helpers/databases.js';
import { startTcpFaultProxy, type TcpFault, type TcpFaultProxy } from '../helpers/fault-proxy.js';
import { inProgressJournals, judgeRotation, type Cli, type Described, type Vh } from './store-matrix.js';

/**
 * Faults on the wire between vh-secrets and its rotation targets (PostgreSQL, MariaDB, Redis), the secret in the
 * embedded file store. The target's connection goes through a TCP proxy that, at the Nth client write carrying
 * the password change (`ALTER ROLE`, `ALTER USER`, `ACL SETUSER`), forwards it and then loses the server's reply
 * (FIN or RST), or resets the connection before forwarding it. Which writes a rotation makes is found by a clean
 * rotation. Legal as for the stores (see judgeRotation), and besides: the store's current value logs in to the
 * database, and for a single-user PostgreSQL/MariaDB target the other value is refused.
 *
 * For a normal and an emergency rotation: every target write × every fault, and every connection the rotation
 * opens reset at its first write (the login); VH_FAULTS_FULL=1 also answers each login and then loses the reply.
 */

const FAULTS: TcpFault[] = ['drop-reply', 'reset-after', 'reset-before', 'hang'];

interface TargetRig {
  kind: 'postgres' | 'mysql' | 'redis';
  port: number;
  skip: string | undefined;
  /** What marks the password change on the wire. */
  pattern: string;
  /** `[targets.t]` body, host and port filled in with the proxy's. */
  config: (port: number) => string;
  /** Creates the user; returns its first password. */
  newUser: (user: string) => Promise<string>;
  login: (user: string, pass: string) => Promise<boolean>;
  /** Whether a rotation leaves exactly one password valid (false: Redis keeps the old one for the grace period). */
  singlePassword: boolean;
}

const rigs: TargetRig[] = [
  {
    kind: 'postgres',
    port: PG_PORT,
    skip: await skipPg(),
    pattern: 'ALTER ROLE',
    // No admin: the user changes its own password, the hardest case to undo.
    config: (port) => `kind = "postgres"\nhost = "127.0.0.1"\nport = ${port}\nconnect_timeout_ms = 3000\n`,
    newUser: async (user) => {
      const pass = password();
      await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${pass}'`);
      return pass;
    },
    login: pgLogin,
    singlePassword: true,
  },
  {
    kind: 'mysql',
    port: MARIADB_PORT,
    skip: await skipMariadb(),
    pattern: 'ALTER USER',
    config: (port) => `kind = "mysql"\nhost = "127.0.0.1"\nport = ${port}\nadmin = "s:admin/db"\nconnect_timeout_ms = 3000\n`,
    newUser: async (user) => {
      const pass = password();
      await mysqlAdmin('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', pass]);
      return pass;
    },
    login: mysqlLogin,
    singlePassword: true,
  },
  {
    kind: 'redis',
    port: REDIS_PORT,
    skip: await skipRedis(),
    pattern: 'SETUSER',
    config: (port) => `kind = "redis"\nhost = "127.0.0.1"\nport = ${port}\nadmin = "s:admin/db#password"\nadmin_user = "default"\nconnect_timeout_ms = 3000\n`,
    newUser: async (user) => {
      const pass = password();
      await redisAdmin('ACL', 'SETUSER', user, 'on', `>${pass}`, '~*', '+@all');
      return pass;
    },
    login: redisLogin,
    singlePassword: false,
  },
];

class TargetBench implements Cli {
  readonly alias = 's';
  private constructor(
    readonly proxy: TcpFaultProxy,
    readonly home: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async open(rig: TargetRig): Promise<TargetBench> {
    const proxy = await startTcpFaultProxy({ upstreamPort: rig.port, lifetimeMs: 120_000 });
    proxy.watch(rig.pattern);
    const home = tempHome(`vh-faults-${rig.kind}-`);
    const path = join(home, 'vh-secrets.toml');
    await fs.writeFile(
      path,
      `default_store = "s"\n[stores.s]\nprovider = "file"\npath = "${join(home, 's.vhs')}"\nkey_file = "${join(home, 's.key')}"\n\n[targets.t]\n${rig.config(proxy.port)}`,
    );
    const bench = new TargetBench(proxy, home, baseEnv(home, { VH_SECRETS_CONFIG: path, VH_SECRETS_RETRIES: '3' }));
    const admin = await bench.vh(['create', 's:admin/db', '--type', 'database_password'], credential(ADMIN_USER, ADMIN_PASSWORD));
    if (admin.code !== 0) throw new Error(`set-up: admin secret: ${admin.stderr}`);
    return bench;
  }

  vh: Vh = (args, input) => run(args, { env: this.env, timeoutMs: 45_000, ...(input !== undefined ? { input } : {}) });

  async describe(name: string): Promise<Described | undefined> {
    const r = await this.vh(['describe', name, '--json']);
    return r.code === 0 ? (JSON.parse(r.out) as Described) : undefined;
  }

  async journal(): Promise<string[]> {
    return inProgressJournals(this.home);
  }

  async auditLog(): Promise<Record<string, unknown>[]> {
    const text = await fs.readFile(join(this.home, 'vh', 'audit.log'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** A fresh database user and its secret, attached to the target. */
  async newSecret(rig: TargetRig): Promise<{ name: string; user: string; v0: string }> {
    const user = dbName(`vhf_${rig.kind.slice(0, 2)}`);
    const pass = await rig.newUser(user);
    const name = `db/${user}`;
    const created = await this.vh(['create', name, '--type', 'database_password', '--target', 't'], credential(user, pass));
    if (created.code !== 0) throw new Error(`set-up: create: ${created.stderr}`);
    return { name, user, v0: (await this.vh(['get', name])).out };
  }

  async close(): Promise<void> {
    await this.proxy.close();
    await fs.rm(this.home, { recursive: true, force: true });
  }
}

type Scenario = 'rotate' | 'rotate --emergency';
const SCENARIOS: Scenario[] = ['rotate', 'rotate --emergency'];
const args = (s: Scenario, name: string) => ['rotate', name, '--yes', '--json', ...(s === 'rotate --emergency' ? ['--emergency', '--reason', 'fault matrix'] : [])];

interface TargetCall {
  scenario: Scenario;
  label: string;
  rule: { pattern: string; occurrence: number } | { connection: number };
  faults: TcpFault[];
}

/**
 * The target calls a clean run of each scenario makes: every write carrying the password change (each fault), and
 * every connection it opens (logins: apply, verify, cleanup), reset or answered-then-lost at its first write.
 */
async function discoverTargetCalls(rig: TargetRig): Promise<TargetCall[]> {
  const bench = await TargetBench.open(rig);
  const calls: TargetCall[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const { name } = await bench.newSecret(rig);
      bench.proxy.clearLog();
      const r = await bench.vh(args(scenario, name));
      if (r.code !== 0) throw new Error(`clean ${scenario} with a ${rig.kind} target failed: ${r.stderr}`);
      const writes = bench.proxy.log.filter((l) => l.event === 'match').length;
      const conns = bench.proxy.log.filter((l) => l.event === 'connect').length;
      for (let n = 1; n <= writes; n++) calls.push({ scenario, label: writes > 1 ? `${rig.pattern} #${n}` : rig.pattern, rule: { pattern: rig.pattern, occurrence: n }, faults: FAULTS });
      const connFaults: TcpFault[] = process.env.VH_FAULTS_FULL === '1' ? ['reset-before', 'drop-reply'] : ['reset-before'];
      for (let k = 1; k <= conns; k++) calls.push({ scenario, label: `connection #${k}`, rule: { connection: k }, faults: connFaults });
    }
  } finally {
    await bench.close();
  }
  return calls;
}

const plan: { rig: TargetRig; calls: TargetCall[] }[] = [];
for (const rig of rigs) {
  if (rig.skip) process.stderr.write(`SKIP target fault matrix on ${rig.kind}: ${rig.skip}\n`);
  plan.push({ rig, calls: rig.skip ? [] : await discoverTargetCalls(rig) });
}

const results: { target: string; call: string; fault: string; ok: boolean }[] = [];
afterAll(() => {
  const lines = plan
    .filter((p) => p.calls.length > 0)
    .map((p) => {
      const rs = results.filter((r) => r.target === p.rig.kind);
      const faults = new Set(p.calls.flatMap((c) => c.faults)).size;
      return [`  ${p.rig.kind.padEnd(8)} ${faults} faults × ${p.calls.length} calls: consistent ${rs.filter((r) => r.ok).length}/${rs.length}`, ...rs.filter((r) => !r.ok).map((r) => `      INCONSISTENT ${r.call} × ${r.fault}`)].join('\n');
    });
  const calls = plan.reduce((n, p) => n + p.calls.length, 0);
  console.log(
    `target fault matrix:\nfaults × calls × targets: ${FAULTS.length} × ${calls} × ${plan.filter((p) => p.calls.length > 0).length}: consistent ${results.filter((r) => r.ok).length}/${results.length}\n${lines.join('\n')}`,
  );
});

for (const { rig, calls } of plan) {
  (rig.skip ? describe.skip : describe)(`wire faults on a ${rig.kind} target`, () => {
    test('a clean rotation changes the password on the wire', () => expect(calls.some((c) => 'pattern' in c.rule)).toBe(true));
    for (const call of calls) {
      for (const fault of call.faults) {
        const title = `${rig.kind} ${call.scenario}: ${call.label} × ${fault}`;
        test.concurrent(
          title,
          async () => {
            const bench = await TargetBench.open(rig);
            const row = { target: rig.kind, call: `${call.scenario}: ${call.label}`, fault, ok: false };
            results.push(row);
            try {
              const { name, user, v0 } = await bench.newSecret(rig);
              bench.proxy.arm({ ...call.rule, fault });
              const first = await bench.vh(args(call.scenario, name));
              bench.proxy.disarm();
              const violations: string[] = [];
              if (bench.proxy.fired() === 0) violations.push(`the fault never fired: ${call.label} was not made this time`);
              const settled = async (): Promise<string[]> => {
                const bad: string[] = [];
                const got = await bench.vh(['get', name]);
                if (got.code !== 0) return [];
                const now = (JSON.parse(got.out) as { password: string }).password;
                if (!(await rig.login(user, now))) bad.push(`the database refuses the store's current value (${got.out === v0 ? 'the old one' : 'a new one'})`);
                const old = (JSON.parse(v0) as { password: string }).password;
                const singleNow = rig.singlePassword || call.scenario === 'rotate --emergency';
                if (singleNow && old !== now && (await rig.login(user, old))) bad.push(`the old password still logs in after a ${rig.singlePassword ? 'single-user' : 'emergency'} rotation`);
                return bad;
              };
              violations.push(...(await judgeRotation(bench, name, v0, first, settled)));
              row.ok = violations.length === 0;
              expect({ case: title, violations }).toEqual({ case: title, violations: [] });
            } finally {
              await bench.close();
            }
          },
          120_000,
        );
      }
    }
  });
}
