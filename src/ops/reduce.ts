import sumSource from "../../kernels/reduce_sum.wgsl" with { type: "text" };
import dotSource from "../../kernels/reduce_dot.wgsl" with { type: "text" };
import finishSource from "../../kernels/reduce_finish.wgsl" with { type: "text" };
import { f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** How a reduction stores its result in the scalars buffer. */
export interface ReduceTarget {
  /** The storage buffer of f32 scalars the CPU reads once per evaluation. */
  scalars: GPUBuffer;
  /** Index of the f32 to write. */
  slot: number;
  /** Multiplies the sum before it is stored. Default 1. */
  scale?: number;
  /** Adds to the slot instead of overwriting it. Default false. */
  accumulate?: boolean;
}

const MAX_PARTIALS = 1024;

/**
 * Records a two-stage deterministic reduction of the first `n` elements:
 * `firstStage` (bindings: params {n, chunk}, the `inputs`, then the partials)
 * reduces fixed chunks in a fixed order; `finishStage` (params {count, slot,
 * accumulate, scale}, partials, scalars) folds the partials into the slot.
 */
export function reduceWith(
  prog: Program,
  firstStage: string,
  inputs: GPUBuffer[],
  n: number,
  target: ReduceTarget,
  finishStage: string = finishSource,
): void {
  const count = Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(n / 4096)));
  const chunk = Math.ceil(n / count);
  const parts = prog.scratch("reduction partials", MAX_PARTIALS * 4);
  prog.dispatch(prog.ctx.pipeline(firstStage), [...inputs, parts], grid(count), pack(n, chunk));
  prog.dispatch(
    prog.ctx.pipeline(finishStage),
    [parts, target.scalars],
    [1],
    pack(count, target.slot, target.accumulate ? 1 : 0, f32(target.scale ?? 1)),
  );
}

/** Records scalars[slot] (+)= scale · Σ x[i] over the first `n` floats, deterministically. */
export function reduceSum(prog: Program, x: GPUBuffer, n: number, target: ReduceTarget): void {
  reduceWith(prog, sumSource, [x], n, target);
}

/** Records scalars[slot] (+)= scale · Σ a[i]·b[i] over the first `n` floats, deterministically. */
export function reduceDot(
  prog: Program,
  a: GPUBuffer,
  b: GPUBuffer,
  n: number,
  target: ReduceTarget,
): void {
  reduceWith(prog, dotSource, [a, b], n, target);
}
