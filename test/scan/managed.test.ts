import { createHash, randomBytes } from 'node:crypto';
import { fingerprintsOf } from '../../src/core/value-index.js';
import { Detector } from '../../src/scan/detector.js';
import { ManagedMatcher, WINDOW, type ManagedEntry } from '../../src/scan/managed.js';
import { buildRules } from '../../src/scan/rule-config.js';
import { DEFAULT_RULE_CONFIG } from '../../src/scan/rule-config.js';

/**
 * The managed-value matcher (scan --managed) on its own: pure code, no store. Must-find cases put values where a
 * leak puts them (alone, inside a longer token, at the edges of the text, among many values of the same length);
 * must-not-find cases are the near misses — one character off, a prefix, a value too short to search for.
 */

const key = randomBytes(32);
const spec = (values: Record<string, string>, current = true): { key: string; entries: ManagedEntry[] } => ({
  key: key.toString('base64'),
  entries: Object.entries(values).flatMap(([ref, v]) => fingerprintsOf(key, ref, '1', current, Buffer.from(v))),
});
const token = (n: number) => randomBytes(n).toString('base64url').slice(0, n);

describe('ManagedMatcher.find', () => {
  const a = token(24);
  const b = token(24);
  const long = token(200);
  const m = new ManagedMatcher(spec({ 's:a': a, 's:b': b, 's:long': long }));

  test.each([
    ['alone on a line', (v: string) => `${v}\n`],
    ['at the very start and end of the text', (v: string) => v],
    ['quoted in code', (v: string) => `const password = "${v}";\n`],
    ['inside a longer token', (v: string) => `xx${v}yy`],
    ['after a multi-byte character', (v: string) => `é€😀=${v}`],
  ])('finds a managed value %s', (_label, place) => {
    for (const [ref, v] of [['s:a', a], ['s:long', long]] as const) {
      const text = place(v);
      const found = m.find(text);
      expect(found).toHaveLength(1);
      expect(text.slice(found[0]!.start, found[0]!.end)).toBe(v);
      expect(found[0]!.entry.ref).toBe(ref);
      expect(found[0]!.entry.current).toBe(true);
    }
  });

  test('finds every value, each once, in one text', () => {
    const text = `a=${a}\nb=${b}\nagain=${a}\n${long}`;
    expect(m.find(text).map((f) => f.entry.ref)).toEqual(['s:a', 's:b', 's:a', 's:long']);
  });

  test('never finds a value one character off, a prefix of it, or one split across a line', () => {
    const off = (v: string, i: number) => v.slice(0, i) + (v[i] === 'x' ? 'y' : 'x') + v.slice(i + 1);
    for (const i of [0, 5, WINDOW - 1, WINDOW, 23]) expect(m.find(`k=${off(a, i)}\n`)).toEqual([]);
    expect(m.find(a.slice(0, 23))).toEqual([]);
    expect(m.find(`${a.slice(0, 12)}\n${a.slice(12)}`)).toEqual([]);
    expect(m.find(`k=${off(long, 150)}`)).toEqual([]);
  });

  test('a value shorter than the search window is matched only by a rule finding (lookup), never verbatim', () => {
    const short = token(10);
    const s = new ManagedMatcher(spec({ 's:short': short }));
    expect(s.find(`x ${short} y`)).toEqual([]);
    expect(s.lookup(short)).toEqual({ ref: 's:short', version: '1', current: true });
    expect(s.lookup(`${short}x`)).toBeUndefined();
  });

  test('ten thousand managed values of a few lengths: each planted one found, nothing else', () => {
    const values: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) values[`s:v${i}`] = token(16 + (i % 5) * 8);
    const big = new ManagedMatcher(spec(values));
    const planted = [17, 4242, 9999].map((i) => values[`s:v${i}`]!);
    const noise = Array.from({ length: 2000 }, () => token(32)).join('\n');
    const text = `${noise}\n${planted[0]}\n${noise}\nkey: "${planted[1]}" ${planted[2]}\n`;
    expect(big.find(text).map((f) => f.entry.ref)).toEqual(['s:v17', 's:v4242', 's:v9999']);
  });
});

