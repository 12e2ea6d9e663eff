import { TexSynthError } from "../errors.ts";
import { type ByteSource, inRange } from "./byte_source.ts";
import { printable } from "./describe.ts";
import {
  MAX_PICKLE_BYTES,
  readTensor,
  stateDictTensors,
  type StorageRef,
  unpickleTorch,
} from "./pickle.ts";
import type { TensorData } from "./tensor.ts";

/** One member of a zip archive, located from the central directory. */
export interface ZipEntry {
  /** Path inside the archive. */
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  /** Bytes as stored. */
  compressedSize: number;
  /** Bytes after decompression. */
  size: number;
  /** CRC-32 of the uncompressed bytes. */
  crc32: number;
  /** Offset of the member's local header. */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** A central directory past this is not a checkpoint's (torch's VGG19 has about 40 members). */
const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;
/** Deflate cannot expand data more than about 1032 times: a larger claim is a lie. */
const MAX_DEFLATE_RATIO = 1032;
/** Inflate in slices this large, so one step never produces more than ~4 MB at once. */
const INFLATE_SLICE = 4096;

/**
 * Lists a zip archive's members from its central directory (zip64 included),
 * reading only the archive's tail. `what` names the file in errors.
 */
export async function readZipDirectory(source: ByteSource, what: string): Promise<ZipEntry[]> {
  const bad = (why: string): TexSynthError =>
    new TexSynthError(`${what} is not a readable zip archive: ${why}; re-download or re-save it`);
  const tailLength = Math.min(source.size, 22 + 65535);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad("no end-of-central-directory record (truncated?)");
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (eocd < 20 || tv.getUint32(eocd - 20, true) !== EOCD64_LOCATOR) {
      throw bad("zip64 locator missing");
    }
    const at = _u64(tv, eocd - 12);
    if (!inRange(at, 56, source.size)) throw bad("zip64 end record passes the end of the file");
    const rec = await source.read(at, 56);
    const rv = new DataView(rec.buffer, rec.byteOffset, 56);
    if (rv.getUint32(0, true) !== EOCD64) throw bad("zip64 end record missing");
    count = _u64(rv, 32);
    cdSize = _u64(rv, 40);
    cdOffset = _u64(rv, 48);
  }
  if (!inRange(cdOffset, cdSize, source.size)) {
    throw bad("central directory passes the end of the file (truncated?)");
  }
  if (cdSize > MAX_DIRECTORY_BYTES) throw bad(`central directory of ${cdSize} bytes`);
  const cd = await source.read(cdOffset, cdSize);
  const v = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== CENTRAL) {
      throw bad("corrupt central directory");
    }
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    if (p + 46 + nameLength + extraLength + commentLength > cd.length) {
      throw bad("corrupt central directory");
    }
    const entry: ZipEntry = {
      name: new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLength)),
      method: v.getUint16(p + 10, true),
      crc32: v.getUint32(p + 16, true),
      compressedSize: v.getUint32(p + 20, true),
      size: v.getUint32(p + 24, true),
      headerOffset: v.getUint32(p + 42, true),
    };
    if (!_zip64Extra(v, p + 46 + nameLength, extraLength, entry)) {
      throw bad(`member ${printable(entry.name)} has a corrupt zip64 extra field`);
    }
    if (!inRange(entry.headerOffset, 30 + entry.compressedSize, source.size)) {
      throw bad(
        `member ${printable(entry.name)} passes the end of the file (truncated?)`,
      );
    }
    entries.push(entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The bytes of a zip member, or a byte range of it when it is stored
 * uncompressed (torch writes every member stored, so tensors are read in
 * place). Whenever the whole member is read it is checked against its CRC-32.
 */
export async function readZipMember(
  source: ByteSource,
  entry: ZipEntry,
  what: string,
  range?: { offset: number; length: number },
): Promise<Uint8Array> {
  const member = `${what}: zip member ${printable(entry.name)}`;
  const local = await source.read(entry.headerOffset, 30);
  const lv = new DataView(local.buffer, local.byteOffset, 30);
  if (lv.getUint32(0, true) !== LOCAL) {
    throw new TexSynthError(`${member} has no local header (corrupt file: re-download it)`);
  }
  const start = entry.headerOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
  if (!inRange(start, entry.compressedSize, source.size)) {
    throw new TexSynthError(`${member} passes the end of the file (truncated? re-download it)`);
  }
  if (range && !inRange(range.offset, range.length, entry.size)) {
    throw new TexSynthError(
      `${what}: a read passes the end of zip member ${
        printable(entry.name)
      } (corrupt file: re-download it)`,
    );
  }
  let bytes: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) {
      throw new TexSynthError(`${member} has inconsistent sizes (corrupt file: re-download it)`);
    }
    if (range && range.length !== entry.size) {
      return await source.read(start + range.offset, range.length);
    }
    bytes = await source.read(start, entry.size);
  } else if (entry.method === 8) {
    if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw new TexSynthError(
        `${member} claims to inflate ${entry.compressedSize} bytes to ${entry.size}, more than deflate can (corrupt file: re-download it)`,
      );
    }
    bytes = await _inflate(await source.read(start, entry.compressedSize), entry.size, member);
  } else {
    throw new TexSynthError(
      `${member} uses compression method ${entry.method}; re-save it with torch.save`,
    );
  }
  if (crc32(bytes) !== entry.crc32) {
    throw new TexSynthError(`${member} fails its CRC-32 check (corrupt file: re-download it)`);
  }
  return range ? bytes.subarray(range.offset, range.offset + range.length) : bytes;
}

