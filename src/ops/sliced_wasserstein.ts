import residualSource from "../../kernels/sw_residual.wgsl" with { type: "text" };
import quantileSource from "../../kernels/sw_quantile.wgsl" with { type: "text" };
import directionsSource from "../../kernels/sw_directions.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import type { Random } from "../random.ts";
import { reduceDot, type ReduceTarget } from "./reduce.ts";
import { RowSort } from "./sort.ts";
import { matmul } from "./matmul.ts";

/** Invocations per workgroup of the element-wise kernels. */
const WG = 256;

/**
 * `count` random unit vectors in R^`channels` ([count, channels] row-major
 * f32), each a normalized standard normal draw, so directions are uniform on
 * the sphere. Seeded through `random`, so a seed names one set of slices.
 */
export function randomDirections(random: Random, count: number, channels: number): Float32Array {
  const out = new Float32Array(count * channels);
  for (let k = 0; k < count; k++) {
    let norm = 0;
    for (let c = 0; c < channels; c++) {
      const v = random.normal();
      out[k * channels + c] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let c = 0; c < channels; c++) out[k * channels + c] *= inv;
  }
  return out;
}

/**
 * The sliced Wasserstein texture loss of Heitz et al. (CVPR 2021) on one
 * layer, with its gradient, recorded onto a {@link Program}.
 *
 * F is the layer's feature map as an [N, M] matrix (N channels, M = H·W
 * pixels, planar [N, H, W] f32); D is [K, N], K unit directions. Each slice k
 * projects the pixels' feature vectors on d_k (p_k = d_kᵀF), sorts them and
 * compares them with the sorted projections of the exemplar, t_k:
 *
 *   E = weight · (1/(K·M)) · Σ_k Σ_i (sort(p_k)[i] − t_k[i])²
 *   ∂E/∂p_k[σ_k(i)] = 2·weight·(sort(p_k)[i] − t_k[i]) / (K·M),  ∂E/∂F = Dᵀ·∂E/∂P
 *
 * (σ_k the sorting permutation). When the exemplar has Mt ≠ M pixels its
 * sorted projections are resampled to M values by nearest rank:
 * t_k[i] = sorted_k[min(Mt − 1, ⌊(i + ½)·Mt/M⌋)].
 *
 * Every step is deterministic (fixed-order GEMMs, a bitonic sort with index
 * tie-break, the two-stage reductions). All scratch is allocated here:
 * 4·K·M floats (projections, sort indices, sorted target, projection
 * gradient), plus K·(Mt − M) when the exemplar is larger and M ranks when
 * Mt ≠ M.
 */
export class SlicedWasserstein {
  /** Channels N of the feature map. */
  readonly channels: number;
  /** Pixels M of the synthesized feature map. */
  readonly pixels: number;
  /** Pixels Mt of the exemplar's feature map. */
  readonly targetPixels: number;
  /** Number of slices K (rows of the directions matrix). */
  readonly directions: number;
  readonly #ctx: GpuContext;
  readonly #proj: GPUBuffer;
  readonly #indices: GPUBuffer;
  readonly #target: GPUBuffer;
  readonly #dproj: GPUBuffer;
  readonly #ranks: GPUBuffer | null;
  readonly #sort: RowSort;
  readonly #targetSort: RowSort;

