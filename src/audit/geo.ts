/**
 * Where a source IP comes from, for the audit anomaly detectors: allowed IP ranges (CIDR lists from config or
 * `VOICEHIVE_ALLOWED_IP_RANGES`) and the country of an address from a MaxMind DB (`.mmdb`, format v2:
 * GeoLite2/GeoIP2 Country or City, DB-IP country lite). Address syntax and range matching are node:net's
 * (`isIPv4`/`isIPv6`, `BlockList`). The MaxMind reader is our own, as no dependency: it follows the published
 * "MaxMind DB File Format Specification" and treats the file as untrusted input — every read is bounds-checked
 * and pointer following is bounded, so a corrupt or hostile file ends in INVALID_FORMAT, never a hang.
 */
import { promises as fs } from 'node:fs';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { VhError, fromSystemError } from '../base/errors.js';

// ---------------------------------------------------------------------------------------------------------
// IP addresses

export interface ParsedIp {
  version: 4 | 6;
  /** 4 bytes for IPv4, 16 for IPv6, network order. */
  bytes: Uint8Array;
}

/**
 * Parses one textual address strictly: dotted-quad IPv4 without leading zeros, RFC 4291 IPv6 (with `::` and a
 * trailing dotted quad). An IPv6 zone id (`fe80::1%eth0`) is stripped. Anything else — whitespace, brackets,
 * ports, prefixes — is null.
 */
export function parseIp(ip: string): ParsedIp | null {
  if (ip.includes(':')) {
    const address = withoutZone(ip);
    return address !== null && isIPv6(address) ? { version: 6, bytes: ipv6Bytes(address) } : null;
  }
  if (!isIPv4(ip)) return null;
  const bytes = new Uint8Array(4);
  writeIpv4(ip, bytes, 0);
  return { version: 4, bytes };
}

/**
 * The address before a zone id (`fe80::1%eth0` → `fe80::1`), or null for an empty address or zone. Stripped here
 * rather than left to `isIPv6`, which refuses zone ids outside `[0-9a-zA-Z-.:]`: the zone is never looked at.
 */
function withoutZone(ip: string): string | null {
  const zone = ip.indexOf('%');
  if (zone === 0 || zone === ip.length - 1) return null;
  return zone === -1 ? ip : ip.slice(0, zone);
}

// node:net says whether text is an address but hands out no bytes, which the MaxMind tree walk and the host-bits
// check need. The writers below only convert what isIPv4/isIPv6 already accepted, so they check nothing; they
// are loops over char codes because a lookup per audit event should not allocate strings.

/** Writes the 4 bytes of an address `isIPv4` accepted at `at`. */
function writeIpv4(s: string, out: Uint8Array, at: number): void {
  let value = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      out[at++] = value;
      value = 0;
    } else {
      value = value * 10 + c - 48;
    }
  }
  out[at] = value;
}

/** The 16 bytes of an address `isIPv6` accepted: hex groups around at most one `::`, perhaps a dotted quad last. */
function ipv6Bytes(s: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const gap = s.indexOf('::');
  if (gap === -1) {
    writeGroups(s, 0, s.length, bytes, 0);
    return bytes;
  }
  writeGroups(s, 0, gap, bytes, 0);
  const tail = new Uint8Array(16);
  const n = writeGroups(s, gap + 2, s.length, tail, 0);
  bytes.set(tail.subarray(0, n), 16 - n);
  return bytes;
}

/** Writes the groups in `s[from, to)` at `at`; returns the number of bytes written. */
function writeGroups(s: string, from: number, to: number, out: Uint8Array, at: number): number {
  if (from === to) return 0;
  const start = at;
  let group = from;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 58 /* : */) {
      out[at++] = value >> 8;
      out[at++] = value & 0xff;
      value = 0;
      group = i + 1;
    } else if (c === 46 /* . */) {
      writeIpv4(s.slice(group, to), out, at);
      return at + 4 - start;
    } else {
      value = (value << 4) | (c <= 57 ? c - 48 : (c | 32) - 87);
    }
  }
  out[at++] = value >> 8;
  out[at++] = value & 0xff;
  return at - start;
}

