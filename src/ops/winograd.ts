import inputSource from "../../kernels/winograd_input.wgsl" with { type: "text" };
import outputSource from "../../kernels/winograd_output.wgsl" with { type: "text" };
import { grid, pack } from "../gpu/params.ts";
import type { Precision } from "../gpu/context.ts";
import type { KernelFamily } from "../gpu/kernel_family.ts";
import type { Binding, Program } from "../gpu/program.ts";
import { winogradGemmSource } from "./winograd_gemm_source.ts";
import tiledGemmSource from "../../kernels/winograd_gemm_tiled.wgsl" with { type: "text" };

/**
 * G of Winograd F(4×4, 3×3) for interpolation points 0, 1, −1, 1/2, −1/2, ∞
 * (rows: the 6 points, columns: the 3 taps). Bᵀ and Aᵀ, whose entries are
 * exact binary fractions, live in kernels/winograd_input.wgsl and
 * kernels/winograd_output.wgsl.
 */
export const WINOGRAD_G: readonly (readonly number[])[] = [
  [4, 0, 0],
  [2 / 3, 2 / 3, 2 / 3],
  [2 / 3, -2 / 3, 2 / 3],
  [-8 / 3, -4 / 3, -2 / 3],
  [-8 / 3, 4 / 3, -2 / 3],
  [0, 0, 1],
];

/**
 * Channel counts of the transformed weights, and so the GEMM rows, are
 * padded with zeros to a multiple of this (the tallest GEMM block).
 */
export const WINOGRAD_ROW_ALIGN = 32;

/** Output tile edge: each tile of 4×4 pixels costs 36 products per channel pair instead of 144. */
const TILE = 4;
/** Transform points per tile (6×6). */
const POINTS = 36;

/**
 * A GEMM block shape: rows (channels) × tiles per invocation (software
 * kernels) or per workgroup (the tiled kernel), the entry point of its
 * kernel, and its time per product relative to the wide block's, as
 * measured on llvmpipe (few tiles or rows leave little reuse per loaded
 * value).
 */
export interface GemmBlock {
  entry: string;
  rows: number;
  tiles: number;
  cost: number;
}

const BLOCKS = {
  wide: { entry: "gemm16x32", rows: 16, tiles: 32, cost: 1 },
  deep: { entry: "gemm32x16", rows: 32, tiles: 16, cost: 1 },
  narrow: { entry: "gemm32x4", rows: 32, tiles: 4, cost: 2.5 },
  thin: { entry: "gemm4x32", rows: 4, tiles: 32, cost: 2.5 },
  tiled: { entry: "main", rows: 32, tiles: 32, cost: 1 },
} as const satisfies Record<string, GemmBlock>;

/**
 * How the GEMM reads transformed weights: the forward pass's layout
 * ("slabs", [36][cop / 32][ci (padded to 4)][32]) or the input gradient's
 * ("slabs transposed": the same with the channels' roles swapped), so that
 * the weights of 32 GEMM rows are one sequential stream along k. cip and cop
 * are the channel counts padded with zeros to {@link WINOGRAD_ROW_ALIGN}.
 */
export type WeightLayout = "slabs" | "slabs transposed";

/**
 * Transformed weights U[ξ] = G·g·Gᵀ of every (input, output) channel pair,
 * computed in f64 and rounded once, to f32 or (`precision` "f16") to f16,
 * in `layout`. `weight` is torch's [cout, cin, 3, 3]; the input gradient
 * flips the image, not the window. (The tiled kernels compute the same on
 * the GPU at every pass: kernels/winograd_weights.wgsl.)
 */
