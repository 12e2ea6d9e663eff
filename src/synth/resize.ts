import type { GpuContext } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import { type ResampleFilter, Resampler } from "../ops/resample.ts";
import type { GpuImage } from "./spectrum_target.ts";

/** Runs one resampling at once and frees the resampler. */
export function runResample(
  ctx: GpuContext,
  resampler: Resampler,
  input: GPUBuffer,
  output: GPUBuffer,
): void {
  const prog = new Program(ctx);
  resampler.record(prog, input, output);
  prog.run();
  prog.destroy();
  resampler.destroy();
}

/** How a start image was fitted to the output: {@link startImageFit}. */
export interface StartImageFit {
  /** The size the image came in. */
  from: { width: number; height: number };
  /** The size it has now: the output's. */
  to: { width: number; height: number };
  /**
   * The filter it was resized with, as exemplars are (Lanczos-3 widened by
   * the scale when shrinking, bicubic when enlarging), or null when it
   * already had the output's size.
   */
  filter: ResampleFilter | null;
}

/** How an image of `from`'s size is fitted to an output of `to`'s: the exemplars' filter, or none. */
export function startImageFit(
  from: { width: number; height: number },
  to: { width: number; height: number },
): StartImageFit {
  const same = from.width === to.width && from.height === to.height;
  return {
    from: { width: from.width, height: from.height },
    to: { width: to.width, height: to.height },
    filter: same ? null : resizeFilter(from.height, from.width, to.height, to.width),
  };
}

/** The exemplars' filter for a resize: Lanczos-3 (widened) when either side shrinks, else bicubic. */
export function resizeFilter(
  height: number,
  width: number,
  toHeight: number,
  toWidth: number,
): ResampleFilter {
  return toHeight < height || toWidth < width ? "lanczos3" : "bicubic";
}

/** An exemplar resampled to `height`×`width`: Lanczos-3 widened by the scale when shrinking, bicubic when enlarging. */
export function resampled(
  ctx: GpuContext,
  e: GpuImage,
  height: number,
  width: number,
): GpuImage {
  const h = Math.max(1, height);
  const w = Math.max(1, width);
  const buffer = ctx.createBuffer("exemplar", 3 * h * w * 4);
  const filter = resizeFilter(e.height, e.width, h, w);
  runResample(ctx, new Resampler(ctx, 3, e.height, e.width, h, w, filter), e.buffer, buffer);
  return { buffer, height: h, width: w };
}
