/**
 * A minimal MaxMind DB (format v2) writer for test fixtures. It builds the binary search tree (IPv4 at ::/96 in
 * IPv6 trees, with the usual ::ffff:0:0/96 and 2002::/16 aliases onto the IPv4 subtree, as MaxMind's own writer
 * does), writes every distinct value once and refers to repeats with pointers, so readers walk their pointer
 * path on every record. Typed scalars (`mmdb.uint64(…)`, `mmdb.double(…)`) cover the types JS numbers cannot say.
 */
import { promises as fs } from 'node:fs';
import { parseIp } from '../../src/audit/geo.js';

type ScalarType = 'uint16' | 'uint32' | 'int32' | 'uint64' | 'uint128' | 'double' | 'float';

export class TypedScalar {
  constructor(
    readonly type: ScalarType,
    readonly value: number | bigint,
  ) {}
}

/** What can be written: plain numbers are uint32 when they fit, else double. */
export type MmdbInput = string | number | boolean | Uint8Array | TypedScalar | MmdbInput[] | { [key: string]: MmdbInput };

export const mmdb = {
  uint16: (v: number) => new TypedScalar('uint16', v),
  uint32: (v: number) => new TypedScalar('uint32', v),
  int32: (v: number) => new TypedScalar('int32', v),
  uint64: (v: number | bigint) => new TypedScalar('uint64', v),
  uint128: (v: number | bigint) => new TypedScalar('uint128', v),
  double: (v: number) => new TypedScalar('double', v),
  float: (v: number) => new TypedScalar('float', v),
};

export interface MmdbWriteOptions {
  ipVersion?: 4 | 6;
  recordSize?: 24 | 28 | 32;
  databaseType?: string;
  buildEpoch?: number;
  /** Skip the ::ffff:0:0/96 and 2002::/16 aliases (IPv6 trees only). */
  noAliases?: boolean;
}

const COUNTRY_NAMES: Record<string, string> = {
  AT: 'Austria', AU: 'Australia', BR: 'Brazil', CH: 'Switzerland', CN: 'China', DE: 'Germany', ES: 'Spain',
  FR: 'France', GB: 'United Kingdom', IE: 'Ireland', IN: 'India', IT: 'Italy', JP: 'Japan', NL: 'Netherlands',
  RU: 'Russia', SE: 'Sweden', US: 'United States', ZA: 'South Africa',
};

/** A GeoIP2-Country-like database: each CIDR maps to `{ country: { iso_code, names: { en } } }`. */
export async function writeCountryMmdb(
  path: string,
  entries: { cidr: string; country: string }[],
  options: { ipVersion?: 4 | 6; recordSize?: 24 | 28 | 32 } = {},
): Promise<void> {
  await writeMmdb(
    path,
    entries.map(({ cidr, country }) => ({
      cidr,
      data: { country: { iso_code: country, names: { en: COUNTRY_NAMES[country] ?? country } } },
    })),
    { databaseType: 'VH-Test-Country', ...options },
  );
}

/** Any records. Overlapping networks: the more specific one wins, whatever the order. */
export async function writeMmdb(path: string, entries: { cidr: string; data: MmdbInput }[], options: MmdbWriteOptions = {}): Promise<void> {
  await fs.writeFile(path, buildMmdb(entries, options));
}

// ---------------------------------------------------------------------------------------------------------

/** A tree node's child: another node, a data record (index into `records`), or nothing. */
type Child = { kind: 'node'; node: TreeNode } | { kind: 'data'; record: number } | { kind: 'empty' };
interface TreeNode {
  children: [Child, Child];
}

const EMPTY: Child = { kind: 'empty' };
const newNode = (): TreeNode => ({ children: [EMPTY, EMPTY] });

function parseCidr(cidr: string, ipVersion: 4 | 6): { bits: number[]; prefix: number } {
  const [addrText, prefixText] = cidr.split('/');
  const addr = parseIp(addrText!);
  if (!addr) throw new Error(`bad cidr ${cidr}`);
  const max = addr.version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`bad prefix in ${cidr}`);
  if (addr.version === 6 && ipVersion === 4) throw new Error(`IPv6 network ${cidr} in an IPv4 database`);
  const bits: number[] = [];
  if (addr.version === 4 && ipVersion === 6) for (let i = 0; i < 96; i++) bits.push(0);
  for (let i = 0; i < prefix; i++) bits.push((addr.bytes[i >> 3]! >> (7 - (i & 7))) & 1);
  return { bits, prefix: bits.length };
}

function insert(root: TreeNode, bits: number[], leaf: Child): void {
  if (bits.length === 0) throw new Error('a /0 network is not supported by this writer');
  let node = root;
  for (let i = 0; i < bits.length - 1; i++) {
    const b = bits[i]!;
    const child = node.children[b];
    if (child.kind === 'node') {
      node = child.node;
    } else {
      // Splitting a shorter network: both halves keep what the shorter one had.
      const next = newNode();
      next.children = [child, child];
      node.children[b] = { kind: 'node', node: next };
      node = next;
    }
  }
  node.children[bits[bits.length - 1]!] = leaf;
}

