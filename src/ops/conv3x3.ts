import source from "../../kernels/conv3x3.wgsl" with { type: "text" };
import type { GpuContext, Precision } from "../gpu/context.ts";
import type { KernelFamily } from "../gpu/kernel_family.ts";
import { grid, pack } from "../gpu/params.ts";
import { type Binding, Program } from "../gpu/program.ts";
import { TexSynthError } from "../errors.ts";
import {
  planWinograd,
  recordWinograd,
  type WeightLayout,
  type WinogradPlan,
  winogradWork,
} from "./winograd.ts";
import {
  convWeightBytes,
  type DirectLayout,
  directWeights,
  recordConvWeights,
} from "./conv_weights.ts";

/** How a convolution reads past the image edge: torch's zeros, or wrapped around for seamless tiles. */
export type Padding = "zero" | "circular";

/** Output channels × pixels computed by one workgroup of kernels/conv3x3.wgsl. */
const TILE = 8192;
/**
 * Time per multiply-add of the direct kernel relative to the Winograd GEMM's
 * widest block (measured on llvmpipe), for choosing between them: the direct
 * kernel stages its operands through workgroup memory and gathers shifted
 * pixels one by one.
 */
const DIRECT_COST = 3.5;
/** The kernel's tile heights (output channels); the width is TILE / height pixels. */
const TILE_HEIGHTS = [64, 128, 32, 256];

/** How a convolution runs: Winograd F(4×4, 3×3) passes, the direct implicit GEMM, or the cheaper of the two for the image size. */
export type ConvAlgorithm = "auto" | "winograd" | "direct";

/** Options for {@link Conv3x3}. */
export interface Conv3x3Options {
  /** Forces one algorithm (tests, benchmarks); "auto" by default. */
  algorithm?: ConvAlgorithm;
  /**
   * The kernel family ({@link GpuContext.kernels} by default; tests set it to
   * run both on one adapter). "software": register-block GEMMs and weights
   * kept in each layout a pass reads. "tiled": the workgroup-memory GEMM, and
   * only the 3×3 weights kept, expanded into a program scratch buffer right
   * before each pass.
   */
  kernels?: KernelFamily;
  /**
   * Storage precision of the Winograd weights: the context's
   * ({@link GpuContext.precision}) by default. "f16" needs `shader-f16` and
   * falls back to "f32" without it.
   */
  precision?: Precision;
}

/**
 * One frozen 3×3 convolution layer (stride 1, padding 1), forward and input
 * gradient (the transposed convolution, for backpropagating to the pixels).
 *
 * Both run as Winograd F(4×4, 3×3) (src/ops/winograd.ts: 36 products per
 * 4×4 output tile and channel pair instead of 144) unless the image is too
 * small for its tiles to pay, where the direct implicit GEMM of
 * kernels/conv3x3.wgsl runs. With software kernels each weight layout is
 * made the first time a recorded pass needs it, from the `weight` array
 * given here, and kept; with tiled kernels only `weight` itself is kept on
 * the GPU, and each pass expands it into the layout it reads
 * (src/ops/conv_weights.ts).
 */
export class Conv3x3 {
  /** Input channels. */
  readonly cin: number;
  /** Output channels. */
  readonly cout: number;
  #ctx: GpuContext;
  #label: string;
  #weight: Float32Array;
  #algorithm: ConvAlgorithm;
  #kernels: KernelFamily;
  #precision: Precision;
  #layouts = new Map<string, GPUBuffer>();
  #bias: GPUBuffer;
  #zeroBias: GPUBuffer;

