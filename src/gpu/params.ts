/** A number to be packed as `f32` in a uniform block (plain numbers pack as `u32`). */
export interface F32 {
  readonly f32: number;
}

/** Marks a uniform field as `f32`. */
export function f32(value: number): F32 {
  return { f32: value };
}

/**
 * Packs uniform fields in declaration order, 4 bytes each: plain numbers as
 * `u32` (negative ones as `i32`), `f32(x)` as `f32`. The result is padded to
 * the 16-byte multiple WebGPU requires of a uniform buffer.
 */
export function pack(...fields: (number | F32)[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const buffer = new ArrayBuffer(bytes);
  const view = new DataView(buffer);
  fields.forEach((field, i) => {
    if (typeof field === "number") {
      if (!Number.isInteger(field)) {
        throw new Error(`uniform field ${i} is not an integer: ${field}`);
      }
      if (field < 0) view.setInt32(i * 4, field, true);
      else view.setUint32(i * 4, field, true);
    } else {
      view.setFloat32(i * 4, field.f32, true);
    }
  });
  return buffer;
}

/** Largest workgroup count WebGPU guarantees in one grid dimension. */
export const MAX_GROUPS_PER_DIM = 65535;

/**
 * A dispatch grid of at least `count` workgroups, folded into y when x would
 * pass WebGPU's 65535 limit. Kernels recover the linear workgroup index as
 * `wid.x + wid.y * nwg.x` (`@builtin(num_workgroups) nwg`) and must bound-check.
 */
export function grid(count: number): [number, number, number] {
  if (count <= MAX_GROUPS_PER_DIM) return [Math.max(1, count), 1, 1];
  const y = Math.ceil(count / MAX_GROUPS_PER_DIM);
  return [Math.ceil(count / y), y, 1];
}