/** Walks `bits` from the root, creating nodes, and returns the node reached. */
function pathNode(root: TreeNode, bits: number[]): TreeNode {
  let node = root;
  for (const b of bits) {
    const child = node.children[b];
    if (child.kind === 'node') {
      node = child.node;
    } else {
      const next = newNode();
      next.children = [child, child];
      node.children[b] = { kind: 'node', node: next };
      node = next;
    }
  }
  return node;
}

function bitsOf(bytes: Uint8Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((bytes[i >> 3]! >> (7 - (i & 7))) & 1);
  return out;
}

export function buildMmdb(entries: { cidr: string; data: MmdbInput }[], options: MmdbWriteOptions = {}): Buffer {
  const ipVersion = options.ipVersion ?? 6;
  const recordSize = options.recordSize ?? 28;
  const root = newNode();
  const parsed = entries.map((e, i) => ({ ...parseCidr(e.cidr, ipVersion), i }));
  parsed.sort((a, b) => a.prefix - b.prefix || a.i - b.i);
  for (const p of parsed) insert(root, p.bits, { kind: 'data', record: p.i });

  if (ipVersion === 6 && !options.noAliases) {
    const ipv4Root = root.children[0].kind === 'node' ? findNode(root, new Array<number>(96).fill(0)) : undefined;
    if (ipv4Root) {
      for (const prefix of ['::ffff:0:0', '2002::']) {
        const addr = parseIp(prefix)!;
        const len = prefix === '2002::' ? 16 : 96;
        const bits = bitsOf(addr.bytes, len);
        const parent = pathNode(root, bits.slice(0, -1));
        parent.children[bits[len - 1]!] = { kind: 'node', node: ipv4Root };
      }
    }
  }

  // Number nodes breadth first; an aliased node is numbered once.
  const order: TreeNode[] = [];
  const index = new Map<TreeNode, number>();
  const queue: TreeNode[] = [root];
  index.set(root, 0);
  while (queue.length > 0) {
    const n = queue.shift()!;
    order.push(n);
    for (const c of n.children) {
      if (c.kind === 'node' && !index.has(c.node)) {
        index.set(c.node, index.size);
        queue.push(c.node);
      }
    }
  }
  const nodeCount = order.length;

  const data = new DataWriter(true);
  const recordOffset = new Map<number, number>();
  for (let i = 0; i < entries.length; i++) recordOffset.set(i, data.write(entries[i]!.data));

  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  const value = (c: Child): number =>
    c.kind === 'node' ? index.get(c.node)! : c.kind === 'empty' ? nodeCount : nodeCount + 16 + recordOffset.get(c.record)!;
  order.forEach((n, i) => writeNode(tree, i * nodeBytes, recordSize, value(n.children[0]), value(n.children[1])));

  return assembleMmdb({
    tree,
    data: data.bytes(),
    metadata: standardMetadata({ nodeCount, recordSize, ipVersion, databaseType: options.databaseType, buildEpoch: options.buildEpoch }),
  });
}

export function standardMetadata(m: {
  nodeCount: number;
  recordSize: number;
  ipVersion: number;
  databaseType?: string | undefined;
  buildEpoch?: number | undefined;
}): { [key: string]: MmdbInput } {
  return {
    binary_format_major_version: mmdb.uint16(2),
    binary_format_minor_version: mmdb.uint16(0),
    build_epoch: mmdb.uint64(m.buildEpoch ?? 1_767_225_600),
    database_type: m.databaseType ?? 'VH-Test',
    description: { en: 'vh-secrets test fixture' },
    ip_version: mmdb.uint16(m.ipVersion),
    languages: ['en'],
    node_count: mmdb.uint32(m.nodeCount),
    record_size: mmdb.uint16(m.recordSize),
  };
}

