import type { GpuContext } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import { Vgg19 } from "../nn/vgg19.ts";
import type { Padding } from "../ops/conv3x3.ts";
import { Gram } from "../ops/gram.ts";
import { SpectrumLoss } from "../ops/spectrum.ts";
import { channelAffine } from "../ops/channel_affine.ts";
import { reduceDot } from "../ops/reduce.ts";
import { combineScalars } from "../ops/scalars.ts";
import type { GpuObjective } from "../optim/lbfgs.ts";
import type { VggWeights } from "../weights/vgg19_weights.ts";
import type { Preset } from "./presets.ts";

/** Slots of the scalars buffer the evaluation writes. */
export const SLOT = { total: 0, gram: 1, spectrum: 2 } as const;

/** Options for {@link TextureObjective.create}. */
export interface ObjectiveOptions {
  padding: Padding;
  checkpointing: boolean;
}

/**
 * The texture loss of a preset at one image size, as a GPU program that
 * reads `x` and writes the loss terms and `grad`. Targets (exemplar Gram
 * matrices and spectrum) are computed once at creation.
 */
export class TextureObjective implements GpuObjective {
  readonly size: number;
  readonly x: GPUBuffer;
  readonly grad: GPUBuffer;
  readonly scalars: GPUBuffer;
  readonly reportSlots = 3;
  readonly evaluation: Program;
  readonly net: Vgg19;
  /** Each Gram layer's weight after preset scaling (known once targets exist). */
  readonly layerWeights: number[];
  #ctx: GpuContext;
  #grams: Gram[];
  #spectrum: SpectrumLoss;
  #buffers: GPUBuffer[];

  private constructor(
    ctx: GpuContext,
    parts: {
      x: GPUBuffer;
      grad: GPUBuffer;
      scalars: GPUBuffer;
      evaluation: Program;
      net: Vgg19;
      grams: Gram[];
      spectrum: SpectrumLoss;
      buffers: GPUBuffer[];
      layerWeights: number[];
      size: number;
    },
  ) {
    this.#ctx = ctx;
    this.x = parts.x;
    this.grad = parts.grad;
    this.scalars = parts.scalars;
    this.evaluation = parts.evaluation;
    this.net = parts.net;
    this.#grams = parts.grams;
    this.#spectrum = parts.spectrum;
    this.#buffers = parts.buffers;
    this.layerWeights = parts.layerWeights;
    this.size = parts.size;
  }

  /**
   * Builds the objective for `exemplar` (a GPU image [3, height, width]) and
   * records its evaluation program.
   */
  static async create(
    ctx: GpuContext,
    weights: VggWeights,
    exemplar: GPUBuffer,
    height: number,
    width: number,
    preset: Preset,
    options: ObjectiveOptions,
  ): Promise<TextureObjective> {
    const pixels = height * width;
    const size = 3 * pixels;
    const net = new Vgg19(ctx, weights, preset.layers, height, width, options);
    const grams = net.taps.map((t) => new Gram(ctx, t.channels, t.height * t.width));
    const buffers: GPUBuffer[] = [];
    const own = (label: string, bytes: number): GPUBuffer => {
      const b = ctx.createBuffer(label, bytes);
      buffers.push(b);
      return b;
    };
    const targets = net.taps.map((t) => own(`target gram ${t.index}`, t.channels * t.channels * 4));
    // Each layer's Gram matrix is read only by its loss, right after it is
    // made, so one buffer serves every layer.
    const largest = Math.max(...net.taps.map((t) => t.channels));
    const current = own("gram", largest * largest * 4);
    const diffs = net.taps.map((t) => own(`gram diff ${t.index}`, t.channels * t.channels * 4));
    const scalars = own("scalars", 64 * 4);
    const x = own("image", size * 4);
    const grad = own("image gradient", size * 4);
    const norm = preset.normalize;
    const normalized = norm ? own("normalized image", size * 4) : null;
    const normalizedGrad = norm ? own("normalized image gradient", size * 4) : null;
    const toNetwork = (prog: Program, image: GPUBuffer): GPUBuffer => {
      if (!norm || !normalized) return image;
      channelAffine(
        prog,
        image,
        normalized,
        3,
        pixels,
        norm.std.map((s) => 1 / s),
        norm.mean.map((m, c) => -m / norm.std[c]),
      );
      return normalized;
    };

    const setup = new Program(ctx);
    net.recordForward(setup, toNetwork(setup, exemplar), (prog, tap, features) => {
      grams[tap].forward(prog, features, targets[tap]);
    });
    const spectrum = new SpectrumLoss(ctx, height, width, preset.spectrum);
    spectrum.setExemplar(setup, exemplar);
    targets.forEach((target, tap) => {
      const n = net.taps[tap].channels;
      reduceDot(setup, target, target, n * n, { scalars, slot: 8 + tap });
    });
    setup.run();
    const norms = await ctx.read(scalars, 8, net.taps.length);
    setup.destroy();
    const layerWeights = net.taps.map((_, tap) =>
      preset.gramScaling === "fixed"
        ? preset.gramWeight
        : preset.gramWeight / (net.taps.length * Math.max(norms[tap], 1e-30))
    );
    const spectrumWeight = preset.spectrumWeight / (preset.spectrumPerPixel ? size : 1);

    const evaluation = new Program(ctx);
    let first = true;
    const input = toNetwork(evaluation, x);
    net.recordForwardBackward(
      evaluation,
      input,
      normalizedGrad ?? grad,
      (prog, tap, features) => {
        grams[tap].forward(prog, features, current);
        grams[tap].loss(prog, current, targets[tap], diffs[tap], layerWeights[tap], {
          scalars,
          slot: SLOT.gram,
          accumulate: !first,
        });
        first = false;
      },
      (prog, tap, features, g, accumulate) => {
        grams[tap].backward(prog, diffs[tap], features, g, accumulate);
      },
    );
    if (norm && normalizedGrad) {
      channelAffine(evaluation, normalizedGrad, grad, 3, pixels, norm.std.map((s) => 1 / s), [
        0,
        0,
        0,
      ]);
    }
    spectrum.record(evaluation, x, grad, spectrumWeight, { scalars, slot: SLOT.spectrum });
    combineScalars(evaluation, scalars, SLOT.total, 1, SLOT.gram, spectrumWeight, SLOT.spectrum);
    return new TextureObjective(ctx, {
      x,
      grad,
      scalars,
      evaluation,
      net,
      grams,
      spectrum,
      buffers,
      layerWeights,
      size,
    });
  }

  /** Frees every GPU buffer the objective holds. */
  destroy(): void {
    this.evaluation.destroy();
    this.net.destroy();
    this.#grams.forEach((g) => g.destroy());
    this.#spectrum.destroy();
    this.#buffers.forEach((b) => this.#ctx.destroyBuffer(b));
  }
}
