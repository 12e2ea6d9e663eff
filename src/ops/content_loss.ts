import source from "../../kernels/content_loss.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import { reduceDot, type ReduceTarget } from "./reduce.ts";

/**
 * The content loss of Gatys, Ecker & Bethge (2016): the squared distance of
 * a layer's features F to the content image's F̂, with its gradient,
 * recorded onto a {@link Program}:
 *
 *   E = weight · Σ (F − F̂)²,  ∂E/∂F = 2·weight·(F − F̂)
 *
 * With weight = w / (element count) E is the mean squared difference. It is
 * a sum over elements, so the parts of a map (tiles) add up to the whole:
 * record each part with the same weight and an accumulating target. The
 * residual buffer is preallocated for the largest part; the reduction has a
 * fixed order, so repeated runs are bit-identical.
 */
export class ContentLoss {
  /** The most elements one {@link ContentLoss.record} covers. */
  readonly size: number;
  readonly #ctx: GpuContext;
  readonly #residual: GPUBuffer;

  /** Preallocates the residual for up to `size` elements. */
  constructor(ctx: GpuContext, size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`ContentLoss size must be a positive integer, got ${size}`);
    }
    this.#ctx = ctx;
    this.size = size;
    this.#residual = ctx.createBuffer("content residual", size * 4);
  }

  /**
   * Records E into `lossTarget` (its `scale` multiplies, `accumulate` adds)
   * and ∂E/∂F into `grad`: added to what is there with `accumulate`,
   * written over it otherwise. `count` elements (default {@link size}).
   */
  record(
    prog: Program,
    features: GPUBuffer,
    target: GPUBuffer,
    grad: GPUBuffer,
    weight: number,
    lossTarget: ReduceTarget,
    options: { accumulate?: boolean; count?: number } = {},
  ): void {
    const n = options.count ?? this.size;
    if (!Number.isInteger(n) || n < 1 || n > this.size) {
      throw new RangeError(`ContentLoss: ${n} elements, not within 1…${this.size}`);
    }
    for (const [what, b] of [["features", features], ["target", target], ["gradient", grad]]) {
      if ((b as GPUBuffer).size < n * 4) {
        throw new RangeError(`ContentLoss: ${what} buffer smaller than ${n} floats`);
      }
    }
    prog.dispatch(
      this.#ctx.pipeline(source),
      [features, target, grad, this.#residual],
      grid(Math.ceil(n / 256)),
      pack(n, f32(weight), options.accumulate ? 1 : 0),
    );
    reduceDot(prog, this.#residual, this.#residual, n, {
      ...lossTarget,
      scale: weight * (lossTarget.scale ?? 1),
    });
  }

  /** Frees the residual buffer. */
  destroy(): void {
    this.#ctx.destroyBuffer(this.#residual);
  }
}
