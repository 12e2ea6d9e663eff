import source from "../../kernels/channel_affine.wgsl" with { type: "text" };
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/**
 * Records output[c, i] = scale[c] · input[c, i] + shift[c] over a planar
 * [channels, pixels] tensor. ImageNet normalization is scale = 1/std,
 * shift = −mean/std; its backward is scale = 1/std, shift = 0. The
 * coefficients are uploaded once, while recording.
 */
export function channelAffine(
  prog: Program,
  input: GPUBuffer,
  output: GPUBuffer,
  channels: number,
  pixels: number,
  scale: number[],
  shift: number[],
): void {
  if (scale.length !== channels || shift.length !== channels) {
    throw new RangeError(
      `channelAffine: ${scale.length} scales and ${shift.length} shifts for ${channels} channels`,
    );
  }
  if (input === output) throw new RangeError("channelAffine: input and output must differ");
  const coeffs = new Float32Array(2 * channels);
  for (let c = 0; c < channels; c++) {
    coeffs[2 * c] = scale[c];
    coeffs[2 * c + 1] = shift[c];
  }
  const n = channels * pixels;
  prog.dispatch(
    prog.ctx.pipeline(source),
    [input, output, prog.upload("channel affine coefficients", coeffs)],
    grid(Math.ceil(n / 256)),
    pack(pixels, n),
  );
}
