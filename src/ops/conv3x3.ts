import source from "../../kernels/conv3x3.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import { TexSynthError } from "../errors.ts";

/** How a convolution reads past the image edge: torch's zeros, or wrapped around for seamless tiles. */
export type Padding = "zero" | "circular";

/** Output channels × pixels computed by one workgroup of kernels/conv3x3.wgsl. */
const TILE = 8192;
/** The kernel's tile heights (output channels); the width is TILE / height pixels. */
const TILE_HEIGHTS = [64, 128, 32, 256];

/**
 * One frozen 3×3 convolution layer (stride 1, padding 1) with its weights on
 * the GPU in the layouts its kernels read: forward, and the input gradient
 * (the transposed convolution) for backpropagating to the pixels. Both run
 * the implicit-GEMM kernel in kernels/conv3x3.wgsl.
 */
export class Conv3x3 {
  /** Input channels. */
  readonly cin: number;
  /** Output channels. */
  readonly cout: number;
  #ctx: GpuContext;
  #label: string;
  #forwardWeights: GPUBuffer;
  #backwardWeights: GPUBuffer;
  #bias: GPUBuffer;
  #zeroBias: GPUBuffer;

  /**
   * Uploads `weight` (torch layout [cout, cin, 3, 3]) and `bias` ([cout]).
   * The forward layout is [tap][cin][cout]; the input gradient's is the same
   * for the transposed layer: channels swapped and the 3×3 window flipped.
   */
  constructor(
    ctx: GpuContext,
    cin: number,
    cout: number,
    weight: Float32Array,
    bias: Float32Array,
    label = "conv3x3",
  ) {
    if (weight.length !== cout * cin * 9 || bias.length !== cout) {
      throw new TexSynthError(
        `${label}: weight has ${weight.length} values and bias ${bias.length}, expected ${
          cout * cin * 9
        } ([${cout}, ${cin}, 3, 3]) and ${cout}: check that the weights file is VGG19's`,
      );
    }
    this.cin = cin;
    this.cout = cout;
    this.#ctx = ctx;
    this.#label = label;
    this.#forwardWeights = ctx.upload(`${label} weights`, _gemmWeights(weight, cin, cout, false));
    this.#backwardWeights = ctx.upload(
      `${label} transposed weights`,
      _gemmWeights(weight, cin, cout, true),
    );
    this.#bias = ctx.upload(`${label} bias`, bias);
    this.#zeroBias = ctx.createBuffer(`${label} zero bias`, cin * 4);
  }

  /**
   * Records out[cout, H, W] = act(conv3x3(input[cin, H, W]) + bias), stride 1,
   * padding 1 by `padding`; act is ReLU when `relu`, else the identity.
   */
  forward(
    prog: Program,
    input: GPUBuffer,
    output: GPUBuffer,
    height: number,
    width: number,
    opts: { relu: boolean; padding: Padding },
  ): void {
    this.#record(prog, input, output, height, width, this.cin, this.cout, {
      weights: this.#forwardWeights,
      bias: this.#bias,
      relu: opts.relu,
      padding: opts.padding,
      accumulate: false,
    });
  }

  /**
   * Records gradIn[cin, H, W] = ∂/∂x of Σ gradOut·conv(x): the transposed
   * convolution, without ReLU mask or bias. `accumulate` adds into gradIn
   * instead of overwriting it.
   */
  backwardInput(
    prog: Program,
    gradOut: GPUBuffer,
    gradIn: GPUBuffer,
    height: number,
    width: number,
    opts: { padding: Padding; accumulate?: boolean },
  ): void {
    this.#record(prog, gradOut, gradIn, height, width, this.cout, this.cin, {
      weights: this.#backwardWeights,
      bias: this.#zeroBias,
      relu: false,
      padding: opts.padding,
      accumulate: opts.accumulate ?? false,
    });
  }

  /** Frees its GPU buffers. */
  destroy(): void {
    for (const b of [this.#forwardWeights, this.#backwardWeights, this.#bias, this.#zeroBias]) {
      this.#ctx.destroyBuffer(b);
    }
  }

  #record(
    prog: Program,
    input: GPUBuffer,
    output: GPUBuffer,
    height: number,
    width: number,
    cin: number,
    cout: number,
    k: {
      weights: GPUBuffer;
      bias: GPUBuffer;
      relu: boolean;
      padding: Padding;
      accumulate: boolean;
    },
  ): void {
    const pixels = height * width;
    if (!(Number.isInteger(pixels) && height >= 1 && width >= 1)) {
      throw new RangeError(`${this.#label}: image size ${height}×${width} is not a positive size`);
    }
    if (input.size < cin * pixels * 4 || output.size < cout * pixels * 4) {
      throw new RangeError(
        `${this.#label}: buffers of ${input.size} and ${output.size} bytes cannot hold [${cin}, ${height}, ${width}] in and [${cout}, ${height}, ${width}] out`,
      );
    }
    if (input === output) {
      throw new RangeError(`${this.#label}: a convolution cannot run in place`);
    }
    const tm = _tileHeight(cout, pixels);
    const mTiles = Math.ceil(cout / tm);
    const tiles = mTiles * Math.ceil(pixels / (TILE / tm));
    prog.dispatch(
      prog.ctx.pipeline(source, "main", { TM: tm }),
      [input, k.weights, k.bias, output],
      grid(tiles),
      pack(
        height,
        width,
        cin,
        cout,
        Math.ceil(cout / 4),
        mTiles,
        tiles,
        k.padding === "circular" ? 1 : 0,
        k.relu ? 1 : 0,
        k.accumulate ? 1 : 0,
      ),
    );
  }
}

/**
 * The tile height that computes the fewest padded outputs for a cout × pixels
 * GEMM; ties go to the squarer tiles, which stage fewer values per output.
 */
function _tileHeight(cout: number, pixels: number): number {
  let best = TILE_HEIGHTS[0];
  let bestWork = Infinity;
  for (const tm of TILE_HEIGHTS) {
    const tn = TILE / tm;
    const work = Math.ceil(cout / tm) * tm * Math.ceil(pixels / tn) * tn;
    if (work < bestWork) {
      best = tm;
      bestWork = work;
    }
  }
  return best;
}

/**
 * Weights as the GEMM's [9][rows][cols4·4] matrix, cols zero-padded to a
 * multiple of 4 so the kernel reads whole vec4s. Forward: rows = cin,
 * cols = cout. Transposed (the input gradient): rows = cout, cols = cin and
 * tap (ky, kx) takes the torch weight at (2 − ky, 2 − kx), because
 * gradIn[ci, y, x] = Σ w[co, ci, ky, kx] · gradOut[co, y − ky + 1, x − kx + 1].
 */
function _gemmWeights(
  weight: Float32Array,
  cin: number,
  cout: number,
  transposed: boolean,
): Float32Array {
  const rows = transposed ? cout : cin;
  const cols = transposed ? cin : cout;
  const stride = Math.ceil(cols / 4) * 4;
  const out = new Float32Array(9 * rows * stride);
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      const row = transposed ? co : ci;
      const col = transposed ? ci : co;
      for (let tap = 0; tap < 9; tap++) {
        const from = (co * cin + ci) * 9 + (transposed ? 8 - tap : tap);
        out[(tap * rows + row) * stride + col] = weight[from];
      }
    }
  }
  return out;
}
