import forwardSource from "../../kernels/avgpool2x2_forward.wgsl" with { type: "text" };
import backwardSource from "../../kernels/avgpool2x2_backward.wgsl" with { type: "text" };
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/**
 * Records torch's AvgPool2d(2, 2): input [C, H, W] → output
 * [C, ⌊H/2⌋, ⌊W/2⌋], an odd last row or column dropped. VGG19's max pools
 * are replaced by this, as Gatys et al. do.
 */
export function avgPool2x2Forward(
  prog: Program,
  input: GPUBuffer,
  output: GPUBuffer,
  channels: number,
  height: number,
  width: number,
): void {
  const oh = Math.floor(height / 2);
  const ow = Math.floor(width / 2);
  prog.dispatch(
    prog.ctx.pipeline(forwardSource),
    [input, output],
    grid(Math.ceil((channels * oh * ow) / 256)),
    pack(channels, height, width, oh, ow),
  );
}

/**
 * Records the pool's input gradient: gradIn [C, H, W] (H, W the forward's
 * input size) gets gradOut/4 spread over each 2×2 window and 0 on a dropped
 * row or column. Overwrites gradIn.
 */
export function avgPool2x2Backward(
  prog: Program,
  gradOut: GPUBuffer,
  gradIn: GPUBuffer,
  channels: number,
  height: number,
  width: number,
): void {
  prog.dispatch(
    prog.ctx.pipeline(backwardSource),
    [gradOut, gradIn],
    grid(Math.ceil((channels * height * width) / 256)),
    pack(channels, height, width, Math.floor(height / 2), Math.floor(width / 2)),
  );
}