  /**
   * Takes `weight` (torch layout [cout, cin, 3, 3], kept and read again when
   * a layout is first needed) and uploads `bias` ([cout]).
   */
  constructor(
    ctx: GpuContext,
    cin: number,
    cout: number,
    weight: Float32Array,
    bias: Float32Array,
    label = "conv3x3",
    options: Conv3x3Options = {},
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
    this.#weight = weight;
    this.#algorithm = options.algorithm ?? "auto";
    this.#kernels = options.kernels ?? ctx.kernels;
    this.#precision = ctx.info.shaderF16 ? options.precision ?? ctx.precision : "f32";
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
    this.#record(prog, input, output, height, width, false, {
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
    this.#record(prog, gradOut, gradIn, height, width, true, {
      bias: this.#zeroBias,
      relu: false,
      padding: opts.padding,
      accumulate: opts.accumulate ?? false,
    });
  }

  /** GPU bytes its weights take now (in the layouts made so far, with software kernels) and its bias. */
  get bytes(): number {
    let total = this.#bias.size + this.#zeroBias.size;
    for (const b of this.#layouts.values()) total += b.size;
    return total;
  }

  /** Frees its GPU buffers. */
  destroy(): void {
    for (const b of [...this.#layouts.values(), this.#bias, this.#zeroBias]) {
      this.#ctx.destroyBuffer(b);
    }
    this.#layouts.clear();
  }

  /**
   * The weights in `layout`. Software kernels: uploaded on first use and
   * kept. Tiled kernels: the torch layout is uploaded once, and expanded
   * into the program's scratch buffer here, once per recorded pass.
   */
  #weights(prog: Program, layout: WeightLayout | DirectLayout): Binding {
    const precision = layout.startsWith("direct") ? "f32" : this.#precision;
    if (this.#kernels === "tiled") {
      let raw = this.#layouts.get("torch");
      if (!raw) {
        raw = this.#ctx.upload(`${this.#label} weights`, this.#weight);
        this.#layouts.set("torch", raw);
      }
      const out = prog.scratch(
        "conv weights",
        convWeightBytes(this.cin, this.cout, layout, precision),
      );
      recordConvWeights(prog, raw, out, this.cin, this.cout, layout, precision);
      return out;
    }
    const key = `${layout} ${precision}`;
    let buffer = this.#layouts.get(key);
    if (!buffer) {
      const label = `${this.#label} ${key} weights`;
      if (layout === "direct" || layout === "direct transposed") {
        buffer = this.#ctx.upload(label, directWeights(this.#weight, this.cin, this.cout, layout));
      } else {
        // Expanded on the GPU once (a JavaScript loop over VGG19's 20 M
        // weights takes seconds).
        buffer = this.#ctx.createBuffer(
          label,
          convWeightBytes(this.cin, this.cout, layout, precision),
        );
        const raw = this.#ctx.upload(`${this.#label} weights`, this.#weight);
        const once = new Program(this.#ctx);
        recordConvWeights(once, raw, buffer, this.cin, this.cout, layout, precision);
        once.run();
        // The temporary buffers go once the queue has run the expansion.
        this.#ctx.device.queue.onSubmittedWorkDone().then(() => {
          once.destroy();
          this.#ctx.destroyBuffer(raw);
        });
      }
      this.#layouts.set(key, buffer);
    }
    return buffer;
  }

  /** The Winograd plan for this pass, or null when the direct kernel should run. */
  #plan(height: number, width: number, transposed: boolean): WinogradPlan | null {
    if (this.#algorithm === "direct") return null;
    const plan = planWinograd(
      height,
      width,
      this.cin,
      this.cout,
      transposed,
      this.#ctx.info.maxStorageBufferBindingSize,
      this.#kernels,
      this.#precision,
    );
    if (!plan || this.#algorithm === "winograd") return plan;
    // Padding tiles are paid in full, so images under about 4×4 pixels run
    // the direct kernel.
    return winogradWork(plan) < 9 * height * width * DIRECT_COST ? plan : null;
  }

  #record(
    prog: Program,
    input: GPUBuffer,
    output: GPUBuffer,
    height: number,
    width: number,
    transposed: boolean,
    k: {
      bias: GPUBuffer;
      relu: boolean;
      padding: Padding;
      accumulate: boolean;
    },
  ): void {
    const cin = transposed ? this.cout : this.cin;
    const cout = transposed ? this.cin : this.cout;
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
    const plan = this.#plan(height, width, transposed);
    if (plan) {
      recordWinograd(prog, plan, input, this.#weights(prog, plan.weights), k.bias, output, {
        circular: k.padding === "circular",
        relu: k.relu,
        accumulate: k.accumulate,
      });
      return;
    }
    const tm = _tileHeight(cout, pixels);
    const mTiles = Math.ceil(cout / tm);
    const tiles = mTiles * Math.ceil(pixels / (TILE / tm));
    prog.dispatch(
      prog.ctx.pipeline(source, "main", { TM: tm }),
      [input, this.#weights(prog, transposed ? "direct transposed" : "direct"), k.bias, output],
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
