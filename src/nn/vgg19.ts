import type { GpuContext } from "../gpu/context.ts";
import type { Program } from "../gpu/program.ts";
import { BufferPool } from "../gpu/buffer_pool.ts";
import type { Conv3x3, Padding } from "../ops/conv3x3.ts";
import { relu, reluBackwardInPlace } from "../ops/relu.ts";
import { avgPool2x2Backward, avgPool2x2Forward } from "../ops/avgpool2x2.ts";
import type { VggConvs } from "./vgg19_convs.ts";
import { TexSynthError } from "../errors.ts";

/** torchvision `vgg19().features` indices of the pooling layers (max pooling there, 2×2 average here). */
export const POOL_INDICES: readonly number[] = [4, 9, 18, 27, 36];

/** The shape of one activation: channels × height × width. */
export interface Shape {
  channels: number;
  height: number;
  width: number;
}

/** A loss layer: its `features` index and its activation's shape. */
export interface Tap extends Shape {
  index: number;
}

/** Records the work a loss layer does when the forward pass reaches it. */
export type TapForward = (prog: Program, tap: number, features: GPUBuffer) => void;
/**
 * Records the loss layer's gradient into `grad` (same shape as its features):
 * added to what is there when `accumulate`, written over it otherwise.
 */
export type TapBackward = (
  prog: Program,
  tap: number,
  features: GPUBuffer,
  grad: GPUBuffer,
  accumulate: boolean,
) => void;

type Op =
  & { out: Shape; index: number }
  & (
    | { kind: "conv"; conv: Conv3x3; relu: boolean }
    | { kind: "relu" }
    | { kind: "pool" }
  );

/** Options for {@link Vgg19}. */
export interface Vgg19Options {
  /** How convolutions pad the image border. */
  padding: Padding;
  /**
   * Keep activations only at block ends (the pooling outputs) and recompute
   * inside a block during backward. Saves memory for one extra forward.
   */
  checkpointing: boolean;
  /**
   * Scratch shared with other networks whose programs are recorded one
   * after another (the tiles of one image); by default the network has its
   * own, freed by {@link Vgg19.destroy}.
   */
  pool?: BufferPool;
}

/**
 * How far the deepest loss layer looks: an activation pixel u of stride s
 * (the product of the pools before it) depends on input pixels
 * s·u − before … s·u + s − 1 + after.
 */
export interface Reach {
  stride: number;
  before: number;
  after: number;
}

function bytesOf(s: Shape): number {
  return s.channels * s.height * s.width * 4;
}

/**
 * VGG19's `features` at one image size, run forward only as deep as the
 * deepest loss layer and backward to the input pixels, never to the weights.
 * All pools are 2×2 average pools. Layers are grouped into blocks that end at
 * a pool; with checkpointing only block inputs live through the evaluation.
 */
export class Vgg19 {
  readonly taps: Tap[];
  readonly input: Shape;
  readonly options: Vgg19Options;
  #ops: Op[] = [];
  #blocks: Op[][] = [];
  #pool: BufferPool;
  #ownsPool: boolean;

