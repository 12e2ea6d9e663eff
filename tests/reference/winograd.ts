// Plain TypeScript references for the Winograd F(4×4, 3×3) kernels, in
// float64, written for clarity: each mirrors one kernel's layout so the
// kernels can be checked one at a time. Tensors are planar [C, H, W].

/** Bᵀ for points 0, 1, −1, 1/2, −1/2, ∞ (kernels/winograd_input.wgsl). */
export const BT: readonly (readonly number[])[] = [
  [0.25, 0, -1.25, 0, 1, 0],
  [0, -0.25, -0.25, 1, 1, 0],
  [0, 0.25, -0.25, -1, 1, 0],
  [0, -0.5, -1, 0.5, 1, 0],
  [0, 0.5, -1, -0.5, 1, 0],
  [0, 0.25, 0, -1.25, 0, 1],
];

/** Aᵀ for the same points (kernels/winograd_output.wgsl). */
export const AT: readonly (readonly number[])[] = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 0.5, -0.5, 0],
  [0, 1, 1, 0.25, 0.25, 0],
  [0, 1, -1, 0.125, -0.125, 1],
];

/** L·X·Rᵀ for small dense matrices (L: a×n, X: n×n', R: b×n'). */
export function sandwich(
  l: readonly (readonly number[])[],
  x: readonly (readonly number[])[],
  r: readonly (readonly number[])[],
): number[][] {
  return l.map((lr) =>
    r.map((rr) => {
      let s = 0;
      for (let i = 0; i < lr.length; i++) {
        for (let j = 0; j < rr.length; j++) s += lr[i] * x[i][j] * rr[j];
      }
      return s;
    })
  );
}

/** What the transforms need to know about a plan (see src/ops/winograd.ts). */
export interface RefPlan {
  height: number;
  width: number;
  k: number;
  m: number;
  cin: number;
  cout: number;
  transposed: boolean;
  tilesPerRow: number;
  quads: number;
}

/** Pixel (row, col) of channel c, of the image rotated by 180° when `flip`; 0 outside for zero padding. */
function pixel(
  x: Float32Array,
  c: number,
  plan: RefPlan,
  row: number,
  col: number,
  circular: boolean,
): number {
  const { height: h, width: w } = plan;
  if (circular) {
    row = ((row % h) + h) % h;
    col = ((col % w) + w) % w;
  } else if (row < 0 || row >= h || col < 0 || col >= w) {
    return 0;
  }
  if (plan.transposed) {
    row = h - 1 - row;
    col = w - 1 - col;
  }
  return x[(c * h + row) * w + col];
}

/**
 * The input transform of tiles [first, first + tiles): V[ξ][row][t] =
 * (Bᵀ·d·B)[ξ] of channel `row`'s window for tile slot t, [36][rows][quads·4];
 * rows past k are zero. Slots past `tiles` only pad the GEMM and are left
 * NaN here: any finite value will do.
 */
export function inputTransformRef(
  x: Float32Array,
  plan: RefPlan,
  rows: number,
  first: number,
  tiles: number,
  circular: boolean,
): Float64Array {
  const n = plan.quads * 4;
  const v = new Float64Array(36 * rows * n);
  for (let xi = 0; xi < 36; xi++) {
    for (let c = 0; c < plan.k; c++) {
      v.fill(NaN, (xi * rows + c) * n + tiles, (xi * rows + c + 1) * n);
    }
  }
  for (let c = 0; c < plan.k; c++) {
    for (let t = 0; t < tiles; t++) {
      const tile = first + t;
      const y0 = Math.floor(tile / plan.tilesPerRow) * 4 - 1;
      const x0 = (tile % plan.tilesPerRow) * 4 - 1;
      const d = Array.from(
        { length: 6 },
        (_, i) => Array.from({ length: 6 }, (_, j) => pixel(x, c, plan, y0 + i, x0 + j, circular)),
      );
      const t6 = sandwich(BT, d, BT);
      for (let xi = 0; xi < 36; xi++) v[(xi * rows + c) * n + t] = t6[Math.floor(xi / 6)][xi % 6];
    }
  }
  return v;
}

