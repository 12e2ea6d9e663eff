import source from "../../kernels/window_copy.wgsl" with { type: "text" };
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** A planar [channels, height, width] tensor and a pixel of it where a rectangle starts. */
export interface PlaneAt {
  buffer: GPUBuffer;
  height: number;
  width: number;
  /** Row of the rectangle's first pixel; may lie outside, as coordinates wrap. */
  y: number;
  /** Column of the rectangle's first pixel; may lie outside, as coordinates wrap. */
  x: number;
}

/**
 * Records a copy of an `extent`-sized rectangle of `src` onto `dst`, both
 * addressed periodically (coordinates wrap around each tensor), written over
 * `dst` or, with `accumulate`, added to it. Where the rectangle is larger
 * than `dst`, the source pixels that wrap onto one destination pixel are
 * summed: this is how the gradient of a crop taken with wrapped margins
 * flows back into a periodic image. Pixels of `dst` outside the rectangle
 * are left as they are.
 */
export function copyWindow(
  prog: Program,
  channels: number,
  src: PlaneAt,
  dst: PlaneAt,
  extent: { height: number; width: number },
  accumulate: boolean,
): void {
  if (src.buffer === dst.buffer) throw new RangeError("copyWindow: source and destination differ");
  for (const [what, t] of [["source", src], ["destination", dst]] as const) {
    if (t.buffer.size < channels * t.height * t.width * 4) {
      throw new RangeError(
        `copyWindow: ${what} buffer smaller than ${channels}×${t.height}×${t.width}`,
      );
    }
  }
  const covered = channels * Math.min(extent.height, dst.height) *
    Math.min(extent.width, dst.width);
  prog.dispatch(
    prog.ctx.pipeline(source),
    [src.buffer, dst.buffer],
    grid(Math.ceil(covered / 256)),
    pack(
      channels,
      src.height,
      src.width,
      src.y,
      src.x,
      dst.height,
      dst.width,
      dst.y,
      dst.x,
      extent.height,
      extent.width,
      accumulate ? 1 : 0,
    ),
  );
}
