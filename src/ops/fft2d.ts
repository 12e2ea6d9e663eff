import lineSource from "../../kernels/fft_line.wgsl" with { type: "text" };
import stageSource from "../../kernels/fft_stage.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** Longest line fft_line.wgsl holds in workgroup memory (2048 vec2<f32> = 16 KiB). */
export const MAX_SHARED_LINE = 2048;

// fft_line.wgsl's radix slots; 2048 needs at most 11 (all radix 2), fewer with 4s.
const MAX_LINE_STAGES = 16;

/** Tuning for {@link Fft2d}; the defaults are what the engine uses. */
export interface Fft2dOptions {
  /**
   * Lines up to this length run all their stages in one workgroup (one dispatch
   * per axis); longer lines take one global-memory dispatch per stage. Default
   * and maximum {@link MAX_SHARED_LINE}; tests lower it to exercise the long-line path.
   */
  maxSharedLine?: number;
}

/** Where the lines of one axis lie in a [batch, H, W] complex tensor (units: complex elements). */
interface Axis {
  n: number;
  count: number;
  inner: number;
  innerStride: number;
  outerStride: number;
  stride: number;
}

/** Radices whose product is n: 4s first (fewest stages at the same cost), then 2, then primes. */
function _radices(n: number): number[] {
  const out: number[] = [];
  let m = n;
  while (m % 4 === 0) {
    out.push(4);
    m /= 4;
  }
  if (m % 2 === 0) {
    out.push(2);
    m /= 2;
  }
  for (let p = 3; m > 1; p += 2) {
    while (m % p === 0) {
      out.push(p);
      m /= p;
    }
    if (p * p > m && m > 1) {
      out.push(m);
      m = 1;
    }
  }
  return out;
}

/** exp(-2πi·m/n) for m < n, computed in float64 then rounded, interleaved (re, im). */
function _twiddles(n: number): Float32Array {
  const out = new Float32Array(2 * n);
  for (let m = 0; m < n; m++) {
    const angle = (2 * Math.PI * m) / n;
    out[2 * m] = Math.cos(angle);
    out[2 * m + 1] = -Math.sin(angle);
  }
  return out;
}

/**
 * 2-D DFT over `batch` complex planes [batch, H, W] of vec2<f32> (re, im
 * interleaved), for any H, W ≥ 1: the rows, then the columns.
 *
 * Each axis is a mixed-radix Stockham FFT (radices 4, 2, then the prime
 * factors of the length, a prime radix being a direct DFT of that length), so
 * every length is exact; powers of two cost O(n log n) per line, a length
 * with a large prime factor p costs O(n·p). Lines up to
 * {@link MAX_SHARED_LINE} run every stage in workgroup memory, one dispatch
 * per axis; longer lines take one dispatch per stage through a scratch tensor.
 * Forward is Σ x·exp(-2πi·k·t/n); the inverse conjugates the twiddles and
 * includes the 1/(H·W) factor. All scratch is allocated here, so recorded
 * programs replay without allocating.
 */
export class Fft2d {
  /** Rows per plane. */
  readonly height: number;
  /** Columns per plane. */
  readonly width: number;
  /** Number of planes transformed together. */
  readonly batch: number;
  #ctx: GpuContext;
  #maxShared: number;
  #twiddles = new Map<number, GPUBuffer>();
  #scratch: GPUBuffer | null = null;

  /** Plans the transform and uploads its twiddle tables (and long-line scratch if needed). */
  constructor(
    ctx: GpuContext,
    height: number,
    width: number,
    batch: number,
    options: Fft2dOptions = {},
  ) {
    for (const [name, v] of [["height", height], ["width", width], ["batch", batch]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Fft2d ${name} must be an integer ≥ 1, got ${v}`);
      }
    }
    this.#ctx = ctx;
    this.height = height;
    this.width = width;
    this.batch = batch;
    this.#maxShared = Math.min(options.maxSharedLine ?? MAX_SHARED_LINE, MAX_SHARED_LINE);
    for (const n of [height, width]) {
      if (n > 1 && !this.#twiddles.has(n)) {
        this.#twiddles.set(n, ctx.upload(`fft twiddles ${n}`, _twiddles(n)));
      }
      if (n > this.#maxShared && !this.#scratch) {
        this.#scratch = ctx.createBuffer("fft scratch", this.#bytes);
      }
    }
  }

  get #bytes(): number {
    return this.batch * this.height * this.width * 8;
  }

  /**
   * Records output = FFT2(input), or the inverse with its 1/(H·W). `input`
   * and `output` may be the same buffer (in place, no extra pass); otherwise
   * input is first copied to output and left unchanged.
   */
  record(prog: Program, input: GPUBuffer, output: GPUBuffer, inverse: boolean): void {
    if (input !== output) prog.copy(input, output, this.#bytes);
    const { batch, height: h, width: w } = this;
    this.#axis(prog, output, inverse, {
      n: w,
      count: batch * h,
      inner: 1,
      innerStride: 0,
      outerStride: w,
      stride: 1,
    });
    this.#axis(prog, output, inverse, {
      n: h,
      count: batch * w,
      inner: w,
      innerStride: 1,
      outerStride: h * w,
      stride: w,
    });
  }

  #axis(prog: Program, data: GPUBuffer, inverse: boolean, a: Axis): void {
    if (a.n === 1) return;
    const tw = this.#twiddles.get(a.n)!;
    const radices = _radices(a.n);
    const inv = inverse ? 1 : 0;
    if (a.n <= this.#maxShared) {
      const slots = Array.from({ length: MAX_LINE_STAGES }, (_, i) => radices[i] ?? 0);
      prog.dispatch(
        this.#ctx.pipeline(lineSource),
        [data, tw],
        grid(a.count),
        pack(
          a.n,
          a.count,
          a.inner,
          a.innerStride,
          a.outerStride,
          a.stride,
          radices.length,
          inv,
          f32(inverse ? 1 / a.n : 1),
          0,
          0,
          0,
          ...slots,
        ),
      );
      return;
    }
    const scratch = this.#scratch!;
    let src = data;
    let dst = scratch;
    let ns = 1;
    radices.forEach((r, i) => {
      const last = i === radices.length - 1;
      prog.dispatch(
        this.#ctx.pipeline(stageSource),
        [src, dst, tw],
        grid(Math.ceil((a.count * a.n) / 256)),
        pack(
          a.n,
          a.count,
          a.inner,
          a.innerStride,
          a.outerStride,
          a.stride,
          ns,
          r,
          inv,
          f32(inverse && last ? 1 / a.n : 1),
        ),
      );
      ns *= r;
      [src, dst] = [dst, src];
    });
    if (src !== data) prog.copy(src, data, this.#bytes);
  }

  /** Frees the twiddle tables and scratch. */
  destroy(): void {
    for (const buffer of this.#twiddles.values()) this.#ctx.destroyBuffer(buffer);
    this.#twiddles.clear();
    if (this.#scratch) this.#ctx.destroyBuffer(this.#scratch);
    this.#scratch = null;
  }
}
