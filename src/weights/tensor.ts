import { TexSynthError } from "../errors.ts";
import { printable } from "./describe.ts";

/** One named tensor as the weight readers return it: row-major f32 data of `shape`. */
export interface TensorData {
  /** Dimensions, outermost first (e.g. `[cout, cin, 3, 3]`). */
  shape: number[];
  /** Row-major values, length = product of `shape`. */
  data: Float32Array;
}

/** Element types the readers convert to f32; every other dtype is refused. */
export type FloatDtype = "F32" | "F16" | "BF16" | "F64";

/** Bytes per element of each {@link FloatDtype}. */
export const DTYPE_BYTES: Readonly<Record<FloatDtype, number>> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
};

/** Number of elements of `shape`; a TexSynthError naming `what` for a non-integer or negative dim. */
export function elementCount(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new TexSynthError(
        `${printable(what)}: bad shape [${
          printable(shape.join(", "))
        }] (the file is corrupt: re-download it)`,
      );
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) {
    throw new TexSynthError(
      `${printable(what)}: shape [${
        shape.join(", ")
      }] is too large (the file is corrupt: re-download it)`,
    );
  }
  return n;
}

const _littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes `count` little-endian elements of `dtype` from `bytes` into a new
 * f32 array. Half and bfloat16 widen exactly, since every such value is an
 * f32; doubles round to nearest.
 */
export function decodeFloats(dtype: FloatDtype, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === "F32") {
    if (_littleEndian) {
      new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, count * 4);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    }
    return out;
  }
  if (dtype === "F64") {
    const view = new DataView(bytes.buffer, bytes.byteOffset, count * 8);
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
  if (dtype === "BF16") {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = _halfToFloat(view.getUint16(i * 2, true));
  return out;
}

function _halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