export function winogradWeights(
  weight: Float32Array,
  cin: number,
  cout: number,
  layout?: WeightLayout,
  precision?: "f32",
): Float32Array;
/** The same rounded to f16, for a GEMM that stores its weights as f16. */
export function winogradWeights(
  weight: Float32Array,
  cin: number,
  cout: number,
  layout: WeightLayout,
  precision: Precision,
): Float32Array | Float16Array;
export function winogradWeights(
  weight: Float32Array,
  cin: number,
  cout: number,
  layout: WeightLayout = "slabs",
  precision: Precision = "f32",
): Float32Array | Float16Array {
  const transposed = layout === "slabs transposed";
  // Slabs: rows m (padded to 32) by k (padded to 4).
  const rows = _align(transposed ? cin : cout);
  const depth = Math.ceil((transposed ? cout : cin) / 4) * 4;
  const perPoint = rows * depth;
  const out = precision === "f16"
    ? new Float16Array(POINTS * perPoint)
    : new Float32Array(POINTS * perPoint);
  const t = new Float64Array(18);
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      const g = (co * cin + ci) * 9;
      // t = G·g (6×3), then U = t·Gᵀ (6×6).
      for (let i = 0; i < 6; i++) {
        for (let kx = 0; kx < 3; kx++) {
          let s = 0;
          for (let ky = 0; ky < 3; ky++) s += WINOGRAD_G[i][ky] * weight[g + ky * 3 + kx];
          t[i * 3 + kx] = s;
        }
      }
      const k = transposed ? co : ci;
      const m = transposed ? ci : co;
      const at = ((m >> 5) * depth + k) * 32 + (m & 31);
      for (let xi = 0; xi < POINTS; xi++) {
        const i = Math.floor(xi / 6);
        const j = xi % 6;
        let s = 0;
        for (let kx = 0; kx < 3; kx++) s += t[i * 3 + kx] * WINOGRAD_G[j][kx];
        out[xi * perPoint + at] = s;
      }
    }
  }
  return out;
}

/** Elements of the transformed weights in `layout`: 36 slabs of rows × depth. */
export function winogradWeightCount(cin: number, cout: number, layout: WeightLayout): number {
  const transposed = layout === "slabs transposed";
  return POINTS * _align(transposed ? cin : cout) * Math.ceil((transposed ? cout : cin) / 4) * 4;
}

function _align(channels: number): number {
  return Math.ceil(channels / WINOGRAD_ROW_ALIGN) * WINOGRAD_ROW_ALIGN;
}

/** How one convolution pass at one image size runs as Winograd passes. */
export interface WinogradPlan {
  /** The image size, in pixels. */
  height: number;
  width: number;
  /** The layer's channels, and whether this is its input gradient. */
  cin: number;
  cout: number;
  transposed: boolean;
  /** GEMM depth (cin forward, cout transposed) and rows (the other). */
  k: number;
  m: number;
  /** Tiles per tile row, and in all. */
  tilesPerRow: number;
  tiles: number;
  /** Tiles per chunk, so that the transformed operands fit one binding. */
  chunkTiles: number;
  /** Quads (4 tiles) per channel of the scratch operands: a chunk padded to whole GEMM blocks. */
  quads: number;
  /** The GEMM's block. */
  block: GemmBlock;
  /** The kernel family: software (register blocks, small workgroups) or tiled (workgroup memory). */
  kernels: KernelFamily;
  /** The weight layout the GEMM reads. */
  weights: WeightLayout;
  /** How the transformed weights are stored; the GEMM accumulates in f32 either way. */
  weightPrecision: Precision;
  /** Bytes of the transformed input and of the GEMM result, per chunk. */
  vBytes: number;
  mBytes: number;
}

/**
 * Plans the forward pass (or, `transposed`, the input gradient) of a
 * cin → cout convolution over height × width; null when even one GEMM block
 * of tiles would pass `maxBinding` bytes. `kernels` "software" picks among
 * the large register blocks that suit a software adapter, "tiled" takes the
 * workgroup-memory kernel; `weightPrecision` "f16" needs a device with
 * `shader-f16`.
 */
