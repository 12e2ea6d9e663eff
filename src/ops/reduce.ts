import partialSource from "../../kernels/reduce_partial.wgsl" with { type: "text" };
import finishSource from "../../kernels/reduce_finish.wgsl" with { type: "text" };
import { f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** How a reduction stores its result in the scalars buffer. */
export interface ReduceTarget {
  /** The storage buffer of f32 scalars the CPU reads once per evaluation. */
  scalars: GPUBuffer;
  /** Index of the f32 to write. */
  slot: number;
  /** Multiplies the result before it is stored. Default 1. */
  scale?: number;
  /** Combines with the slot's value (adds; for max, keeps the larger) instead of overwriting. Default false. */
  accumulate?: boolean;
}

/** What a reduction computes over its input(s); the numbers are reduce_partial.wgsl's OP. */
export const REDUCE = { sum: 0, dot: 1, sumAbs: 2, maxAbs: 3 } as const;

const MAX_PARTIALS = 1024;

/**
 * Records a two-stage deterministic reduction of the first `n` elements of
 * `a` (and `b`, for a dot product) into a slot of the scalars buffer: fixed
 * chunks reduced in a fixed order, then the partials folded in one workgroup.
 */
export function reduce(
  prog: Program,
  op: (typeof REDUCE)[keyof typeof REDUCE],
  a: GPUBuffer,
  b: GPUBuffer,
  n: number,
  target: ReduceTarget,
): void {
  const count = Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(n / 4096)));
  const chunk = Math.ceil(n / count);
  const parts = prog.scratch("reduction partials", MAX_PARTIALS * 4);
  prog.dispatch(
    prog.ctx.pipeline(partialSource, "main", { OP: op }),
    [a, b, parts],
    grid(count),
    pack(n, chunk),
  );
  prog.dispatch(
    prog.ctx.pipeline(finishSource, "main", { MAX: op === REDUCE.maxAbs ? 1 : 0 }),
    [parts, target.scalars],
    [1],
    pack(count, target.slot, target.accumulate ? 1 : 0, f32(target.scale ?? 1)),
  );
}

/** Records scalars[slot] (+)= scale · Σ x[i] over the first `n` floats, deterministically. */
export function reduceSum(prog: Program, x: GPUBuffer, n: number, target: ReduceTarget): void {
  reduce(prog, REDUCE.sum, x, x, n, target);
}

/** Records scalars[slot] (+)= scale · Σ a[i]·b[i] over the first `n` floats, deterministically. */
export function reduceDot(
  prog: Program,
  a: GPUBuffer,
  b: GPUBuffer,
  n: number,
  target: ReduceTarget,
): void {
  reduce(prog, REDUCE.dot, a, b, n, target);
}
