import resampleSource from "../../kernels/resample_axis.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import { TexSynthError } from "../errors.ts";

/**
 * How {@link Resampler} weighs input pixels:
 * - `"area"`: exact box average, each input pixel weighted by the fraction of
 *   the output pixel it covers (the anti-aliased choice for downscaling).
 * - `"lanczos3"`: windowed sinc with 3 lobes, stretched by the scale factor
 *   when downscaling (as PIL and skimage's `anti_aliasing` do).
 * - `"bicubic"`: Keys cubic with a = −0.5 (PIL's), for upsampling between
 *   scales; stretched like Lanczos when it downscales.
 */
export type ResampleFilter = "area" | "lanczos3" | "bicubic";

/** Options for {@link Resampler}. */
export interface ResampleOptions {
  /**
   * Treat the image as periodic (taps past an edge read the opposite edge),
   * for tileable textures. Default false: clamp to the edge pixel.
   */
  wrap?: boolean;
}

/** One axis's gather table: output position o reads `taps` inputs from `index`, weighted by `weights`. */
interface AxisTable {
  taps: number;
  index: Uint32Array;
  weights: Float32Array;
}

interface Pass {
  index: GPUBuffer;
  weights: GPUBuffer;
  params: ArrayBuffer;
  total: number;
}

const WORKGROUP = 256;

function _sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

function _lanczos3(x: number): number {
  return Math.abs(x) < 3 ? _sinc(x) * _sinc(x / 3) : 0;
}