export function planWinograd(
  height: number,
  width: number,
  cin: number,
  cout: number,
  transposed: boolean,
  maxBinding: number,
  kernels: KernelFamily,
  weightPrecision: Precision = "f32",
): WinogradPlan | null {
  const k = transposed ? cout : cin;
  const m = transposed ? cin : cout;
  const tilesPerRow = Math.ceil(width / TILE);
  const tiles = Math.ceil(height / TILE) * tilesPerRow;
  const blockFor = (n: number): GemmBlock => {
    if (kernels === "tiled") return BLOCKS.tiled;
    if (m <= 4) return BLOCKS.thin;
    if (n >= 32) return BLOCKS.wide;
    return n <= 4 ? BLOCKS.narrow : BLOCKS.deep;
  };
  const sizes = (n: number) => {
    const block = blockFor(n);
    const quads = Math.ceil(n / block.tiles) * block.tiles / 4;
    const vBytes = POINTS * Math.ceil(k / 4) * 4 * quads * 16;
    const mBytes = POINTS * _align(m) * quads * 16;
    return { block, quads, vBytes, mBytes, fits: Math.max(vBytes, mBytes) <= maxBinding };
  };
  let chunkTiles = tiles;
  let s = sizes(chunkTiles);
  while (!s.fits) {
    // Whole blocks of the wide GEMM per chunk, as many as fit.
    const perTile = POINTS * Math.max(Math.ceil(k / 4) * 4, _align(m)) * 4;
    const next = Math.floor(maxBinding / perTile / 32) * 32;
    if (next < 32 || next >= chunkTiles) return null;
    chunkTiles = next;
    s = sizes(chunkTiles);
  }
  return {
    height,
    width,
    cin,
    cout,
    transposed,
    k,
    m,
    tilesPerRow,
    tiles,
    chunkTiles,
    quads: s.quads,
    block: s.block,
    kernels,
    weights: transposed ? "slabs transposed" : "slabs",
    weightPrecision,
    vBytes: s.vBytes,
    mBytes: s.mBytes,
  };
}

/**
 * The plan's GEMM work per channel pair, in products of the wide block: 36
 * per tile, padding tiles included, weighted by the block's cost. The direct
 * convolution does 9 per pixel.
 */
export function winogradWork(plan: WinogradPlan): number {
  const chunks = Math.ceil(plan.tiles / plan.chunkTiles);
  return POINTS * chunks * plan.quads * 4 * plan.block.cost;
}

/**
 * GEMM invocations per workgroup: 64 unless that leaves fewer than 32
 * workgroups (a software adapter gives each workgroup to one thread), never
 * under 8 (one SIMD batch).
 */
function _gemmWorkgroup(lanes: number): number {
  let wg = 64;
  while (wg > 8 && lanes / wg < 32) wg /= 2;
  return wg;
}

/** Rows of the transformed input V per point ξ: the GEMM depth padded to a multiple of 4. */
export function operandRows(plan: WinogradPlan): number {
  return Math.ceil(plan.k / 4) * 4;
}

/** Rows of the GEMM result per point ξ: its rows padded to {@link WINOGRAD_ROW_ALIGN}. */
export function productRows(plan: WinogradPlan): number {
  return _align(plan.m);
}

/**
 * Records the input transform of tiles [first, first + tiles) of `input`
 * ([k, H, W]; rotated by 180° for a transposed plan) into `v`:
 * [36][{@link operandRows}][plan.quads·4] with zero padding rows.
 */
export function recordInputTransform(
  prog: Program,
  plan: WinogradPlan,
  input: GPUBuffer,
  v: Binding,
  first: number,
  tiles: number,
  circular: boolean,
): void {
  const aligned = plan.width % 4 === 0;
  const shared = aligned && plan.tilesPerRow % 4 === 0 && first % 4 === 0;
  const rows = operandRows(plan);
  prog.dispatch(
    prog.ctx.pipeline(inputSource, shared ? "rows" : aligned ? "aligned" : "main", {
      CIRCULAR: circular ? 1 : 0,
      FLIP: plan.transposed ? 1 : 0,
    }),
    aligned ? [input, v, input] : [input, v],
    grid(Math.ceil((rows * plan.quads) / 64)),
    pack(plan.height, plan.width, plan.k, rows, plan.tilesPerRow, first, tiles, plan.quads),
  );
}

/** Generated GEMM kernels by block entry point and weight precision. */
const _gemmSources = new Map<string, string>();

