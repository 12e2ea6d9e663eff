import axpySource from "../../kernels/vector_axpy.wgsl" with { type: "text" };
import scaleSource from "../../kernels/vector_scale.wgsl" with { type: "text" };
import { type F32, f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import { REDUCE, reduce, type ReduceTarget } from "./reduce.ts";

/**
 * A coefficient read on the GPU at replay time: `k · s[a] · (s[b] − s[c])`,
 * `s` the f32 `scalars` buffer. Slots left out drop their factor (a and b
 * stand for 1, c for 0), so `{ scalars, k: 2 }` is the constant 2 and
 * `{ scalars, a: 5 }` is whatever slot 5 holds when the program runs. This lets
 * a recorded program use dot products computed earlier in the same submission.
 */
export interface Coefficient {
  /** The f32 storage buffer the slots index. */
  scalars: GPUBuffer;
  /** Constant factor. Default 1. */
  k?: number;
  /** Slot of a multiplying factor. */
  a?: number;
  /** Slot of the minuend of the difference (b − c). */
  b?: number;
  /** Slot of the subtrahend of the difference (b − c). */
  c?: number;
}

const NONE = 0xffffffff;
const WG = 256;

function _coefficientFields(coef: Coefficient): [number, number, number, F32] {
  return [coef.a ?? NONE, coef.b ?? NONE, coef.c ?? NONE, f32(coef.k ?? 1)];
}

/**
 * Records `y[i] += coef · x[i]` for i < n (f32, in place on `y`). `x` and `y`
 * must be different buffers.
 */
export function axpy(
  prog: Program,
  y: GPUBuffer,
  x: GPUBuffer,
  n: number,
  coef: Coefficient,
): void {
  prog.dispatch(
    prog.ctx.pipeline(axpySource),
    [x, y, coef.scalars],
    grid(Math.ceil(n / WG)),
    pack(n, ..._coefficientFields(coef)),
  );
}

/** Records `x[i] *= coef` for i < n (f32, in place). */
export function scale(prog: Program, x: GPUBuffer, n: number, coef: Coefficient): void {
  prog.dispatch(
    prog.ctx.pipeline(scaleSource),
    [x, coef.scalars],
    grid(Math.ceil(n / WG)),
    pack(n, ..._coefficientFields(coef)),
  );
}

/**
 * Records scalars[slot] = scale · max |x[i]| over the first `n` floats (the
 * infinity norm). With `accumulate` the slot keeps the larger of its value and
 * the new one, so several tensors can share one maximum.
 */
export function reduceMaxAbs(prog: Program, x: GPUBuffer, n: number, target: ReduceTarget): void {
  reduce(prog, REDUCE.maxAbs, x, x, n, target);
}

/** Records scalars[slot] (+)= scale · Σ |x[i]| over the first `n` floats (the L1 norm), deterministically. */
export function reduceSumAbs(prog: Program, x: GPUBuffer, n: number, target: ReduceTarget): void {
  reduce(prog, REDUCE.sumAbs, x, x, n, target);
}
