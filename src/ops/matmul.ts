import matmulSource from "../../kernels/matmul.wgsl" with { type: "text" };
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** Output tile edge of matmul.wgsl. */
const TILE = 64;

/** The shape of c[rows, m] (+)= A[rows, inner]·b[inner, m], A(r, i) read at a[r·aRow + i·aCol]. */
export interface MatmulShape {
  rows: number;
  inner: number;
  m: number;
  /** Stride between rows of A: `inner` for A as stored, 1 for a transposed [inner, rows] buffer. */
  aRow: number;
  /** Stride between columns of A: 1 as stored, `rows` transposed. */
  aCol: number;
}

/** Records c = A·b, or c += A·b when `accumulate`: a tiled GEMM, deterministic. */
export function matmul(
  prog: Program,
  a: GPUBuffer,
  b: GPUBuffer,
  c: GPUBuffer,
  shape: MatmulShape,
  accumulate: boolean,
): void {
  const { rows, inner, m, aRow, aCol } = shape;
  const rowTiles = Math.ceil(rows / TILE);
  const tiles = rowTiles * Math.ceil(m / TILE);
  prog.dispatch(
    prog.ctx.pipeline(matmulSource),
    [a, b, c],
    grid(tiles),
    pack(rows, inner, m, aRow, aCol, rowTiles, tiles, accumulate ? 1 : 0),
  );
}