function _gemmSource(block: GemmBlock, precision: Precision): string {
  const key = `${block.entry} ${precision}`;
  let source = _gemmSources.get(key);
  if (source === undefined) {
    source = block === BLOCKS.tiled
      ? (precision === "f16" ? "enable f16;\nalias W4 = vec4<f16>;\n" : "alias W4 = vec4f;\n") +
        tiledGemmSource
      : winogradGemmSource(block, { f16Weights: precision === "f16" });
    _gemmSources.set(key, source);
  }
  return source;
}

/**
 * Records the batched GEMM m[ξ] = Σ_k u[ξ][k]·v[ξ][k] over the plan's tiles,
 * `u` in the plan's weight layout and precision: `m` is
 * [36][{@link productRows}][plan.quads·4].
 */
export function recordGemm(
  prog: Program,
  plan: WinogradPlan,
  u: Binding,
  v: Binding,
  m: Binding,
): void {
  const { block, quads } = plan;
  const mBlocks = Math.ceil(plan.m / block.rows);
  const nBlocks = (quads * 4) / block.tiles;
  const params = pack(operandRows(plan), quads, productRows(plan) / 4, mBlocks, nBlocks);
  const source = _gemmSource(block, plan.weightPrecision);
  if (plan.kernels === "tiled") {
    // One workgroup per 32 rows × 32 tiles of one point ξ.
    prog.dispatch(
      prog.ctx.pipeline(source),
      [u, v, m],
      grid(POINTS * mBlocks * nBlocks),
      params,
    );
    return;
  }
  const lanes = POINTS * mBlocks * nBlocks;
  const wg = _gemmWorkgroup(lanes);
  prog.dispatch(
    prog.ctx.pipeline(source, block.entry, { WG: wg }),
    [u, v, m],
    grid(Math.ceil(lanes / wg)),
    params,
  );
}

/**
 * Records the output transform of tiles [first, first + tiles) from the
 * GEMM result `m` into `output` ([m, H, W]; rotated back for a transposed
 * plan): bias added, then ReLU when `relu`, then added to what is there when
 * `accumulate`.
 */
export function recordOutputTransform(
  prog: Program,
  plan: WinogradPlan,
  m: Binding,
  bias: GPUBuffer,
  output: GPUBuffer,
  first: number,
  tiles: number,
  opts: { relu: boolean; accumulate: boolean },
): void {
  const aligned = plan.width % 4 === 0;
  prog.dispatch(
    prog.ctx.pipeline(outputSource, aligned ? "aligned" : "main", {
      RELU: opts.relu ? 1 : 0,
      ACCUMULATE: opts.accumulate ? 1 : 0,
      FLIP: plan.transposed ? 1 : 0,
    }),
    [m, bias, output],
    grid(Math.ceil((plan.m * Math.ceil(tiles / 4)) / 64)),
    pack(
      plan.height,
      plan.width,
      plan.m,
      plan.tilesPerRow,
      first,
      tiles,
      plan.quads,
      productRows(plan),
    ),
  );
}

/**
 * Records output (=, or += when `accumulate`) act(conv3x3(input) + bias),
 * or for a transposed plan the input gradient of the convolution, as
 * Winograd passes: input transform, batched GEMM with the transformed
 * weights `u` (from {@link winogradWeights}, in `plan.weights` and
 * `plan.weightPrecision`), output transform; once per
 * chunk of tiles. The transformed operands live in the program's scratch
 * buffers.
 */
export function recordWinograd(
  prog: Program,
  plan: WinogradPlan,
  input: GPUBuffer,
  u: Binding,
  bias: GPUBuffer,
  output: GPUBuffer,
  opts: { circular: boolean; relu: boolean; accumulate: boolean },
): void {
  const v = prog.scratch("winograd operand", plan.vBytes);
  const m = prog.scratch("winograd product", plan.mBytes);
  for (let first = 0; first < plan.tiles; first += plan.chunkTiles) {
    const tiles = Math.min(plan.chunkTiles, plan.tiles - first);
    recordInputTransform(prog, plan, input, v, first, tiles, opts.circular);
    recordGemm(prog, plan, u, v, m);
    recordOutputTransform(prog, plan, m, bias, output, first, tiles, opts);
  }
}
