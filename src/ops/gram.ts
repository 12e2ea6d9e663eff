import gramSource from "../../kernels/gram.wgsl" with { type: "text" };
import finishSource from "../../kernels/gram_finish.wgsl" with { type: "text" };
import lossSource from "../../kernels/gram_loss.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import type { KernelFamily } from "../gpu/kernel_family.ts";
import { f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import { reduceDot, type ReduceTarget } from "./reduce.ts";
import { matmul } from "./matmul.ts";
import {
  GRAM_BACKWARD_PIXELS,
  GRAM_BACKWARD_ROWS,
  GRAM_BLOCK,
  gramBackwardSoftwareSource,
  gramSoftwareSource,
} from "./gram_software_source.ts";

/** Output tile edge of the Gram and backward kernels (must match the WGSL). */
const TILE = 64;
/** Pixels per shared-memory step of the Gram kernel (must match the WGSL). */
const KT = 16;
/** Fewest pixels a K-chunk covers, so each workgroup does real work. */
const MIN_CHUNK = 256;
/** Workgroups to aim for in one Gram dispatch, enough to fill a large GPU. */
const TARGET_GROUPS = 256;
/** Most K-chunks, and most bytes of per-chunk partial Gram matrices. */
const MAX_CHUNKS = 256;
const MAX_SCRATCH_BYTES = 16 << 20;

const SOFTWARE = gramSoftwareSource();
const SOFTWARE_BACKWARD = gramBackwardSoftwareSource();

/**
 * Invocations per workgroup of the software kernels: 64 unless that leaves
 * fewer than 32 workgroups (a software adapter runs a workgroup on one
 * thread), never under 8.
 */
function _workgroup(lanes: number): number {
  let wg = 64;
  while (wg > 8 && lanes / wg < 32) wg /= 2;
  return wg;
}

/**
 * Gram matrices of one layer's feature map and the Gatys et al. (2015) Gram
 * loss with its gradient, all recorded onto a {@link Program}.
 *
 * F is the layer's feature map as an [N, M] matrix: N channels, M = H·W
 * pixels, i.e. a planar [N, H, W] f32 buffer. The Gram matrix is
 * G = F·Fᵀ / (4·N·M) ([N, N], row-major), the loss E = w·Σ(G − Ĝ)² and its
 * gradient ∂E/∂F = w·(G − Ĝ)·F / (N·M).
 *
 * The forward pass is a GEMM with a huge K = M: it computes only the upper
 * block triangle, splits K into at most 256 chunks whose partial [N, N]
 * sums land in a preallocated scratch buffer (at most 16 MiB),
 * then adds the chunks in a fixed order and mirrors. Results are therefore
 * deterministic: the same input gives bit-identical outputs.
 *
 * Two kernel families: "tiled" (kernels/gram.wgsl and matmul.wgsl, 64×64
 * tiles staged in workgroup memory), and "software" (register blocks,
 * src/ops/gram_software_source.ts) where M is a multiple of 4 (and, for the
 * gradient, N of 16), the tiled kernels otherwise.
 */
export class Gram {
  /** Number of channels N. */
  readonly channels: number;
  /** Number of pixels M = H·W. */
  readonly pixels: number;
  /** K-chunks the forward pass splits the pixels into (fixed for this N, M). */
  readonly chunks: number;
  readonly #ctx: GpuContext;
  readonly #kernels: KernelFamily;
  readonly #chunk: number;
  readonly #tiles: number;
  readonly #partials: GPUBuffer;
  readonly #delta: GPUBuffer;

  /**
   * Preallocates every scratch buffer it needs for this (N, M). `kernels`
   * defaults to the context's family.
   */
  constructor(ctx: GpuContext, channels: number, pixels: number, kernels?: KernelFamily) {
    if (!Number.isInteger(channels) || channels < 1) {
      throw new RangeError(`Gram channels must be a positive integer, got ${channels}`);
    }
    if (!Number.isInteger(pixels) || pixels < 1) {
      throw new RangeError(`Gram pixels must be a positive integer, got ${pixels}`);
    }
    if (channels * pixels > 0xffffffff) {
      throw new RangeError(`Gram input of ${channels}×${pixels} floats exceeds u32 indexing`);
    }
    this.#ctx = ctx;
    this.#kernels = kernels ?? ctx.kernels;
    this.channels = channels;
    this.pixels = pixels;
    this.#tiles = Math.ceil(channels / TILE);
    const plan = this.#plan(pixels);
    this.#chunk = plan.chunk;
    this.chunks = plan.chunks;
    // A part's plan never wants more chunks than the whole map's.
    this.#partials = ctx.createBuffer("gram partials", plan.wanted * channels * channels * 4);
    this.#delta = ctx.createBuffer("gram delta", channels * channels * 4);
  }

  /**
   * Records out[N,N] = F·Fᵀ / (4·N·M). Both triangles written (symmetric).
   *
   * `part.pixels` (default M) is the width of this F when it is only a part
   * of the map's pixels, e.g. one tile of an image computed tile by tile: its
   * product is still divided by the whole M, and `part.accumulate` adds it to
   * `out`, so the parts of a map sum to the map's Gram matrix.
   */
  forward(
    prog: Program,
    features: GPUBuffer,
    out: GPUBuffer,
    part: { pixels?: number; accumulate?: boolean } = {},
  ): void {
    const n = this.channels;
    const m = part.pixels ?? this.pixels;
    if (!Number.isInteger(m) || m < 1 || m > this.pixels) {
      throw new RangeError(`Gram part of ${m} pixels, not within 1…${this.pixels}`);
    }
    this.#check(features, n * m, "features");
    this.#check(out, n * n, "gram output");
    const { chunk, chunks } = m === this.pixels
      ? { chunk: this.#chunk, chunks: this.chunks }
      : this.#plan(m);
    if (this.#kernels === "software" && m % 4 === 0) {
      const blocks = Math.ceil(n / GRAM_BLOCK);
      const pairs = (blocks * (blocks + 1)) / 2;
      const wg = _workgroup(pairs * chunks);
      prog.dispatch(
        this.#ctx.pipeline(SOFTWARE, "main", { WG: wg }),
        [features, this.#partials],
        grid(Math.ceil((pairs * chunks) / wg)),
        pack(n, m / 4, blocks, pairs, chunks, chunk / 4),
      );
    } else {
      const pairs = (this.#tiles * (this.#tiles + 1)) / 2;
      prog.dispatch(
        this.#ctx.pipeline(gramSource),
        [features, this.#partials],
        grid(pairs * chunks),
        pack(n, m, this.#tiles, pairs, chunks, chunk),
      );
    }
    prog.dispatch(
      this.#ctx.pipeline(finishSource),
      [this.#partials, out],
      grid(Math.ceil((n * n) / 256)),
      pack(n, chunks, f32(1 / (4 * n * this.pixels)), part.accumulate ? 1 : 0),
    );
  }

  /**
   * Records the loss weight·Σ(G − Ĝ)² into target (ReduceTarget from
   * src/ops/reduce.ts — usually accumulate: true; its `scale` multiplies the
   * loss too) and diff = (weight / (N·M))·(G − Ĝ) into `diff` [N,N], so that
   * ∂E/∂F = diff·F (see {@link Gram.backward}).
   */
  loss(
    prog: Program,
    g: GPUBuffer,
    target: GPUBuffer,
    diff: GPUBuffer,
    weight: number,
    lossTarget: ReduceTarget,
  ): void {
    const n = this.channels;
    const count = n * n;
    this.#check(g, count, "gram");
    this.#check(target, count, "gram target");
    this.#check(diff, count, "gram diff");
    prog.dispatch(
      this.#ctx.pipeline(lossSource),
      [g, target, this.#delta, diff],
      grid(Math.ceil(count / 256)),
      pack(count, f32(weight / (n * this.pixels))),
    );
    reduceDot(prog, this.#delta, this.#delta, count, {
      ...lossTarget,
      scale: weight * (lossTarget.scale ?? 1),
    });
  }

  /**
   * Records grad[N,M] += diff[N,N]·F[N,M] (accumulate: true) or grad = diff·F
   * (false); `pixels` (default M) as in {@link Gram.forward} for a part of the map.
   * `diff` must be symmetric, as {@link Gram.loss} makes it: the software
   * kernel reads its rows as its columns.
   */
  backward(
    prog: Program,
    diff: GPUBuffer,
    features: GPUBuffer,
    grad: GPUBuffer,
    accumulate: boolean,
    pixels: number = this.pixels,
  ): void {
    const n = this.channels;
    const m = pixels;
    this.#check(diff, n * n, "gram diff");
    this.#check(features, n * m, "features");
    this.#check(grad, n * m, "feature gradient");
    if (this.#kernels === "software" && n % GRAM_BACKWARD_ROWS === 0 && m % 4 === 0) {
      // diff is symmetric: its row k is the column k that diff·F needs.
      const rowBlocks = n / GRAM_BACKWARD_ROWS;
      const colBlocks = Math.ceil(m / GRAM_BACKWARD_PIXELS);
      const wg = _workgroup(rowBlocks * colBlocks);
      prog.dispatch(
        this.#ctx.pipeline(SOFTWARE_BACKWARD, "main", { WG: wg }),
        [diff, features, grad],
        grid(Math.ceil((rowBlocks * colBlocks) / wg)),
        pack(n / 4, m / 4, rowBlocks, colBlocks, accumulate ? 1 : 0),
      );
      return;
    }
    matmul(prog, diff, features, grad, { rows: n, inner: n, m, aRow: n, aCol: 1 }, accumulate);
  }

  /** Frees the scratch buffers; the object is unusable afterwards. */
  destroy(): void {
    this.#ctx.destroyBuffer(this.#partials);
    this.#ctx.destroyBuffer(this.#delta);
  }

  /** K-chunks for `pixels` pixels: never more than those of the whole map, which size the partials. */
  #plan(pixels: number): { chunk: number; chunks: number; wanted: number } {
    const pairs = (this.#tiles * (this.#tiles + 1)) / 2;
    const slab = this.channels * this.channels * 4;
    const wanted = Math.min(
      Math.ceil(pixels / MIN_CHUNK),
      Math.ceil(TARGET_GROUPS / pairs),
      Math.floor(MAX_SCRATCH_BYTES / slab),
      MAX_CHUNKS,
    );
    const chunk = Math.ceil(pixels / Math.max(1, wanted) / KT) * KT;
    return { chunk, chunks: Math.ceil(pixels / chunk), wanted };
  }

  /** Catches a too-small buffer at record time instead of as a GPU validation error. */
  #check(buffer: GPUBuffer, floats: number, what: string): void {
    if (buffer.size < floats * 4) {
      throw new RangeError(
        `${what} buffer holds ${buffer.size} bytes, Gram(${this.channels}, ${this.pixels}) needs ${
          floats * 4
        }`,
      );
    }
  }
}
