import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import openVault from '../../src/providers/vault.js';
import { BIN, NODE, baseEnv, run, tempHome, type RunResult } from '../helpers/cli.js';
import { frozenListener, type Frozen } from '../helpers/frozen.js';
import { peerSkip } from '../providers/peers.js';
import { uniqueName } from '../providers/contract.js';

/**
 * `health` answers within its own budget whatever a store does: a store whose port accepts connections and then
 * never answers (a SIGSTOPped Vault, a black-holed proxy) is CRITICAL, its secrets stay in the report as UNKNOWN,
 * the other stores are still evaluated, and the process ends although its socket to the frozen store is open.
 * The frozen store is this test's own listener, never the shared peers.
 */

async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult & { ms: number }> {
  const started = performance.now();
  const r = await run(args, { env, timeoutMs: 120_000 });
  return { ...r, ms: performance.now() - started };
}

interface Health {
  status: string;
  summary: Record<string, number>;
  stores: { store: string; status: string; reachable: boolean; secrets: number; unknown_secrets: number; last_listed_at: string | null; error: { code: string; message: string } | null }[];
  secrets: { secret: string; status: string; type: string; checks: { check: string; status: string; message: string }[] }[];
}

const vaultAddr = process.env.VH_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8200';
const vaultToken = process.env.VH_TEST_VAULT_TOKEN ?? 'root';

