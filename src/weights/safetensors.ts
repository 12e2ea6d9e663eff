import { TexSynthError } from "../errors.ts";
import type { ByteSource } from "./byte_source.ts";
import { brief, printable } from "./describe.ts";
import {
  decodeFloats,
  DTYPE_BYTES,
  elementCount,
  type FloatDtype,
  type TensorData,
} from "./tensor.ts";

/** Refuse headers past this size: the format's own reference reader caps them at 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;

/** Where one tensor of a safetensors file lies, in absolute file offsets. */
export interface SafetensorsEntry {
  /** The tensor's key, e.g. `features.0.weight`. */
  name: string;
  /** Stored element type. */
  dtype: FloatDtype;
  /** Dimensions, outermost first. */
  shape: number[];
  /** First byte of the data in the file. */
  begin: number;
  /** One past the last byte. */
  end: number;
}

/** A validated safetensors header: every entry checked against the file size. */
export interface SafetensorsHeader {
  /** The tensors in file order. */
  entries: SafetensorsEntry[];
  /** The optional `__metadata__` string map. */
  metadata: Record<string, string>;
}

/**
 * Reads and validates the header of a safetensors file: an 8-byte
 * little-endian length, that many bytes of JSON, then the data. Every entry
 * must have a known dtype, a shape whose size matches its byte range, and
 * ranges that stay inside the file, do not overlap and leave no holes (as the
 * format requires). `what` names the file in errors.
 */
export async function readSafetensorsHeader(
  source: ByteSource,
  what = "safetensors file",
): Promise<SafetensorsHeader> {
  const bad = _bad(what);
  if (source.size < 8) throw bad(`only ${source.size} bytes long`);
  const headerLength = _headerLength(await source.read(0, 8), source.size, bad);
  return _parseHeader(await source.read(8, headerLength), source.size, bad);
}

/**
 * Reads the tensors of a safetensors file as f32, keeping only those `keep`
 * accepts, one read per tensor, so a large file never sits in memory whole.
 */
export async function readSafetensors(
  source: ByteSource,
  keep: (name: string) => boolean = () => true,
  what = "safetensors file",
): Promise<Map<string, TensorData>> {
  const { entries } = await readSafetensorsHeader(source, what);
  const out = new Map<string, TensorData>();
  for (const entry of entries) {
    if (!keep(entry.name)) continue;
    const count = elementCount(entry.shape, entry.name);
    const bytes = await source.read(entry.begin, entry.end - entry.begin);
    out.set(entry.name, { shape: entry.shape, data: decodeFloats(entry.dtype, bytes, count) });
  }
  return out;
}

/**
 * Parses a whole safetensors file held in memory (F32, F16, BF16 and F64 tensors,
 * all returned as f32). Strict: any inconsistency is a one-line TexSynthError.
 */
export function parseSafetensors(bytes: Uint8Array): Map<string, TensorData> {
  const bad = _bad("safetensors data");
  if (bytes.length < 8) throw bad(`only ${bytes.length} bytes long`);
  const headerLength = _headerLength(bytes.subarray(0, 8), bytes.length, bad);
  const { entries } = _parseHeader(bytes.subarray(8, 8 + headerLength), bytes.length, bad);
  const out = new Map<string, TensorData>();
  for (const e of entries) {
    const count = elementCount(e.shape, e.name);
    out.set(e.name, {
      shape: e.shape,
      data: decodeFloats(e.dtype, bytes.subarray(e.begin, e.end), count),
    });
  }
  return out;
}

/**
 * Encodes tensors as an F32 safetensors file in map order. The JSON header is
 * padded with spaces to a multiple of 8 bytes so the data starts aligned, as
 * the reference writer does.
 */
export function encodeSafetensors(
  tensors: Map<string, TensorData>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header = safetensorsHeader(tensors, metadata);
  let size = header.length;
  for (const t of tensors.values()) size += t.data.length * 4;
  const out = new Uint8Array(size);
  out.set(header);
  let at = header.length;
  for (const t of tensors.values()) {
    out.set(f32Bytes(t.data), at);
    at += t.data.length * 4;
  }
  return out;
}