/**
 * U(ξ, ci, co) from `winogradWeights` output in `layout` ("slabs" or "slabs
 * transposed"), channel counts padded to 32.
 */
export function weightAt(
  u: ArrayLike<number>,
  cin: number,
  cout: number,
  layout: string,
  xi: number,
  ci: number,
  co: number,
): number {
  const cip = Math.ceil(cin / 32) * 32;
  const cop = Math.ceil(cout / 32) * 32;
  // Slabs: [36][rows / 32][depth][32], rows the GEMM's (padded to 32), depth its k (padded to 4).
  const transposed = layout === "slabs transposed";
  const [k, m] = transposed ? [co, ci] : [ci, co];
  const rows = transposed ? cip : cop;
  const depth = Math.ceil((transposed ? cout : cin) / 4) * 4;
  return u[xi * rows * depth + ((m >> 5) * depth + k) * 32 + (m & 31)];
}

/**
 * The batched GEMM: out[ξ][row][t] = Σ_k U·V over the k real channels, rows
 * the output channels (forward) or the input channels (transposed); only the
 * m real rows are filled, [36][productRows][quads·4].
 */
export function gemmRef(
  u: Float32Array,
  v: Float32Array,
  plan: RefPlan,
  vRows: number,
  outRows: number,
  layout: string,
): Float64Array {
  const n = plan.quads * 4;
  const out = new Float64Array(36 * outRows * n);
  for (let xi = 0; xi < 36; xi++) {
    for (let row = 0; row < plan.m; row++) {
      for (let t = 0; t < n; t++) {
        let s = 0;
        for (let k = 0; k < plan.k; k++) {
          const w = plan.transposed
            ? weightAt(u, plan.cin, plan.cout, layout, xi, row, k)
            : weightAt(u, plan.cin, plan.cout, layout, xi, k, row);
          s += w * v[(xi * vRows + k) * n + t];
        }
        out[(xi * outRows + row) * n + t] = s;
      }
    }
  }
  return out;
}

/**
 * The output transform of tiles [first, first + tiles): Aᵀ·M·A of each
 * channel and tile, plus bias, then ReLU when `relu`, written (or added when
 * `accumulate`) over `prior` where the tile lies (rotated back when
 * transposed); other pixels keep `prior`.
 */
export function outputTransformRef(
  mm: Float32Array,
  bias: Float32Array,
  plan: RefPlan,
  mRows: number,
  first: number,
  tiles: number,
  opts: { relu: boolean; accumulate: boolean; prior: Float32Array },
): Float64Array {
  const { height: h, width: w } = plan;
  const n = plan.quads * 4;
  const out = Float64Array.from(opts.prior);
  for (let c = 0; c < plan.m; c++) {
    for (let t = 0; t < tiles; t++) {
      const tile = first + t;
      const y0 = Math.floor(tile / plan.tilesPerRow) * 4;
      const x0 = (tile % plan.tilesPerRow) * 4;
      const m6 = Array.from(
        { length: 6 },
        (_, i) => Array.from({ length: 6 }, (_, j) => mm[((i * 6 + j) * mRows + c) * n + t]),
      );
      const y = sandwich(AT, m6, AT);
      for (let a = 0; a < 4; a++) {
        for (let b = 0; b < 4; b++) {
          let row = y0 + a;
          let col = x0 + b;
          if (row >= h || col >= w) continue;
          if (plan.transposed) {
            row = h - 1 - row;
            col = w - 1 - col;
          }
          const r = y[a][b] + bias[c];
          const at = (c * h + row) * w + col;
          out[at] = (opts.accumulate ? out[at] : 0) + (opts.relu ? Math.max(r, 0) : r);
        }
      }
    }
  }
  return out;
}

/**
 * Root mean square of a reference output, at least 1: the scale that the
 * Winograd passes' f32 rounding follows (their transformed operands are
 * larger than the pixels), so their tests take atol = 1e-4 · rms.
 */
export function rms(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.max(1, Math.sqrt(s / values.length));
}