/**
 * Reads the tensors `keep` accepts from a torch.save zip checkpoint
 * (`PREFIX/data.pkl` plus `PREFIX/data/KEY` storages), reading each storage
 * range in place, so only the kept tensors are ever in memory.
 */
export async function readPthZip(
  source: ByteSource,
  keep: (name: string) => boolean,
  what: string,
): Promise<Map<string, TensorData>> {
  const entries = await readZipDirectory(source, what);
  const pkl = entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (!pkl) {
    throw new TexSynthError(`${what} is a zip without data.pkl: not a torch.save checkpoint`);
  }
  const prefix = pkl.name.slice(0, -"data.pkl".length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const order = byName.get(`${prefix}byteorder`);
  if (order) {
    const text = order.size <= 16
      ? new TextDecoder().decode(await readZipMember(source, order, what)).trim()
      : "";
    if (text !== "little") {
      throw new TexSynthError(
        text === "big"
          ? `${what} was saved on a big-endian machine; re-save it on x86 or ARM`
          : `${what} has a corrupt byteorder record (re-download or re-save it)`,
      );
    }
  }
  if (pkl.size > MAX_PICKLE_BYTES) {
    throw new TexSynthError(
      `${what}: its data.pkl of ${pkl.size} bytes is larger than ${MAX_PICKLE_BYTES}; not a weights file (give a VGG19 .pth or .safetensors)`,
    );
  }
  const { value } = unpickleTorch(await readZipMember(source, pkl, what), 0, what);
  const out = new Map<string, TensorData>();
  for (const [name, ref] of stateDictTensors(value, what)) {
    if (!keep(name)) continue;
    const member = _storageMember(byName, prefix, ref.storage, what);
    const tensor = await readTensor(
      ref,
      (_key, offset, length) => readZipMember(source, member, what, { offset, length }),
      name,
      what,
    );
    out.set(name, tensor);
  }
  return out;
}

function _storageMember(
  byName: Map<string, ZipEntry>,
  prefix: string,
  storage: StorageRef,
  what: string,
): ZipEntry {
  const member = byName.get(`${prefix}data/${storage.key}`);
  const key = printable(storage.key);
  if (!member) {
    throw new TexSynthError(
      `${what} lacks storage data/${key} (truncated or corrupt file: re-download it)`,
    );
  }
  if (member.size !== storage.numel * storage.elementBytes) {
    throw new TexSynthError(
      `${what}: storage data/${key} is ${member.size} bytes, its pickle says ${
        storage.numel * storage.elementBytes
      } (corrupt file: re-download it)`,
    );
  }
  return member;
}

let _crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE, as zip uses) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (!_crcTable) {
    _crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      _crcTable[n] = c >>> 0;
    }
  }
  const t = _crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Inflates a raw-deflate member into exactly `size` bytes, feeding the
 * decompressor small slices so a bomb is caught after at most one slice's
 * output past `size`, never after inflating it whole.
 */
async function _inflate(packed: Uint8Array, size: number, member: string): Promise<Uint8Array> {
  let fed = 0;
  const input = new ReadableStream<BufferSource>({
    pull(controller): void {
      if (fed >= packed.length) return controller.close();
      controller.enqueue(packed.slice(fed, fed + INFLATE_SLICE));
      fed += INFLATE_SLICE;
    },
  });
  const reader = input.pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  const out = new Uint8Array(size);
  let at = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.length > size) {
        await reader.cancel().catch(() => {});
        throw new TexSynthError(
          `${member} inflates past its declared ${size} bytes (corrupt file: re-download it)`,
        );
      }
      out.set(value, at);
      at += value.length;
    }
  } catch (e) {
    if (e instanceof TexSynthError) throw e;
    throw new TexSynthError(`${member} does not inflate (corrupt file: re-download it)`);
  }
  if (at !== size) {
    throw new TexSynthError(
      `${member} inflates to ${at} bytes, not ${size} (corrupt file: re-download it)`,
    );
  }
  return out;
}

function _u64(v: DataView, at: number): number {
  return v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;
}

/** Applies a zip64 extra field to `entry`; false when the field runs past its record. */
function _zip64Extra(v: DataView, start: number, length: number, entry: ZipEntry): boolean {
  let p = start;
  while (p + 4 <= start + length) {
    const id = v.getUint16(p, true);
    const end = p + 4 + v.getUint16(p + 2, true);
    if (end > start + length) return false;
    if (id === 0x0001) {
      // The zip64 fields appear in this order, each only when its 32-bit field is saturated.
      let q = p + 4;
      const next = (): number | null => (q + 8 <= end ? _u64(v, (q += 8) - 8) : null);
      for (const field of ["size", "compressedSize", "headerOffset"] as const) {
        if (entry[field] !== 0xffffffff) continue;
        const value = next();
        if (value === null) return false;
        entry[field] = value;
      }
      return true;
    }
    p = end;
  }
  return true;
}