describe('fingerprintsOf (what the index keeps of a value)', () => {
  test('the whole value and each secret field of a JSON object; names are left out', () => {
    const value = Buffer.from(JSON.stringify({ username: 'application_user_name', host: 'db.internal.example', password: token(16), api_token: token(20) }));
    const refs = fingerprintsOf(key, 'st:app/db', '3', true, value).map((e) => e.ref);
    expect(refs).toEqual(['st:app/db', 'st:app/db#password', 'st:app/db#api_token']);
  });

  test('no value, and no unkeyed hash of one, in an entry', () => {
    const v = token(32);
    const entries = fingerprintsOf(key, 'st:x', '1', true, Buffer.from(v));
    const text = JSON.stringify(entries);
    expect(text).not.toContain(v);
    for (const alg of ['md5', 'sha1', 'sha256', 'sha512']) {
      const d = createHash(alg).update(v).digest();
      for (const form of [d.toString('hex'), d.toString('base64').replace(/=+$/, ''), d.toString('base64url')]) expect(text).not.toContain(form);
    }
    // Another key, another fingerprint: without the key an entry says nothing.
    expect(fingerprintsOf(randomBytes(32), 'st:x', '1', true, Buffer.from(v))[0]!.digest).not.toBe(entries[0]!.digest);
  });

  test('values too short to tell from a coincidence, and bytes that are not UTF-8, are not indexed', () => {
    expect(fingerprintsOf(key, 'st:x', '1', true, Buffer.from('short'))).toEqual([]);
    expect(fingerprintsOf(key, 'st:x', '1', true, Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47]))).toEqual([]);
  });
});

describe('the detector with managed values', () => {
  const { rules, allowlists } = buildRules(DEFAULT_RULE_CONFIG);
  const pw = `Zr${token(22)}`;
  const current = fingerprintsOf(key, 'st:app/db', '4', true, Buffer.from(JSON.stringify({ username: 'svc', password: pw })));
  const old = token(24);
  const earlier = fingerprintsOf(key, 'st:app/api', '2', false, Buffer.from(old));
  const detector = new Detector(rules, allowlists, { managed: new ManagedMatcher({ key: key.toString('base64'), entries: [...current, ...earlier] }) });

  test("a rule's finding that is a managed value names it; a managed value no rule finds is a managed-secret finding", () => {
    const text = `DATABASE_URL=postgres://svc:${pw}@db.internal:5432/app\nfoo(${JSON.stringify(old)})\n`;
    const found = detector.scan(text, 'app.env');
    const byRule = found.find((f) => f.ruleId !== 'managed-secret');
    expect(byRule?.managed).toEqual({ ref: 'st:app/db#password', version: '4', current: true });
    const own = found.find((f) => f.ruleId === 'managed-secret');
    expect(own).toMatchObject({ secret: old, line: 2, managed: { ref: 'st:app/api', version: '2', current: false } });
    expect(found).toHaveLength(2);
  });

  test('an allow comment does not hide a managed value; the example allowlist does not either', () => {
    const found = detector.scan(`x = "${old}" # vh-secrets:allow\n`, 'a.py');
    expect(found.map((f) => f.ruleId)).toEqual(['managed-secret']);
  });

  test('a managed value inside base64 is found, and says it was encoded', () => {
    const found = detector.scan(`blob: ${Buffer.from(`token=${old}`).toString('base64')}\n`, 'b.yaml');
    expect(found.some((f) => f.managed?.ref === 'st:app/api' && f.decoded === 'base64')).toBe(true);
  });

  test('without an index the detector finds what it always did', () => {
    const plain = new Detector(rules, allowlists);
    expect(plain.scan(`foo(${JSON.stringify(old)})\n`, 'a.js')).toEqual([]);
  });
});
