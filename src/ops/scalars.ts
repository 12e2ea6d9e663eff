import combineSource from "../../kernels/scalar_combine.wgsl" with { type: "text" };
import { f32, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** Records scalars[dst] = a·scalars[i] + b·scalars[j] on the GPU. */
export function combineScalars(
  prog: Program,
  scalars: GPUBuffer,
  dst: number,
  a: number,
  i: number,
  b: number,
  j: number,
): void {
  prog.dispatch(prog.ctx.pipeline(combineSource), [scalars], [1], pack(dst, i, j, f32(a), f32(b)));
}
