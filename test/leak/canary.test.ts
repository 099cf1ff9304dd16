import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, baseEnv, run, tempHome, waitFor, type RunResult } from '../helpers/cli.js';
import { scrape, startExporter } from '../helpers/exporter.js';
import { LeakLedger, canary, encodings, sampleProcesses, startRecordingProxy, unkeyedHashes } from './canary.js';
import { peerSkip } from '../providers/peers.js';

const VAULT_ADDR = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const VAULT_ROOT = process.env.VH_TEST_VAULT_TOKEN ?? 'root';
const skipTransit = await peerSkip('openbao', VAULT_ADDR, 'scripts/peers.sh start vault');
if (skipTransit) process.stderr.write(`SKIP the vault-transit leak canary: ${skipTransit}\n`);

let home: string;
beforeAll(() => {
  home = tempHome('vh-leak-');
});
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

function cmdlineWhileWaiting(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<{ cmdline: string; environ: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [BIN, ...args], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', reject);
    setTimeout(async () => {
      const cmdline = await fs.readFile(`/proc/${child.pid}/cmdline`, 'utf8').catch(() => '');
      const environ = await fs.readFile(`/proc/${child.pid}/environ`, 'utf8').catch(() => '');
      child.stdin.end(input);
      child.on('close', (code) => resolve({ cmdline, environ, code }));
    }, 400);
  });
}

