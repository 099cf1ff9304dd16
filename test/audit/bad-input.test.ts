import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LineSplitter } from '../../src/audit/lines.js';
import { BIN, NODE, baseEnv, run, tempHome } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = tempHome('vh-audit-bad-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const period = ['--since', '2026-01-07T00:00:00Z', '--until', '2026-01-08T00:00:00Z'];

function event(i: number, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    actor: 'alice', actor_type: 'user', details: {}, error_code: null, event: 'accessed', host: 'h1', id: `id-${i}`, prev: '0'.repeat(64),
    secret: 'local:app/db', secret_type: 'api_key', source_ip: null, store: 'local', success: true, ts: new Date(Date.UTC(2026, 0, 7, 10, 0, i)).toISOString(), hash: 'f'.repeat(64), ...over,
  });
}

async function reportOn(log: string): Promise<{ code: number | null; rep: Record<string, any>; stderr: string }> {
  const r = await run(['audit', '--log', log, ...period, '--json'], { env: baseEnv(dir) });
  return { code: r.code, rep: r.code === 0 ? JSON.parse(r.out) : {}, stderr: r.stderr };
}

describe('bad input is counted and reported with line numbers, never a crash', () => {
  test('malformed lines, wrong schema, a 10 MB line, invalid UTF-8 and a truncated last line in one log', async () => {
    const log = join(dir, 'audit.log');
    const parts: Buffer[] = [
      Buffer.from(`${event(1)}\n`),
      Buffer.from('{"ts":"2026-01-07T10:00:02Z","event":"acc\n'), // 2: torn in the middle
      Buffer.from(`${event(3)}\n`),
      Buffer.from('\n'), // 4: blank, not a problem
      Buffer.from('{"hello":"world"}\n'), // 5: JSON, not an event
      Buffer.from(`${event(6, { ts: 'yesterday' })}\n`), // 6: bad time
      Buffer.from(`{"pad":"${'A'.repeat(10 * 1024 * 1024)}"}\n`), // 7: 10 MB line
      Buffer.concat([Buffer.from(event(8).slice(0, 20)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`${event(8).slice(20)}\n`)]), // 8: invalid UTF-8
      Buffer.from(`${event(9)}\r\n`), // 9: CRLF is fine
      Buffer.from('[1,2,3]\n'), // 10: JSON, wrong shape
      Buffer.from(`${event(11)}\n`),
      Buffer.from(event(12).slice(0, 60)), // 12: truncated last line, no newline
    ];
    await fs.writeFile(log, Buffer.concat(parts));
    const { code, rep } = await reportOn(log);
    expect(code).toBe(0);
    expect(rep.sources[0]).toMatchObject({ lines: 12, records: 4, problems: 7 });
    expect(rep.totals.events).toBe(4);
    const p = rep.input_problems;
    expect(p.total).toBe(7);
    const lines = (kind: string) => p.by_kind[kind].first.map((f: { line: number }) => f.line);
    expect(lines('malformed_json')).toEqual([2]);
    expect(lines('wrong_schema')).toEqual([5, 6, 10]);
    expect(lines('oversize_line')).toEqual([7]);
    expect(lines('invalid_utf8')).toEqual([8]);
    expect(lines('truncated_last_line')).toEqual([12]);
    expect(p.by_kind.oversize_line.first[0].detail).toMatch(/line of 10485770 bytes exceeds the limit of 4194304 bytes/);
    expect(p.by_kind.wrong_schema.first[1].detail).toMatch(/ts is not an ISO 8601 time/);
    for (const f of Object.values(p.by_kind) as { first: { file: string }[] }[]) expect(f.first.every((x) => x.file === log)).toBe(true);
    // Nothing of the bad lines' content is echoed.
    expect(JSON.stringify(p)).not.toMatch(/hello|world|AAAA/);

    const human = await run(['audit', '--log', log, ...period], { env: baseEnv(dir) });
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/Input problems \(7 lines not read as events\)/);
    expect(human.out).toMatch(new RegExp(`oversize_line\\s+1\\s+${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7`));
    expect(human.out).toMatch(/truncated_last_line\s+1\s+\S+:12/);
  });

  test('a file that is not UTF-8 at all (UTF-16) is reported line by line', async () => {
    const log = join(dir, 'utf16.log');
    await fs.writeFile(log, Buffer.from(`\ufeff${event(1)}\n${event(2)}\n`, 'utf16le'));
    const { code, rep } = await reportOn(log);
    expect(code).toBe(0);
    expect(rep.totals.events).toBe(0);
    // UTF-16 newlines are "\n\0": every line is reported, as malformed or not UTF-8, none ignored silently.
    expect(rep.input_problems.total).toBe(rep.sources[0].lines - 0);
    expect(rep.input_problems.total).toBeGreaterThanOrEqual(2);
  });

  test('a gzip file cut off in the middle: the readable part counts, the rest is one problem', async () => {
    const log = join(dir, 'audit.log.gz');
    const text = Array.from({ length: 2000 }, (_, i) => event(i % 60)).join('\n') + '\n';
    const gz = gzipSync(text);
    await fs.writeFile(log, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const { code, rep } = await reportOn(log);
    expect(code).toBe(0);
    expect(rep.totals.events).toBeGreaterThan(0);
    expect(rep.totals.events).toBeLessThan(2000);
    expect(rep.input_problems.by_kind.corrupt_gzip.count).toBe(1);
    // The whole gzip still works.
    await fs.writeFile(log, gz);
    expect((await reportOn(log)).rep.totals.events).toBe(2000);
  });

  test('unreadable log: 66 when missing, 65 for a directory, 77 when permission is denied', async () => {
    const missing = await reportOn(join(dir, 'nope.log'));
    expect(missing.code).toBe(66);
    expect(missing.stderr).toMatch(/cannot read audit log: .*nope\.log does not exist/);
    const isDir = await reportOn(dir);
    expect(isDir.code).toBe(65);
    expect(isDir.stderr).toMatch(/is a directory/);
    const locked = join(dir, 'locked.log');
    await fs.writeFile(locked, `${event(1)}\n`, { mode: 0o000 });
    if (process.getuid?.() === 0) {
      // root reads a mode-000 file anyway: run the CLI as nobody (setpriv, util-linux) to get a real EACCES.
      await fs.chmod(dir, 0o711);
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', NODE, BIN, 'audit', '--log', locked, ...period, '--json'], {
        env: { ...baseEnv(dir), VH_SECRETS_HOME: join(dir, 'nobody-home') },
        encoding: 'utf8',
      });
      expect(r.error).toBeUndefined();
      expect(r.stderr).toMatch(/permission denied/);
      expect(r.status).toBe(77);
      return;
    }
    const denied = await reportOn(locked);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toMatch(/permission denied/);
  });

  test('the line splitter handles lines across chunk boundaries, CRLF and a last line without newline', () => {
    const got: [string, number, boolean][] = [];
    const problems: [string, number][] = [];
    const s = new LineSplitter({ line: (t, n, u) => got.push([t, n, u]), problem: (k, n) => problems.push([k, n]) }, 16);
    const input = Buffer.from('ab\r\ncdef\n\nghijklmnopqrstuvwxyz0123\nlast');
    for (let i = 0; i < input.length; i += 3) s.push(input.subarray(i, i + 3));
    const stats = s.end();
    expect(got).toEqual([['ab', 1, false], ['cdef', 2, false], ['last', 5, true]]);
    expect(problems).toEqual([['oversize_line', 4]]);
    expect(stats).toMatchObject({ lines: 5, blank: 1 });
  });
});
