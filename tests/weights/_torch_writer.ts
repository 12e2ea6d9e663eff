// Minimal torch.save writers for tests: the legacy stream (Python 2 / 0.1.x or Python 3 flavour)
// and the zip archive, emitting the same pickle opcodes torch does, so readers can be tested on
// VGG19-shaped files, strided and shared storages, and forged pickles, without PyTorch.
import { crc32 } from "../../src/weights/pth_zip.ts";
import type { TensorData } from "../../src/weights/tensor.ts";

/** A storage as torch writes it: key, element type, size and its bytes (little-endian). */
export interface StorageSpec {
  key: string;
  type: "FloatStorage" | "HalfStorage" | "DoubleStorage" | "LongStorage";
  numel: number;
  /** The raw bytes, produced lazily in pieces so huge files need not sit in memory. */
  chunks: () => Iterable<Uint8Array>;
}

/** A tensor entry of the state dict: a strided view of a storage. */
export interface TensorSpec {
  name: string;
  storage: StorageSpec;
  shape: number[];
  stride: number[];
  offset: number;
  /** Legacy only: the persistent id's view field `(viewKey, offset, numel)` into the root. */
  view?: { offset: number; numel: number };
}

/** One contiguous F32 storage per tensor, keys "0", "1", … in map order. */
export function contiguousSpecs(tensors: Map<string, TensorData>): TensorSpec[] {
  return [...tensors].map(([name, t], i) => ({
    name,
    storage: f32Storage(String(i), t.data),
    shape: t.shape,
    stride: rowMajorStride(t.shape),
    offset: 0,
  }));
}

/** A FloatStorage holding `data`. */
export function f32Storage(key: string, data: Float32Array): StorageSpec {
  return {
    key,
    type: "FloatStorage",
    numel: data.length,
    chunks: () => [new Uint8Array(data.buffer, data.byteOffset, data.byteLength)],
  };
}

