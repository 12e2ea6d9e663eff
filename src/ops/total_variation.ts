import source from "../../kernels/total_variation.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import { reduceSum, type ReduceTarget } from "./reduce.ts";

/**
 * The squared total variation of a planar [C, H, W] image, a smoothness
 * prior (Mahendran & Vedaldi 2015; the `tv_weight` of neural-style), with
 * its gradient, recorded onto a {@link Program}:
 *
 *   E = weight · Σ_c Σ_(y,x) (v[y, x+1] − v[y, x])² + (v[y+1, x] − v[y, x])²
 *
 * over the differences inside the image (none across its border). The
 * gradient is gathered per pixel from its four neighbours, without atomics;
 * the energy is reduced in a fixed order, so repeated runs are bit-identical.
 */
export class TotalVariation {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly #ctx: GpuContext;
  readonly #residual: GPUBuffer;

  /** Preallocates the per-pixel energies of a [channels, height, width] image. */
  constructor(ctx: GpuContext, channels: number, height: number, width: number) {
    for (const [what, v] of [["channels", channels], ["height", height], ["width", width]]) {
      if (!Number.isInteger(v) || (v as number) < 1) {
        throw new RangeError(`TotalVariation ${what} must be a positive integer, got ${v}`);
      }
    }
    this.#ctx = ctx;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.#residual = ctx.createBuffer("total variation terms", channels * height * width * 4);
  }

  /**
   * Records grad += weight · ∂E/∂v (added, never written over) and E into
   * `target` (weighted; its `scale` multiplies, `accumulate` adds).
   * `image` and `grad` must be distinct buffers.
   */
  record(
    prog: Program,
    image: GPUBuffer,
    grad: GPUBuffer,
    weight: number,
    target: ReduceTarget,
  ): void {
    const n = this.channels * this.height * this.width;
    if (image === grad) throw new RangeError("TotalVariation: image and gradient must differ");
    for (const [what, b] of [["image", image], ["gradient", grad]] as const) {
      if (b.size < n * 4) {
        throw new RangeError(`TotalVariation: ${what} buffer smaller than ${n} floats`);
      }
    }
    prog.dispatch(
      this.#ctx.pipeline(source),
      [image, grad, this.#residual],
      grid(Math.ceil(n / 256)),
      pack(this.height, this.width, n, f32(weight)),
    );
    reduceSum(prog, this.#residual, n, { ...target, scale: weight * (target.scale ?? 1) });
  }

  /** Frees the per-pixel energies. */
  destroy(): void {
    this.#ctx.destroyBuffer(this.#residual);
  }
}
