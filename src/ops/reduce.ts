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

function split(n: number): { chunk: number; count: number } {
  const count = Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(n / 4096)));
  return { chunk: Math.ceil(n / count), count };
}

function partials(prog: Program): GPUBuffer {
  return prog.scratch("reduction partials", MAX_PARTIALS * 4);
}

function finish(prog: Program, parts: GPUBuffer, count: number, target: ReduceTarget): void {
  prog.dispatch(
    prog.ctx.pipeline(finishSource),
    [parts, target.scalars],
    [1],
    pack(count, target.slot, target.accumulate ? 1 : 0, f32(target.scale ?? 1)),
  );
}

/** Records scalars[slot] (+)= scale · Σ x[i] over the first `n` floats, deterministically. */
export function reduceSum(prog: Program, x: GPUBuffer, n: number, target: ReduceTarget): void {
  const { chunk, count } = split(n);
  const parts = partials(prog);
  prog.dispatch(prog.ctx.pipeline(sumSource), [x, parts], grid(count), pack(n, chunk));
  finish(prog, parts, count, target);
}

/** Records scalars[slot] (+)= scale · Σ a[i]·b[i] over the first `n` floats, deterministically. */
export function reduceDot(
  prog: Program,
  a: GPUBuffer,
  b: GPUBuffer,
  n: number,
  target: ReduceTarget,
): void {
  const { chunk, count } = split(n);
  const parts = partials(prog);
  prog.dispatch(prog.ctx.pipeline(dotSource), [a, b, parts], grid(count), pack(n, chunk));
  finish(prog, parts, count, target);
}
