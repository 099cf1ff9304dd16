import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run, tempHome } from '../helpers/cli.js';
import { targetEnv } from '../helpers/databases.js';
import { startHttpFaultProxy, vaultErrorBody, type HttpFault, type HttpFaultProxy } from '../helpers/fault-proxy.js';
import { LeakLedger, sampleProcesses } from '../leak/canary.js';
import { peerSkip } from '../providers/peers.js';

/**
 * `kind = "vault-transit"`: a transit encryption key on the OpenBao peer, rotated end to end by the CLI on the
 * embedded file store. Every run mounts a transit engine of its own (`transit-<random>`) with the root token, and
 * vh-secrets works with a token holding only deploy/vault-transit-policy.hcl — so the tests also prove that policy
 * is enough. What a ciphertext written before a rotation does is checked with the root token, as an application
 * would: it decrypts through the grace period and stops once the cleanup raised min_decryption_version.
 */

const ADDR = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const ROOT_TOKEN = process.env.VH_TEST_VAULT_TOKEN ?? 'root';
const skip = await peerSkip('openbao', ADDR, 'scripts/peers.sh start vault');
if (skip) process.stderr.write(`SKIP vault-transit target tests: ${skip}\n`);

type Json = Record<string, unknown>;
const RUN = randomBytes(3).toString('hex');
const MOUNT = `transit-${RUN}`;
const NO_GRACE = { VOICEHIVE_GRACE_PERIOD_HOURS: '0' };
/** Every transit call a rotation makes, faulted on the wire (see the wire-fault test). */
const WIRE: { tag: string; call: string; match: (path: string) => boolean; fault: HttpFault; emergency?: boolean }[] = [
  { tag: 'w1', call: 'rotate', match: (p) => p.endsWith('/rotate'), fault: { kind: 'drop-response' } },
  { tag: 'w2', call: 'rotate', match: (p) => p.endsWith('/rotate'), fault: { kind: 'commit-then-500' } },
  { tag: 'w3', call: 'rotate', match: (p) => p.endsWith('/rotate'), fault: { kind: 'reset-mid-body' } },
  { tag: 'w4', call: 'rotate', match: (p) => p.endsWith('/rotate'), fault: { kind: 'status', status: 503 } },
  { tag: 'w5', call: 'read key', match: (p) => /\/keys\/[^/]+$/.test(p), fault: { kind: 'drop-response' } },
  { tag: 'w6', call: 'encrypt', match: (p) => p.includes('/encrypt/'), fault: { kind: 'drop-response' } },
  { tag: 'w7', call: 'decrypt', match: (p) => p.includes('/decrypt/'), fault: { kind: 'status', status: 503 } },
  { tag: 'w8', call: 'config', match: (p) => p.endsWith('/config'), fault: { kind: 'drop-response' }, emergency: true },
];
/** Every phase boundary a rotation of a transit key can be killed at (no reload configured: it has none). */
const KILLS = ['prepare', 'generate', 'stage', 'verify', 'promote', 'cleanup'].flatMap((phase) => [`before:${phase}`, `after:${phase}`]);
const KEYS = ['cycle', 'verify', 'samples', 'idle', 'crash', 'abort', 'typo', ...WIRE.map((w) => w.tag), ...KILLS.map((_, i) => `kill${i}`)];

