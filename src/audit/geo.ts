/**
 * Where a source IP comes from, for the audit anomaly detectors: allowed IP ranges (CIDR lists from config or
 * `VOICEHIVE_ALLOWED_IP_RANGES`) and the country of an address from a MaxMind DB (`.mmdb`, format v2:
 * GeoLite2/GeoIP2 Country or City, DB-IP country lite). No dependency: the reader follows the published
 * "MaxMind DB File Format Specification" and treats the file as untrusted input — every read is bounds-checked
 * and pointer following is bounded, so a corrupt or hostile file ends in INVALID_FORMAT, never a hang.
 */
import { promises as fs } from 'node:fs';
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
    const zone = ip.indexOf('%');
    if (zone === 0 || zone === ip.length - 1) return null;
    const bytes = parseIpv6(zone === -1 ? ip : ip.slice(0, zone));
    return bytes ? { version: 6, bytes } : null;
  }
  const bytes = new Uint8Array(4);
  return parseIpv4Into(ip, bytes, 0) ? { version: 4, bytes } : null;
}

function parseIpv4Into(s: string, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; /* '.' closes the last part */
    if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // leading zero ("010" is octal to some parsers)
      value = value * 10 + (c - 48);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Up to 4 hex digits, or -1. */
function parseHexGroup(s: string): number {
  if (s.length === 0 || s.length > 4) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}

function parseIpv6(s: string): Uint8Array | null {
  const gap = s.indexOf('::');
  if (gap !== -1 && s.indexOf('::', gap + 1) !== -1) return null;
  const head = gap === -1 ? s : s.slice(0, gap);
  const tail = gap === -1 ? '' : s.slice(gap + 2);
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  if (gap === -1 && head === '') return null;
  const groups: number[] = [];
  const all = [...headParts, ...tailParts];
  const last = all.length - 1;
  // A dotted quad may only end the address: "1.2.3.4::" is not an address.
  const dottedAt = gap !== -1 && tail === '' ? -1 : last;
  const convert = (parts: string[], offset: number): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (offset + i === dottedAt && p.includes('.')) {
        const v4 = new Uint8Array(4);
        if (!parseIpv4Into(p, v4, 0)) return false;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        const g = parseHexGroup(p);
        if (g < 0) return false;
        groups.push(g);
      }
    }
    return true;
  };
  if (!convert(headParts, 0)) return null;
  const headGroups = groups.length;
  if (!convert(tailParts, headParts.length)) return null;
  const tailGroups = groups.length - headGroups;
  if (gap === -1 ? groups.length !== 8 : groups.length > 7) return null;
  const bytes = new Uint8Array(16);
  for (let i = 0; i < headGroups; i++) {
    bytes[i * 2] = groups[i]! >> 8;
    bytes[i * 2 + 1] = groups[i]! & 0xff;
  }
  for (let i = 0; i < tailGroups; i++) {
    const at = 16 - (tailGroups - i) * 2;
    bytes[at] = groups[headGroups + i]! >> 8;
    bytes[at + 1] = groups[headGroups + i]! & 0xff;
  }
  return bytes;
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

/** The address as four 32-bit words of its IPv6 form; IPv4 becomes `::ffff:a.b.c.d`. */
function toWords(ip: ParsedIp): [number, number, number, number] {
  const b = ip.bytes;
  if (ip.version === 4) return [0, 0, 0xffff, ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0];
  const w = (i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  return [w(0), w(4), w(8), w(12)];
}

// ---------------------------------------------------------------------------------------------------------
// IP ranges

export interface IpRangeSet {
  /** Whether the address falls in one of the ranges; an address that does not parse is never contained. */
  contains(ip: string): boolean;
  /** Number of distinct ranges. */
  readonly size: number;
}

interface Range {
  net: [number, number, number, number];
  mask: [number, number, number, number];
}

class CidrSet implements IpRangeSet {
  constructor(private readonly ranges: readonly Range[]) {}

  get size(): number {
    return this.ranges.length;
  }

  contains(ip: string): boolean {
    const parsed = parseIp(ip);
    if (!parsed) return false;
    const a = toWords(parsed);
    for (const { net, mask } of this.ranges) {
      if (
        ((a[0] & mask[0]) >>> 0) === net[0] &&
        ((a[1] & mask[1]) >>> 0) === net[1] &&
        ((a[2] & mask[2]) >>> 0) === net[2] &&
        ((a[3] & mask[3]) >>> 0) === net[3]
      ) {
        return true;
      }
    }
    return false;
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
  const ranges: Range[] = [];
  const seen = new Set<string>();
  for (const raw of list) {
    const entry = raw.trim();
    if (entry === '') continue;
    const range = parseRange(entry);
    const key = `${range.net.join('.')}/${range.mask.join('.')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    ranges.push(range);
  }
  return new CidrSet(ranges);
}

function badRange(entry: string, why: string): VhError {
  return new VhError('CONFIG', `invalid IP range "${entry}": ${why}`, {
    details: { entry },
    hint: 'allowed IP ranges are CIDRs or single addresses, e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32',
  });
}

function parseRange(entry: string): Range {
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
  const bits = addr.version === 4 ? prefix + 96 : prefix;
  const mask: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const n = Math.max(0, Math.min(32, bits - i * 32));
    mask[i] = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  }
  const words = toWords(addr);
  const net = words.map((w, i) => (w & mask[i]!) >>> 0) as [number, number, number, number];
  if (net.some((w, i) => w !== words[i])) {
    throw badRange(entry, `host bits are set after /${prefix} (the network is ${formatNetwork(addr, prefix)})`);
  }
  return { net, mask };
}

function formatNetwork(addr: ParsedIp, prefix: number): string {
  const b = addr.bytes.slice();
  for (let i = 0; i < b.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  if (addr.version === 4) return `${b.join('.')}/${prefix}`;
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