describe('health against a store that accepts connections and never answers', () => {
  let frozen: Frozen;
  let home: string;
  beforeEach(async () => {
    frozen = await frozenListener();
    home = tempHome('vh-health-frozen-');
  });
  afterEach(async () => {
    await frozen.close();
    await fs.rm(home, { recursive: true, force: true });
  });

  test('ends within --timeout with the frozen store CRITICAL, exit 2, and the file store still evaluated', async () => {
    const config = join(home, 'c.toml');
    const refusing = join(home, 'refusing.toml');
    const vaultAt = (port: number) => `[stores.frozen]\nprovider = "vault"\naddress = "http://127.0.0.1:${port}"\ntoken = "x"\n`;
    await fs.writeFile(config, vaultAt(frozen.port));
    // The same stores, but the Vault one refuses at once (port 1, no retries): what a run costs on this machine
    // right now — start-up, config, the provider modules, the file store — without any waiting.
    await fs.writeFile(refusing, vaultAt(1));
    const env = baseEnv(home, { VH_SECRETS_CONFIG: config, VH_SECRETS_RETRIES: '1' });
    const baselineEnv = { ...env, VH_SECRETS_CONFIG: refusing };
    expect((await run(['create', 'ok/one', '--type', 'api_key', '--generate'], { env })).code).toBe(0);

    const before = await timed(['health', '--timeout', '2s', '--json'], baselineEnv);
    expect(before.code).toBe(2);
    const budgetMs = 2_000;
    const r = await timed(['health', '--timeout', '2s', '--json'], env);
    const after = await timed(['health', '--timeout', '2s', '--json'], baselineEnv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(frozen.connections()).toBeGreaterThan(0);
    // It waited for the frozen store (the budget) and then no longer than a generous multiple of a run that
    // did not wait, measured on either side of it (a busy machine slows all three alike).
    const baselineMs = Math.max(before.ms, after.ms);
    expect(r.ms).toBeGreaterThanOrEqual(budgetMs);
    expect(r.ms).toBeLessThan(budgetMs + 3 * baselineMs);
    process.stderr.write(`health with a frozen store: ${Math.round(r.ms)} ms for a ${budgetMs} ms budget (baseline runs ${Math.round(before.ms)} / ${Math.round(after.ms)} ms)\n`);

    const h = JSON.parse(r.out) as Health;
    expect(h.status).toBe('CRITICAL');
    expect(h.stores.find((s) => s.store === 'frozen')).toMatchObject({ status: 'CRITICAL', reachable: false, error: { code: 'TIMEOUT', message: 'store frozen did not answer within 2s' } });
    expect(h.stores.find((s) => s.store === 'local')).toMatchObject({ status: 'OK', reachable: true, secrets: 1 });
    expect(h.secrets.map((s) => [s.secret, s.status])).toEqual([['local:ok/one', 'OK']]);

    // VH_SECRETS_TIMEOUT when --timeout is not given; the text report says what happened to the store.
    const text = await run(['health', '--store', 'frozen'], { env: { ...env, VH_SECRETS_TIMEOUT: '500ms' } });
    expect(text.code).toBe(2);
    expect(text.out).toMatch(/CRITICAL\s+store frozen\s+vault .*did not answer within 500ms \(TIMEOUT\); its secrets are unknown: never listed from this host/);
    expect(text.out).toMatch(/^CRITICAL: 0 secrets .* stores: frozen NO ANSWER$/m);

    const bad = await run(['health', '--timeout', 'soon'], { env });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--timeout: "soon" is not a duration/);
  });

  test('SIGTERM ends it after a short grace, a second SIGTERM at once (exit 143)', async () => {
    const config = join(home, 'c.toml');
    await fs.writeFile(config, `[stores.frozen]\nprovider = "vault"\naddress = "http://127.0.0.1:${frozen.port}"\ntoken = "x"\n`);
    const env = baseEnv(home, { VH_SECRETS_CONFIG: config });
    const stopped = async (signals: number) => {
      const before = frozen.connections();
      const child = spawn(NODE, [BIN, 'health', '--timeout', '10m'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      const until = Date.now() + 30_000;
      while (frozen.connections() === before && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(frozen.connections()).toBeGreaterThan(before);
      const started = performance.now();
      child.kill('SIGTERM');
      if (signals === 2) {
        // Pending signals of one kind coalesce: the second is sent once the first has been taken.
        while (!/stopping after/.test(stderr) && Date.now() < until + 30_000) await new Promise((r) => setTimeout(r, 20));
        child.kill('SIGTERM');
      }
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const end = await closed;
      clearTimeout(killer);
      return { ...end, stderr, ms: performance.now() - started };
    };
    const once = await stopped(1);
    // Exited by itself with 128 + 15, not killed by the signal's default action (nor by our SIGKILL).
    expect(once).toMatchObject({ code: 143, signal: null });
    expect(once.stderr).toMatch(/SIGTERM: stopping after the current step/);
    const twice = await stopped(2);
    expect(twice).toMatchObject({ code: 143, signal: null });
    expect(twice.ms).toBeLessThan(once.ms);
  });

  test('a store that stops answering keeps its secrets in the report as UNKNOWN: text, JSON and metrics', async () => {
    const skip = await peerSkip('vault', vaultAddr, 'scripts/peers.sh start openbao');
    if (skip) {
      process.stderr.write(`skipped: ${skip}\n`);
      return;
    }
    const config = join(home, 'c.toml');
    const storeConfig = (address: string) => `[stores.vault]\nprovider = "vault"\naddress = "${address}"\n`;
    await fs.writeFile(config, storeConfig(vaultAddr));
    const env = baseEnv(home, { VH_SECRETS_CONFIG: config, VAULT_TOKEN: vaultToken });
    const tag = `run=f${Date.now().toString(36)}`;
    const names = [uniqueName('frozen-a'), uniqueName('frozen-b')];
    const direct = await openVault({ address: vaultAddr, token: vaultToken }, { alias: 'vault', home });
    try {
      for (const n of names) expect((await run(['create', `vault:${n}`, '--type', 'api_key', '--generate', '--tag', tag], { env })).code).toBe(0);
      // A run while the store answers: this host now knows what the store holds.
      const up = await run(['health', '--store', 'vault', '--tag', tag, '--json'], { env });
      expect(up.code).toBe(0);
      expect((JSON.parse(up.out) as Health).secrets.map((s) => s.status)).toEqual(['OK', 'OK']);

      // The same alias, now frozen.
      await fs.writeFile(config, storeConfig(`http://127.0.0.1:${frozen.port}`));
      const metricsFile = join(home, 'metrics.prom');
      const r = await run(['health', '--store', 'vault', '--tag', tag, '--timeout', '1s', '--json', '--metrics-file', metricsFile], { env });
      expect(r.code).toBe(2);
      const h = JSON.parse(r.out) as Health;
      const vault = h.stores.find((s) => s.store === 'vault')!;
      expect(vault).toMatchObject({ status: 'CRITICAL', secrets: 2, unknown_secrets: 2, error: { code: 'TIMEOUT' } });
      expect(vault.last_listed_at).not.toBeNull();
      const rows = h.secrets.filter((s) => s.secret.startsWith('vault:'));
      expect(rows.map((s) => [s.secret, s.status, s.type])).toEqual(names.sort().map((n) => [`vault:${n}`, 'UNKNOWN', 'api_key']));
      expect(rows[0]!.checks[0]!.message).toMatch(/^not evaluated: store vault did not answer within 1s \(known from the listing of \d{4}-/);
      expect(h.summary).toMatchObject({ UNKNOWN: 2 });

      const metrics = await fs.readFile(metricsFile, 'utf8');
      expect(metrics).toMatch(/^voicehive_secrets\{store="vault",type="api_key",status="UNKNOWN"\} 2$/m);
      expect(metrics).toMatch(/^voicehive_secrets_store_unknown_secrets\{store="vault",provider="vault"\} 2$/m);
      expect(metrics).toMatch(/^voicehive_secrets_store_up\{store="vault",provider="vault"\} 0$/m);
      expect(metrics).toMatch(/^voicehive_secrets_store_health_status\{store="vault",provider="vault"\} 2$/m);

      const text = await run(['health', '--store', 'vault', '--tag', tag, '--timeout', '1s'], { env });
      expect(text.code).toBe(2);
      for (const n of names) expect(text.out).toMatch(new RegExp(`UNKNOWN\\s+vault:${n}\\s+api_key`));
      expect(text.out).toMatch(/store vault did not answer within 1s \(TIMEOUT\); 2 secrets not evaluated \(UNKNOWN\), as listed at \d{4}-/);
      expect(text.out).toMatch(/^CRITICAL: 2 secrets — 0 critical, 0 warning, 2 unknown, 0 ok; stores: vault NO ANSWER$/m);
    } finally {
      for (const n of names) await direct.destroy(n).catch(() => undefined);
      await direct.close?.();
    }
  });
});

describe('health and an interrupted rotation on this host', () => {
  test('WARNING at once when the process that held it is gone; a live holder stays OK', async () => {
    const home = tempHome('vh-health-interrupted-');
    const env = baseEnv(home);
    try {
      expect((await run(['create', 'app/db', '--type', 'database_password', '--generate'], { env })).code).toBe(0);
      const killed = await run(['rotate', 'app/db', '--yes'], { env: { ...env, VH_SECRETS_FAILPOINT: 'after:stage' } });
      expect(killed.signal).toBe('SIGKILL');
      const journalDir = join(home, 'vh', 'journal');
      const [file] = await fs.readdir(journalDir);
      const journalPath = join(journalDir, file!);
      const entry = JSON.parse(await fs.readFile(journalPath, 'utf8')) as { pid: number; status: string };
      expect(entry.status).toBe('in_progress');

      const r = await run(['health', '--json'], { env });
      expect(r.code).toBe(1);
      const check = (JSON.parse(r.out) as Health).secrets[0]!.checks.find((c) => c.check === 'rotation_in_progress');
      expect(check).toEqual({
        check: 'rotation_in_progress',
        status: 'WARNING',
        message: expect.stringMatching(new RegExp(`^rotation rot-\\S+ interrupted after stage: its process \\(pid ${entry.pid} on this host\\) is gone: run \`vh-secrets rotate local:app/db --resume\` or \`--abort\`$`)) as unknown as string,
      });

      // The same journal held by a process that is alive (this test's own): a rotation in progress, as before.
      await fs.writeFile(journalPath, JSON.stringify({ ...entry, pid: process.pid }));
      const live = await run(['health', '--json'], { env });
      expect(live.code).toBe(0);
      expect((JSON.parse(live.out) as Health).secrets[0]!.checks.find((c) => c.check === 'rotation_in_progress')?.status).toBe('OK');
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
