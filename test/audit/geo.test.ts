import { execFile, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isVhError } from '../../src/base/errors.js';
import { openCountryDb, parseIp, parseIpRanges, type IpRangeSet, type MmdbValue } from '../../src/audit/geo.js';
import { assembleMmdb, buildMmdb, mmdb, standardMetadata, writeCountryMmdb, writeMmdb, type MmdbInput } from '../helpers/mmdb-writer.js';
import { tempHome } from '../helpers/cli.js';

const run = promisify(execFile);

let dir: string;
beforeEach(() => {
  dir = tempHome('vh-geo-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A small deterministic PRNG, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** A network's address with its host bits set from `fill` (0: first address, 255: last, else random). */
function addressIn(cidr: string, rnd: () => number, fill?: 0 | 255): string {
  const [a, p] = cidr.split('/');
  const ip = parseIp(a!)!;
  const bytes = ip.bytes.slice();
  const prefix = p === undefined ? bytes.length * 8 : Number(p);
  for (let i = prefix; i < bytes.length * 8; i++) {
    const bit = fill === undefined ? (rnd() < 0.5 ? 1 : 0) : fill === 255 ? 1 : 0;
    const mask = 1 << (7 - (i & 7));
    bytes[i >> 3] = bit ? bytes[i >> 3]! | mask : bytes[i >> 3]! & ~mask;
  }
  return formatIp(bytes);
}

function randomNetwork(version: 4 | 6, rnd: () => number): string {
  const len = version === 4 ? 4 : 16;
  const prefix = version === 4 ? 8 + Math.floor(rnd() * 25) : 16 + Math.floor(rnd() * 113);
  const bytes = new Uint8Array(len);
  for (let i = 0; i < len; i++) bytes[i] = Math.floor(rnd() * 256);
  if (version === 4) {
    bytes[0] = 1 + Math.floor(rnd() * 222);
  } else {
    // Global unicast 2000::/4, clear of ::/8 (IPv4 lives there in an IPv6 tree) and 2002::/16 (aliased to IPv4).
    bytes[0] = 0x20 + Math.floor(rnd() * 0x10);
    if (bytes[0] === 0x20 && bytes[1] === 0x02) bytes[1] = 0x03;
  }
  for (let i = prefix; i < len * 8; i++) bytes[i >> 3] = bytes[i >> 3]! & ~(1 << (7 - (i & 7)));
  return `${formatIp(bytes)}/${prefix}`;
}

/** What a correct reader must answer: the most specific network holding the address (the later one on a tie). */
function expectedCountry(entries: { cidr: string; country: string }[], ip: string): string | null {
  let best: { prefix: number; country: string } | null = null;
  for (const e of entries) {
    let set = rangeOf.get(e.cidr);
    if (!set) rangeOf.set(e.cidr, (set = parseIpRanges([e.cidr])));
    const prefix = Number(e.cidr.split('/')[1]);
    if (set.contains(ip) && (!best || prefix >= best.prefix)) best = { prefix, country: e.country };
  }
  return best?.country ?? null;
}
const rangeOf = new Map<string, IpRangeSet>();

const COUNTRIES = ['DE', 'IE', 'US', 'FR', 'GB', 'JP', 'BR', 'ZA'];

/** A random fixture: top-level networks plus more specific ones nested inside some of them. */
function randomEntries(version: 4 | 6, rnd: () => number, n: number): { cidr: string; country: string }[] {
  const out: { cidr: string; country: string }[] = [];
  const seen = new Set<string>();
  const add = (cidr: string) => {
    if (seen.has(cidr)) return;
    seen.add(cidr);
    out.push({ cidr, country: COUNTRIES[Math.floor(rnd() * COUNTRIES.length)]! });
  };
  for (let i = 0; i < n; i++) {
    const v: 4 | 6 = version === 4 || rnd() < 0.5 ? 4 : 6;
    const net = randomNetwork(v, rnd);
    add(net);
    const prefix = Number(net.split('/')[1]);
    const max = v === 4 ? 32 : 128;
    if (prefix < max && rnd() < 0.5) {
      const inner = prefix + 1 + Math.floor(rnd() * (max - prefix));
      const addr = addressIn(net, rnd);
      add(`${addressIn(`${addr}/${inner}`, rnd, 0)}/${inner}`);
    }
  }
  return out;
}

async function expectInvalid(path: string, action: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  let caught: unknown;
  try {
    await action();
  } catch (err) {
    caught = err;
  }
  const elapsed = Date.now() - started;
  expect(isVhError(caught) ? { code: caught.code, names: caught.message.includes(path) } : caught).toEqual({ code: 'INVALID_FORMAT', names: true });
  // Refused at once, not after walking a corrupt tree: well under the 30 s a test may run, however busy the machine.
  expect(elapsed).toBeLessThan(5000);
}

// --------------------------------------------------------------------------------------------------------

describe('parseIp', () => {
  test.each([
    ['0.0.0.0', [0, 0, 0, 0]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['10.1.2.3', [10, 1, 2, 3]],
  ])('IPv4 %s', (ip, bytes) => {
    expect(parseIp(ip)).toEqual({ version: 4, bytes: Uint8Array.from(bytes) });
  });

  test.each([
    ['::', '0:0:0:0:0:0:0:0'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['1::', '1:0:0:0:0:0:0:0'],
    ['2001:DB8::8:800:200C:417A', '2001:db8:0:0:8:800:200c:417a'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['::ffff:10.1.2.3', '0:0:0:0:0:ffff:a01:203'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0:0:0:c000:221'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['fe80::a%25', 'fe80:0:0:0:0:0:0:a'],
  ])('IPv6 %s', (ip, expanded) => {
    const parsed = parseIp(ip);
    expect(parsed?.version).toBe(6);
    expect(formatIp(parsed!.bytes)).toBe(expanded);
  });

  test.each([
    '', ' 10.0.0.1', '10.0.0.1 ', '10.0.0', '10.0.0.1.2', '10.0.0.256', '010.0.0.1', '10.0.0.01', '10..0.1', '1e1.0.0.1',
    '10.0.0.1%eth0', '10.0.0.1/32', '10.0.0.1:80', '[::1]', ':::', '1::2::3', ':1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '12345::', 'g::1', '::1.2.3', '::1.2.3.4:5', '1.2.3.4::', '1.2.3.4::5', '::1.2.3.4::', '::ffff:010.1.2.3',
    '::1%', '%eth0', 'localhost',
  ])('rejects %j', (ip) => {
    expect(parseIp(ip)).toBeNull();
  });
});

describe('parseIpRanges', () => {
  test('IPv4 CIDRs at and between octet boundaries, and their edges', () => {
    const set = parseIpRanges(['10.0.0.0/8', '192.168.4.0/22', '172.16.0.0/12', '198.51.100.7', '203.0.113.6/31']);
    expect(set.size).toBe(5);
    for (const ip of ['10.0.0.0', '10.255.255.255', '192.168.4.0', '192.168.7.255', '172.31.255.255', '198.51.100.7', '203.0.113.6', '203.0.113.7']) {
      expect([ip, set.contains(ip)]).toEqual([ip, true]);
    }
    for (const ip of ['9.255.255.255', '11.0.0.0', '192.168.3.255', '192.168.8.0', '172.32.0.0', '198.51.100.8', '203.0.113.5', '203.0.113.8']) {
      expect([ip, set.contains(ip)]).toEqual([ip, false]);
    }
  });

  test('/0, /32, /128 and IPv6 prefixes off the 32-bit word boundaries', () => {
    const all4 = parseIpRanges(['0.0.0.0/0']);
    expect(all4.contains('0.0.0.0')).toBe(true);
    expect(all4.contains('255.255.255.255')).toBe(true);
    expect(all4.contains('::ffff:1.2.3.4')).toBe(true);
    expect(all4.contains('2001:db8::1')).toBe(false);
    expect(all4.contains('::1')).toBe(false);

    const all = parseIpRanges(['::/0']);
    expect(all.contains('2001:db8::1')).toBe(true);
    expect(all.contains('1.2.3.4')).toBe(true); // every IPv4 address is ::ffff:a.b.c.d

    const host = parseIpRanges(['192.0.2.1/32', '2001:db8::1/128']);
    expect(host.contains('192.0.2.1')).toBe(true);
    expect(host.contains('192.0.2.0')).toBe(false);
    expect(host.contains('192.0.2.2')).toBe(false);
    expect(host.contains('2001:db8::1')).toBe(true);
    expect(host.contains('2001:DB8:0:0:0:0:0:1')).toBe(true);
    expect(host.contains('2001:db8::2')).toBe(false);
    expect(host.contains('2001:db8::')).toBe(false);

    const v6 = parseIpRanges(['2001:db8::/32', 'fd00:1234:5678:9a00::/57', '2001:db8:ffff:ffff:ffff:ffff:ffff:fffe/127']);
    expect(v6.contains('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(v6.contains('2001:db9::')).toBe(false);
    expect(v6.contains('fd00:1234:5678:9a7f:ffff::1')).toBe(true);
    expect(v6.contains('fd00:1234:5678:9a80::')).toBe(false);
    expect(v6.contains('fe80::1%eth0')).toBe(false);
    expect(parseIpRanges(['fe80::/10']).contains('fe80::1%eth0')).toBe(true);
  });

  test('IPv4-mapped IPv6 addresses match IPv4 ranges and mapped ranges match IPv4 addresses', () => {
    const set = parseIpRanges(['10.0.0.0/8']);
    expect(set.contains('::ffff:10.1.2.3')).toBe(true);
    expect(set.contains('::FFFF:a01:203')).toBe(true);
    expect(set.contains('::ffff:11.1.2.3')).toBe(false);
    expect(set.contains('::10.1.2.3')).toBe(false); // IPv4-compatible (deprecated) is not IPv4-mapped
    expect(set.contains('64:ff9b::10.1.2.3')).toBe(false);
    const mapped = parseIpRanges(['::ffff:192.168.0.0/112']);
    expect(mapped.contains('192.168.200.1')).toBe(true);
    expect(mapped.contains('192.169.0.1')).toBe(false);
    expect(parseIpRanges(['::ffff:0:0/96']).contains('8.8.8.8')).toBe(true);
    // The same range written two ways is one range.
    expect(parseIpRanges(['10.0.0.0/8', '::ffff:10.0.0.0/104', ' 10.0.0.0/8 ']).size).toBe(1);
  });

  test('blank entries are ignored; an empty list contains nothing; unparsable addresses are never contained', () => {
    const set = parseIpRanges(['', '10.0.0.0/8', '  ']);
    expect(set.size).toBe(1);
    expect(parseIpRanges([]).size).toBe(0);
    expect(parseIpRanges([]).contains('10.0.0.1')).toBe(false);
    for (const bad of ['', 'x', '10.0.0.1 ', '010.0.0.1', '[::1]', '10.0.0.1:80', '10.0.0.0/8']) {
      expect([bad, set.contains(bad)]).toEqual([bad, false]);
    }
  });

  test('an address asked about again gets the same answer, also after more distinct addresses than are remembered', () => {
    const set = parseIpRanges(['10.0.0.0/8', '2001:db8::/32']);
    const ips = Array.from({ length: 12_000 }, (_, i) => (i % 2 ? `10.0.${i >> 8}.${i & 255}` : `11.0.${i >> 8}.${i & 255}`));
    for (let pass = 0; pass < 2; pass++) {
      expect(ips.filter((ip) => set.contains(ip) !== ip.startsWith('10.'))).toEqual([]);
      for (const [ip, inside] of [['2001:db8::1', true], ['::ffff:10.1.2.3', true], ['010.0.0.1', false], ['x', false]] as const) {
        expect([pass, ip, set.contains(ip)]).toEqual([pass, ip, inside]);
      }
    }
  });

  test.each([
    ['10.0.0.0/33', /prefix length/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/08', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
    ['10.0.0.0/8/9', /prefix length/],
    ['10.0.0.0/ 8', /prefix length/],
    ['2001:db8::/129', /0 to 128/],
    ['10.0.0/8', /not an IPv4 or IPv6 address/],
    ['10.0.0.0.0/8', /not an IPv4 or IPv6 address/],
    ['example.com', /not an IPv4 or IPv6 address/],
    ['10.0.0.0-10.0.0.255', /not an IPv4 or IPv6 address/],
    ['fe80::/10%eth0', /prefix length/],
    ['fe80::%eth0/10', /zone id/],
    ['10.1.2.0/8', /host bits are set after \/8 \(the network is 10\.0\.0\.0\/8\)/],
    ['2001:db8::1/32', /host bits .* 2001:db8::\/32/],
  ])('refuses %j with CONFIG naming the entry', (entry, why) => {
    let caught: unknown;
    try {
      parseIpRanges(['192.0.2.0/24', entry]);
    } catch (err) {
      caught = err;
    }
    expect(isVhError(caught)).toBe(true);
    if (!isVhError(caught)) return;
    expect(caught.code).toBe('CONFIG');
    expect(caught.message).toContain(`"${entry}"`);
    expect(caught.message).toMatch(why);
    expect(caught.details).toEqual({ entry });
  });
});

// --------------------------------------------------------------------------------------------------------

describe('MaxMind DB reader against the fixture writer', () => {
  test.each([
    [6, 24],
    [6, 28],
    [6, 32],
    [4, 24],
    [4, 28],
    [4, 32],
  ] as const)('IPv%i tree, %i-bit records: every answer is the most specific network', async (ipVersion, recordSize) => {
    const rnd = prng(ipVersion * 100 + recordSize);
    const entries = randomEntries(ipVersion, rnd, 150);
    const path = join(dir, `t${ipVersion}-${recordSize}.mmdb`);
    await writeCountryMmdb(path, entries, { ipVersion, recordSize });
    const db = await openCountryDb(path);
    expect(db.metadata).toMatchObject({ path, databaseType: 'VH-Test-Country', ipVersion, recordSize, buildEpoch: 1_767_225_600, binaryFormat: { major: 2, minor: 0 }, languages: ['en'] });
    expect(db.metadata.nodeCount).toBeGreaterThan(100);

    let checked = 0;
    let found = 0;
    for (const e of entries) {
      for (const ip of [addressIn(e.cidr, rnd, 0), addressIn(e.cidr, rnd, 255), addressIn(e.cidr, rnd)]) {
        const want = expectedCountry(entries, ip);
        expect([ip, db.country(ip)]).toEqual([ip, want]);
        checked++;
        if (want) found++;
      }
    }
    for (let i = 0; i < 300; i++) {
      const ip = addressIn(randomNetwork(ipVersion === 4 || rnd() < 0.5 ? 4 : 6, rnd).replace(/\/\d+$/, '/0'), rnd);
      expect([ip, db.country(ip)]).toEqual([ip, parseIp(ip)!.version === 6 && ipVersion === 4 ? null : expectedCountry(entries, ip)]);
      checked++;
    }
    expect(checked).toBeGreaterThan(700);
    expect(found).toBeGreaterThan(400);
  });

  test('records are GeoIP2-Country shaped, shared data is stored once, mapped and 6to4 addresses reach IPv4', async () => {
    const path = join(dir, 'c.mmdb');
    const entries = [
      { cidr: '10.0.0.0/8', country: 'DE' },
      { cidr: '10.1.0.0/16', country: 'IE' },
      { cidr: '192.0.2.7', country: 'DE' },
      { cidr: '2001:db8::/32', country: 'US' },
      { cidr: '2001:db8:1::/48', country: 'DE' },
    ];
    await writeCountryMmdb(path, entries);
    const db = await openCountryDb(path);
    expect(db.lookup('10.2.3.4')).toEqual({ country: { iso_code: 'DE', names: { en: 'Germany' } } });
    expect(db.lookup('2001:db8:1::5')).toBe(db.lookup('192.0.2.7'));
    expect(Object.isFrozen(db.lookup('10.2.3.4'))).toBe(true);
    expect(db.country('10.1.255.255')).toBe('IE');
    expect(db.country('::ffff:10.1.2.3')).toBe('IE');
    expect(db.country('2002:a01:203::1')).toBe('IE');
    expect(db.country('::ffff:192.0.2.8')).toBeNull();
    expect(db.country('2001:db8:2::1')).toBe('US');
    expect(db.country('fe80::1%eth0')).toBeNull();
    expect(db.country('not an ip')).toBeNull();
    expect(db.lookup('11.0.0.1')).toBeNull();
    // "Germany", "country", "iso_code", ... each appear once in the file: repeats are pointers.
    const raw = await fs.readFile(path);
    for (const s of ['Germany', 'iso_code', 'names']) expect([s, raw.toString('latin1').split(s).length - 1]).toEqual([s, 1]);

    // Without the aliases a mapped address is still looked up as IPv4 (the tree alone would miss it).
    const bare = join(dir, 'bare.mmdb');
    await writeMmdb(bare, entries.map((e) => ({ cidr: e.cidr, data: { country: { iso_code: e.country } } })), { noAliases: true });
    const bareDb = await openCountryDb(bare);
    expect(bareDb.country('::ffff:10.1.2.3')).toBe('IE');
    expect(bareDb.country('2002:a01:203::1')).toBeNull();
  });

  test('registered_country is the fallback; a record without either is null', async () => {
    const path = join(dir, 'r.mmdb');
    await writeMmdb(path, [
      { cidr: '1.0.0.0/8', data: { registered_country: { iso_code: 'AU' }, continent: { code: 'OC' } } },
      { cidr: '2.0.0.0/8', data: { country: { iso_code: 'FR' }, registered_country: { iso_code: 'DE' } } },
      { cidr: '3.0.0.0/8', data: { continent: { code: 'EU' } } },
      { cidr: '4.0.0.0/8', data: 'just a string' },
      { cidr: '5.0.0.0/8', data: { country: { iso_code: mmdb.uint16(7) } } },
    ]);
    const db = await openCountryDb(path);
    expect(['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4', '5.5.5.5'].map((ip) => db.country(ip))).toEqual(['AU', 'FR', null, null, null]);
  });

  test('every data type, every size encoding and every pointer size decode to their values', async () => {
    const path = join(dir, 'types.mmdb');
    const record = typesRecord();
    await writeMmdb(path, [
      // Pointers of every size the writer makes: to byte < 2048 (2-byte pointer), < 526336 (3-byte) and beyond (4-byte).
      { cidr: '1.1.0.0/16', data: { low: 'shared-low', fill: 'q'.repeat(3000), mid: 'shared-mid' } },
      { cidr: '1.2.3.0/24', data: { pad: 'p'.repeat(600_000) } },
      { cidr: '1.2.4.0/24', data: record },
      { cidr: '1.2.5.0/24', data: { again: record, s300: 'y'.repeat(300) } },
    ]);
    const db = await openCountryDb(path);
    const expected = typesExpected();
    expect(db.lookup('1.2.4.1')).toEqual(expected);
    expect(db.lookup('1.2.5.1')).toEqual({ again: expected, s300: 'y'.repeat(300) });
    expect(db.lookup('1.2.3.1')).toEqual({ pad: 'p'.repeat(600_000) });
  });

  test('a lookup takes about a microsecond (no per-call cache in the caller needed)', async () => {
    const rnd = prng(7);
    const path = join(dir, 'perf.mmdb');
    const entries = randomEntries(6, rnd, 3000);
    await writeCountryMmdb(path, entries);
    const db = await openCountryDb(path);
    const ips = entries.slice(0, 1000).map((e) => addressIn(e.cidr, rnd));
    for (const ip of ips) db.country(ip);
    const rounds = 50;
    const started = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) for (const ip of ips) db.country(ip);
    const micros = Number(process.hrtime.bigint() - started) / 1000 / (rounds * ips.length);
    process.stderr.write(`geo: ${micros.toFixed(2)} µs per country() lookup over ${entries.length} networks\n`);
    expect(micros).toBeLessThan(25);
  });
});

function typesRecord(): { [key: string]: MmdbInput } {
  return {
    utf8: 'Grüße, 世界',
    low_ref: 'shared-low',
    mid_ref: 'shared-mid',
    empty: '',
    s29: 'a'.repeat(29),
    s284: 'b'.repeat(284),
    s285: 'c'.repeat(285),
    s65821: 'd'.repeat(65_821),
    double: mmdb.double(-3.25),
    double_big: mmdb.double(1e300),
    float: mmdb.float(1.5),
    int32_neg: mmdb.int32(-2_147_483_648),
    int32_small: mmdb.int32(300),
    int32_zero: mmdb.int32(0),
    uint16: mmdb.uint16(65_535),
    uint32: mmdb.uint32(4_294_967_295),
    uint64_small: mmdb.uint64(1_700_000_000),
    uint64_big: mmdb.uint64(18_446_744_073_709_551_615n),
    uint128_big: mmdb.uint128((1n << 128n) - 1n),
    uint128_small: mmdb.uint128(42),
    true: true,
    false: false,
    bytes: new Uint8Array([0, 1, 254, 255]),
    array: [1, 'two', [mmdb.uint16(3)], { four: 4 }, []],
    big_array: Array.from({ length: 40 }, (_, i) => `item-${i % 5}`),
    map: { nested: { deeper: { deepest: 'x' } } },
    empty_map: {},
  };
}

function typesExpected(): { [key: string]: MmdbValue } {
  return {
    utf8: 'Grüße, 世界',
    low_ref: 'shared-low',
    mid_ref: 'shared-mid',
    empty: '',
    s29: 'a'.repeat(29),
    s284: 'b'.repeat(284),
    s285: 'c'.repeat(285),
    s65821: 'd'.repeat(65_821),
    double: -3.25,
    double_big: 1e300,
    float: 1.5,
    int32_neg: -2_147_483_648,
    int32_small: 300,
    int32_zero: 0,
    uint16: 65_535,
    uint32: 4_294_967_295,
    uint64_small: 1_700_000_000,
    uint64_big: 18_446_744_073_709_551_615n,
    uint128_big: (1n << 128n) - 1n,
    uint128_small: 42,
    true: true,
    false: false,
    bytes: new Uint8Array([0, 1, 254, 255]),
    array: [1, 'two', [3], { four: 4 }, []],
    big_array: Array.from({ length: 40 }, (_, i) => `item-${i % 5}`),
    map: { nested: { deeper: { deepest: 'x' } } },
    empty_map: {},
  };
}

// --------------------------------------------------------------------------------------------------------

const mmdblookupProbe = spawnSync('mmdblookup', ['--version'], { encoding: 'utf8' });
const haveMmdblookup = mmdblookupProbe.error === undefined;
if (!haveMmdblookup) {
  const why = 'mmdblookup (libmaxminddb, Debian package mmdb-bin) is not installed';
  if (process.env.VH_REQUIRE_PEERS === '1') throw new Error(`${why} (VH_REQUIRE_PEERS=1: it is required here)`);
  process.stderr.write(`\n*** reader vs mmdblookup SKIPPED: ${why}; apt-get install mmdb-bin\n\n`);
}

type MmdblookupAnswer = string | null | 'IPv6-in-IPv4-database';

async function mmdblookup(file: string, ip: string, path: string[] = []): Promise<{ stdout: string; answer: MmdblookupAnswer }> {
  try {
    const { stdout } = await run('mmdblookup', ['--file', file, '--ip', ip, ...path]);
    const m = /^\s*"(.*)" <utf8_string>\s*$/.exec(stdout);
    return { stdout, answer: m ? m[1]! : stdout };
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    if (/Could not find an entry|No data was found at the lookup path/.test(out)) return { stdout: out, answer: null };
    if (/IPv6 address in an IPv4-only database/.test(out)) return { stdout: out, answer: 'IPv6-in-IPv4-database' };
    throw err;
  }
}

async function mmdblookupCountry(file: string, ip: string): Promise<MmdblookupAnswer> {
  const direct = (await mmdblookup(file, ip, ['country', 'iso_code'])).answer;
  return direct ?? (await mmdblookup(file, ip, ['registered_country', 'iso_code'])).answer;
}

/** Runs `fn` over `items` with at most `n` at a time (mmdblookup is a process per address). */
async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** mmdblookup's dump of a record (`--ip X` without a path) as a value, typed the way this reader types it. */
function parseMmdblookupDump(text: string): MmdbValue {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let i = 0;
  const value = (): MmdbValue => {
    const line = lines[i++]!;
    if (line === '{') {
      const out: { [key: string]: MmdbValue } = {};
      while (lines[i] !== '}') {
        const key = /^"(.*)":$/.exec(lines[i++]!);
        if (!key) throw new Error(`unexpected line ${lines[i - 1]}`);
        out[key[1]!] = value();
      }
      i++;
      return out;
    }
    if (line === '[') {
      const out: MmdbValue[] = [];
      while (lines[i] !== ']') out.push(value());
      i++;
      return out;
    }
    const m = /^(.*) <(\w+)>$/.exec(line);
    if (!m) throw new Error(`unexpected line ${line}`);
    const [, literal, type] = m as unknown as [string, string, string];
    const integer = (v: bigint) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    switch (type) {
      case 'utf8_string':
        return literal.slice(1, -1);
      case 'double':
      case 'float':
        return Number(literal);
      case 'boolean':
        return literal === 'true';
      case 'bytes':
        return Uint8Array.from(Buffer.from(literal, 'hex'));
      case 'uint128':
        return integer(BigInt(literal));
      case 'uint64':
        return integer(BigInt(literal));
      default:
        return Number(literal);
    }
  };
  return value();
}

(haveMmdblookup ? describe : describe.skip)('MaxMind DB reader against mmdblookup (libmaxminddb)', () => {
  test.each([
    [6, 24],
    [6, 28],
    [6, 32],
    [4, 24],
    [4, 28],
    [4, 32],
  ] as const)('IPv%i tree, %i-bit records: same country for every address', async (ipVersion, recordSize) => {
    const rnd = prng(1000 + ipVersion * 100 + recordSize);
    const entries = randomEntries(ipVersion, rnd, 40);
    const path = join(dir, 'x.mmdb');
    await writeCountryMmdb(path, entries, { ipVersion, recordSize });
    const db = await openCountryDb(path);

    const ips: string[] = [];
    for (const e of entries) ips.push(addressIn(e.cidr, rnd, 0), addressIn(e.cidr, rnd, 255), addressIn(e.cidr, rnd));
    for (let i = 0; i < 30; i++) ips.push(addressIn('0.0.0.0/0', rnd));
    for (let i = 0; i < 10; i++) ips.push(addressIn('2000::/4', rnd), addressIn('::/0', rnd));
    const v4 = entries.filter((e) => !e.cidr.includes(':')).slice(0, 10);
    for (const e of v4) {
      const inside = addressIn(e.cidr, rnd);
      ips.push(`::ffff:${inside}`);
      const b = parseIp(inside)!.bytes;
      ips.push(`2002:${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}::1`, `::${inside}`);
    }

    const theirs = await pool(ips, 8, async (ip) => {
      // libmaxminddb does not unmap ::ffff:a.b.c.d for an IPv4-only tree; this reader does, on purpose.
      const asked = ipVersion === 4 && ip.startsWith('::ffff:') ? ip.slice(7) : ip;
      return mmdblookupCountry(path, asked);
    });
    const ours = ips.map((ip) => db.country(ip));
    const mine = ips.map((ip, i) => [ip, ours[i]]);
    const libs = ips.map((ip, i) => [ip, theirs[i] === 'IPv6-in-IPv4-database' ? null : theirs[i]]);
    expect(mine).toEqual(libs);
    expect(ours.filter((c) => c !== null).length).toBeGreaterThan(ips.length / 3);
    if (ipVersion === 4) expect(theirs).toContain('IPv6-in-IPv4-database');
  });

  test('whole records with every data type and pointer size read the same as libmaxminddb reads them', async () => {
    const path = join(dir, 'types.mmdb');
    const record = typesRecord();
    delete record['s65821']; // mmdblookup prints it fine, but keeps the comparison output small
    record['double'] = mmdb.double(-3.25);
    record['double_big'] = mmdb.double(123456.5); // mmdblookup prints doubles with %f
    await writeMmdb(path, [
      { cidr: '1.1.0.0/16', data: { low: 'shared-low', fill: 'q'.repeat(3000), mid: 'shared-mid' } },
      { cidr: '1.2.3.0/24', data: { pad: 'p'.repeat(600_000) } },
      { cidr: '1.2.4.0/24', data: record },
      { cidr: '2001:db8::/32', data: { again: record, n: mmdb.uint32(7) } },
    ], { recordSize: 32 });
    const db = await openCountryDb(path);
    for (const ip of ['1.2.4.200', '2001:db8::1']) {
      const dump = (await mmdblookup(path, ip)).stdout;
      expect(parseMmdblookupDump(dump)).toEqual(db.lookup(ip));
    }
  });
});

// --------------------------------------------------------------------------------------------------------

/** A one-node IPv4 tree (24-bit records) whose both halves point at `offset` in a hand-made data section. */
function handMade(data: Buffer, offset = 0, metadata: { [key: string]: MmdbInput } = standardMetadata({ nodeCount: 1, recordSize: 24, ipVersion: 4 })): Buffer {
  const tree = Buffer.alloc(6);
  tree.writeUIntBE(1 + 16 + offset, 0, 3);
  tree.writeUIntBE(1 + 16 + offset, 3, 3);
  return assembleMmdb({ tree, data, metadata });
}

describe('corrupt and hostile files', () => {
  test('a missing file is NOT_FOUND, a directory INVALID_FORMAT', async () => {
    await expect(openCountryDb(join(dir, 'nope.mmdb'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope.mmdb') });
    await expect(openCountryDb(dir)).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
  });

  test('the hand-made harness itself reads (so the failures below are the corruption, not the harness)', async () => {
    const path = join(dir, 'ok.mmdb');
    await fs.writeFile(path, handMade(Buffer.from([0x42, 0x44, 0x45])));
    expect((await openCountryDb(path)).lookup('8.8.8.8')).toBe('DE');
    // A record that is itself a 5-byte pointer (the form for offsets past 134744064, usable for any offset).
    await fs.writeFile(path, handMade(Buffer.from([0x3f, 0x00, 0x00, 0x00, 0x05, 0x42, 0x49, 0x45])));
    expect((await openCountryDb(path)).lookup('8.8.8.8')).toBe('IE');
  });

  test('truncated files, empty files and files that are not MaxMind DBs', async () => {
    const good = buildMmdb(randomEntries(6, prng(3), 50).map((e) => ({ cidr: e.cidr, data: { country: { iso_code: e.country } } })));
    const marker = good.lastIndexOf(Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'));
    const cuts = [0, 1, 100, Math.floor(good.length / 2), marker, marker + 5, marker + 14, marker + 20, good.length - 1];
    for (const cut of cuts) {
      const path = join(dir, `cut-${cut}.mmdb`);
      await fs.writeFile(path, good.subarray(0, cut));
      await expectInvalid(path, () => openCountryDb(path));
    }
    const text = join(dir, 'text.mmdb');
    await fs.writeFile(text, 'GeoIP Country Edition: not an mmdb\n'.repeat(1000));
    await expectInvalid(text, () => openCountryDb(text));
  });

  test('bad metadata: version, record size, IP version, missing fields, a tree larger than the file', async () => {
    const base = standardMetadata({ nodeCount: 1, recordSize: 24, ipVersion: 4 });
    const variants: { [key: string]: MmdbInput }[] = [
      { ...base, binary_format_major_version: mmdb.uint16(3) },
      { ...base, record_size: mmdb.uint16(20) },
      { ...base, ip_version: mmdb.uint16(5) },
      { ...base, node_count: 'one' },
      Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'node_count')),
      Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'database_type')),
      { ...base, node_count: mmdb.uint32(4_000_000_000) },
    ];
    for (const [i, metadata] of variants.entries()) {
      const path = join(dir, `meta-${i}.mmdb`);
      await fs.writeFile(path, handMade(Buffer.from([0x42, 0x44, 0x45]), 0, metadata));
      await expectInvalid(path, () => openCountryDb(path));
    }
    const notMap = join(dir, 'meta-string.mmdb');
    await fs.writeFile(notMap, assembleMmdb({ tree: Buffer.alloc(6), data: Buffer.alloc(0), metadata: Buffer.from([0x42, 0x44, 0x45]) }));
    await expectInvalid(notMap, () => openCountryDb(notMap));
  });

  test('pointer loops, pointers to pointers, runaway nesting and sizes past the end fail fast', async () => {
    const cases: [string, Buffer, number?][] = [
      ['pointer to itself', Buffer.from([0x20, 0x00])],
      ['two pointers pointing at each other', Buffer.from([0x20, 0x02, 0x20, 0x00])],
      ['map whose value points back at the map', Buffer.from([0xe1, 0x41, 0x61, 0x20, 0x00])],
      ['array holding a pointer to itself', Buffer.from([0x01, 0x04, 0x20, 0x00])],
      ['mutual recursion through two maps', Buffer.from([0xe1, 0x41, 0x61, 0x20, 0x05, 0xe1, 0x41, 0x62, 0x20, 0x00])],
      ['pointer past the data section', Buffer.from([0x27, 0xff])],
      ['4-byte pointer far away', Buffer.from([0x38, 0xff, 0xff, 0xff, 0xff])],
      ['600 nested arrays', Buffer.concat([Buffer.from(Array.from({ length: 600 }, () => [0x01, 0x04]).flat()), Buffer.from([0x40])])],
      ['a map claiming 16 million entries', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x41, 0x61, 0x41, 0x62])],
      ['an array claiming 65821 items', Buffer.from([0x1f, 0x04, 0, 0, 0, 0x41, 0x61])],
      ['a string longer than the file', Buffer.from([0x5e, 0xff, 0xff, 0x41])],
      ['a map key that is not a string', Buffer.from([0xe1, 0xa1, 0x01, 0x41, 0x61])],
      ['a double of 4 bytes', Buffer.from([0x64, 0, 0, 0, 0])],
      ['a uint32 of 5 bytes', Buffer.from([0xc5, 1, 2, 3, 4, 5])],
      ['a boolean of value 2', Buffer.from([0x02, 0x07])],
      ['an end marker as data', Buffer.from([0x00, 0x06])],
      ['a data cache container as data', Buffer.from([0x00, 0x05])],
      ['an unknown extended type', Buffer.from([0x00, 0x20])],
      ['extended type byte naming a basic type', Buffer.from([0x00, 0x00])],
      ['a control byte and nothing else', Buffer.from([0x5d])],
      ['a tree record past the data section', Buffer.from([0x40]), 1000],
    ];
    for (const [name, data, offset] of cases) {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.mmdb`);
      await fs.writeFile(path, handMade(data, offset ?? 0));
      const db = await openCountryDb(path);
      await expectInvalid(path, async () => db.lookup('8.8.8.8'));
      await expectInvalid(path, async () => db.country('200.1.1.1'));
    }
  });

  test('a search tree that points back up or sideways cannot make a walk loop', async () => {
    // Three nodes whose records all point at node 1 or 0: a cycle. A walk must end after 32 steps.
    const tree = Buffer.alloc(18);
    for (let n = 0; n < 3; n++) {
      tree.writeUIntBE(1, n * 6, 3);
      tree.writeUIntBE(0, n * 6 + 3, 3);
    }
    const path = join(dir, 'cycle.mmdb');
    await fs.writeFile(path, assembleMmdb({ tree, data: Buffer.from([0x40]), metadata: standardMetadata({ nodeCount: 3, recordSize: 24, ipVersion: 4 }) }));
    const db = await openCountryDb(path);
    await expectInvalid(path, async () => db.country('1.2.3.4'));

    const tree6 = Buffer.alloc(6);
    tree6.writeUIntBE(0, 0, 3);
    tree6.writeUIntBE(0, 3, 3);
    const path6 = join(dir, 'cycle6.mmdb');
    await fs.writeFile(path6, assembleMmdb({ tree: tree6, data: Buffer.from([0x40]), metadata: standardMetadata({ nodeCount: 1, recordSize: 24, ipVersion: 6 }) }));
    const db6 = await openCountryDb(path6);
    await expectInvalid(path6, async () => db6.country('2001:db8::1'));
    await expectInvalid(path6, async () => db6.country('10.0.0.1'));
  });

  test('data that is valid but shares itself exponentially (a DAG of pointers) decodes once per node', async () => {
    // Level k is an array of two pointers to level k-1: 2^60 leaves if pointers were followed naively.
    const parts: number[] = [0x41, 0x78]; // level 0: "x" at offset 0
    let previous = 0;
    for (let k = 1; k <= 60; k++) {
      const at = parts.length;
      parts.push(0x02, 0x04, 0x20 | (previous >> 8), previous & 0xff, 0x20 | (previous >> 8), previous & 0xff);
      previous = at;
    }
    const path = join(dir, 'dag.mmdb');
    await fs.writeFile(path, handMade(Buffer.from(parts), previous));
    const db = await openCountryDb(path);
    const started = Date.now();
    let v = db.lookup('1.1.1.1');
    let depth = 0;
    while (Array.isArray(v)) {
      expect((v as readonly MmdbValue[])[0]).toBe((v as readonly MmdbValue[])[1]);
      v = (v as readonly MmdbValue[])[0]!;
      depth++;
    }
    expect([depth, v]).toEqual([60, 'x']);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('500 randomly damaged copies of a real-shaped file: only ever INVALID_FORMAT or an answer, never a hang or a crash', async () => {
    const rnd = prng(99);
    const entries = randomEntries(6, rnd, 60);
    const good = buildMmdb(entries.map((e) => ({ cidr: e.cidr, data: { country: { iso_code: e.country, names: { en: `name ${e.country}` } } } })), { recordSize: 28 });
    const ips = entries.map((e) => addressIn(e.cidr, rnd));
    const path = join(dir, 'fuzz.mmdb');
    const outcomes = { opened: 0, invalid: 0, answers: 0 };
    const started = Date.now();
    for (let i = 0; i < 500; i++) {
      const bad = Buffer.from(good);
      const flips = 1 + Math.floor(rnd() * 8);
      for (let f = 0; f < flips; f++) bad[Math.floor(rnd() * bad.length)] = Math.floor(rnd() * 256);
      await fs.writeFile(path, bad);
      try {
        const db = await openCountryDb(path);
        outcomes.opened++;
        for (const ip of ips) {
          db.lookup(ip);
          db.country(ip);
          outcomes.answers++;
        }
      } catch (err) {
        if (!isVhError(err) || err.code !== 'INVALID_FORMAT' || !err.message.includes(path)) throw err;
        outcomes.invalid++;
      }
    }
    expect(outcomes.opened).toBeGreaterThan(100);
    expect(outcomes.invalid).toBeGreaterThan(10);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

// --------------------------------------------------------------------------------------------------------

// No Debian package ships a MaxMind-format country database (geoip-database is the legacy GeoIP .dat format);
// operators download GeoLite2-Country or DB-IP's country lite. Point VH_TEST_GEOIP_DB at one to run these.
const realDbPath = [
  process.env.VH_TEST_GEOIP_DB,
  '/usr/share/GeoIP/GeoLite2-Country.mmdb',
  '/var/lib/GeoIP/GeoLite2-Country.mmdb',
  '/usr/share/GeoIP/dbip-country-lite.mmdb',
  '/usr/share/GeoIP/GeoLite2-City.mmdb',
].find((p): p is string => typeof p === 'string' && p !== '' && existsSync(p));
if (!realDbPath) {
  process.stderr.write('\n*** real GeoIP database checks SKIPPED: set VH_TEST_GEOIP_DB to a GeoLite2-Country or dbip-country-lite .mmdb\n\n');
}

(realDbPath ? describe : describe.skip)('a real country database', () => {
  test('well-known addresses', async () => {
    const db = await openCountryDb(realDbPath!);
    expect(db.metadata.ipVersion).toBe(6);
    expect(db.country('8.8.8.8')).toBe('US');
    expect(db.country('2001:4860:4860::8888')).toBe('US');
    expect(db.country('::ffff:8.8.8.8')).toBe('US');
    expect(db.country('193.99.144.80')).toBe('DE'); // heise.de
  });

  (haveMmdblookup ? test : test.skip)('agrees with mmdblookup on random addresses', async () => {
    const db = await openCountryDb(realDbPath!);
    const rnd = prng(5);
    const ips = Array.from({ length: 200 }, (_, i) => addressIn(i % 2 ? '0.0.0.0/0' : '2000::/4', rnd));
    const theirs = await pool(ips, 8, (ip) => mmdblookupCountry(realDbPath!, ip));
    expect(ips.map((ip) => [ip, db.country(ip)])).toEqual(ips.map((ip, i) => [ip, theirs[i]]));
  });
});