/** Row-major strides of `shape`. */
export function rowMajorStride(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Options for the pickle flavour. */
export interface PickleFlavour {
  /** Python 2 / PyTorch 0.1.x: byte strings and `_rebuild_tensor`; else Python 3 and `_rebuild_tensor_v2`. */
  py2?: boolean;
}

/** Protocol-2 pickle opcodes, as the writer needs them. */
export class PickleWriter {
  #parts: number[] = [];
  readonly py2: boolean;
  constructor(py2 = false) {
    this.py2 = py2;
  }
  op(...bytes: number[]): this {
    this.#parts.push(...bytes);
    return this;
  }
  proto(): this {
    return this.op(0x80, 2);
  }
  stop(): this {
    return this.op(0x2e);
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  none(): this {
    return this.op(0x4e);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    if (this.py2) {
      return b.length < 256
        ? this.op(0x55, b.length, ...b)
        : this.op(0x54, ..._u32(b.length), ...b);
    }
    return this.op(0x58, ..._u32(b.length), ...b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.op(0x4a, ..._u32(n >>> 0));
    // LONG1 with 8 bytes, as pickle writes ints past 32 bits.
    const v = new DataView(new ArrayBuffer(8));
    v.setBigInt64(0, BigInt(n), true);
    return this.op(0x8a, 8, ...new Uint8Array(v.buffer));
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  ints(xs: number[]): this {
    this.mark();
    for (const x of xs) this.int(x);
    return this.tuple();
  }
  emptyOrderedDict(): this {
    return this.global("collections", "OrderedDict").op(0x29, 0x52);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.#parts);
  }
}

/** The state-dict pickle torch writes, with 6-field (legacy) or 5-field (zip) storage ids. */
export function stateDictPickle(
  specs: TensorSpec[],
  legacy: boolean,
  flavour: PickleFlavour = {},
): Uint8Array {
  const w = new PickleWriter(flavour.py2).proto().emptyOrderedDict().mark();
  for (const t of specs) {
    w.str(t.name);
    w.global("torch._utils", flavour.py2 ? "_rebuild_tensor" : "_rebuild_tensor_v2").mark();
    w.mark().str("storage").global("torch", t.storage.type).str(t.storage.key).str("cpu").int(
      t.storage.numel,
    );
    if (legacy) {
      if (t.view) w.mark().str(`${t.storage.key}v`).int(t.view.offset).int(t.view.numel).tuple();
      else w.none();
    }
    w.tuple().op(0x51); // BINPERSID
    w.int(t.offset).ints(t.shape).ints(t.stride);
    if (!flavour.py2) w.op(0x89).emptyOrderedDict(); // requires_grad False, no hooks
    w.tuple().op(0x52); // REDUCE
  }
  return w.op(0x75).stop().bytes(); // SETITEMS
}

/** The chunks of a legacy torch.save stream: five pickles, then each storage with its count. */
export function* legacyPthChunks(
  specs: TensorSpec[],
  flavour: PickleFlavour = {},
  statePickle?: Uint8Array,
): Generator<Uint8Array> {
  const w = (): PickleWriter => new PickleWriter(flavour.py2).proto();
  yield w().op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop().bytes();
  yield w().int(1001).stop().bytes();
  yield w().op(0x7d).mark().str("protocol_version").int(1001).str("little_endian").op(0x88)
    .str("type_sizes").op(0x7d).mark().str("short").int(2).str("int").int(4).str("long").int(
      flavour.py2 ? 8 : 4,
    ).op(0x75, 0x75).stop().bytes();
  yield statePickle ?? stateDictPickle(specs, true, flavour);
  const storages = _uniqueStorages(specs).sort((
    a,
    b,
  ) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const keys = w().op(0x5d).mark();
  for (const s of storages) keys.str(s.key);
  yield keys.op(0x65).stop().bytes();
  for (const s of storages) {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigUint64(0, BigInt(s.numel), true);
    yield count;
    yield* s.chunks();
  }
}

/** A whole legacy stream in memory. */
export function legacyPth(
  specs: TensorSpec[],
  flavour: PickleFlavour = {},
  statePickle?: Uint8Array,
): Uint8Array {
  return _concat([...legacyPthChunks(specs, flavour, statePickle)]);
}

/** A torch.save zip archive (stored members, as torch writes them). */
export function zipPth(specs: TensorSpec[], statePickle?: Uint8Array): Uint8Array {
  const members: ZipMember[] = [
    { name: "archive/data.pkl", data: statePickle ?? stateDictPickle(specs, false) },
    { name: "archive/byteorder", data: new TextEncoder().encode("little") },
  ];
  for (const s of _uniqueStorages(specs)) {
    members.push({ name: `archive/data/${s.key}`, data: _concat([...s.chunks()]) });
  }
  members.push({ name: "archive/version", data: new TextEncoder().encode("3\n") });
  return zipArchive(members);
}

/** One zip member: its bytes, and optionally what is stored in their place. */
export interface ZipMember {
  name: string;
  /** The member's content (its CRC-32 and, unless `size` is given, its declared size). */
  data: Uint8Array;
  /** Raw-deflate bytes stored instead of `data` (method 8). */
  deflated?: Uint8Array;
  /** A declared uncompressed size other than `data.length`, to forge bombs. */
  size?: number;
  /** An extra field for the member's central directory record. */
  extra?: Uint8Array;
}

/** A zip archive of `members`, with local headers, a central directory and an end record. */
export function zipArchive(members: ZipMember[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const n = new TextEncoder().encode(m.name);
    const crc = crc32(m.data);
    const stored = m.deflated ?? m.data;
    const size = m.size ?? m.data.length;
    const method = m.deflated ? 8 : 0;
    const local = new Uint8Array(30 + n.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, stored.length, true);
    lv.setUint32(22, size, true);
    lv.setUint16(26, n.length, true);
    local.set(n, 30);
    const extra = m.extra ?? new Uint8Array(0);
    const c = new Uint8Array(46 + n.length + extra.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, stored.length, true);
    cv.setUint32(24, size, true);
    cv.setUint16(28, n.length, true);
    cv.setUint16(30, extra.length, true);
    cv.setUint32(42, offset, true);
    c.set(n, 46);
    c.set(extra, 46 + n.length);
    central.push(c);
    parts.push(local, stored);
    offset += local.length + stored.length;
  }
  const cd = _concat(central);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cd.length, true);
  ev.setUint32(16, offset, true);
  return _concat([...parts, cd, end]);
}

function _uniqueStorages(specs: TensorSpec[]): StorageSpec[] {
  const seen = new Map<string, StorageSpec>();
  for (const t of specs) seen.set(t.storage.key, t.storage);
  return [...seen.values()];
}

function _u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function _concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