/** `::ffff:a.b.c.d` → the IPv4 address a.b.c.d; anything else unchanged. */
function unmapIpv4(ip: ParsedIp): ParsedIp {
  if (ip.version === 6 && isV4Mapped(ip.bytes)) return { version: 4, bytes: ip.bytes.slice(12) };
  return ip;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

// ---------------------------------------------------------------------------------------------------------
// IP ranges

export interface IpRangeSet {
  /** Whether the address falls in one of the ranges; an address that does not parse is never contained. */
  contains(ip: string): boolean;
  /** Number of distinct ranges. */
  readonly size: number;
}

/**
 * The address as `BlockList` should see it: always IPv6, IPv4 in its mapped form. One family for ranges and
 * addresses alike, so matching never depends on how a Node version's BlockList compares across families.
 */
function asIpv6(ip: string): string | null {
  if (!ip.includes(':')) return isIPv4(ip) ? `::ffff:${ip}` : null;
  const address = withoutZone(ip);
  return address !== null && isIPv6(address) ? address : null;
}

/**
 * Answers kept per set. `BlockList.check` builds a SocketAddress for every string it is given (over a microsecond),
 * while an audit log asks about the same few source addresses again and again.
 */
const CONTAINS_CACHE_MAX = 10_000;

class CidrSet implements IpRangeSet {
  private readonly answers = new Map<string, boolean>();

  constructor(
    private readonly list: BlockList,
    readonly size: number,
  ) {}

  contains(ip: string): boolean {
    const known = this.answers.get(ip);
    if (known !== undefined) return known;
    const address = this.size === 0 ? null : asIpv6(ip);
    const inside = address !== null && this.list.check(address, 'ipv6');
    if (this.answers.size >= CONTAINS_CACHE_MAX) this.answers.clear();
    this.answers.set(ip, inside);
    return inside;
  }
}

/**
 * Parses allowed IP ranges: IPv4 and IPv6 CIDRs (`10.0.0.0/8`, `2001:db8::/32`) and single addresses (a /32 or
 * /128). Blank entries are ignored (a trailing comma in `VOICEHIVE_ALLOWED_IP_RANGES`). IPv4 is compared in its
 * IPv4-mapped IPv6 form (RFC 4291 §2.5.5.2), so `::ffff:10.1.2.3` is in `10.0.0.0/8`, `::ffff:0:0/96` is every
 * IPv4 address, and `::/0` is every address. A range with host bits set (`10.1.2.0/8`) is refused rather than
 * widened, since in an allowlist that is more likely a typo than intent.
 */
export function parseIpRanges(list: string[]): IpRangeSet {
  const blocks = new BlockList();
  const seen = new Set<string>();
  for (const raw of list) {
    const entry = raw.trim();
    if (entry === '') continue;
    const { address, prefix, key } = parseRange(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    blocks.addSubnet(address, prefix, 'ipv6');
  }
  return new CidrSet(blocks, seen.size);
}

function badRange(entry: string, why: string): VhError {
  return new VhError('CONFIG', `invalid IP range "${entry}": ${why}`, {
    details: { entry },
    hint: 'allowed IP ranges are CIDRs or single addresses, e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32',
  });
}

/** One range in the IPv6 form `BlockList` is given, and a key equal for the same range written two ways. */
function parseRange(entry: string): { address: string; prefix: number; key: string } {
  const slash = entry.indexOf('/');
  const addrText = slash === -1 ? entry : entry.slice(0, slash);
  if (addrText.includes('%')) throw badRange(entry, 'a zone id has no place in a range');
  const addr = parseIp(addrText);
  if (!addr) throw badRange(entry, `"${addrText}" is not an IPv4 or IPv6 address`);
  const max = addr.version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = entry.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) {
      throw badRange(entry, `the prefix length must be a whole number from 0 to ${max}`);
    }
    prefix = Number(p);
  }
  // BlockList masks a network's host bits away without a word; an allowlist refuses them (see parseIpRanges).
  const network = networkOf(addr.bytes, prefix);
  if (network.some((b, i) => b !== addr.bytes[i])) {
    throw badRange(entry, `host bits are set after /${prefix} (the network is ${formatNetwork(addr.version, network, prefix)})`);
  }
  const address = addr.version === 4 ? `::ffff:${addrText}` : addrText;
  const bits = addr.version === 4 ? prefix + 96 : prefix;
  return { address, prefix: bits, key: `${Buffer.from(parseIp(address)!.bytes).toString('hex')}/${bits}` };
}