/**
 * The first part of an F32 safetensors file for `tensors` (length prefix and
 * padded JSON header), so a writer can stream the data after it with
 * {@link f32Bytes}, tensor by tensor in map order, without building the file
 * in memory. Checks each shape against its data length.
 */
export function safetensorsHeader(
  tensors: Map<string, TensorData>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = elementCount(t.shape, name);
    if (count !== t.data.length) {
      throw new TexSynthError(
        `cannot encode ${name}: shape [${
          t.shape.join(", ")
        }] holds ${count} values, data has ${t.data.length}`,
      );
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  out.set(json, 8);
  return out;
}

/** The little-endian bytes of `data` (a view on little-endian hosts, else a copy). */
export function f32Bytes(data: Float32Array): Uint8Array {
  if (_littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

const _littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function _metadata(
  raw: unknown,
  bad: _Bad,
): Record<string, string> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw bad("__metadata__ is not an object");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string") throw bad(`__metadata__.${printable(k)} is not a string`);
    out[k] = v;
  }
  return out;
}

function _checkCoverage(
  entries: SafetensorsEntry[],
  dataStart: number,
  fileSize: number,
  bad: _Bad,
): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = dataStart;
  for (const e of sorted) {
    if (e.begin < at) throw bad(`${printable(e.name)} overlaps the tensor before it`);
    if (e.begin > at) {
      throw bad(`${e.begin - at} data bytes before ${printable(e.name)} belong to no tensor`);
    }
    at = e.end;
  }
  if (at !== fileSize) {
    throw bad(`${fileSize - at} bytes after the last tensor belong to no tensor`);
  }
}

type _Bad = (why: string) => TexSynthError;

function _bad(what: string): _Bad {
  return (why) =>
    new TexSynthError(
      `${what} is not a valid safetensors file: ${why} (re-create or re-download it)`,
    );
}

function _headerLength(first8: Uint8Array, fileSize: number, bad: _Bad): number {
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const length = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (length > fileSize - 8) {
    throw bad(`header length ${length} passes the end of the ${fileSize}-byte file`);
  }
  if (length > MAX_HEADER_BYTES) throw bad(`header length ${length} is too large`);
  return length;
}

function _parseHeader(headerBytes: Uint8Array, fileSize: number, bad: _Bad): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch {
    throw bad("header is not UTF-8 JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw bad("header is not a JSON object");
  }
  const dataStart = 8 + headerBytes.length;
  const dataLength = fileSize - dataStart;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = _metadata(raw, bad);
      continue;
    }
    const label = printable(name);
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw bad(`entry ${label} is not an object`);
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info.dtype;
    if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      throw bad(
        `${label} has unsupported dtype ${brief(dtype)} (F32, F16, BF16 or F64 expected)`,
      );
    }
    if (!Array.isArray(info.shape)) throw bad(`${label} has no shape`);
    const shape = info.shape as number[];
    const count = _count(shape, label, bad);
    const offsets = info.data_offsets;
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      throw bad(`${label} has bad data_offsets ${brief(offsets)}`);
    }
    const [b, e] = offsets as number[];
    if (b > e || e > dataLength) {
      throw bad(`${label} data_offsets [${b}, ${e}] fall outside the ${dataLength} data bytes`);
    }
    const want = count * DTYPE_BYTES[dtype as FloatDtype];
    if (e - b !== want) {
      throw bad(
        `${label} is ${e - b} bytes but shape [${shape.join(", ")}] × ${dtype} needs ${want}`,
      );
    }
    entries.push({
      name,
      dtype: dtype as FloatDtype,
      shape: [...shape],
      begin: dataStart + b,
      end: dataStart + e,
    });
  }
  _checkCoverage(entries, dataStart, fileSize, bad);
  return { entries, metadata };
}

function _count(shape: unknown[], label: string, bad: _Bad): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw bad(`${label} has bad shape ${brief(shape)}`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw bad(`${label} shape ${brief(shape)} is too large`);
  return n;
}
