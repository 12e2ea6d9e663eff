import source from "../../kernels/conv_weights.wgsl" with { type: "text" };
import type { Precision } from "../gpu/context.ts";
import { grid, pack } from "../gpu/params.ts";
import type { Binding, Program } from "../gpu/program.ts";
import { type WeightLayout, WINOGRAD_ROW_ALIGN, winogradWeightCount } from "./winograd.ts";

/** The direct kernel's weight layouts: forward, or the input gradient's. */
export type DirectLayout = "direct" | "direct transposed";

/**
 * Weights as the direct kernel's [9][rows][cols4·4] matrix, cols zero-padded
 * to a multiple of 4 so the kernel reads whole vec4s. Forward: rows = cin,
 * cols = cout. Transposed (the input gradient): rows = cout, cols = cin and
 * tap (ky, kx) takes the torch weight at (2 − ky, 2 − kx), because
 * gradIn[ci, y, x] = Σ w[co, ci, ky, kx] · gradOut[co, y − ky + 1, x − kx + 1].
 */
export function directWeights(
  weight: Float32Array,
  cin: number,
  cout: number,
  layout: DirectLayout,
): Float32Array {
  const transposed = layout === "direct transposed";
  const { rows, stride } = _directShape(cin, cout, transposed);
  const out = new Float32Array(9 * rows * stride);
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      const row = transposed ? co : ci;
      const col = transposed ? ci : co;
      for (let tap = 0; tap < 9; tap++) {
        const from = (co * cin + ci) * 9 + (transposed ? 8 - tap : tap);
        out[(tap * rows + row) * stride + col] = weight[from];
      }
    }
  }
  return out;
}

function _directShape(cin: number, cout: number, transposed: boolean) {
  const rows = transposed ? cout : cin;
  const stride = Math.ceil((transposed ? cin : cout) / 4) * 4;
  return { rows, stride };
}

/** Bytes a layout of a cin → cout layer's weights takes (f16 halves the Winograd layouts). */
export function convWeightBytes(
  cin: number,
  cout: number,
  layout: WeightLayout | DirectLayout,
  precision: Precision,
): number {
  if (layout === "direct" || layout === "direct transposed") {
    const { rows, stride } = _directShape(cin, cout, layout === "direct transposed");
    return 9 * rows * stride * 4;
  }
  return winogradWeightCount(cin, cout, layout) * (precision === "f16" ? 2 : 4);
}

/** Expansion kernels by element type. */
const _sources = new Map<Precision, string>();

/**
 * Records the expansion of `weight` (torch's [cout, cin, 3, 3], f32 on the
 * GPU) into `out` in `layout`, the same values as `winogradWeights`
 * (there rounded once from f64; here summed in f32) or
 * `directWeights`, zero padding included. Winograd layouts are stored
 * in `precision`, the direct ones always in f32.
 */
export function recordConvWeights(
  prog: Program,
  weight: GPUBuffer,
  out: Binding,
  cin: number,
  cout: number,
  layout: WeightLayout | DirectLayout,
  precision: Precision,
): void {
  const direct = layout === "direct" || layout === "direct transposed";
  const transposed = layout === "slabs transposed" || layout === "direct transposed";
  const type = direct ? "f32" : precision;
  let code = _sources.get(type);
  if (code === undefined) {
    code = (type === "f16" ? "enable f16;\nalias W = f16;\n" : "alias W = f32;\n") + source;
    _sources.set(type, code);
  }
  let rows: number, depth: number;
  if (direct) {
    const shape = _directShape(cin, cout, transposed);
    rows = shape.rows;
    depth = shape.stride;
  } else {
    const align = (c: number) => Math.ceil(c / WINOGRAD_ROW_ALIGN) * WINOGRAD_ROW_ALIGN;
    rows = align(transposed ? cin : cout);
    depth = Math.ceil((transposed ? cout : cin) / 4) * 4;
  }
  prog.dispatch(
    prog.ctx.pipeline(code, direct ? "direct" : "main"),
    [weight, out],
    grid(Math.ceil((rows * depth) / 64)),
    pack(cin, cout, rows, depth, transposed ? 1 : 0),
  );
}