/** The bytes with every bit after the first `prefix` cleared. */
function networkOf(bytes: Uint8Array, prefix: number): Uint8Array {
  return bytes.map((b, i) => b & ((0xff << (8 - Math.max(0, Math.min(8, prefix - i * 8)))) & 0xff));
}

function formatNetwork(version: 4 | 6, b: Uint8Array, prefix: number): string {
  if (version === 4) return `${b.join('.')}/${prefix}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return `${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}/${prefix}`;
}
// ---------------------------------------------------------------------------------------------------------
// MaxMind DB reader

/** A decoded MaxMind DB value. uint64/uint128 above 2^53 are bigint; `bytes` are a copy. Values are frozen. */
export type MmdbValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | readonly MmdbValue[]
  | { readonly [key: string]: MmdbValue };

export interface CountryDbMetadata {
  path: string;
  /** e.g. `GeoLite2-Country`, `DBIP-Country-Lite`. */
  databaseType: string;
  /** When the database was built, seconds since the epoch. */
  buildEpoch: number;
  /** 6 for trees holding both families, 4 for IPv4-only. */
  ipVersion: 4 | 6;
  recordSize: 24 | 28 | 32;
  nodeCount: number;
  binaryFormat: { major: number; minor: number };
  languages: string[];
  description: Record<string, string>;
}

export interface CountryDb {
  readonly metadata: CountryDbMetadata;
  /**
   * ISO 3166 alpha-2 code of the address (`country.iso_code`, else `registered_country.iso_code`), or null when
   * the address is not in the database, does not parse, or is IPv6 and the database is IPv4-only.
   * IPv4-mapped IPv6 addresses are looked up as IPv4. Throws INVALID_FORMAT if the database is corrupt there.
   */
  country(ip: string): string | null;
  /** The whole record for the address, or null as for `country`. */
  lookup(ip: string): MmdbValue | null;
  /** Lets go of the file's buffer and cached records (the file itself is closed once read). */
  close(): void;
}

const METADATA_MARKER = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1');
/** The spec caps the metadata section at 128 KiB; the marker is searched for only there. */
const METADATA_MAX = 128 * 1024;
/** Nesting depth of maps/arrays (libmaxminddb uses the same bound). */
const MAX_DEPTH = 512;
/** Decoded records kept per database; a country database has a few hundred distinct ones. */
const RECORD_CACHE_MAX = 50_000;

/** Reads a MaxMind DB file whole (these are a few MB) and checks its metadata and layout. */
export async function openCountryDb(path: string): Promise<CountryDb> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch (err) {
    throw fromSystemError(err, 'open GeoIP database', path);
  }
  return new MmdbReader(path, buf);
}

function corrupt(path: string, why: string): VhError {
  return new VhError('INVALID_FORMAT', `GeoIP database ${path} is not a valid MaxMind DB file: ${why}`, {
    details: { path },
    hint: 'download the database again (GeoLite2-Country.mmdb or dbip-country-lite.mmdb)',
  });
}

/**
 * Decodes the data section format (used by both the data section and the metadata). Pointers are offsets from
 * `base`; a pointer to a pointer is invalid (as in the spec's reference reader), cycles are detected and every
 * decoded pointer target is memoised, so the work for one value is bounded by the section's length.
 */
class SectionDecoder {
  private readonly done = new Map<number, MmdbValue>();
  private readonly active = new Set<number>();

  constructor(
    private readonly buf: Buffer,
    private readonly base: number,
    private readonly end: number,
    private readonly path: string,
  ) {}

  /** Decodes the value at `offset` (relative to base), following a pointer there. */
  value(offset: number): MmdbValue {
    const cached = this.done.get(offset);
    if (cached !== undefined) return cached;
    const { value } = this.decodeAt(this.base + offset, 0);
    this.done.set(offset, value);
    return value;
  }

  clearCache(): void {
    this.done.clear();
  }

  get cacheSize(): number {
    return this.done.size;
  }

  private fail(why: string): VhError {
    return corrupt(this.path, why);
  }

  private need(at: number, n: number): void {
    if (n < 0 || at < this.base || at + n > this.end) throw this.fail(`data runs past the end of its section at byte ${at}`);
  }

  private decodeAt(at: number, depth: number): { value: MmdbValue; next: number } {
    if (depth > MAX_DEPTH) throw this.fail(`data nested deeper than ${MAX_DEPTH} levels at byte ${at}`);
    this.need(at, 1);
    const ctrl = this.buf[at]!;
    let type = ctrl >> 5;
    let p = at + 1;
    if (type === 1) {
      const { target, next } = this.pointer(ctrl, p);
      return { value: this.follow(target, depth), next };
    }
    if (type === 0) {
      this.need(p, 1);
      type = 7 + this.buf[p]!;
      p++;
      if (type < 8) throw this.fail(`extended type byte ${type - 7} at byte ${at} is not an extended type`);
    }
    let size = ctrl & 0x1f;
    if (size >= 29) {
      const extra = size - 28;
      this.need(p, extra);
      if (size === 29) size = 29 + this.buf[p]!;
      else if (size === 30) size = 285 + this.buf.readUInt16BE(p);
      else size = 65821 + this.buf.readUIntBE(p, 3);
      p += extra;
    }
    switch (type) {
      case 2: {
        this.need(p, size);
        return { value: this.buf.toString('utf8', p, p + size), next: p + size };
      }
      case 3: {
        if (size !== 8) throw this.fail(`double of ${size} bytes at byte ${at}`);
        this.need(p, 8);
        return { value: this.buf.readDoubleBE(p), next: p + 8 };
      }
      case 4: {
        this.need(p, size);
        return { value: new Uint8Array(this.buf.subarray(p, p + size)), next: p + size };
      }
      case 5:
      case 6:
      case 9:
      case 10: {
        const max = type === 5 ? 2 : type === 6 ? 4 : type === 9 ? 8 : 16;
        if (size > max) throw this.fail(`unsigned integer of ${size} bytes (at most ${max}) at byte ${at}`);
        this.need(p, size);
        return { value: this.unsigned(p, size), next: p + size };
      }
      case 8: {
        if (size > 4) throw this.fail(`int32 of ${size} bytes at byte ${at}`);
        this.need(p, size);
        // Shorter than 4 bytes is always positive (spec); 4 bytes is two's complement.
        const v = size === 0 ? 0 : size === 4 ? this.buf.readInt32BE(p) : this.buf.readUIntBE(p, size);
        return { value: v, next: p + size };
      }
      case 7:
        return this.map(p, size, depth);
      case 11:
        return this.array(p, size, depth);
      case 14: {
        if (size > 1) throw this.fail(`boolean with value ${size} at byte ${at}`);
        return { value: size === 1, next: p };
      }
      case 15: {
        if (size !== 4) throw this.fail(`float of ${size} bytes at byte ${at}`);
        this.need(p, 4);
        return { value: this.buf.readFloatBE(p), next: p + 4 };
      }
      default:
        // 12 (data cache container) and 13 (end marker) never appear in data; above 15 is unknown.
        throw this.fail(`unexpected data type ${type} at byte ${at}`);
    }
  }

  private pointer(ctrl: number, p: number): { target: number; next: number } {
    const ss = (ctrl >> 3) & 3;
    const vvv = ctrl & 7;
    this.need(p, ss + 1);
    const b = this.buf;
    let target: number;
    switch (ss) {
      case 0:
        target = (vvv << 8) | b[p]!;
        break;
      case 1:
        target = ((vvv << 16) | b.readUInt16BE(p)) + 2048;
        break;
      case 2:
        target = vvv * 0x1000000 + b.readUIntBE(p, 3) + 526336;
        break;
      default:
        target = b.readUInt32BE(p);
    }
    return { target, next: p + ss + 1 };
  }

  private follow(target: number, depth: number): MmdbValue {
    const cached = this.done.get(target);
    if (cached !== undefined) return cached;
    const at = this.base + target;
    if (at >= this.end) throw this.fail(`pointer to byte ${target} past the end of the data section`);
    if (this.buf[at]! >> 5 === 1) throw this.fail(`pointer to a pointer at data byte ${target}`);
    if (this.active.has(target)) throw this.fail(`pointer loop through data byte ${target}`);
    this.active.add(target);
    try {
      const { value } = this.decodeAt(at, depth + 1);
      this.done.set(target, value);
      return value;
    } finally {
      this.active.delete(target);
    }
  }

  private unsigned(p: number, size: number): number | bigint {
    if (size <= 6) return size === 0 ? 0 : this.buf.readUIntBE(p, size);
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(this.buf[p + i]!);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private map(p: number, size: number, depth: number): { value: MmdbValue; next: number } {
    // Every entry takes at least two bytes, so a size the section cannot hold is refused before looping.
    if (size * 2 > this.end - p) throw this.fail(`map of ${size} entries at byte ${p} does not fit the section`);
    const out: Record<string, MmdbValue> = {};
    for (let i = 0; i < size; i++) {
      const key = this.decodeAt(p, depth + 1);
      if (typeof key.value !== 'string') throw this.fail(`map key at byte ${p} is not a string`);
      const val = this.decodeAt(key.next, depth + 1);
      Object.defineProperty(out, key.value, { value: val.value, enumerable: true, writable: false, configurable: true });
      p = val.next;
    }
    return { value: Object.freeze(out), next: p };
  }

  private array(p: number, size: number, depth: number): { value: MmdbValue; next: number } {
    if (size > this.end - p) throw this.fail(`array of ${size} items at byte ${p} does not fit the section`);
    const out: MmdbValue[] = [];
    for (let i = 0; i < size; i++) {
      const item = this.decodeAt(p, depth + 1);
      out.push(item.value);
      p = item.next;
    }
    return { value: Object.freeze(out), next: p };
  }
}

class MmdbReader implements CountryDb {
  readonly metadata: CountryDbMetadata;
  private readonly nodeCount: number;
  private readonly recordSize: 24 | 28 | 32;
  private readonly nodeBytes: number;
  private readonly data: SectionDecoder;
  private readonly dataSize: number;
  private readonly ipv4Start: number;
  private readonly countries = new Map<number, string | null>();

  constructor(
    private readonly path: string,
    private readonly buf: Buffer,
  ) {
    const searchFrom = Math.max(0, buf.length - METADATA_MAX - METADATA_MARKER.length);
    const marker = buf.lastIndexOf(METADATA_MARKER);
    if (marker === -1 || marker < searchFrom) throw corrupt(path, 'no metadata marker (truncated or not an .mmdb file)');
    const metaStart = marker + METADATA_MARKER.length;
    const meta = new SectionDecoder(buf, metaStart, buf.length, path).value(0);
    this.metadata = readMetadata(path, meta);
    this.nodeCount = this.metadata.nodeCount;
    this.recordSize = this.metadata.recordSize;
    this.nodeBytes = this.recordSize / 4;
    const treeSize = this.nodeCount * this.nodeBytes;
    const dataStart = treeSize + 16;
    if (dataStart > marker) throw corrupt(path, `the search tree (${this.nodeCount} nodes) is larger than the file`);
    this.dataSize = marker - dataStart;
    this.data = new SectionDecoder(buf, dataStart, marker, path);
    this.ipv4Start = this.findIpv4Start();
  }

  /** IPv4 lives at ::a.b.c.d in an IPv6 tree: the node 96 zero bits down. */
  private findIpv4Start(): number {
    if (this.metadata.ipVersion === 4) return 0;
    let node = 0;
    for (let i = 0; i < 96 && node < this.nodeCount; i++) node = this.record(node, 0);
    return node;
  }

  private record(node: number, bit: number): number {
    const b = this.buf;
    const at = node * this.nodeBytes;
    switch (this.recordSize) {
      case 24: {
        const o = at + bit * 3;
        return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
      }
      case 28: {
        const middle = b[at + 3]!;
        if (bit === 0) return (((middle & 0xf0) << 20) | (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!) >>> 0;
        return (((middle & 0x0f) << 24) | (b[at + 4]! << 16) | (b[at + 5]! << 8) | b[at + 6]!) >>> 0;
      }
      default:
        return b.readUInt32BE(at + bit * 4);
    }
  }

  /** The data-section offset of the record for the address, or -1 if there is none. */
  private find(ip: string): number {
    const parsed = parseIp(ip);
    if (!parsed) return -1;
    const addr = unmapIpv4(parsed);
    if (addr.version === 6 && this.metadata.ipVersion === 4) return -1;
    const bytes = addr.bytes;
    const bits = bytes.length * 8;
    let node = addr.version === 4 && this.metadata.ipVersion === 6 ? this.ipv4Start : 0;
    // At most `bits` steps: the walk cannot loop whatever the tree's records say.
    for (let i = 0; i < bits && node < this.nodeCount; i++) {
      node = this.record(node, (bytes[i >> 3]! >> (7 - (i & 7))) & 1);
    }
    if (node === this.nodeCount) return -1;
    if (node < this.nodeCount) throw corrupt(this.path, `the search tree is deeper than ${bits} bits`);
    const offset = node - this.nodeCount - 16;
    if (offset < 0 || offset >= this.dataSize) {
      throw corrupt(this.path, `a search tree record points outside the data section (${node})`);
    }
    return offset;
  }

  close(): void {
    this.countries.clear();
  }

  lookup(ip: string): MmdbValue | null {
    const offset = this.find(ip);
    if (offset < 0) return null;
    if (this.data.cacheSize > RECORD_CACHE_MAX) this.data.clearCache();
    return this.data.value(offset);
  }

  country(ip: string): string | null {
    const offset = this.find(ip);
    if (offset < 0) return null;
    const known = this.countries.get(offset);
    if (known !== undefined) return known;
    if (this.data.cacheSize > RECORD_CACHE_MAX) this.data.clearCache();
    const code = isoCode(this.data.value(offset));
    if (this.countries.size < RECORD_CACHE_MAX) this.countries.set(offset, code);
    return code;
  }
}

function field(value: MmdbValue | undefined, key: string): MmdbValue | undefined {
  if (value === undefined || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) return undefined;
  return (value as { readonly [key: string]: MmdbValue })[key];
}

function isoCode(record: MmdbValue): string | null {
  for (const where of ['country', 'registered_country']) {
    const code = field(field(record, where), 'iso_code');
    if (typeof code === 'string' && code !== '') return code;
  }
  return null;
}

function readMetadata(path: string, meta: MmdbValue): CountryDbMetadata {
  const num = (key: string): number => {
    const v = field(meta, key);
    if (typeof v !== 'number') throw corrupt(path, `metadata field ${key} is missing or not a number`);
    return v;
  };
  const major = num('binary_format_major_version');
  if (major !== 2) throw corrupt(path, `binary format version ${major} (this reader knows version 2)`);
  const recordSize = num('record_size');
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) {
    throw corrupt(path, `record size ${recordSize} (must be 24, 28 or 32)`);
  }
  const ipVersion = num('ip_version');
  if (ipVersion !== 4 && ipVersion !== 6) throw corrupt(path, `ip_version ${ipVersion} (must be 4 or 6)`);
  const nodeCount = num('node_count');
  const databaseType = field(meta, 'database_type');
  if (typeof databaseType !== 'string') throw corrupt(path, 'metadata field database_type is missing');
  const epoch = field(meta, 'build_epoch');
  const minor = field(meta, 'binary_format_minor_version');
  const languages = field(meta, 'languages');
  const description = field(meta, 'description');
  const descriptions: Record<string, string> = {};
  if (description && typeof description === 'object' && !Array.isArray(description) && !(description instanceof Uint8Array)) {
    for (const [lang, text] of Object.entries(description as { readonly [key: string]: MmdbValue })) {
      if (typeof text === 'string') descriptions[lang] = text;
    }
  }
  return {
    path,
    databaseType,
    buildEpoch: typeof epoch === 'number' ? epoch : typeof epoch === 'bigint' ? Number(epoch) : 0,
    ipVersion,
    recordSize,
    nodeCount,
    binaryFormat: { major, minor: typeof minor === 'number' ? minor : 0 },
    languages: Array.isArray(languages) ? languages.filter((l): l is string => typeof l === 'string') : [],
    description: descriptions,
  };
}
