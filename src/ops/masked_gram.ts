import type { GpuContext } from "../gpu/context.ts";
import type { Program } from "../gpu/program.ts";
import { Gram } from "./gram.ts";
import { matmul } from "./matmul.ts";
import { type MapWindow, weightPixels } from "./pixel_mask.ts";
import type { ReduceTarget } from "./reduce.ts";

/**
 * A mask's per-pixel weights w scaled to mean 1 over the map, ŵ = w·M / Σw
 * (M pixels), the form {@link MaskedGram} reads. Null when Σw = 0: the mask
 * selects nothing.
 *
 * @example
 * ```ts
 * import { meanOneWeights } from "./masked_gram.ts";
 *
 * console.log(meanOneWeights(new Float32Array([1, 1, 0, 0]))); // Float32Array [2, 2, 0, 0]
 * ```
 */
export function meanOneWeights(w: ArrayLike<number>): Float32Array | null {
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += w[i];
  if (!(sum > 0)) return null;
  const k = w.length / sum;
  return Float32Array.from(w, (v) => v * k);
}

/**
 * The masked Gram matrix of one layer's feature map and its loss gradient,
 * recorded onto a {@link Program}: the statistics of a region of the image
 * (an inpainting's kept part, one label of a guide), as Gatys et al. (2017,
 * "Controlling Perceptual Factors in Neural Style Transfer") guide them.
 *
 * F is the [N, M] feature map (planar [N, H, W]), w ≥ 0 one weight per
 * pixel. The masked Gram matrix is
 *
 *   G_w = Σ_m w_m f_m f_mᵀ / (4·N·Σ_m w_m),
 *
 * the Gram of {@link Gram} (G = F·Fᵀ / (4·N·M)) when w is constant. With
 * ŵ = w·M/Σw ({@link meanOneWeights}) it is the plain Gram matrix of
 * F·diag(√ŵ), which is how it is computed: a per-pixel product, then the
 * Gram kernels. For E = weight·Σ(G_w − Ĝ)² the gradient is
 *
 *   ∂E/∂F = weight·(G_w − Ĝ)·F·diag(ŵ) / (N·M),
 *
 * Gram's backward on F·diag(ŵ). Deterministic as the Gram is: equal inputs
 * give bit-identical outputs.
 *
 * The weighted features go to a scratch buffer of at least N·M floats that
 * several MaskedGrams recorded one after another may share.
 */
export class MaskedGram {
  /** Number of channels N. */
  readonly channels: number;
  /** Number of pixels M of the whole map (its tiles are parts of it). */
  readonly pixels: number;
  readonly #gram: Gram;
  readonly #scratch: GPUBuffer;

  /**
   * Preallocates the Gram's scratch; `weighted` holds the weighted features
   * between dispatches: N·M floats, or N times the largest window's pixels
   * when only windows of the map are recorded.
   */
  constructor(ctx: GpuContext, channels: number, pixels: number, weighted: GPUBuffer) {
    this.channels = channels;
    this.pixels = pixels;
    this.#gram = new Gram(ctx, channels, pixels);
    this.#scratch = weighted;
  }

  /**
   * Records out[N, N] = G_w of `features`, an [N, h, w] window of the map
   * (the whole map by default) whose weights ŵ (mean 1 over the whole map,
   * see {@link meanOneWeights}) are read from `weights` at `window`. With
   * `accumulate` the window's part is added to `out`, so a map's windows sum
   * to its masked Gram matrix.
   */
  forward(
    prog: Program,
    features: GPUBuffer,
    weights: GPUBuffer,
    out: GPUBuffer,
    part: { height: number; width: number; window?: MapWindow; accumulate?: boolean },
  ): void {
    const pixels = part.height * part.width;
    this.#checkScratch(pixels);
    weightPixels(prog, features, weights, this.#scratch, {
      channels: this.channels,
      height: part.height,
      width: part.width,
    }, { root: true, window: part.window });
    this.#gram.forward(prog, this.#scratch, out, { pixels, accumulate: part.accumulate });
  }

  /** The loss weight·Σ(G_w − Ĝ)² and its diff, exactly {@link Gram.loss}. */
  loss(
    prog: Program,
    g: GPUBuffer,
    target: GPUBuffer,
    diff: GPUBuffer,
    weight: number,
    lossTarget: ReduceTarget,
  ): void {
    this.#gram.loss(prog, g, target, diff, weight, lossTarget);
  }

  /**
   * Records grad (+)= diff·F·diag(ŵ) over a window of the map (as in
   * {@link MaskedGram.forward}): added with `accumulate`, written otherwise.
   */
  backward(
    prog: Program,
    diff: GPUBuffer,
    features: GPUBuffer,
    weights: GPUBuffer,
    grad: GPUBuffer,
    part: { height: number; width: number; window?: MapWindow; accumulate: boolean },
  ): void {
    const n = this.channels;
    const m = part.height * part.width;
    this.#checkScratch(m);
    weightPixels(prog, features, weights, this.#scratch, {
      channels: n,
      height: part.height,
      width: part.width,
    }, { window: part.window });
    if (grad.size < n * m * 4) {
      throw new RangeError(`feature gradient buffer holds ${grad.size} bytes, needs ${n * m * 4}`);
    }
    matmul(
      prog,
      diff,
      this.#scratch,
      grad,
      { rows: n, inner: n, m, aRow: n, aCol: 1 },
      part.accumulate,
    );
  }

  #checkScratch(pixels: number): void {
    const bytes = this.channels * pixels * 4;
    if (this.#scratch.size < bytes) {
      throw new RangeError(
        `weighted-features buffer holds ${this.#scratch.size} bytes, ${this.channels}×${pixels} features need ${bytes}`,
      );
    }
  }

  /** Frees the Gram's scratch (not the shared weighted-features buffer). */
  destroy(): void {
    this.#gram.destroy();
  }
}
