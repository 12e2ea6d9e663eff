import type { GpuContext } from "../gpu/context.ts";
import type { Program } from "../gpu/program.ts";
import type { Vgg19 } from "../nn/vgg19.ts";
import type { Tap } from "../nn/vgg19.ts";
import type { TiledVgg19 } from "../nn/tiled_vgg19.ts";
import { Gram } from "../ops/gram.ts";
import type { ReduceTarget } from "../ops/reduce.ts";
import { reduceDot } from "../ops/reduce.ts";
import { axpy } from "../ops/vector.ts";
import { recordTaps, type TapTerms } from "./network.ts";

/**
 * Gram matrix losses at the first loss layers of a network: the targets
 * (weighted sums of images' Gram matrices) and the terms of an evaluation,
 * whole or tile by tile. Gram matrices are sums over pixels, so a tiled
 * network adds up each layer's over the tiles in its first pass, the loss
 * then gives its gradient, and the second pass carries that back through
 * every tile.
 */
export class GramTerms {
  /** The target Gram matrices, one per layer, [N, N]; zero until targets are recorded. */
  readonly targets: GPUBuffer[];
  /** The layers these terms cover: the network's taps 0 … taps.length − 1. */
  readonly taps: Tap[];
  #ctx: GpuContext;
  #grams: Gram[];
  #current: GPUBuffer[];
  #diffs: GPUBuffer[];

  /** Allocates targets and scratch for the Gram matrices of `taps` (an output network's). */
  constructor(ctx: GpuContext, taps: Tap[]) {
    this.#ctx = ctx;
    this.taps = taps;
    const square = (t: Tap, what: string) =>
      ctx.createBuffer(`${what} ${t.index}`, t.channels * t.channels * 4);
    this.targets = taps.map((t) => square(t, "target gram"));
    this.#current = taps.map((t) => square(t, "gram"));
    this.#diffs = taps.map((t) => square(t, "gram diff"));
    this.#grams = taps.map((t) => new Gram(ctx, t.channels, t.height * t.width));
  }

  /**
   * Records adding `k` times an image's Gram matrices (through `net`, whose
   * first taps are these layers; `input` as the network takes it) to the
   * targets. Scratch it needs is pushed onto `temporary`, to be destroyed
   * after the program has run.
   */
  recordTarget(
    prog: Program,
    net: Vgg19 | TiledVgg19,
    input: GPUBuffer,
    k: number,
    scalars: GPUBuffer,
    temporary: { destroy(): void }[],
  ): void {
    const ctx = this.#ctx;
    const grams = this.taps.map((_, tap) => {
      const t = net.taps[tap];
      const gram = new Gram(ctx, t.channels, t.height * t.width);
      const g = ctx.createBuffer("image gram", t.channels * t.channels * 4);
      temporary.push(gram, { destroy: () => ctx.destroyBuffer(g) });
      return { gram, g };
    });
    recordTaps(prog, net, input, (p, tap, window, pixels, first) => {
      if (tap < grams.length) {
        grams[tap].gram.forward(p, window, grams[tap].g, { pixels, accumulate: !first });
      }
    });
    grams.forEach(({ g }, tap) => {
      const c = this.taps[tap].channels;
      axpy(prog, this.targets[tap], g, c * c, { scalars, k });
    });
  }

  /** Records each target's mean square Σ Ĝ² / N² into `scalars[slot + tap]`. */
  recordMeanSquares(prog: Program, scalars: GPUBuffer, slot: number): void {
    this.targets.forEach((target, tap) => {
      const count = this.taps[tap].channels ** 2;
      reduceDot(prog, target, target, count, { scalars, slot: slot + tap, scale: 1 / count });
    });
  }

  /**
   * The terms of an evaluation: layer `tap` adds weights[tap]·Σ(G − Ĝ)² to
   * `lossTarget` (accumulated into) and its gradient to the features'.
   */
  terms(weights: number[], lossTarget: ReduceTarget): TapTerms {
    const loss = (prog: Program, tap: number) =>
      this.#grams[tap].loss(
        prog,
        this.#current[tap],
        this.targets[tap],
        this.#diffs[tap],
        weights[tap],
        { ...lossTarget, accumulate: true },
      );
    return {
      forward: (prog, tap, features, { pixels, first, complete }) => {
        if (tap >= this.taps.length) return;
        this.#grams[tap].forward(prog, features, this.#current[tap], {
          pixels,
          accumulate: !first,
        });
        if (complete) loss(prog, tap);
      },
      afterForward: (prog) => this.taps.forEach((_, tap) => loss(prog, tap)),
      backward: (prog, tap, features, grad, { pixels, accumulate }) => {
        if (tap >= this.taps.length) return;
        this.#grams[tap].backward(prog, this.#diffs[tap], features, grad, accumulate, pixels);
      },
    };
  }

  /** Frees the targets and scratch. */
  destroy(): void {
    this.#grams.forEach((g) => g.destroy());
    for (const b of [...this.targets, ...this.#current, ...this.#diffs]) this.#ctx.destroyBuffer(b);
  }
}
