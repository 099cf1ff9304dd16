import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { verifyChain } from '../../src/audit/verify.js';
import { FileAuditSink } from '../../src/audit/file-sink.js';
import { ROOT, baseEnv, run, tempHome } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = tempHome('vh-audit-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const writerScript = (log: string, n: number, tag: string) => `
import { FileAuditSink } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/audit/file-sink.js')).href)};
const sink = new FileAuditSink(${JSON.stringify(log)});
for (let i = 0; i < ${n}; i++) {
  await sink.append({ ts: new Date().toISOString(), id: '${tag}-' + i, event: 'accessed', secret: 'local:s/${tag}', secret_type: null,
    store: 'local', success: true, error_code: null, details: { i, pad: 'x'.repeat(3000) }, actor: '${tag}', actor_type: 'service', source_ip: null, host: 'h' });
}`;

function node(script: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

describe('local audit log', () => {
  test('6 processes × 150 events (3 KB lines): no torn or interleaved line, one intact chain, per-writer order kept', async () => {
    const log = join(dir, 'audit.log');
    const codes = await Promise.all(Array.from({ length: 6 }, (_, w) => node(writerScript(log, 150, `w${w}`))));
    expect(codes).toEqual(Array(6).fill(0));
    const lines = (await fs.readFile(log, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(900);
    const seen = new Map<string, number>();
    for (const line of lines) {
      const e = JSON.parse(line) as { id: string; details: { i: number } };
      const [writer] = e.id.split('-');
      expect(e.details.i).toBe(seen.get(writer!) ?? 0);
      seen.set(writer!, e.details.i + 1);
    }
    const report = await verifyChain(log);
    expect(report).toMatchObject({ ok: true, events: 900, broken: null });
    expect((await fs.stat(log)).mode & 0o777).toBe(0o600);
  });

  test('verify finds modified, deleted and reordered lines; HMAC chains need the key', async () => {
    const log = join(dir, 'audit.log');
    const sink = new FileAuditSink(log, 'k1');
    for (let i = 0; i < 5; i++) {
      await sink.append({ ts: `2026-01-0${i + 1}T00:00:00Z`, id: `e${i}`, event: 'accessed', secret: 'local:a', secret_type: null, store: 'local', success: true, error_code: null, details: {}, actor: 'a', actor_type: 'user', source_ip: null, host: 'h' });
    }
    expect((await verifyChain(log, { hmacKey: 'k1' })).ok).toBe(true);
    expect((await verifyChain(log)).broken?.line).toBe(1);
    const lines = (await fs.readFile(log, 'utf8')).trimEnd().split('\n');
    await fs.writeFile(log, [...lines.slice(0, 2), lines[2]!.replace('"actor":"a"', '"actor":"b"'), ...lines.slice(3)].join('\n') + '\n');
    expect((await verifyChain(log, { hmacKey: 'k1' })).broken).toEqual({ line: 3, kind: 'modified', reason: expect.stringMatching(/modified/) });
    await fs.writeFile(log, [lines[0], lines[1], lines[3], lines[4]].join('\n') + '\n');
    expect((await verifyChain(log, { hmacKey: 'k1' })).broken?.line).toBe(3);
    await fs.writeFile(log, [lines[0], lines[2], lines[1], lines[3]].join('\n') + '\n');
    expect((await verifyChain(log, { hmacKey: 'k1' })).broken?.line).toBe(2);
  });

  test('a line torn by a crash is closed off; later events still chain from the last whole one', async () => {
    const log = join(dir, 'audit.log');
    const sink = new FileAuditSink(log);
    const base = { event: 'accessed' as const, secret: 'local:a', secret_type: null, store: 'local', success: true, error_code: null, details: {}, actor: 'a', actor_type: 'user' as const, source_ip: null, host: 'h' };
    const first = await sink.append({ ...base, ts: 't1', id: '1' });
    await fs.appendFile(log, '{"ts":"t2","id":"2","ev');
    const second = await sink.append({ ...base, ts: 't3', id: '3' });
    expect(second.prev).toBe(first.hash);
    const lines = (await fs.readFile(log, 'utf8')).split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[2]!).id).toBe('3');
    expect(await verifyChain(log)).toMatchObject({ ok: true, events: 2, torn: [2], broken: null });
  });

  test('every CLI verb writes one event with the schema of DESIGN.md, success and failure alike', async () => {
    const env = baseEnv(dir, { VH_SECRETS_ACTOR: 'alice', SSH_CONNECTION: '203.0.113.9 5555 10.0.0.1 22' });
    await run(['create', 'a', '--type', 'api_key'], { env, input: 'v' });
    await run(['get', 'a'], { env });
    await run(['get', 'missing'], { env });
    await run(['list'], { env });
    await run(['describe', 'a'], { env });
    await run(['revoke', 'a', '--yes'], { env });
    const log = join(dir, 'vh', 'audit.log');
    const events = (await fs.readFile(log, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => [e.event, e.success, e.error_code])).toEqual([
      ['created', true, null],
      ['activated', true, null],
      ['accessed', true, null],
      ['accessed', false, 'NOT_FOUND'],
      ['listed', true, null],
      ['described', true, null],
      ['revoked', true, null],
    ]);
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(['actor', 'actor_type', 'details', 'error_code', 'event', 'hash', 'host', 'id', 'prev', 'secret', 'secret_type', 'source_ip', 'store', 'success', 'ts']);
      expect(e).toMatchObject({ actor: 'alice', actor_type: 'service', source_ip: '203.0.113.9', store: 'local' });
    }
    expect(events[0]).toMatchObject({ secret: 'local:a', secret_type: 'api_key' });
    expect((await verifyChain(log)).ok).toBe(true);
  });
});
