import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { FileAuditSink } from '../../src/audit/file-sink.js';
import { verifyChain } from '../../src/audit/verify.js';
import { tempHome } from '../helpers/cli.js';

let dir: string;
let log: string;
let head: string;
beforeEach(async () => {
  dir = tempHome('vh-verify-');
  log = join(dir, 'audit.log');
  head = join(dir, 'anchor', 'audit.head');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const event = (i: number) => ({
  ts: `2026-03-0${(i % 9) + 1}T10:00:00Z`,
  id: `e${i}`,
  event: 'accessed' as const,
  secret: `local:s${i}`,
  secret_type: null,
  store: 'local',
  success: true,
  error_code: null,
  details: {},
  actor: 'ops',
  actor_type: 'user' as const,
  source_ip: null,
  host: 'h',
});

async function writeLog(n: number, key?: string, anchor?: string): Promise<string[]> {
  const sink = new FileAuditSink(log, key, anchor);
  for (let i = 0; i < n; i++) await sink.append(event(i));
  return (await fs.readFile(log, 'utf8')).trimEnd().split('\n');
}
const save = (lines: string[]) => fs.writeFile(log, lines.map((l) => `${l}\n`).join(''));

describe('audit verify: each kind of tampering, first broken link named', () => {
  test('intact log, with and without a head', async () => {
    await writeLog(6, 'k', head);
    expect(await verifyChain(log, { hmacKey: 'k', anchor: head })).toMatchObject({ ok: true, events: 6, anchored: true, broken: null, torn: [] });
    expect(await verifyChain(log, { hmacKey: 'k' })).toMatchObject({ ok: true, anchored: false });
    expect((await fs.stat(head)).mode & 0o777).toBe(0o600);
  });

  test('a modified field', async () => {
    const lines = await writeLog(6, 'k', head);
    lines[3] = lines[3]!.replace('"actor":"ops"', '"actor":"eve"');
    await save(lines);
    expect((await verifyChain(log, { hmacKey: 'k', anchor: head })).broken).toMatchObject({ line: 4, kind: 'modified' });
  });

  test('a modified event re-hashed without the key still fails (HMAC chain)', async () => {
    const lines = await writeLog(4, 'k');
    const e = JSON.parse(lines[1]!) as Record<string, unknown>;
    e.actor = 'eve';
    const { chainHash } = await import('../../src/audit/event.js');
    e.hash = chainHash(e as never);
    lines[1] = JSON.stringify(e);
    await save(lines);
    expect((await verifyChain(log, { hmacKey: 'k' })).broken).toMatchObject({ line: 2, kind: 'modified' });
  });

  test('a deleted line in the middle, and the first line deleted', async () => {
    const lines = await writeLog(6, 'k', head);
    await save([...lines.slice(0, 2), ...lines.slice(3)]);
    expect((await verifyChain(log, { hmacKey: 'k', anchor: head })).broken).toMatchObject({ line: 3, kind: 'deleted_or_reordered' });
    await save(lines.slice(1));
    expect((await verifyChain(log, { hmacKey: 'k', anchor: head })).broken).toMatchObject({ line: 1, kind: 'deleted_or_reordered' });
  });

  test('two lines swapped', async () => {
    const lines = await writeLog(6, 'k', head);
    await save([lines[0]!, lines[1]!, lines[3]!, lines[2]!, lines[4]!, lines[5]!]);
    expect((await verifyChain(log, { hmacKey: 'k', anchor: head })).broken).toMatchObject({ line: 3, kind: 'deleted_or_reordered' });
  });

  test('a line replaced by garbage in the middle is an edit, not a torn line', async () => {
    const lines = await writeLog(5, 'k');
    lines[2] = '{"this is": "not an event"';
    await save(lines);
    expect((await verifyChain(log, { hmacKey: 'k' })).broken).toMatchObject({ line: 3, kind: 'modified' });
  });

  test('truncated at the end: undetectable by the chain alone, detected with the signed head', async () => {
    const lines = await writeLog(6, 'k', head);
    await save(lines.slice(0, 4));
    expect(await verifyChain(log, { hmacKey: 'k' })).toMatchObject({ ok: true, events: 4 });
    const r = await verifyChain(log, { hmacKey: 'k', anchor: head });
    expect(r).toMatchObject({ ok: false, events: 4, broken: { line: 5, kind: 'truncated' } });
    expect(r.broken!.reason).toMatch(/removed from its end/);
    await fs.rm(log);
    expect((await verifyChain(log, { hmacKey: 'k', anchor: head })).broken).toMatchObject({ kind: 'truncated' });
  });

  test('a forged (shorter) head without the key is refused; an unsigned head only needs no key', async () => {
    const lines = await writeLog(6, 'k', head);
    await save(lines.slice(0, 4));
    const h = JSON.parse(await fs.readFile(head, 'utf8')) as Record<string, unknown>;
    h.hash = (JSON.parse(lines[3]!) as { hash: string }).hash;
    await fs.writeFile(head, JSON.stringify(h));
    expect((await verifyChain(log, { hmacKey: 'k', anchor: head })).broken).toMatchObject({ line: 0, kind: 'bad_head' });
    await expect(verifyChain(log, { anchor: head })).rejects.toMatchObject({ code: 'CONFIG' });
  });

  test('a crash-torn last line is reported, not counted as tampering', async () => {
    await writeLog(3, undefined, head);
    await fs.appendFile(log, '{"ts":"2026-03-09T1');
    expect(await verifyChain(log, { anchor: head })).toMatchObject({ ok: true, events: 3, torn: [4] });
  });

  test('missing log without a head: NOT_FOUND', async () => {
    await expect(verifyChain(join(dir, 'nope.log'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