/** Puts a file together from its parts, for hand-made (often broken) databases: tree, separator, data, metadata. */
export function assembleMmdb(parts: { tree: Buffer; data: Buffer; metadata: { [key: string]: MmdbInput } | Buffer }): Buffer {
  let meta: Buffer;
  if (Buffer.isBuffer(parts.metadata)) {
    meta = parts.metadata;
  } else {
    const w = new DataWriter(false);
    w.write(parts.metadata);
    meta = w.bytes();
  }
  return Buffer.concat([parts.tree, Buffer.alloc(16), parts.data, Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'), meta]);
}

function findNode(root: TreeNode, bits: number[]): TreeNode | undefined {
  let node = root;
  for (const b of bits) {
    const c = node.children[b];
    if (c.kind !== 'node') return undefined;
    node = c.node;
  }
  return node;
}

function writeNode(buf: Buffer, at: number, recordSize: 24 | 28 | 32, left: number, right: number): void {
  const max = 2 ** recordSize;
  if (left >= max || right >= max) throw new Error(`record value too large for ${recordSize}-bit records`);
  if (recordSize === 24) {
    buf.writeUIntBE(left, at, 3);
    buf.writeUIntBE(right, at + 3, 3);
  } else if (recordSize === 32) {
    buf.writeUInt32BE(left, at);
    buf.writeUInt32BE(right, at + 4);
  } else {
    buf.writeUIntBE(left & 0xffffff, at, 3);
    buf[at + 3] = ((left >>> 24) << 4) | (right >>> 24);
    buf.writeUIntBE(right & 0xffffff, at + 4, 3);
  }
}

/** The data section encoder. With `dedupe`, a value written before becomes a pointer to its first copy. */
export class DataWriter {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  private readonly seen = new Map<string, number>();

  constructor(private readonly dedupe: boolean) {}

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Writes the value (or a pointer to an earlier copy) and returns the offset it starts at. */
  write(value: MmdbInput): number {
    const earlier = this.dedupe ? this.seen.get(keyOf(value)) : undefined;
    if (earlier !== undefined) return earlier;
    const at = this.length;
    this.emit(value);
    return at;
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  private emit(input: MmdbInput): void {
    const value =
      typeof input === 'number' ? (Number.isInteger(input) && input >= 0 && input < 2 ** 32 ? mmdb.uint32(input) : mmdb.double(input)) : input;
    const key = this.dedupe ? keyOf(value) : '';
    if (this.dedupe) {
      const earlier = this.seen.get(key);
      if (earlier !== undefined) {
        this.push(pointer(earlier));
        return;
      }
      this.seen.set(key, this.length);
    }
    if (typeof value === 'string') {
      const b = Buffer.from(value, 'utf8');
      this.push(Buffer.concat([control(2, b.length), b]));
    } else if (typeof value === 'boolean') {
      this.push(control(14, value ? 1 : 0));
    } else if (value instanceof Uint8Array) {
      this.push(Buffer.concat([control(4, value.length), Buffer.from(value)]));
    } else if (value instanceof TypedScalar) {
      this.push(scalar(value));
    } else if (Array.isArray(value)) {
      this.push(control(11, value.length));
      for (const v of value) this.emit(v);
    } else {
      const entries = Object.entries(value);
      this.push(control(7, entries.length));
      for (const [k, v] of entries) {
        this.emit(k);
        this.emit(v);
      }
    }
  }
}

function keyOf(value: MmdbInput): string {
  if (value instanceof TypedScalar) return `${value.type}:${String(value.value)}`;
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'number') return keyOf(Number.isInteger(value) && value >= 0 && value < 2 ** 32 ? mmdb.uint32(value) : mmdb.double(value));
  if (typeof value !== 'object') return `${typeof value}:${String(value)}`;
  if (Array.isArray(value)) return `[${value.map(keyOf).join(',')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}=${keyOf(v)}`).join(',')}}`;
}

/** Control byte(s) for a type and payload size (extended types take a second byte; big sizes 1–3 more). */
function control(type: number, size: number): Buffer {
  const out: number[] = [];
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 285) {
    sizeBits = 29;
    extra.push(size - 29);
  } else if (size < 65821) {
    sizeBits = 30;
    const s = size - 285;
    extra.push(s >> 8, s & 0xff);
  } else {
    sizeBits = 31;
    const s = size - 65821;
    extra.push((s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff);
  }
  if (type <= 7) out.push((type << 5) | sizeBits);
  else out.push(sizeBits, type - 7);
  return Buffer.from([...out, ...extra]);
}

function pointer(offset: number): Buffer {
  if (offset < 2048) return Buffer.from([0x20 | (offset >> 8), offset & 0xff]);
  if (offset < 526336) {
    const p = offset - 2048;
    return Buffer.from([0x28 | (p >> 16), (p >> 8) & 0xff, p & 0xff]);
  }
  if (offset < 134744064) {
    const p = offset - 526336;
    return Buffer.from([0x30 | (p >> 24), (p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff]);
  }
  const b = Buffer.alloc(5);
  b[0] = 0x38;
  b.writeUInt32BE(offset, 1);
  return b;
}

function scalar(s: TypedScalar): Buffer {
  switch (s.type) {
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(Number(s.value));
      return Buffer.concat([control(3, 8), b]);
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(Number(s.value));
      return Buffer.concat([control(15, 4), b]);
    }
    case 'int32': {
      const v = Number(s.value);
      if (v < 0) {
        const b = Buffer.alloc(4);
        b.writeInt32BE(v);
        return Buffer.concat([control(8, 4), b]);
      }
      const b = minimalBytes(BigInt(v));
      return Buffer.concat([control(8, b.length), b]);
    }
    default: {
      const type = { uint16: 5, uint32: 6, uint64: 9, uint128: 10 }[s.type];
      const b = minimalBytes(BigInt(s.value));
      return Buffer.concat([control(type, b.length), b]);
    }
  }
}

/** Big-endian bytes without leading zeros (zero is no bytes at all). */
function minimalBytes(v: bigint): Buffer {
  const out: number[] = [];
  while (v > 0n) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Buffer.from(out);
}
