import type { GpuContext } from "../gpu/context.ts";
import type { Program } from "../gpu/program.ts";
import type { Tap, Vgg19 } from "../nn/vgg19.ts";
import type { TiledVgg19 } from "../nn/tiled_vgg19.ts";
import { reduceDot, type ReduceTarget } from "../ops/reduce.ts";
import { combineScalars } from "../ops/scalars.ts";
import { recordRandomDirections, SlicedWasserstein } from "../ops/sliced_wasserstein.ts";
import { recordTaps, type TapTerms } from "./network.ts";

/**
 * L-BFGS iterations between draws of slice directions (the optimizer's
 * `resampleEvery`). Measured at 48 px (cracks, random weights, 122
 * evaluations), judged by the sliced Wasserstein loss on directions of
 * another seed: new directions every 1, 2, 4 or 8 iterations all end within
 * 3% of each other, one set for the whole run 29% worse (it fits its own
 * directions); every 4 sorts the targets' projections a quarter as often as
 * every iteration.
 */
export const SLICE_ITERATIONS = 4;

/** Where the slice directions come from. */
export interface SliceSeed {
  /** Seed of the directions; each layer draws its own from it. */
  seed: number;
  /** The scalars buffer holding the draw counter and a constant 1. */
  scalars: GPUBuffer;
  /** Slot of the draw counter, incremented at each draw. */
  counter: number;
  /** Slot that holds 1. */
  one: number;
}

/**
 * Sliced Wasserstein losses (Heitz et al. 2021) at the first loss layers of
 * a whole (untiled) network: the target is the images' features pooled
 * (their pixels side by side, so the distributions mix in proportion to
 * pixel counts), projected on random directions, as many as the layer has
 * channels, drawn on the GPU from the seed and a draw counter. The draw is
 * its own program, which the optimizer replays between iterations (never
 * inside a line search, which needs one function).
 */
export class SlicedWassersteinTerms {
  /** The pooled target features per layer: [N, Σ M_image]. */
  readonly targets: GPUBuffer[];
  /** The layers these terms cover: the network's taps 0 … taps.length − 1. */
  readonly taps: Tap[];
  #ctx: GpuContext;
  #pooled: number[];
  #filled: number[];
  #sws: SlicedWasserstein[] = [];
  #directions: GPUBuffer[] = [];

  /** Allocates the pooled targets: `pooled[tap]` pixels at each layer. */
  constructor(ctx: GpuContext, taps: Tap[], pooled: number[]) {
    this.#ctx = ctx;
    this.taps = taps;
    this.#pooled = pooled;
    this.#filled = taps.map(() => 0);
    this.targets = taps.map((t, tap) =>
      ctx.createBuffer(`target features ${t.index}`, t.channels * pooled[tap] * 4)
    );
  }

  /** Records appending an image's features (through `net`, `input` as it takes it) to the targets. */
  recordTarget(prog: Program, net: Vgg19 | TiledVgg19, input: GPUBuffer): void {
    recordTaps(prog, net, input, (p, tap, features, m) => {
      if (tap >= this.taps.length) return;
      // Channel rows side by side: [N, Σ M_e].
      for (let c = 0; c < this.taps[tap].channels; c++) {
        p.copy(
          features,
          this.targets[tap],
          m * 4,
          c * m * 4,
          (c * this.#pooled[tap] + this.#filled[tap]) * 4,
        );
      }
      this.#filled[tap] += m;
    });
  }

  /** Records each target's mean square into `scalars[slot + tap]`. */
  recordMeanSquares(prog: Program, scalars: GPUBuffer, slot: number): void {
    this.targets.forEach((target, tap) => {
      const count = this.taps[tap].channels * this.#pooled[tap];
      reduceDot(prog, target, target, count, { scalars, slot: slot + tap, scale: 1 / count });
    });
  }

  /**
   * Records a draw onto `draw` (the counter moves on, each layer draws its
   * directions and projects its target on them; run it once before the
   * first evaluation) and returns the terms of the evaluation pass: layer
   * `tap` adds weights[tap] times its loss on the current directions to
   * `lossTarget` (accumulated into) and its gradient to the features'.
   */
  terms(
    draw: Program,
    weights: number[],
    lossTarget: ReduceTarget,
    slices: SliceSeed,
  ): TapTerms {
    const ctx = this.#ctx;
    if (this.#sws.length === 0) {
      this.#sws = this.taps.map((t, tap) =>
        new SlicedWasserstein(ctx, t.channels, t.height * t.width, this.#pooled[tap])
      );
      this.#directions = this.taps.map((t) =>
        ctx.createBuffer(`directions ${t.index}`, t.channels * t.channels * 4)
      );
    }
    const { scalars, counter, one } = slices;
    combineScalars(draw, scalars, counter, 1, counter, 1, one);
    this.taps.forEach((t, tap) => {
      const seed = (slices.seed * 1000003 + t.index) >>> 0;
      recordRandomDirections(
        draw,
        this.#directions[tap],
        t.channels,
        t.channels,
        seed,
        scalars,
        counter,
      );
      this.#sws[tap].setTarget(draw, this.targets[tap], this.#directions[tap]);
    });
    return {
      forward: () => {},
      afterForward: () => {},
      backward: (p, tap, features, grad, { accumulate }) => {
        if (tap >= this.taps.length) return;
        this.#sws[tap].record(p, features, this.#directions[tap], grad, weights[tap], {
          ...lossTarget,
          accumulate: true,
        }, accumulate);
      },
    };
  }

  /** Frees the targets and scratch. */
  destroy(): void {
    this.#sws.forEach((s) => s.destroy());
    for (const b of [...this.targets, ...this.#directions]) this.#ctx.destroyBuffer(b);
  }
}