/** One request to OpenBao; `data` of the answer, or the thrown `errors`. */
async function bao<T = Json>(method: string, path: string, body?: unknown, token = ROOT_TOKEN): Promise<T> {
  const res = await fetch(`${ADDR}/v1/${path}`, { method, headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as { data?: T; errors?: string[]; auth?: { client_token: string } }) : {};
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${(json as { errors?: string[] }).errors?.join('; ') ?? ''}`);
  return (json.data ?? json) as T;
}

interface KeyInfo {
  latest_version: number;
  min_decryption_version: number;
  keys: Record<string, number>;
}
const keyInfo = (key: string) => bao<KeyInfo>('GET', `${MOUNT}/keys/${key}`);
const encrypt = async (key: string, text: string, version?: number) =>
  (await bao<{ ciphertext: string }>('POST', `${MOUNT}/encrypt/${key}`, { plaintext: Buffer.from(text).toString('base64'), ...(version ? { key_version: version } : {}) })).ciphertext;
/** The plaintext, or undefined when transit refuses to decrypt it (its version retired). */
const decrypt = async (key: string, ciphertext: string): Promise<string | undefined> => {
  try {
    return Buffer.from((await bao<{ plaintext: string }>('POST', `${MOUNT}/decrypt/${key}`, { ciphertext })).plaintext, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
};

(skip ? describe.skip : describe)('vault-transit target', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  /** A token with deploy/vault-transit-policy.hcl for every key of this run; one without encrypt for `verify`. */
  let token: string;
  let noEncrypt: string;
  let proxy: HttpFaultProxy;
  const ledger = new LeakLedger();
  const vh = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) =>
    run(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 }).then((r) => ledger.record(args.join(' '), r, args[0] === 'get'));

  const keyOf = (tag: string) => `k-${tag}`;
  const config = (overrides: Record<string, string> = {}) =>
    KEYS.map(
      (tag) => `[targets.tr-${tag}]
kind = "vault-transit"
mount = "${MOUNT}"
key = "${keyOf(tag)}"
address = "${tag.startsWith('w') ? proxy.url : ADDR}"
${overrides[tag]?.includes('token_file') ? '' : `token_file = "${join(home, 'token')}"`}
${overrides[tag] ?? ''}
`,
    ).join('\n');

  /** A transit key, and a secret pointing at its version 1 (tagged `t=<tag>`, rotated through `tr-<tag>`). */
  const keyWithSecret = async (tag: string): Promise<{ key: string; name: string }> => {
    const key = keyOf(tag);
    await bao('POST', `${MOUNT}/keys/${key}`, {});
    const name = `local:transit/${tag}`;
    const created = await vh(['create', name, '--type', 'encryption_key', '--target', `tr-${tag}`, '--tag', `t=${tag}`], JSON.stringify({ key, version: 1 }));
    expect(created.code).toBe(0);
    return { key, name };
  };
  const stored = async (name: string): Promise<{ key: string; version: number }> => {
    const r = await vh(['get', name]);
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as { key: string; version: number };
  };
  const sweep = async (tag: string) => {
    const r = await vh(['rotate-all', '--cleanup-only', '--tag', `t=${tag}`, '--json'], undefined, NO_GRACE);
    return JSON.parse(r.out) as { cleanups: Json[]; held: Json[]; results: { status: string; error: { code: string; message: string } | null }[] };
  };
  /** A ciphertext the test made: never to appear in any output of vh-secrets. */
  const secretCiphertext = (ct: string) => {
    ledger.add(ct);
    return ct;
  };

  beforeAll(async () => {
    home = tempHome('vh-transit-');
    proxy = await startHttpFaultProxy({ upstream: ADDR, errorBody: vaultErrorBody, lifetimeMs: 600_000 });
    await bao('POST', `sys/mounts/${MOUNT}`, { type: 'transit' });
    const policy = await fs.readFile(join(ROOT, 'deploy', 'vault-transit-policy.hcl'), 'utf8');
    const forKey = (key: string, text = policy) => text.replace(/path "transit\//g, `path "${MOUNT}/`).replace(/KEY_NAME/g, key);
    await bao('PUT', `sys/policies/acl/vh-${MOUNT}`, { policy: KEYS.map((t) => forKey(keyOf(t))).join('\n') });
    // The same policy for the verify key, less its encrypt path: the probe is refused.
    const cut = forKey(keyOf('verify')).replace(/path "[^"]*\/encrypt\/[^"]*" \{[^}]*\}/, '');
    await bao('PUT', `sys/policies/acl/vh-${MOUNT}-noenc`, { policy: cut });
    const made = async (policies: string[]) => (await bao<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies, ttl: '1h', no_default_policy: true })).auth.client_token;
    token = await made([`vh-${MOUNT}`]);
    noEncrypt = await made([`vh-${MOUNT}-noenc`]);
    for (const t of [token, noEncrypt]) ledger.add(t);
    // The token reaches vh-secrets in a file (token_file), never in its environment: the canary covers it too.
    env = await targetEnv(home, '');
    await fs.writeFile(join(home, 'token'), `${token}\n`, { mode: 0o600 });
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });
  afterAll(async () => {
    await proxy?.close();
    if (!skip) await bao('DELETE', `sys/mounts/${MOUNT}`).catch(() => undefined);
    if (!home) return;
    // The leak canary: no token, probe or ciphertext in any output, nor in any file vh-secrets wrote.
    await ledger.recordFiles(join(home, 'vh'), () => false);
    expect(ledger.leaks()).toEqual([]);
    await fs.rm(home, { recursive: true, force: true });
  });

  test('a ciphertext written before the rotation decrypts through the grace period and stops once cleanup raised min_decryption_version', async () => {
    const { key, name } = await keyWithSecret('cycle');
    const before = secretCiphertext(await encrypt(key, 'written before the rotation'));
    expect(before).toMatch(/^vault:v1:/);
    const plan = JSON.parse((await vh(['rotate', name, '--dry-run', '--json'])).out) as Json;
    expect(plan.note).toMatch(/would have target tr-cycle issue a new credential, stage it \(applied at target tr-cycle, vault-transit\)/);

    const { result: r, seen: ps } = await sampleProcesses(() => vh(['rotate', name, '--yes', '--json'], undefined, NO_GRACE));
    ledger.recordText('ps during rotate', ps);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'rotated', version: '2', previous_version: '1', cleanup: 'deferred' });
    expect(await stored(name)).toEqual({ key, version: 2 });
    expect(await keyInfo(key)).toMatchObject({ latest_version: 2, min_decryption_version: 1 });
    // Through the grace period (over, but no cleanup has run): the old ciphertext still decrypts.
    expect(await decrypt(key, before)).toBe('written before the rotation');
    expect(await encrypt(key, 'new')).toMatch(/^vault:v2:/);

    const swept = await sweep('cycle');
    expect(swept.cleanups).toEqual([{ secret: name, revoked_version: '1' }]);
    expect(await keyInfo(key)).toMatchObject({ latest_version: 2, min_decryption_version: 2 });
    expect(await decrypt(key, before)).toBeUndefined();
    // A second cleanup of the same version is nothing to do.
    expect((await sweep('cycle')).cleanups).toEqual([]);

    // describe shows the key's versions beside the secret's.
    const d = JSON.parse((await vh(['describe', name, '--json'])).out) as { target: { name: string; kind: string; state: { fields: Json; versions: Json[] } } };
    expect(d.target).toMatchObject({ name: 'tr-cycle', kind: 'vault-transit', state: { fields: { key: `${MOUNT}/${key}`, latest_version: 2, min_decryption_version: 2, min_encryption_version: 0, exportable: false } } });
    expect(d.target.state.versions).toEqual([
      { version: '1', created_at: null, state: 'retired' },
      { version: '2', created_at: expect.stringMatching(/^\d{4}-/), state: 'latest' },
    ]);
    const text = await vh(['describe', name]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/target\s+tr-cycle \(vault-transit\)/);
    expect(text.out).toMatch(/min_decryption_version\s+2/);
    expect(text.out).toMatch(/TARGET VERSION/);

    // The audit trail names the rotation's source and versions (the ledger checks it holds no ciphertext).
    const audit = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).split('\n').filter((l) => l.includes(name));
    expect(audit.some((l) => l.includes('"rotation_started"') && l.includes('"source":"issued"'))).toBe(true);
  });

  test('a verify the token may not run (no encrypt on the key) is rolled back: the store keeps version 1; the version transit made stays', async () => {
    const { key, name } = await keyWithSecret('verify');
    const tokenFile = join(home, 'verify-token');
    await fs.writeFile(tokenFile, `${noEncrypt}\n`, { mode: 0o600 });
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config({ verify: `token_file = "${tokenFile}"` }));
    const r = await vh(['rotate', name, '--yes', '--json']);
    expect(r.code).toBe(77);
    const o = JSON.parse(r.out) as { status: string; note: string; error: { code: string; message: string; phase: string } };
    expect(o).toMatchObject({ status: 'failed', error: { code: 'PERMISSION_DENIED', phase: 'verify' } });
    const host = new URL(ADDR).host.replace(/\./g, '\\.');
    expect(o.error.message).toMatch(new RegExp(`target tr-verify \\(vault-transit ${MOUNT}/${key} at ${host}\\): encrypt the probe: permission denied`));
    expect(o.note).toMatch(/rolled back: version 1 stays current/);
    expect(await stored(name)).toEqual({ key, version: 1 });
    // Transit cannot take a version back: 2 exists, and nothing was retired.
    expect(await keyInfo(key)).toMatchObject({ latest_version: 2, min_decryption_version: 1 });

    // With the policy's token the next rotation goes to version 3, and version 2 keeps decrypting.
    await fs.writeFile(tokenFile, token);
    const under2 = secretCiphertext(await encrypt(key, 'under the orphan version', 2));
    const again = await vh(['rotate', name, '--yes', '--json'], undefined, NO_GRACE);
    expect(again.code).toBe(0);
    expect(await stored(name)).toEqual({ key, version: 3 });
    expect((await sweep('verify')).cleanups).toEqual([{ secret: name, revoked_version: '1' }]);
    // Cleanup retired version 1 only (previous + 1), not every version below the current one.
    expect(await keyInfo(key)).toMatchObject({ latest_version: 3, min_decryption_version: 2 });
    expect(await decrypt(key, under2)).toBe('under the orphan version');
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });

  test('samples: cleanup is refused while a sample file holds a vault:v1: ciphertext, and goes ahead once it is rewrapped', async () => {
    const { key, name } = await keyWithSecret('samples');
    const dir = join(home, 'samples');
    await fs.mkdir(dir, { recursive: true });
    const old = secretCiphertext(await encrypt(key, 'row 1'));
    await fs.writeFile(join(dir, 'rows.ct'), `id,data\n1,${old}\n`);
    await fs.writeFile(join(dir, 'ignored.txt'), `vault:v1:not-a-sample\n`);
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config({ samples: `samples = ["${dir}/*.ct"]` }));
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    await fs.appendFile(join(dir, 'rows.ct'), `2,${secretCiphertext(await encrypt(key, 'row 2'))}\n`);

    const refused = await sweep('samples');
    expect(refused.cleanups).toEqual([]);
    const failed = refused.results.find((x) => x.status === 'failed');
    expect(failed?.error?.code).toBe('CONFLICT');
    expect(failed?.error?.message).toMatch(/not retiring version 1: 1 ciphertext\(s\) in 1 of 1 sample file\(s\) are still under version 1 or older \(oldest v1\)/);
    expect(await keyInfo(key)).toMatchObject({ min_decryption_version: 1 });
    expect(await decrypt(key, old)).toBe('row 1');
    // rotate-all reports it as failed (exit 2), health keeps the cleanup due.
    expect(JSON.stringify(refused)).not.toContain(old);

    // The application rewraps its rows (transit/rewrap: to the latest version, the plaintext never leaves).
    const rewrapped = secretCiphertext((await bao<{ ciphertext: string }>('POST', `${MOUNT}/rewrap/${key}`, { ciphertext: old })).ciphertext);
    expect(rewrapped).toMatch(/^vault:v2:/);
    await fs.writeFile(join(dir, 'rows.ct'), (await fs.readFile(join(dir, 'rows.ct'), 'utf8')).replace(old, rewrapped));
    expect((await sweep('samples')).cleanups).toEqual([{ secret: name, revoked_version: '1' }]);
    expect(await keyInfo(key)).toMatchObject({ min_decryption_version: 2 });
    expect(await decrypt(key, rewrapped)).toBe('row 1');
    expect(await decrypt(key, old)).toBeUndefined();
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });

  test('cleanup = "when-idle": old sample ciphertexts hold the cleanup; the rewrap command (names and versions only) lets it go ahead', async () => {
    const { key, name } = await keyWithSecret('idle');
    const sample = join(home, 'idle.ct');
    const old = secretCiphertext(await encrypt(key, 'kept across rotations'));
    await fs.writeFile(sample, `${old}\n`);
    const idle = `cleanup = "when-idle"\nsamples = ["${sample}"]`;
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config({ idle }));
    expect((await vh(['rotate', name, '--yes'], undefined, NO_GRACE)).code).toBe(0);
    const held = await sweep('idle');
    expect(held.cleanups).toEqual([]);
    expect(held.held).toEqual([{ secret: name, version: '1', sessions: 1, target: 'tr-idle' }]);
    expect(await keyInfo(key)).toMatchObject({ min_decryption_version: 1 });
    const health = await vh(['health', '--json', '--tag', 't=idle']);
    expect(health.out).toMatch(/still in use past its grace period: 1 session\(s\) at target tr-idle/);

    // The operator's rewrap command: it is told the key and versions, never a value, and brings its own token.
    const hook = join(home, 'rewrap.mjs');
    const hookLog = join(home, 'rewrap.log');
    await fs.writeFile(
      hook,
      `#!/usr/bin/env node
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(hookLog)}, JSON.stringify({ argv: process.argv.slice(2), key: process.env.VH_TRANSIT_KEY, mount: process.env.VH_TRANSIT_MOUNT, version: process.env.VH_VERSION, previous: process.env.VH_PREVIOUS_VERSION, secret: process.env.VH_SECRET }) + '\\n');
const file = ${JSON.stringify(sample)};
let text = readFileSync(file, 'utf8');
for (const ct of text.match(/vault:v\\d+:[A-Za-z0-9+/=]+/g) ?? []) {
  const res = await fetch(process.env.VAULT_ADDR + '/v1/' + process.env.VH_TRANSIT_MOUNT + '/rewrap/' + process.env.VH_TRANSIT_KEY, { method: 'POST', headers: { 'X-Vault-Token': process.env.REWRAP_TOKEN }, body: JSON.stringify({ ciphertext: ct }) });
  if (!res.ok) { process.stderr.write('rewrap refused ' + res.status + '\\n'); process.exit(1); }
  text = text.replace(ct, (await res.json()).data.ciphertext);
}
writeFileSync(file, text);
`,
      { mode: 0o755 },
    );
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config({ idle: `${idle}\nrewrap = ["${hook}"]` }));
    const done = JSON.parse((await vh(['rotate-all', '--cleanup-only', '--tag', 't=idle', '--json'], undefined, { ...NO_GRACE, VAULT_ADDR: ADDR, REWRAP_TOKEN: ROOT_TOKEN })).out) as { cleanups: Json[]; held: Json[] };
    expect(done.held).toEqual([]);
    expect(done.cleanups).toEqual([{ secret: name, revoked_version: '1' }]);
    const calls = (await fs.readFile(hookLog, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Json);
    // Run once (inUse and cleanup of one run share it), with names and versions only.
    expect(calls).toEqual([{ argv: [], key, mount: MOUNT, version: '2', previous: '1', secret: name }]);
    const now = (await fs.readFile(sample, 'utf8')).trim();
    ledger.add(now);
    expect(now).toMatch(/^vault:v2:/);
    expect(await decrypt(key, now)).toBe('kept across rotations');
    expect(await keyInfo(key)).toMatchObject({ min_decryption_version: 2 });
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
  });

  test('killed after transit made the version but before it was stored: --resume makes another and completes; the orphan version keeps decrypting', async () => {
    const { key, name } = await keyWithSecret('crash');
    const killed = await vh(['rotate', name, '--yes'], undefined, { ...NO_GRACE, VH_SECRETS_FAILPOINT: 'after:generate' });
    expect(killed.signal).toBe('SIGKILL');
    expect(await keyInfo(key)).toMatchObject({ latest_version: 2 });
    const journal = join(home, 'vh', 'journal');
    const entries = await Promise.all((await fs.readdir(journal)).map((f) => fs.readFile(join(journal, f), 'utf8')));
    expect(entries.map((e) => JSON.parse(e) as { issued?: string; secret: string; status: string }).filter((e) => e.secret === name)).toEqual([expect.objectContaining({ issued: 'v2', status: 'in_progress' })]);
    expect(await stored(name)).toEqual({ key, version: 1 });
    // Data an application encrypted under the orphan version meanwhile.
    const under2 = secretCiphertext(await encrypt(key, 'encrypted under v2', 2));

    const resumed = await vh(['rotate', name, '--resume', '--json'], undefined, NO_GRACE);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ status: 'rotated', previous_version: '1' });
    expect(await stored(name)).toEqual({ key, version: 3 });
    expect((await sweep('crash')).cleanups).toEqual([{ secret: name, revoked_version: '1' }]);
    expect(await keyInfo(key)).toMatchObject({ latest_version: 3, min_decryption_version: 2 });
    expect(await decrypt(key, under2)).toBe('encrypted under v2');

    // Killed after the stage: resumed from the pending version, verified and promoted without another version.
    expect((await vh(['rotate', name, '--yes'], undefined, { ...NO_GRACE, VH_SECRETS_FAILPOINT: 'after:stage' })).signal).toBe('SIGKILL');
    expect((await vh(['rotate', name, '--resume', '--json'], undefined, NO_GRACE)).code).toBe(0);
    expect(await stored(name)).toEqual({ key, version: 4 });
    expect(await keyInfo(key)).toMatchObject({ latest_version: 4 });
  });

  test('--abort after a kill leaves the store at its version, the key with the version it made, and the next rotation going on from there', async () => {
    const { key, name } = await keyWithSecret('abort');
    expect((await vh(['rotate', name, '--yes'], undefined, { VH_SECRETS_FAILPOINT: 'after:generate' })).signal).toBe('SIGKILL');
    const aborted = await vh(['rotate', name, '--abort', '--json']);
    expect(aborted.code).toBe(0);
    expect(JSON.parse(aborted.out)).toMatchObject({ status: 'aborted' });
    expect(await stored(name)).toEqual({ key, version: 1 });
    expect(await keyInfo(key)).toMatchObject({ latest_version: 2, min_decryption_version: 1 });
    expect((await vh(['rotate', name, '--yes'])).code).toBe(0);
    expect(await stored(name)).toEqual({ key, version: 3 });
  });

  test('wire faults on every transit call: the rotation ends rotated with exactly one new version (a lost rotate answer is settled by reading the key, never sent twice)', async () => {
    for (const w of WIRE) {
      const { key, name } = await keyWithSecret(w.tag);
      const before = secretCiphertext(await encrypt(key, 'before'));
      proxy.clearLog();
      proxy.arm({ match: (q) => w.match(q.path.split('?')[0]!), fault: w.fault });
      const r = await vh(['rotate', name, '--yes', '--json', ...(w.emergency ? ['--emergency', '--reason', 'wire faults'] : [])], undefined, { VH_SECRETS_RETRIES: '3' });
      proxy.disarm();
      const where = `${w.call} × ${w.fault.kind}`;
      expect({ where, fired: proxy.fired() }).toEqual({ where, fired: 1 });
      expect({ where, code: r.code, out: JSON.parse(r.out) as Json }).toMatchObject({ where, code: 0, out: { status: 'rotated', version: '2', cleanup: w.emergency ? 'revoked' : 'deferred' } });
      expect(await stored(name)).toEqual({ key, version: 2 });
      expect(await keyInfo(key)).toMatchObject({ latest_version: 2, min_decryption_version: w.emergency ? 2 : 1 });
      expect(await decrypt(key, before)).toBe(w.emergency ? undefined : 'before');
    }
  }, 600_000);

  test('killed at every phase boundary, --resume ends with the key\'s latest version current, nothing pending, and the old ciphertexts still decrypting', async () => {
    for (const [i, at] of KILLS.entries()) {
      const { key, name } = await keyWithSecret(`kill${i}`);
      const before = secretCiphertext(await encrypt(key, 'before the kill'));
      const killed = await vh(['rotate', name, '--yes'], undefined, { VH_SECRETS_FAILPOINT: at });
      expect({ at, signal: killed.signal }).toEqual({ at, signal: 'SIGKILL' });
      const resumed = await vh(['rotate', name, '--resume', '--json']);
      const status = (JSON.parse(resumed.out) as { status: string }).status;
      expect({ at, code: resumed.code, status }).toEqual({ at, code: 0, status: at === 'before:prepare' ? 'nothing' : 'rotated' });
      const d = JSON.parse((await vh(['describe', name, '--json'])).out) as { pending_version: string | null; target: { state: { fields: { latest_version: number } } } };
      expect({ at, pending: d.pending_version }).toEqual({ at, pending: null });
      const now = await stored(name);
      // The secret names the newest version (a version made before a kill that never reached the store is older).
      expect({ at, version: now.version }).toEqual({ at, version: d.target.state.fields.latest_version });
      // Killed between generate and the pending write, the version made is lost to the store: resume makes another.
      const orphaned = at === 'after:generate' || at === 'before:stage';
      expect({ at, latest: (await keyInfo(key)).latest_version }).toEqual({ at, latest: at === 'before:prepare' ? 1 : orphaned ? 3 : 2 });
      expect({ at, before: await decrypt(key, before) }).toEqual({ at, before: 'before the kill' });
      expect((await vh(['rotations', '--json'])).code).toBe(0);
    }
  }, 600_000);

  test('misconfiguration is a config error (78) that changes nothing: a misspelt setting, a secret naming another key, a missing key', async () => {
    await fs.writeFile(env.VH_SECRETS_CONFIG!, config({ typo: 'moutn = "x"' }));
    const { key, name } = await keyWithSecret('typo');
    const typo = await vh(['rotate', name, '--yes']);
    expect(typo.code).toBe(78);
    expect(typo.stderr).toContain('targets.tr-typo.moutn: unknown setting');

    await fs.writeFile(env.VH_SECRETS_CONFIG!, config({ typo: `key = "${keyOf('cycle')}"` }).replace(`key = "${key}"\n`, ''));
    const before = await keyInfo(keyOf('cycle'));
    const wrong = await vh(['rotate', name, '--yes', '--json']);
    expect(wrong.code).toBe(78);
    expect(JSON.parse(wrong.out).error.message).toContain(`the secret names transit key "${key}", but the target rotates "${keyOf('cycle')}"`);
    expect(await keyInfo(keyOf('cycle'))).toEqual(before);

    await fs.writeFile(env.VH_SECRETS_CONFIG!, config());
    await bao('POST', `${MOUNT}/keys/${key}/config`, { deletion_allowed: true });
    await bao('DELETE', `${MOUNT}/keys/${key}`);
    const missing = await vh(['rotate', name, '--yes', '--json']);
    expect(missing.code).toBe(78);
    expect(JSON.parse(missing.out).error.message).toContain(`there is no transit key "${key}" at mount ${MOUNT}`);
    // describe still answers, saying why it cannot show the key.
    const d = await vh(['describe', name]);
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/target state\s+unavailable: .*there is no transit key/);
  });
});
