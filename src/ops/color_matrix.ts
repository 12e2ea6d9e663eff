import source from "../../kernels/color_matrix.wgsl" with { type: "text" };
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** A linear map of a pixel's channels: `matrix[o][k]` (cout rows of cin) and `shift[o]`. */
export interface ColorMap {
  matrix: readonly (readonly number[])[];
  /** Added to each output channel. Default zeros. */
  shift?: readonly number[];
}

/** Luma weights of ITU-R BT.601 (the Y of YIQ and YCbCr), as the spectrum term's gray. */
export const LUMA: readonly number[] = [0.299, 0.587, 0.114];

/** RGB → YIQ (NTSC, FCC 1953 coefficients): Y luma, I and Q chroma. */
export const RGB_TO_YIQ: readonly (readonly number[])[] = [
  LUMA,
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
];

/** YIQ → RGB: the exact inverse of {@link RGB_TO_YIQ}, in float64. */
export const YIQ_TO_RGB: readonly (readonly number[])[] = _inverse3(RGB_TO_YIQ);

function _inverse3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

/** The transpose of a map's matrix, without shift: the backward of `out = M·in + shift`. */
export function transposed(map: ColorMap): ColorMap {
  const cout = map.matrix.length;
  const cin = map.matrix[0].length;
  return {
    matrix: Array.from(
      { length: cin },
      (_, k) => Array.from({ length: cout }, (_, o) => map.matrix[o][k]),
    ),
  };
}

/** `second ∘ first`: the map that applies `first`, then `second`. */
export function composed(first: ColorMap, second: ColorMap): ColorMap {
  const cin = first.matrix[0].length;
  const mid = first.matrix.length;
  if (second.matrix[0].length !== mid) {
    throw new RangeError(
      `cannot compose a ${mid}-channel output with a ${second.matrix[0].length}-channel input`,
    );
  }
  return {
    matrix: second.matrix.map((row) =>
      Array.from({ length: cin }, (_, k) => row.reduce((s, v, j) => s + v * first.matrix[j][k], 0))
    ),
    shift: second.matrix.map((row, o) =>
      row.reduce((s, v, j) => s + v * (first.shift?.[j] ?? 0), second.shift?.[o] ?? 0)
    ),
  };
}

/**
 * Records `output[o, i] = Σ_k matrix[o][k] · input[k, i] + shift[o]` over
 * planar tensors of `pixels` pixels, 1 to 4 channels in and out (the map's
 * shape says how many). The coefficients are uploaded once, while
 * recording; each output is one fused multiply-add chain in channel order,
 * so repeated runs are bit-identical. Its backward is {@link transposed}.
 */
export function colorMatrix(
  prog: Program,
  input: GPUBuffer,
  output: GPUBuffer,
  pixels: number,
  map: ColorMap,
): void {
  const cout = map.matrix.length;
  const cin = map.matrix[0]?.length ?? 0;
  if (cout < 1 || cout > 4 || cin < 1 || cin > 4 || map.matrix.some((r) => r.length !== cin)) {
    throw new RangeError(`colorMatrix: a ${cout}×${cin} matrix; 1 to 4 channels in and out`);
  }
  if ((map.shift ?? []).length > 0 && map.shift!.length !== cout) {
    throw new RangeError(`colorMatrix: ${map.shift!.length} shifts for ${cout} outputs`);
  }
  if (input === output) throw new RangeError("colorMatrix: input and output must differ");
  for (const [what, b, c] of [["input", input, cin], ["output", output, cout]] as const) {
    if (b.size < c * pixels * 4) {
      throw new RangeError(`colorMatrix: ${what} buffer smaller than ${c}×${pixels} floats`);
    }
  }
  const coeffs = new Float32Array(cout * (cin + 1));
  for (let o = 0; o < cout; o++) {
    for (let k = 0; k < cin; k++) coeffs[o * (cin + 1) + k] = map.matrix[o][k];
    coeffs[o * (cin + 1) + cin] = map.shift?.[o] ?? 0;
  }
  prog.dispatch(
    prog.ctx.pipeline(source),
    [input, output, prog.upload("color matrix coefficients", coeffs)],
    grid(Math.ceil(pixels / 256)),
    pack(pixels, cin, cout),
  );
}