  /** Preallocates every buffer the loss needs for this (N, M, Mt, K). */
  constructor(
    ctx: GpuContext,
    channels: number,
    pixels: number,
    targetPixels: number,
    directions: number = channels,
  ) {
    const shape = { channels, pixels, targetPixels, directions };
    for (const [what, v] of Object.entries(shape)) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`SlicedWasserstein ${what} must be a positive integer, got ${v}`);
      }
    }
    const widest = Math.max(pixels, targetPixels) * Math.max(channels, directions);
    if (widest > 0x3fffffff) {
      throw new RangeError(
        `SlicedWasserstein of ${directions} slices × ${pixels} pixels exceeds u32 indexing`,
      );
    }
    this.#ctx = ctx;
    this.channels = channels;
    this.pixels = pixels;
    this.targetPixels = targetPixels;
    this.directions = directions;
    const km = directions * pixels * 4;
    this.#sort = new RowSort(ctx, directions, pixels, true);
    this.#targetSort = new RowSort(ctx, directions, targetPixels, false);
    this.#proj = ctx.createBuffer(
      "sliced wasserstein projections",
      directions * Math.max(pixels, targetPixels) * 4,
    );
    this.#indices = ctx.createBuffer("sliced wasserstein sort indices", km);
    this.#target = ctx.createBuffer("sliced wasserstein sorted target", km);
    this.#dproj = ctx.createBuffer("sliced wasserstein projection gradient", km);
    if (targetPixels === pixels) {
      this.#ranks = null;
    } else {
      const ranks = new Uint32Array(pixels);
      for (let i = 0; i < pixels; i++) {
        ranks[i] = Math.min(
          targetPixels - 1,
          Math.floor(((2 * i + 1) * targetPixels) / (2 * pixels)),
        );
      }
      this.#ranks = ctx.upload("sliced wasserstein target ranks", ranks);
    }
  }

  /**
   * Records the sorted exemplar projections: project `targetFeatures`
   * ([N, Mt]) on `directionsBuffer` ([K, N]), sort each slice and keep it
   * (resampled to M values when Mt ≠ M). Replay it whenever the directions
   * change, before {@link SlicedWasserstein.record}.
   */
  setTarget(prog: Program, targetFeatures: GPUBuffer, directionsBuffer: GPUBuffer): void {
    const { channels: n, directions: k, pixels: m, targetPixels: mt } = this;
    this.#check(targetFeatures, n * mt, "target features");
    this.#check(directionsBuffer, k * n, "directions");
    if (this.#ranks === null) {
      matmul(prog, directionsBuffer, targetFeatures, this.#target, {
        rows: k,
        inner: n,
        m: m,
        aRow: n,
        aCol: 1,
      }, false);
      this.#targetSort.record(prog, this.#target);
      return;
    }
    matmul(prog, directionsBuffer, targetFeatures, this.#proj, {
      rows: k,
      inner: n,
      m: mt,
      aRow: n,
      aCol: 1,
    }, false);
    this.#targetSort.record(prog, this.#proj);
    const count = k * m;
    prog.dispatch(
      this.#ctx.pipeline(quantileSource),
      [this.#proj, this.#ranks, this.#target],
      grid(Math.ceil(count / WG)),
      pack(count, m, mt),
    );
  }

  /**
   * Records the loss and its gradient for `features` ([N, M]) on the same
   * `directionsBuffer` the target was set with: weight·(1/(K·M))·Σ(sorted −
   * target)² into `lossTarget` (usually accumulate: true; its `scale`
   * multiplies the loss too), and grad[N, M] += ∂E/∂F (`accumulate`) or
   * grad = ∂E/∂F.
   */
  record(
    prog: Program,
    features: GPUBuffer,
    directionsBuffer: GPUBuffer,
    grad: GPUBuffer,
    weight: number,
    lossTarget: ReduceTarget,
    accumulate: boolean,
  ): void {
    const { channels: n, directions: k, pixels: m } = this;
    this.#check(features, n * m, "features");
    this.#check(directionsBuffer, k * n, "directions");
    this.#check(grad, n * m, "feature gradient");
    const count = k * m;
    matmul(prog, directionsBuffer, features, this.#proj, {
      rows: k,
      inner: n,
      m: m,
      aRow: n,
      aCol: 1,
    }, false);
    this.#sort.record(prog, this.#proj, this.#indices, true);
    prog.dispatch(
      this.#ctx.pipeline(residualSource),
      [this.#proj, this.#target, this.#indices, this.#dproj],
      grid(Math.ceil(count / WG)),
      pack(count, m, f32((2 * weight) / count)),
    );
    reduceDot(prog, this.#proj, this.#proj, count, {
      ...lossTarget,
      scale: (weight / count) * (lossTarget.scale ?? 1),
    });
    matmul(
      prog,
      directionsBuffer,
      this.#dproj,
      grad,
      { rows: n, inner: k, m: m, aRow: 1, aCol: n },
      accumulate,
    );
  }

  /** Frees the scratch buffers; the object is unusable afterwards. */
  destroy(): void {
    for (const b of [this.#proj, this.#indices, this.#target, this.#dproj, this.#ranks]) {
      if (b) this.#ctx.destroyBuffer(b);
    }
    this.#sort.destroy();
    this.#targetSort.destroy();
  }

  /** Catches a too-small buffer at record time instead of as a GPU validation error. */
  #check(buffer: GPUBuffer, floats: number, what: string): void {
    if (buffer.size < floats * 4) {
      throw new RangeError(
        `${what} buffer holds ${buffer.size} bytes, SlicedWasserstein(${this.channels}, ${this.pixels}, ${this.targetPixels}, ${this.directions}) needs ${
          floats * 4
        }`,
      );
    }
  }
}

/**
 * Records drawing `count` random unit directions in R^`channels` into `dirs`
 * on the GPU, a hash of `seed`, the row and the draw number held in
 * `scalars[counterSlot]`: new slices for every draw, the same ones every run.
 */
export function recordRandomDirections(
  prog: Program,
  dirs: GPUBuffer,
  count: number,
  channels: number,
  seed: number,
  scalars: GPUBuffer,
  counterSlot: number,
): void {
  prog.dispatch(
    prog.ctx.pipeline(directionsSource),
    [scalars, dirs],
    grid(count),
    pack(count, channels, seed >>> 0, counterSlot),
  );
}
