import localSource from "../../kernels/sort_local.wgsl" with { type: "text" };
import globalSource from "../../kernels/sort_global.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** Elements one workgroup sorts in shared memory (must match sort_local.wgsl). */
const TILE = 2048;
/** Invocations per workgroup of both sort kernels. */
const WG = 256;

/**
 * Sorts `rows` independent rows of `length` f32 values ascending, in place,
 * optionally carrying a u32 payload per value (an index, so a loss can send
 * gradients back to the original positions).
 *
 * The order is IEEE-754 total order on the bit patterns: −∞ < negatives <
 * −0 < +0 < positives < +∞ (NaNs go to the ends by sign). Equal keys are
 * ordered by payload, so with an index payload the sort is stable; without one
 * equal keys are bit-identical. The result never depends on scheduling.
 *
 * It is a bitonic network over the next power of two of `length`, run on the
 * unpadded rows (positions past the end act as +∞ and are never touched):
 * one shared-memory dispatch sorts every 2048-value tile, then each larger
 * merge takes one global-memory dispatch per stride ≥ 2048 and one
 * shared-memory dispatch for the strides inside a tile. A row of 2²² values
 * takes 78 dispatches; rows of ≤ 2048 values take one. Nothing is allocated:
 * the values (and payload) buffers are the only storage.
 */
export class RowSort {
  /** Number of independent rows. */
  readonly rows: number;
  /** Values per row (any positive integer, not only powers of two). */
  readonly length: number;
  /** Whether {@link RowSort.record} takes a u32 payload buffer. */
  readonly withIndices: boolean;
  readonly #ctx: GpuContext;
  readonly #padded: number;
  readonly #tiles: number;

  /** Checks the shape; sorting needs no scratch, so nothing is allocated. */
  constructor(ctx: GpuContext, rows: number, length: number, withIndices: boolean) {
    for (const [what, v] of [["rows", rows], ["length", length]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`RowSort ${what} must be a positive integer, got ${v}`);
      }
    }
    this.#padded = 2 ** Math.ceil(Math.log2(length));
    if (rows * this.#padded > 0xffffffff) {
      throw new RangeError(`RowSort of ${rows}×${length} values exceeds u32 indexing`);
    }
    this.#ctx = ctx;
    this.rows = rows;
    this.length = length;
    this.withIndices = withIndices;
    this.#tiles = Math.ceil(length / TILE);
  }

  /**
   * Records the sort of `values` ([rows, length] f32, row-major) in place.
   * `indices` ([rows, length] u32) is required when the sort was made
   * `withIndices` and moves with its values; with `fillIndices` it is first
   * overwritten with 0 … length−1 in every row, so afterwards `indices[r, i]`
   * is the original position of row r's i-th smallest value (an argsort).
   */
  record(prog: Program, values: GPUBuffer, indices?: GPUBuffer, fillIndices = false): void {
    const n = this.length;
    const count = this.rows * n;
    this.#check(values, count, "values");
    if (this.withIndices !== (indices !== undefined)) {
      throw new Error(
        `RowSort was made ${this.withIndices ? "with" : "without"} indices; record got ${
          indices ? "an" : "no"
        } index buffer`,
      );
    }
    const entry = indices ? "sort_pairs" : "sort_keys";
    const buffers = indices ? [values, indices] : [values];
    if (indices) this.#check(indices, count, "indices");
    const localPipeline = this.#ctx.pipeline(localSource, entry);
    const globalPipeline = this.#ctx.pipeline(globalSource, entry);
    const tileGroups = this.rows * this.#tiles;
    const local = (kFirst: number, kLast: number, fill: boolean): void => {
      prog.dispatch(
        localPipeline,
        buffers,
        grid(tileGroups),
        pack(n, this.#tiles, tileGroups, kFirst, kLast, fill ? 1 : 0),
      );
    };
    local(2, Math.max(2, Math.min(TILE, this.#padded)), fillIndices);
    const half = this.#padded / 2;
    const comparators = this.rows * half;
    for (let k = 2 * TILE; k <= this.#padded; k *= 2) {
      for (let j = k / 2; j >= TILE; j /= 2) {
        prog.dispatch(
          globalPipeline,
          buffers,
          grid(Math.ceil(comparators / WG)),
          pack(n, half, comparators, k, j),
        );
      }
      local(k, k, false);
    }
  }

  /** Nothing to free (the sort owns no buffers); kept so every op has the same lifecycle. */
  destroy(): void {}

  /** Catches a too-small buffer at record time instead of as a GPU validation error. */
  #check(buffer: GPUBuffer, floats: number, what: string): void {
    if (buffer.size < floats * 4) {
      throw new RangeError(
        `${what} buffer holds ${buffer.size} bytes, RowSort(${this.rows}, ${this.length}) needs ${
          floats * 4
        }`,
      );
    }
  }
}