function _keys(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

/**
 * Input positions and float64 weights of output position `o` along an axis of
 * `nIn` → `nOut` samples, unnormalized. Pixel i spans [i, i+1) in input
 * coordinates (PIL / align_corners=False), so output o is centred on
 * (o + 0.5)·nIn/nOut.
 */
function _taps(o: number, nIn: number, nOut: number, filter: ResampleFilter): [number, number[]] {
  if (filter === "area") {
    // In units of 1/nOut, output o covers [o·nIn, (o+1)·nIn) and input i covers
    // [i·nOut, (i+1)·nOut): integer overlaps, so the box weights are exact.
    const lo = o * nIn;
    const hi = lo + nIn;
    const first = Math.floor(lo / nOut);
    const weights: number[] = [];
    for (let i = first; i * nOut < hi; i++) {
      weights.push(Math.min((i + 1) * nOut, hi) - Math.max(i * nOut, lo));
    }
    return [first, weights];
  }
  const kernel = filter === "lanczos3" ? _lanczos3 : _keys;
  const radius = filter === "lanczos3" ? 3 : 2;
  const scale = nIn / nOut;
  const stretch = Math.max(scale, 1);
  const center = (o + 0.5) * scale;
  let first = Math.ceil(center - radius * stretch - 0.5);
  let last = Math.floor(center + radius * stretch - 0.5);
  const weightAt = (i: number): number => kernel((i + 0.5 - center) / stretch);
  while (first < last && weightAt(first) === 0) first++;
  while (last > first && weightAt(last) === 0) last--;
  const weights: number[] = [];
  for (let i = first; i <= last; i++) weights.push(weightAt(i));
  return [first, weights];
}

/** The gather table of one axis, weights normalized to sum 1 and edges resolved to in-range indices. */
function _axisTable(nIn: number, nOut: number, filter: ResampleFilter, wrap: boolean): AxisTable {
  const rows = Array.from({ length: nOut }, (_, o) => _taps(o, nIn, nOut, filter));
  const taps = Math.max(...rows.map(([, w]) => w.length));
  const index = new Uint32Array(nOut * taps);
  const weights = new Float32Array(nOut * taps);
  rows.forEach(([first, w], o) => {
    const total = w.reduce((s, v) => s + v, 0);
    w.forEach((v, k) => {
      const i = first + k;
      index[o * taps + k] = wrap ? ((i % nIn) + nIn) % nIn : Math.min(Math.max(i, 0), nIn - 1);
      weights[o * taps + k] = v / total;
    });
  });
  return { taps, index, weights };
}

/**
 * Separable resampling on the GPU of a planar `[C, H, W]` tensor to
 * `[C, H2, W2]`: one gather pass per axis whose size changes (a plain copy
 * when neither does), the cheaper axis order first. Weight tables and the
 * intermediate tensor are built once in the constructor, so recording and
 * replaying allocate nothing beyond the program's uniform blocks.
 *
 * Downscaling anti-aliases: `"area"` averages exactly the input each output
 * pixel covers; `"lanczos3"` and `"bicubic"` stretch their kernel by the
 * scale factor. Weights sum to 1, so a constant image stays constant. Edges
 * clamp to the border pixel, or wrap with `{ wrap: true }` for tileable
 * textures. Pixel centres align as in PIL and torch's `align_corners=False`.
 *
 * @example
 * ```ts ignore
 * const down = new Resampler(ctx, 3, 256, 256, 128, 128, "area");
 * down.record(prog, exemplar, half);
 * ```
 */
export class Resampler {
  readonly #ctx: GpuContext;
  readonly #bytesIn: number;
  readonly #bytesOut: number;
  readonly #passes: Pass[] = [];
  readonly #owned: GPUBuffer[] = [];
  readonly #between: GPUBuffer | null = null;

  /**
   * Builds the weight tables for `[channels, inHeight, inWidth]` →
   * `[channels, outHeight, outWidth]` and allocates the intermediate tensor
   * (when both axes change). Sizes must be positive integers.
   */
  constructor(
    ctx: GpuContext,
    channels: number,
    inHeight: number,
    inWidth: number,
    outHeight: number,
    outWidth: number,
    filter: ResampleFilter,
    options: ResampleOptions = {},
  ) {
    const sizes = [channels, inHeight, inWidth, outHeight, outWidth];
    if (!sizes.every((n) => Number.isInteger(n) && n >= 1)) {
      throw new TexSynthError(
        `cannot resample [${channels}, ${inHeight}, ${inWidth}] to [${channels}, ${outHeight}, ${outWidth}]: sizes must be whole numbers of at least 1 px`,
      );
    }
    this.#ctx = ctx;
    this.#bytesIn = channels * inHeight * inWidth * 4;
    this.#bytesOut = channels * outHeight * outWidth * 4;
    const wrap = options.wrap ?? false;
    const alongW = inWidth === outWidth ? null : _axisTable(inWidth, outWidth, filter, wrap);
    const alongH = inHeight === outHeight ? null : _axisTable(inHeight, outHeight, filter, wrap);
    const widthPass = (rows: number): Pass | null =>
      alongW && this.#pass("resample W", alongW, rows, inWidth, outWidth, 1);
    const heightPass = (columns: number): Pass | null =>
      alongH && this.#pass("resample H", alongH, channels, inHeight, outHeight, columns);
    // Both orders give the same result; pick the one with fewer multiply-adds.
    const tapsW = alongW?.taps ?? 0;
    const tapsH = alongH?.taps ?? 0;
    const widthFirst = inHeight * outWidth * tapsW + outHeight * outWidth * tapsH <=
      outHeight * inWidth * tapsH + outHeight * outWidth * tapsW;
    const passes = widthFirst
      ? [widthPass(channels * inHeight), heightPass(outWidth)]
      : [heightPass(inWidth), widthPass(channels * outHeight)];
    this.#passes = passes.filter((p): p is Pass => p !== null);
    if (this.#passes.length === 2) {
      this.#between = ctx.createBuffer("resample intermediate", this.#passes[0].total * 4);
      this.#owned.push(this.#between);
    }
  }

  /**
   * Records the resampling of `input` (`[C, H, W]` floats) into `output`
   * (`[C, H2, W2]` floats). `input` and `output` must be different buffers.
   */
  record(prog: Program, input: GPUBuffer, output: GPUBuffer): void {
    if (input.size < this.#bytesIn || output.size < this.#bytesOut) {
      throw new Error(
        `Resampler.record: buffers of ${input.size} and ${output.size} bytes, need ${this.#bytesIn} and ${this.#bytesOut}`,
      );
    }
    if (this.#passes.length === 0) {
      prog.copy(input, output, this.#bytesIn);
      return;
    }
    const pipeline = this.#ctx.pipeline(resampleSource);
    this.#passes.forEach((pass, k) => {
      const src = k === 0 ? input : this.#between!;
      const dst = k === this.#passes.length - 1 ? output : this.#between!;
      prog.dispatch(
        pipeline,
        [src, pass.index, pass.weights, dst],
        grid(Math.ceil(pass.total / WORKGROUP)),
        pass.params,
      );
    });
  }

  /** Frees the weight tables and the intermediate tensor. */
  destroy(): void {
    for (const buffer of this.#owned) this.#ctx.destroyBuffer(buffer);
    this.#owned.length = 0;
  }

  #pass(
    label: string,
    table: AxisTable,
    outer: number,
    nIn: number,
    nOut: number,
    inner: number,
  ): Pass {
    const index = this.#ctx.upload(`${label} index`, table.index);
    const weights = this.#ctx.upload(`${label} weights`, table.weights);
    this.#owned.push(index, weights);
    const total = outer * nOut * inner;
    return { index, weights, total, params: pack(total, nIn, nOut, inner, table.taps) };
  }
}