/** `vh-secrets run ARGS` started in the background; `stop()` sends SIGTERM and gives what it printed. */
function runUntil(args: string[], env: NodeJS.ProcessEnv): { stop: () => Promise<RunResult> } {
  const child = spawn(NODE, [BIN, 'run', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const closed = new Promise<RunResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const stdout = Buffer.concat(out);
      resolve({ code, signal, stdout, out: stdout.toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    }),
  );
  return {
    stop: () => {
      child.kill('SIGTERM');
      return closed;
    },
  };
}

test('no canary value leaks from any command into output, logs, errors, argv or files', async () => {
  const ledger = new LeakLedger();
  const env = baseEnv(home);
  const debugEnv = { ...env, VH_SECRETS_DEBUG: '1' };
  const vh = async (label: string, args: string[], input?: string, valueOnStdout = false, e = env) =>
    ledger.record(label, await run(args, { env: e, ...(input !== undefined ? { input } : {}) }), valueOnStdout);

  const stdinValue = ledger.add(canary('stdin'));
  const fileValue = ledger.add(canary('file'));
  const keyValue = ledger.add(canary('key'));
  const valueFile = join(home, 'input.txt');
  await fs.writeFile(valueFile, fileValue, { mode: 0o600 });

  expect((await vh('create stdin', ['create', 'app/db', '--type', 'database_password', '--tag', 'team=x'], stdinValue)).code).toBe(0);
  expect((await vh('create json', ['--json', 'create', 'app/file', '--value-file', valueFile])).code).toBe(0);
  expect((await vh('create key', ['create', 'app/kv#password', '--debug'], keyValue)).code).toBe(0);
  expect((await vh('create generated', ['create', 'app/gen', '--type', 'jwt_secret', '--generate', '--json'])).code).toBe(0);

  expect((await vh('get', ['get', 'app/db'], undefined, true)).out).toBe(stdinValue);
  expect(JSON.parse((await vh('get json', ['get', 'app/file', '--json'], undefined, true)).out).value).toBe(fileValue);
  expect((await vh('get key', ['get', 'app/kv#password'], undefined, true)).out).toBe(keyValue);
  const generated = ledger.add((await vh('get generated', ['get', 'app/gen'], undefined, true)).out);
  expect(generated.length).toBeGreaterThan(40);

  // Errors, with and without --debug, on paths that had a value in hand.
  expect((await vh('dup create', ['create', 'app/db'], stdinValue, false, debugEnv)).code).toBe(75);
  expect((await vh('dup create json', ['create', 'app/db', '--json'], stdinValue)).code).toBe(75);
  expect((await vh('bad key', ['get', 'app/db#nokey', '--debug'])).code).toBe(65);
  expect((await vh('missing key', ['get', 'app/kv#other'], undefined, false, debugEnv)).code).toBe(66);
  expect((await vh('bad type', ['create', 'x', '--type', 'nope'], stdinValue)).code).toBe(64);

  expect((await vh('list', ['list'])).code).toBe(0);
  expect((await vh('list json', ['list', '--json'])).code).toBe(0);
  expect((await vh('describe', ['describe', 'app/db'])).code).toBe(0);
  expect((await vh('describe json', ['describe', 'app/kv', '--json'])).code).toBe(0);
  // Rotation, reports, verification, metrics and a scan of the very directory that holds the values.
  expect((await vh('rotate', ['rotate', 'app/kv#password', '--yes', '--force'], undefined, false, debugEnv)).code).toBe(0);
  ledger.add((await vh('get rotated', ['get', 'app/kv#password'], undefined, true)).out);
  // Values issued elsewhere, supplied: set (stdin), rotate --value-file, and their refusals.
  const setValue = ledger.add(canary('set'));
  expect((await vh('set', ['set', 'app/file', '--reason', 'reissued'], setValue, false, debugEnv)).code).toBe(0);
  expect((await vh('set same', ['set', 'app/file', '--debug'], setValue)).code).toBe(64);
  expect((await vh('set cas', ['set', 'app/file', '--cas', '99', '--json'], ledger.add(canary('set-cas')))).code).toBe(75);
  const suppliedValue = ledger.add(canary('supplied'));
  const suppliedFile = join(home, 'supplied.txt');
  await fs.writeFile(suppliedFile, suppliedValue, { mode: 0o600 });
  expect((await vh('rotate value-file', ['rotate', 'app/file', '--value-file', suppliedFile, '--yes', '--json'], undefined, false, debugEnv)).code).toBe(0);
  expect((await vh('get supplied', ['get', 'app/file'], undefined, true)).out).toBe(suppliedValue);
  // Copies: the value travels, the output names only secrets and actions.
  expect((await vh('copy', ['copy', 'app/file', 'local:app/file-copy', '--json'], undefined, false, debugEnv)).code).toBe(0);
  expect((await vh('copy again', ['copy', 'app/file', 'local:app/file-copy'])).code).toBe(0);
  expect((await vh('copy all dry', ['copy', '--all', '--prefix', 'app/', '--to-store', 'local', '--dry-run'])).code).toBe(64);
  expect((await vh('get copy', ['get', 'app/file-copy', '--format', 'dotenv'], undefined, true)).out).toContain('FILE_COPY=');
  // run: a value reaches the child's environment only — never a command line (vh-secrets' or the child's),
  // masked output, or the audit log. template: into a 0600 file.
  const ran = await sampleProcesses(() => vh('run masked', ['run', '--env', 'X=app/file', '--env', 'K=app/kv', '--', 'sh', '-c', 'sleep 0.3; printf "%s %s" "$X" "$K"']), 3, ['cmdline']);
  expect(ran.result.code).toBe(0);
  expect(ran.result.out).toMatch(/concealed by vh-secrets/);
  // The sampler sees the tool's own processes: vh-secrets and the child it started.
  expect(ran.seen).toContain('sleep 0.3; printf');
  expect(ran.seen).toContain('app/file');
  ledger.recordText('argv of every process while `run` ran', ran.seen);
  // run --watch: the restart reads the new value; old and new stay masked — also in what the stopped child
  // prints on its way out — and neither is on a command line. The restart notes name versions, never values.
  const watchFirst = ledger.add(canary('watch-first'));
  const watchSecond = ledger.add(canary('watch-second'));
  expect((await vh('create watched', ['create', 'watch/app'], watchFirst)).code).toBe(0);
  const watched = await sampleProcesses(async () => {
    const starts = join(home, 'watch-starts');
    const script = `process.on("SIGTERM", () => { console.log("bye " + process.env.W); console.error("err " + process.env.W); process.exit(0); }); console.log("start " + process.env.W); require("fs").appendFileSync(${JSON.stringify(starts)}, "x"); setInterval(() => {}, 1000);`;
    const started = async (n: number) => (await fs.readFile(starts, 'utf8').catch(() => '')).length >= n;
    const result = runUntil([`--watch`, '--watch-interval', '200ms', '--env', 'W=watch/app', '--', NODE, '-e', script], debugEnv);
    await waitFor(() => started(1), 30_000, 'the watched child');
    expect((await vh('set watched', ['set', 'watch/app'], watchSecond)).code).toBe(0);
    await waitFor(() => started(2), 30_000, 'the restarted child');
    return result.stop();
  }, 3, ['cmdline']);
  ledger.record('run --watch', watched.result);
  expect(watched.result.code).toBe(0);
  expect(watched.result.out.match(/concealed by vh-secrets/g)).toHaveLength(4);
  expect(watched.result.stderr).toMatch(/--watch: new version of local:watch\/app \(version \S+\): restarting node/);
  ledger.recordText('argv of every process while `run --watch` ran', watched.seen);
  const tmpl = join(home, 'app.tmpl');
  await fs.writeFile(tmpl, 'password = {{ secret "app/file" }}\nkey = {{ secret "app/kv#password" | base64 }}\n');
  expect((await vh('template', ['template', tmpl, '-o', join(home, 'rendered', 'app.conf')], undefined, false, debugEnv)).code).not.toBe(0);
  await fs.mkdir(join(home, 'rendered'), { mode: 0o700 });
  expect((await vh('template', ['template', tmpl, '-o', join(home, 'rendered', 'app.conf')], undefined, false, debugEnv)).code).toBe(0);
  expect((await fs.stat(join(home, 'rendered', 'app.conf'))).mode & 0o777).toBe(0o600);
  expect((await vh('export', ['export', '--prefix', 'app/', '--format', 'json'], undefined, true)).code).toBe(0);
  expect((await vh('export dotenv', ['export', '--prefix', 'app/file'], undefined, true)).code).toBe(0);
  // An interrupted rotation (killed with the new value staged), as `rotations` and `rotate --resume --all` show it.
  expect((await vh('rotate killed', ['rotate', 'app/db', '--yes'], undefined, false, { ...env, VH_SECRETS_FAILPOINT: 'after:stage' })).signal).toBe('SIGKILL');
  ledger.add((await vh('get staged', ['get', 'app/db', '--at', 'pending'], undefined, true)).out);
  expect((await vh('rotations', ['rotations'])).code).toBe(1);
  expect((await vh('rotations json', ['rotations', '--json'])).code).toBe(1);
  expect((await vh('rotate-all interrupted', ['rotate-all', '--type', 'database_password', '--yes', '--json'])).code).toBe(1);
  expect((await vh('resume all', ['rotate', '--resume', '--all', '--yes', '--debug'])).code).toBe(0);
  // The leak-to-rotation loop: the index holds fingerprints only (it is under the home the files check reads), and
  // neither the scan that names the managed value nor the incident that rotates it prints one — with --debug too.
  const leakedValue = ledger.add(canary('leaked'));
  expect((await vh('create leaked', ['create', 'leak/db', '--type', 'database_password'], leakedValue)).code).toBe(0);
  expect((await vh('index', ['index', '--debug'])).code).toBe(0);
  expect((await vh('index json', ['index', '--json'])).code).toBe(0);
  const leakRepo = tempHome('vh-leak-repo-');
  try {
    await fs.writeFile(join(leakRepo, 'config.js'), `const db = "${leakedValue}";\n`);
    const managedScan = await vh('scan managed', ['scan', leakRepo, '--managed', '--format', 'json', '--debug']);
    expect(JSON.parse(managedScan.out).findings.some((f: { managed?: { ref: string } }) => f.managed?.ref === 'local:leak/db')).toBe(true);
    expect((await vh('scan managed sarif', ['scan', leakRepo, '--managed', '--format', 'sarif'])).code).toBe(0);
    expect((await vh('scan rotate-leaked dry', ['scan', leakRepo, '--managed', '--rotate-leaked', '--dry-run', '--debug'])).code).toBe(0);
    expect((await vh('scan rotate-leaked', ['scan', leakRepo, '--managed', '--rotate-leaked', '--yes', '--debug'], undefined, false, debugEnv)).code).toBe(0);
    ledger.add((await vh('get after leak', ['get', 'leak/db'], undefined, true)).out);
    expect((await vh('scan managed after', ['scan', leakRepo, '--managed', '--json'])).code).toBe(0);
  } finally {
    await fs.rm(leakRepo, { recursive: true, force: true });
  }
  expect((await vh('audit', ['audit', '--hours', '1'])).code).toBe(0);
  expect((await vh('audit json', ['audit', '--json', '--output', join(home, 'audit-report.json')])).code).toBe(0);
  expect((await vh('audit verify', ['audit', 'verify'])).code).toBe(0);
  expect([0, 1, 2]).toContain((await vh('health', ['health', '--metrics-file', join(home, 'metrics.prom'), '--metrics-names'])).code);
  {
    // The exporter: started, scraped (metrics with names, healthz), stopped; all it served and printed recorded.
    const ex = await startExporter(['--interval', '1h', '--metrics-names'], env);
    try {
      for (const path of ['/metrics', '/healthz']) ledger.recordText(`exporter ${path}`, (await scrape(`${ex.base}${path}`)).body);
    } finally {
      expect(await ex.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
    ledger.recordText('exporter stderr', ex.stderr());
    ledger.recordText('exporter stdout', ex.stdout());
  }
  expect([0, 1]).toContain((await vh('scan text', ['scan', home])).code);
  expect([0, 1]).toContain((await vh('scan sarif', ['scan', home, '--format', 'sarif', '--output', join(home, 'scan.sarif')])).code);
  expect((await vh('revoke', ['revoke', 'app/file', '--yes', '--json'])).code).toBe(0);
  expect((await vh('get revoked', ['get', 'app/file', '--debug'])).code).toBe(66);
  // The lifecycle: history and report, deprecate, archive, purge, and the notices that are due.
  expect((await vh('lifecycle', ['lifecycle', 'app/db'])).code).toBe(0);
  expect((await vh('lifecycle json', ['lifecycle', 'app/kv', '--json'])).code).toBe(0);
  expect((await vh('lifecycle report', ['lifecycle', 'report', '--json'])).code).toBe(0);
  expect((await vh('deprecate', ['deprecate', 'app/gen', '--reason', 'superseded'])).code).toBe(0);
  expect((await vh('notify dry run', ['notify', '--dry-run', '--within-days', '365', '--json'])).code).toBe(0);
  expect((await vh('archive', ['archive', 'app/file', '--json'])).code).toBe(0);
  expect((await vh('purge refused', ['purge', 'app/db', '--yes'], undefined, false, debugEnv)).code).toBe(64);
  expect((await vh('purge', ['purge', 'app/file', '--yes', '--json'])).code).toBe(0);

  // Backup and restore: the values travel only inside the age-encrypted archive.
  const { generateIdentity, identityToRecipient } = await import('age-encryption');
  const identity = await generateIdentity();
  const keyFile = join(home, 'backup.key');
  await fs.writeFile(keyFile, `${identity}\n`, { mode: 0o600 });
  const otherKey = join(home, 'other.key');
  await fs.writeFile(otherKey, `${await generateIdentity()}\n`, { mode: 0o600 });
  const archive = join(home, 'backup.age');
  expect((await vh('backup', ['backup', '--all-versions', '--recipient', await identityToRecipient(identity), '--output', archive, '--debug'])).code).toBe(0);
  expect((await vh('backup json', ['backup', '--json', '--recipient', await identityToRecipient(identity), '--output', archive])).code).toBe(0);
  expect((await vh('restore dry', ['restore', archive, '--identity', keyFile, '--dry-run', '--debug'])).code).toBe(0);
  expect((await vh('restore', ['restore', archive, '--identity', keyFile, '--json'], undefined, false, debugEnv)).code).toBe(0);
  expect((await vh('restore wrong key', ['restore', archive, '--identity', otherKey, '--debug'], undefined, false, debugEnv)).code).toBe(77);
  // Under a policy: value rules that warn and that refuse, an access denial with a value in hand, a rotation
  // whose generated value is checked, health and the compliance report.
  const policy = join(home, 'policy.toml');
  await fs.writeFile(policy, '[[rules]]\nname = "warned"\nmode = "warn"\nrefs = ["local:pol/**"]\nmin_length = 200\nrequired_classes = ["symbol"]\n[[rules]]\nname = "strict"\nrefs = ["local:strict/**"]\nalphabet = "xyz"\n[access]\nmode = "enforce"\n[[access.grants]]\nactors = ["ops"]\nactions = ["*"]\nrefs = ["**"]\n');
  const pol = ['--policy', policy, '--actor', 'ops'];
  expect((await vh('policy warn create', [...pol, 'create', 'pol/a', '--debug'], ledger.add(canary('policy-warn')))).code).toBe(0);
  expect((await vh('policy refused create', [...pol, 'create', 'strict/a', '--json'], ledger.add(canary('policy-refused')), false, debugEnv)).code).toBe(77);
  expect((await vh('policy denied create', ['--policy', policy, '--actor', 'mallory', 'create', 'pol/b'], ledger.add(canary('policy-denied')), false, debugEnv)).code).toBe(77);
  expect((await vh('policy denied get', ['--policy', policy, '--actor', 'mallory', 'get', 'pol/a'])).code).toBe(77);
  expect((await vh('policy rotate', [...pol, 'rotate', 'pol/a', '--yes', '--force'], undefined, false, debugEnv)).code).toBe(0);
  ledger.add((await vh('get policy rotated', [...pol, 'get', 'pol/a'], undefined, true)).out);
  expect([0, 1, 2]).toContain((await vh('policy health', [...pol, 'health', '--json'])).code);
  expect([0, 1]).toContain((await vh('compliance', [...pol, 'compliance'])).code);
  expect([0, 1]).toContain((await vh('compliance json', [...pol, 'compliance', '--json'])).code);

  // argv and environment of a running create never carry the value.
  const live = await cmdlineWhileWaiting(['create', 'app/live'], env, ledger.add(canary('live')));
  expect(live.code).toBe(0);
  for (const c of ledger.canaries) {
    expect(live.cmdline).not.toContain(c);
    expect(live.environ).not.toContain(c);
  }

  const vhHome = join(home, 'vh');
  const storeFile = join(vhHome, 'store.vhs');
  // The rendered template holds values by design (0600, checked above).
  const scanned = await ledger.recordFiles(home, (f) => f === valueFile || f === join(home, 'supplied.txt') || f === join(home, 'rendered', 'app.conf'));
  expect(scanned).toEqual(expect.arrayContaining([join(vhHome, 'audit.log'), storeFile]));
  expect(scanned).toEqual(expect.arrayContaining([join(vhHome, 'index.json'), join(vhHome, 'index.log')]));
  expect(ledger.leaks()).toEqual([]);
  // Nor an unkeyed hash of any value in the index (anyone could test a guess against one).
  const indexText = await fs.readFile(join(vhHome, 'index.json'), 'utf8') + (await fs.readFile(join(vhHome, 'index.log'), 'utf8'));
  for (const c of ledger.canaries) for (const form of unkeyedHashes(c)) expect(indexText.includes(form)).toBe(false);
  expect((await fs.stat(join(vhHome, 'index.json'))).mode & 0o777).toBe(0o600);
  expect((await fs.stat(join(vhHome, 'index.key'))).mode & 0o777).toBe(0o600);

  // The store file itself is encrypted: no canary in any encoding, and it is 0600.
  const raw = await fs.readFile(storeFile, 'latin1');
  for (const c of ledger.canaries) for (const form of encodings(c)) expect(raw.includes(form)).toBe(false);
  expect((await fs.stat(storeFile)).mode & 0o777).toBe(0o600);
});

/** OpenBao with the root token: setting up the transit engine the rotation below uses. */
async function bao<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${VAULT_ADDR}/v1/${path}`, { method, headers: { 'X-Vault-Token': VAULT_ROOT, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? (JSON.parse(text) as { data?: T }).data ?? (JSON.parse(text) as T) : ({} as T));
}

(skipTransit ? test.skip : test)('a vault-transit rotation leaks neither its verify probe, nor a ciphertext, nor the token', async () => {
  // vh-secrets talks to OpenBao through a proxy that keeps every body: the probes it encrypted and decrypted and
  // the ciphertexts transit answered become canaries once the commands are done.
  const proxy = await startRecordingProxy(VAULT_ADDR);
  const mount = `transit-leak-${canary('m').slice(-8)}`;
  const ledger = new LeakLedger();
  const dir = join(home, 'transit');
  await fs.mkdir(dir, { recursive: true });
  try {
    await bao('POST', `sys/mounts/${mount}`, { type: 'transit' });
    await bao('POST', `${mount}/keys/app`, {});
    const token = ledger.add((await bao<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies: ['root'], ttl: '10m' })).auth.client_token);
    await fs.writeFile(join(dir, 'token'), token, { mode: 0o600 });
    const old = ledger.add((await bao<{ ciphertext: string }>('POST', `${mount}/encrypt/app`, { plaintext: Buffer.from(canary('transit-data')).toString('base64') })).ciphertext);
    await fs.writeFile(join(dir, 'sample.ct'), `${old}\n`);
    const config = join(dir, 'vh-secrets.toml');
    await fs.writeFile(config, `[targets.tr]\nkind = "vault-transit"\nmount = "${mount}"\nkey = "app"\naddress = "${proxy.url}"\ntoken_file = "token"\nsamples = ["sample.ct"]\n`);
    const env = { ...baseEnv(dir), VH_SECRETS_CONFIG: config, VOICEHIVE_GRACE_PERIOD_HOURS: '0' };
    const debugEnv = { ...env, VH_SECRETS_DEBUG: '1' };
    const vh = async (label: string, args: string[], input?: string, e = env) => ledger.record(label, await run(args, { env: e, ...(input !== undefined ? { input } : {}) }));

    expect((await vh('create transit', ['create', 'keys/app', '--type', 'encryption_key', '--target', 'tr'], JSON.stringify({ key: 'app', version: 1 }))).code).toBe(0);
    const rotated = await sampleProcesses(() => vh('rotate transit', ['rotate', 'keys/app', '--yes', '--json'], undefined, debugEnv));
    expect(rotated.result.code).toBe(0);
    ledger.recordText('argv and environment of every process while the transit rotation ran', rotated.seen);
    // The cleanup is refused while the sample holds the v1 ciphertext: its message counts, never quotes.
    const refused = await vh('cleanup refused', ['rotate-all', '--cleanup-only', '--json', '--debug'], undefined, debugEnv);
    expect(refused.out).toMatch(/not retiring version 1: 1 ciphertext/);
    // A rotation refused by transit (a token without the policy), another one, describe, health, rotations, audit.
    const weak = ledger.add((await bao<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies: ['default'], ttl: '10m' })).auth.client_token);
    await fs.writeFile(join(dir, 'token'), weak);
    expect((await vh('rotate transit refused', ['rotate', 'keys/app', '--yes', '--json'], undefined, debugEnv)).code).toBe(77);
    await fs.writeFile(join(dir, 'token'), token);
    expect((await vh('rotate transit again', ['rotate', 'keys/app', '--yes'], undefined, debugEnv)).code).toBe(0);
    expect((await vh('describe transit', ['describe', 'keys/app'])).code).toBe(0);
    expect((await vh('describe transit json', ['describe', 'keys/app', '--json'])).code).toBe(0);
    expect([0, 1, 2]).toContain((await vh('health transit', ['health', '--json'])).code);
    expect((await vh('rotations transit', ['rotations', '--json'])).code).toBe(0);
    expect((await vh('audit transit', ['audit', '--hours', '1'])).code).toBe(0);

    // Every probe vh-secrets encrypted, and every ciphertext transit answered, is now a canary.
    let probes = 0;
    for (const x of proxy.exchanges.filter((e) => /\/(encrypt|decrypt)\//.test(e.path))) {
      const sent = JSON.parse(x.request) as { plaintext?: string; ciphertext?: string };
      if (sent.plaintext) {
        probes++;
        ledger.add(sent.plaintext);
        ledger.add(Buffer.from(sent.plaintext, 'base64').toString('hex'));
      }
      if (sent.ciphertext) ledger.add(sent.ciphertext);
      const got = (JSON.parse(x.answer || '{}') as { data?: { ciphertext?: string; plaintext?: string } }).data;
      if (got?.ciphertext) ledger.add(got.ciphertext);
    }
    // Two verifies (a probe encrypted, its ciphertext decrypted, each); the refused rotation stopped at generate.
    expect(probes).toBe(2);
    await ledger.recordFiles(dir, (f) => f === join(dir, 'token') || f === join(dir, 'sample.ct'));
    expect(ledger.leaks()).toEqual([]);
  } finally {
    await proxy.close();
    await bao('DELETE', `sys/mounts/${mount}`).catch(() => undefined);
  }
});

test('the ledger itself catches a planted leak in every encoding', () => {
  const ledger = new LeakLedger();
  const c = ledger.add(canary('planted'));
  for (const form of encodings(c)) {
    const probe = new LeakLedger();
    probe.add(c);
    probe.record('probe', { code: 0, signal: null, stdout: Buffer.alloc(0), out: '', stderr: `oops ${form} oops` });
    expect(probe.leaks()).toHaveLength(1);
  }
  ledger.record('get', { code: 0, signal: null, stdout: Buffer.from(c), out: c, stderr: '' }, true);
  expect(ledger.leaks()).toEqual([]);
});
