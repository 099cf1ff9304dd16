import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { freePort, startCollector, type Collector } from '../helpers/collector.js';
import { baseEnv, run, tempHome } from '../helpers/cli.js';

/** `vh-secrets audit verify` with a signed head, and `vh-secrets audit flush`, through the real binary. */
let dir: string;
let collector: Collector | undefined;
beforeEach(() => {
  dir = tempHome('vh-audit-cli-');
});
afterEach(async () => {
  await collector?.kill();
  collector = undefined;
  await fs.rm(dir, { recursive: true, force: true });
});

describe('audit verify (CLI)', () => {
  test('intact → 0; each kind of tampering → 1 naming line and kind; a cut-off end only with the signed head', async () => {
    const config = join(dir, 'vh.toml');
    await fs.writeFile(config, `[audit]\nhmac_key = "\${AUDIT_KEY}"\nanchor = "head/audit.head"\n`);
    const env = baseEnv(dir, { VH_SECRETS_CONFIG: config, AUDIT_KEY: 'k-123' });
    for (const name of ['a', 'b', 'c']) expect((await run(['create', name, '--type', 'api_key', '--generate'], { env })).code).toBe(0);
    expect((await run(['get', 'a'], { env })).code).toBe(0);
    const log = join(dir, 'vh', 'audit.log');
    const ok = await run(['audit', 'verify'], { env });
    expect(ok.out).toMatch(/^intact: .*audit\.log: 7 events, hash chain unbroken, matches the signed head/);
    expect(ok.code).toBe(0);
    const json = JSON.parse((await run(['audit', 'verify', '--json'], { env })).out) as { ok: boolean; events: number; anchored: boolean };
    expect(json).toMatchObject({ ok: true, events: 7, anchored: true });

    const lines = (await fs.readFile(log, 'utf8')).trimEnd().split('\n');
    const save = (l: string[]) => fs.writeFile(log, l.map((x) => `${x}\n`).join(''));
    const cases: [string, string[], RegExp][] = [
      ['modified', [lines[0]!, lines[1]!.replace('"success":true', '"success":false'), lines[2]!, lines[3]!], /line 2: modified/],
      ['deleted', [lines[0]!, lines[2]!, lines[3]!], /line 2: deleted_or_reordered/],
      ['reordered', [lines[0]!, lines[2]!, lines[1]!, lines[3]!], /line 2: deleted_or_reordered/],
      ['truncated', lines.slice(0, 3), /line 4: truncated — the log ends before its signed head/],
    ];
    for (const [what, content, message] of cases) {
      await save(content);
      const r = await run(['audit', 'verify'], { env });
      expect([what, r.code]).toEqual([what, 1]);
      expect(r.out).toMatch(message);
    }
    // Without the head, the cut-off end is invisible: the report says so instead of claiming more.
    await save(lines.slice(0, 3));
    await fs.writeFile(join(dir, 'plain.toml'), '');
    const plain = await run(['audit', 'verify', '--config', join(dir, 'plain.toml')], { env: { ...env, VH_SECRETS_AUDIT_HMAC_KEY: 'k-123' } });
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/no signed head configured: a cut-off end would not show/);
    // Another head named on the command line.
    const other = await run(['audit', 'verify', '--anchor', join(dir, 'head', 'audit.head')], { env });
    expect(other.code).toBe(1);
  });

  test('a wrong HMAC key is a broken chain at line 1, not a pass', async () => {
    const env = baseEnv(dir, { VH_SECRETS_AUDIT_HMAC_KEY: 'right' });
    expect((await run(['create', 'a', '--type', 'api_key', '--generate'], { env })).code).toBe(0);
    const r = await run(['audit', 'verify'], { env: { ...env, VH_SECRETS_AUDIT_HMAC_KEY: 'wrong' } });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/line 1: modified/);
  });
});

describe('audit flush (CLI)', () => {
  test('no sinks: 0 and a note; sink down: 75 with events pending; sink up: 0 and every event delivered once, in order', async () => {
    expect((await run(['audit', 'flush'], { env: baseEnv(dir) })).code).toBe(0);
    const port = await freePort();
    const config = join(dir, 'vh.toml');
    await fs.writeFile(config, `[audit]\nflush_timeout_ms = 300\n\n[[audit.sinks]]\ntype = "http"\nname = "collector"\nurl = "http://127.0.0.1:${port}/audit"\ntimeout_ms = 500\n`);
    const env = baseEnv(dir, { VH_SECRETS_CONFIG: config });
    for (const name of ['a', 'b']) {
      const r = await run(['create', name, '--type', 'api_key', '--generate'], { env });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/audit sink "collector" unreachable .*spooled, replayed on the next run/);
    }
    const down = await run(['audit', 'flush', '--json'], { env });
    expect(down.code).toBe(75);
    expect(JSON.parse(down.out)).toMatchObject({ sinks: [{ name: 'collector', ok: false, pending: 4, problem: 'unreachable' }] });
    collector = await startCollector(dir, { port });
    const up = await run(['audit', 'flush'], { env });
    expect(up.code).toBe(0);
    expect(up.out).toMatch(/collector\s+│?\s*ok/);
    const log = (await fs.readFile(join(dir, 'vh', 'audit.log'), 'utf8')).trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    expect((await collector.received()).map((e) => e.id)).toEqual(log);
  });
});
