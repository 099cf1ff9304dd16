import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, baseEnv, run, tempHome } from '../helpers/cli.js';

/**
 * The Vault source on a real OpenBao audit log: our own dev server on a free port, with a `file` audit device
 * declared in its config file (OpenBao does not enable audit devices through the API), driven by the real
 * vh-secrets CLI and by plain HTTP.
 */

const BAO = join(ROOT, '.peers', 'venv', 'bin', 'bao');
const TOKEN = 'vh-audit-test-root';
const VALUE = 'canary-vault-value-3d1f0b77';
const require = process.env.VH_REQUIRE_PEERS === '1';
const have = existsSync(BAO);
if (!have) {
  const msg = `vault-audit: ${BAO} not found (run scripts/peers.sh start openbao)`;
  if (require) throw new Error(msg);
  console.warn(`SKIPPING ${msg}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

let dir: string;
let server: ChildProcess | undefined;
let addr: string;
let auditLog: string;

async function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${addr}/v1/${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'X-Vault-Token': init.token ?? TOKEN, 'Content-Type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

(have ? describe : describe.skip)('Vault/OpenBao audit device as a source', () => {
  beforeAll(async () => {
    dir = tempHome('vh-audit-bao-');
    auditLog = join(dir, 'bao-audit.log');
    const cfg = join(dir, 'bao.hcl');
    await fs.writeFile(cfg, `audit "file" "to-file" {\n  options {\n    file_path = "${auditLog}"\n  }\n}\n`);
    const port = await freePort();
    addr = `http://127.0.0.1:${port}`;
    server = spawn(BAO, ['server', '-dev', `-dev-root-token-id=${TOKEN}`, `-dev-listen-address=127.0.0.1:${port}`, '-dev-no-store-token', `-config=${cfg}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH, HOME: dir },
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await fetch(`${addr}/v1/sys/health`).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`OpenBao did not start on ${addr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('CLI and HTTP traffic is counted by event, actor and path; HMAC\'d fields stay HMAC\'d; no value leaks', async () => {
    await fs.writeFile(join(dir, 'vh.toml'), `[stores.v]\nprovider = "vault"\naddress = "${addr}"\nmount = "secret"\n`);
    const env = baseEnv(dir, { VH_SECRETS_CONFIG: join(dir, 'vh.toml'), VAULT_TOKEN: TOKEN });
    expect((await run(['create', 'v:app/db', '--type', 'database_password'], { env, input: VALUE })).code).toBe(0);
    for (let i = 0; i < 3; i++) {
      const got = await run(['get', 'v:app/db'], { env });
      expect(got.code).toBe(0);
      expect(got.out).toBe(VALUE);
    }
    expect((await run(['describe', 'v:app/db'], { env })).code).toBe(0);

    // Through HTTP: a policy change and a token with only that policy, which may read app/db but not app/other.
    expect((await api('sys/policies/acl/app-read', { body: { policy: 'path "secret/data/app/db" { capabilities = ["read"] }' } })).status).toBe(204);
    const created = await api('auth/token/create', { body: { policies: ['app-read'], display_name: 'app-reader', no_default_policy: true } });
    expect(created.status).toBe(200);
    const appToken = created.json.auth.client_token as string;
    expect((await api('secret/data/app/db', { token: appToken })).status).toBe(200);
    expect((await api('secret/data/app/other', { token: appToken })).status).toBe(403);
    expect((await api('secret/data/app/other', { token: appToken })).status).toBe(403);

    const raw = await fs.readFile(auditLog, 'utf8');
    expect(raw).toContain('hmac-sha256:');
    expect(raw).not.toContain(VALUE);

    const r = await run(['audit', '--since', '1h', '--source', `vault-audit:${auditLog}`, '--json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(VALUE);
    expect(r.out).not.toContain(appToken);
    const rep = JSON.parse(r.out);
    const src = rep.sources[0];
    expect(src).toMatchObject({ kind: 'vault-audit', path: auditLog, problems: 0 });
    // Every call is a request and a response line; only responses become records. The one extra request is the
    // device's own test entry (sys/audit/test) written when it is enabled, which has no response.
    expect(src.ignored).toBe(src.records + 1);
    expect(src.lines).toBe(src.records + src.ignored);

    const by = (b: { top: { key: string; total: number; failure: number }[] }) => Object.fromEntries(b.top.map((x) => [x.key, [x.total, x.failure]]));
    const events = by(rep.by_event);
    expect(events.accessed![0]).toBeGreaterThanOrEqual(6); // 3 CLI gets (+ reads inside create/describe) + 3 HTTP reads
    expect(events.accessed![1]).toBe(2);
    expect(events.written![0]).toBeGreaterThanOrEqual(1);
    expect(events.policy_changed).toEqual([1, 0]);
    expect(events.token_created![0]).toBeGreaterThanOrEqual(1);
    const actors = by(rep.by_actor);
    // The dev root token's display name is a bare "token": its accessor's HMAC tells it apart from other tokens.
    const rootActor = Object.keys(actors).find((k) => /^token#[0-9a-f]{12}$/.test(k))!;
    expect(actors[rootActor]![0]).toBeGreaterThan(5);
    expect(actors['token-app-reader']).toEqual([3, 2]);
    const secrets = by(rep.by_secret);
    expect(secrets['secret/app/db']![0]).toBeGreaterThanOrEqual(6);
    expect(secrets['secret/app/other']).toEqual([2, 2]);
    expect(by(rep.failures.by_error_code)).toEqual({ PERMISSION_DENIED: [2, 2] });
    expect(rep.failures.recent[0]).toMatchObject({ source: 'vault-audit', action: 'read secret/data', actor: 'token-app-reader', file: auditLog });
    // The policy write is root's first privileged action in the data read.
    const priv = rep.anomalies.filter((a: { kind: string }) => a.kind === 'PRIVILEGE_ESCALATION').map((a: { actor: string; evidence: { events: { action: string }[] } }) => `${a.actor} ${a.evidence.events[0]!.action}`);
    expect(priv).toContain(`${rootActor} update sys/policies/acl`);
    // Every id in the evidence is a Vault request id (or line-N for the dev server's own id-less setup calls), and the lines point into the audit log.
    for (const a of rep.anomalies) for (const e of a.evidence.events) expect(e).toMatchObject({ source: 'vault-audit', file: auditLog, id: expect.stringMatching(/^[0-9a-f-]{36}$|^dev-[a-z-]+$|^line-\d+$/) });
  }, 60_000);
});
