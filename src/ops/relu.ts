import forwardSource from "../../kernels/relu.wgsl" with { type: "text" };
import backwardSource from "../../kernels/relu_backward.wgsl" with { type: "text" };
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/**
 * Records output[i] = max(input[i], 0) for the first `n` floats. For layers
 * whose pre-ReLU output is itself needed (conv1_1 as a loss layer); other
 * convolutions fuse the ReLU.
 */
export function relu(prog: Program, input: GPUBuffer, output: GPUBuffer, n: number): void {
  if (input === output) throw new RangeError("relu: input and output must differ");
  prog.dispatch(
    prog.ctx.pipeline(forwardSource),
    [input, output],
    grid(Math.ceil(n / 256)),
    pack(n),
  );
}

/**
 * Records grad[i] = activation[i] > 0 ? grad[i] : 0 for the first `n` floats,
 * in place. `activation` may be the pre- or the post-ReLU value: the sign
 * test is the same. Both buffers are read as whole vec4s (engine buffers are
 * sized in multiples of 16 bytes).
 */
export function reluBackwardInPlace(
  prog: Program,
  grad: GPUBuffer,
  activation: GPUBuffer,
  n: number,
): void {
  if (grad === activation) {
    throw new RangeError("reluBackwardInPlace: grad and activation must differ");
  }
  prog.dispatch(
    prog.ctx.pipeline(backwardSource),
    [grad, activation],
    grid(Math.ceil(n / 1024)),
    pack(n),
  );
}