  constructor(
    ctx: GpuContext,
    convs: VggConvs,
    tapIndices: number[],
    height: number,
    width: number,
    options: Vgg19Options,
  ) {
    this.options = options;
    this.input = { channels: 3, height, width };
    this.#pool = options.pool ?? new BufferPool(ctx);
    this.#ownsPool = !options.pool;
    const deepest = Math.max(...tapIndices);
    const tapSet = new Set(tapIndices);
    let shape: Shape = this.input;
    const convAt = convs.byIndex;
    for (let index = 0; index <= deepest; index++) {
      const conv = convAt.get(index);
      if (conv) {
        if (conv.cin !== shape.channels) {
          throw new Error(`conv ${index} expects ${conv.cin} channels`);
        }
        shape = { ...shape, channels: conv.cout };
        const fuse = !tapSet.has(index) && index + 1 <= deepest;
        this.#ops.push({
          kind: "conv",
          conv,
          relu: fuse,
          index: fuse ? index + 1 : index,
          out: shape,
        });
        if (fuse) index++;
      } else if (POOL_INDICES.includes(index)) {
        if (shape.height < 2 || shape.width < 2) {
          throw new TexSynthError(
            `the image is too small for VGG19 layer ${index} (${this.input.height}×${this.input.width}): use at least ${
              2 ** (POOL_INDICES.indexOf(index) + 1)
            } px per side`,
          );
        }
        shape = {
          ...shape,
          height: Math.floor(shape.height / 2),
          width: Math.floor(shape.width / 2),
        };
        this.#ops.push({ kind: "pool", index, out: shape });
      } else if (convAt.has(index - 1)) {
        this.#ops.push({ kind: "relu", index, out: shape });
      } else {
        throw new Error(`weights lack the conv layer before features.${index}`);
      }
    }
    const produced = new Map(this.#ops.map((op) => [op.index, op.out]));
    this.taps = tapIndices.map((index) => {
      const out = produced.get(index);
      if (!out) throw new Error(`features.${index} is not an activation this network produces`);
      return { index, ...out };
    });
    let block: Op[] = [];
    for (const op of this.#ops) {
      block.push(op);
      if (op.kind === "pool") {
        this.#blocks.push(block);
        block = [];
      }
    }
    if (block.length) this.#blocks.push(block);
  }

  #forwardOp(prog: Program, op: Op, input: GPUBuffer, output: GPUBuffer, inShape: Shape): void {
    const { height, width } = inShape;
    if (op.kind === "conv") {
      op.conv.forward(prog, input, output, height, width, {
        relu: op.relu,
        padding: this.options.padding,
      });
    } else if (op.kind === "relu") {
      relu(prog, input, output, op.out.channels * op.out.height * op.out.width);
    } else {
      avgPool2x2Forward(prog, input, output, inShape.channels, height, width);
    }
  }

  /**
   * Records a forward pass of one block from `input`, keeping every
   * activation; calls `onTap` at loss layers when given.
   */
  #forwardBlock(
    prog: Program,
    block: Op[],
    input: GPUBuffer,
    inShape: Shape,
    onTap?: TapForward,
  ): GPUBuffer[] {
    const outs: GPUBuffer[] = [];
    let cur = input;
    let shape = inShape;
    for (const op of block) {
      const out = this.#pool.acquire(`features.${op.index}`, bytesOf(op.out));
      this.#forwardOp(prog, op, cur, out, shape);
      const tap = this.taps.findIndex((t) => t.index === op.index);
      if (tap >= 0 && onTap) onTap(prog, tap, out);
      outs.push(out);
      cur = out;
      shape = op.out;
    }
    return outs;
  }

  #blockInputShape(b: number): Shape {
    return b === 0 ? this.input : this.#blocks[b - 1][this.#blocks[b - 1].length - 1].out;
  }

  /**
   * Records a forward pass only, for targets: `onTap` sees each loss layer's
   * activation while it is live. Keeps nothing past the call.
   */
  recordForward(prog: Program, input: GPUBuffer, onTap: TapForward): void {
    let cur = input;
    for (let b = 0; b < this.#blocks.length; b++) {
      const outs = this.#forwardBlock(prog, this.#blocks[b], cur, this.#blockInputShape(b), onTap);
      if (b > 0) this.#pool.release(cur);
      outs.slice(0, -1).forEach((o) => this.#pool.release(o));
      cur = outs[outs.length - 1];
    }
    if (cur !== input) this.#pool.release(cur);
  }

  /**
   * Records one evaluation: the forward pass (calling `onTap` at loss
   * layers), then the backward pass to `gradInput` (written, not added to),
   * calling `onTapBackward` to inject each loss layer's gradient.
   */
  recordForwardBackward(
    prog: Program,
    input: GPUBuffer,
    gradInput: GPUBuffer,
    onTap: TapForward,
    onTapBackward: TapBackward,
  ): void {
    const blocks = this.#blocks;
    const last = blocks.length - 1;
    const blockInputs: GPUBuffer[] = [input];
    const kept: GPUBuffer[][] = [];
    blocks.forEach((block, b) => {
      const outs = this.#forwardBlock(prog, block, blockInputs[b], this.#blockInputShape(b), onTap);
      blockInputs.push(outs[outs.length - 1]);
      if (this.options.checkpointing && b !== last) {
        outs.slice(0, -1).forEach((o) => this.#pool.release(o));
        kept.push([]);
      } else {
        kept.push(outs);
      }
    });
    let grad: GPUBuffer | null = null;
    for (let b = last; b >= 0; b--) {
      const block = blocks[b];
      let acts = kept[b];
      if (acts.length === 0) {
        const recomputed = this.#forwardBlock(
          prog,
          block.slice(0, -1),
          blockInputs[b],
          this.#blockInputShape(b),
        );
        acts = [...recomputed, blockInputs[b + 1]];
      }
      for (let k = block.length - 1; k >= 0; k--) {
        const op = block[k];
        const out = acts[k];
        const tap = this.taps.findIndex((t) => t.index === op.index);
        if (tap >= 0) {
          const fresh: boolean = grad === null;
          grad ??= this.#pool.acquire(`grad features.${op.index}`, bytesOf(op.out));
          onTapBackward(prog, tap, out, grad, !fresh);
        }
        const n = op.out.channels * op.out.height * op.out.width;
        if (grad && (op.kind === "relu" || (op.kind === "conv" && op.relu))) {
          reluBackwardInPlace(prog, grad, out, n);
        }
        // Nothing reads this activation again: the input gradients of conv
        // and pool need only weights and shapes, so its memory can hold the
        // gradient this step produces.
        this.#pool.release(out);
        if (!grad || op.kind === "relu") continue;
        const inShape = k > 0 ? block[k - 1].out : this.#blockInputShape(b);
        const first = b === 0 && k === 0;
        const gradIn = first
          ? gradInput
          : this.#pool.acquire(`grad features.${op.index - 1}`, bytesOf(inShape));
        if (op.kind === "conv") {
          op.conv.backwardInput(prog, grad, gradIn, inShape.height, inShape.width, {
            padding: this.options.padding,
          });
        } else {
          avgPool2x2Backward(prog, grad, gradIn, inShape.channels, inShape.height, inShape.width);
        }
        this.#pool.release(grad);
        grad = first ? null : gradIn;
      }
    }
  }

  /** GPU bytes of activations and their gradients that recorded programs need at once. */
  get activationBytes(): number {
    return this.#pool.bytes;
  }

  /**
   * The receptive field of the deepest loss layer: crops of the input with
   * margins of this reach give that layer exactly the values it has on the
   * whole image, away from the crop's borders.
   */
  get reach(): Reach {
    let stride = 1;
    let before = 0;
    let after = 0;
    for (const op of this.#ops) {
      if (op.kind === "conv") {
        before += stride;
        after += stride;
      } else if (op.kind === "pool") {
        after += stride;
        stride *= 2;
      }
    }
    return { stride, before, after: after - (stride - 1) };
  }

  /** Frees every scratch buffer (the weights belong to the {@link VggConvs}; a shared pool to its owner). */
  destroy(): void {
    if (this.#ownsPool) this.#pool.destroy();
  }
}
