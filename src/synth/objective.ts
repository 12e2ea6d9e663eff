import type { GpuContext } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import type { Vgg19 } from "../nn/vgg19.ts";
import type { TiledVgg19 } from "../nn/tiled_vgg19.ts";
import { networkFits, slicedWassersteinTooLarge } from "./fits.ts";
import type { VggConvs } from "../nn/vgg19_convs.ts";
import type { Padding } from "../ops/conv3x3.ts";
import { combineScalars } from "../ops/scalars.ts";
import type { GpuObjective } from "../optim/lbfgs.ts";
import type { Preset } from "./presets.ts";
import { exemplarSpectrum, type GpuImage } from "./spectrum_target.ts";
import { GramTerms } from "./gram_terms.ts";
import { SlicedWassersteinTerms } from "./sw_terms.ts";
import { network, normalizeGradient, normalizeInput, recordEvaluation } from "./network.ts";
import { type Region, RegionGramLoss } from "./region_gram.ts";
import { scalePixels } from "../ops/pixel_mask.ts";
import { TexSynthError } from "../errors.ts";

/** Slots of the scalars buffer the evaluation writes (and a few it keeps for itself). */
export const SLOT = { total: 0, gram: 1, spectrum: 2, one: 6, draw: 7, norms: 8 } as const;

/** The feature-statistics loss: Gram matrices, or sliced Wasserstein (Heitz et al. 2021). */
export type FeatureLoss = "gram" | "sw";

/** An exemplar on the GPU: planar [3, height, width] in [0, 1]. */
export type ExemplarInput = GpuImage;

/** Options for {@link TextureObjective.create}. */
export interface ObjectiveOptions {
  /** Padding of every convolution of the output's network ("circular" tiles). */
  padding: Padding;
  checkpointing: boolean;
  /** Default "gram". */
  loss?: FeatureLoss;
  /** Seed of the sliced Wasserstein directions. */
  seed?: number;
  /**
   * Run the network tile by tile on crops of at most this many pixels a side
   * (Gram loss only). Default: only for images whose activations do not fit
   * one storage binding, with the largest crops that do.
   */
  maxCrop?: number;
  /**
   * Steered statistics (masks, guides): the Gram term becomes one masked
   * Gram loss per region (region_gram.ts). Gram loss only.
   */
  regions?: Region[];
  /** Whether the spectrum term counts. Default true. */
  spectrum?: boolean;
  /**
   * One weight per output pixel that multiplies the gradient: 0 on the
   * pixels an inpainting keeps, so the optimizer never moves them.
   */
  free?: Float32Array;
}

/**
 * The texture loss of a preset at one output size, as a GPU program that
 * reads `x` and writes the loss terms and `grad`. Targets come from one or
 * more exemplars, each at its own size, and are computed once at creation:
 * Gram matrices averaged over exemplars (Gram statistics do not depend on
 * size), the exemplars' features pooled (sliced Wasserstein), and their
 * spectra carried onto the output grid (see spectrum_transfer.ts).
 */
export class TextureObjective implements GpuObjective {
  readonly size: number;
  readonly x: GPUBuffer;
  readonly grad: GPUBuffer;
  readonly scalars: GPUBuffer;
  readonly reportSlots = 3;
  readonly evaluation: Program;
  /**
   * Sliced Wasserstein only: draws new slice directions (the next of the
   * seed's draws) and sorts the exemplars' projections on them. Null for Gram.
   */
  readonly resample: Program | null;
  /** The output's network: whole, or tile by tile for large outputs. */
  readonly net: Vgg19 | TiledVgg19;
  #ctx: GpuContext;
  #owned: { destroy(): void }[];
  #buffers: GPUBuffer[];

  private constructor(
    ctx: GpuContext,
    parts: {
      x: GPUBuffer;
      grad: GPUBuffer;
      scalars: GPUBuffer;
      evaluation: Program;
      resample: Program | null;
      net: Vgg19 | TiledVgg19;
      owned: { destroy(): void }[];
      buffers: GPUBuffer[];
      size: number;
    },
  ) {
    this.#ctx = ctx;
    this.x = parts.x;
    this.grad = parts.grad;
    this.scalars = parts.scalars;
    this.evaluation = parts.evaluation;
    this.resample = parts.resample;
    this.net = parts.net;
    this.#owned = parts.owned;
    this.#buffers = parts.buffers;
    this.size = parts.size;
  }

  /** Builds the objective for an output of `height`×`width` and records its evaluation. */
  static async create(
    ctx: GpuContext,
    convs: VggConvs,
    exemplars: ExemplarInput[],
    height: number,
    width: number,
    preset: Preset,
    options: ObjectiveOptions,
  ): Promise<TextureObjective> {
    const loss = options.loss ?? "gram";
    if (loss === "sw" && (options.maxCrop !== undefined || !networkFits(ctx, height, width))) {
      throw slicedWassersteinTooLarge(width, height);
    }
    const regions = options.regions;
    if (regions && loss !== "gram") throw steeringNeedsGram();
    const pixels = height * width;
    const size = 3 * pixels;
    const buffers: GPUBuffer[] = [];
    const owned: { destroy(): void }[] = [];
    const own = (label: string, bytes: number): GPUBuffer => {
      const b = ctx.createBuffer(label, bytes);
      buffers.push(b);
      return b;
    };
    const net = network(ctx, convs, preset.layers, height, width, options);
    owned.push(net);
    const taps = net.taps;
    const scalars = own("scalars", 64 * 4);
    ctx.write(scalars, new Float32Array([1]), SLOT.one * 4);
    const x = own("image", size * 4);
    const grad = own("image gradient", size * 4);
    const norm = preset.normalize;

    // Targets: every exemplar through its own network at its own size.
    const setup = new Program(ctx);
    const temporary: { destroy(): void }[] = [];
    // Steered targets are the regions' own (region_gram.ts).
    const unsteered = regions ? [] : exemplars;
    const eNets = unsteered.map((e) => {
      const eNet = network(ctx, convs, preset.layers, e.height, e.width, {
        padding: "zero",
        checkpointing: true,
        maxCrop: options.maxCrop,
      });
      temporary.push(eNet);
      return eNet;
    });
    // Sliced Wasserstein compares distributions: the exemplars' pixels pooled.
    const pooled = taps.map((_, tap) =>
      eNets.reduce((s, n) => s + n.taps[tap].height * n.taps[tap].width, 0)
    );
    const gramTerms = loss === "gram" && !regions ? new GramTerms(ctx, taps) : null;
    if (gramTerms) owned.push(gramTerms);
    const swTerms = loss === "sw" ? new SlicedWassersteinTerms(ctx, taps, pooled) : null;
    if (swTerms) owned.push(swTerms);
    unsteered.forEach((e, i) => {
      const eNet = eNets[i];
      const normalized = norm
        ? ctx.createBuffer("normalized exemplar", e.height * e.width * 12)
        : null;
      if (normalized) temporary.push({ destroy: () => ctx.destroyBuffer(normalized) });
      const input = normalized
        ? normalizeInput(setup, preset, e.buffer, normalized, e.height * e.width)
        : e.buffer;
      gramTerms?.recordTarget(setup, eNet, input, 1 / exemplars.length, scalars, temporary);
      swTerms?.recordTarget(setup, eNet, input);
    });
    gramTerms?.recordMeanSquares(setup, scalars, SLOT.norms);
    swTerms?.recordMeanSquares(setup, scalars, SLOT.norms);
    setup.run();
    const meanSquares = await ctx.read(scalars, SLOT.norms, taps.length);
    const spectrum = options.spectrum === false
      ? null
      : await exemplarSpectrum(ctx, exemplars, height, width, preset.spectrum);
    if (spectrum) owned.push(spectrum);
    setup.destroy();
    temporary.forEach((t) => t.destroy());
    const regionLoss = regions
      ? await RegionGramLoss.create(ctx, convs, preset, net, exemplars, regions, {
        maxCrop: options.maxCrop,
        wrap: options.padding === "circular",
      })
      : null;
    if (regionLoss) owned.push(regionLoss);

    // Per-layer weights: fixed as the preset says, or scale-free (relative
    // to the target's mean square) and averaged over layers.
    const layerWeights = taps.map((t, tap) => {
      if (loss === "gram" && preset.gramScaling === "fixed") return preset.gramWeight;
      const count = loss === "gram" ? t.channels * t.channels : 1;
      return preset.gramWeight / (taps.length * count * Math.max(meanSquares[tap], 1e-30));
    });
    // Only the free pixels move, and the masked Gram terms are means over
    // their region: the spectrum term is weighted per free pixel alike.
    const freePixels = options.free ? options.free.reduce((a, b) => a + b, 0) : pixels;
    const spectrumWeight = (preset.spectrumWeight * pixels / Math.max(freePixels, 1)) /
      (preset.spectrumPerPixel ? size : 1);

    const evaluation = new Program(ctx);
    evaluation.clear(scalars, SLOT.gram * 4, 4);
    // Sliced Wasserstein's directions change only when the optimizer replays
    // this (between its iterations), so a line search sees one function.
    const resample = swTerms && !regionLoss && !gramTerms ? new Program(ctx) : null;
    if (resample) owned.push(resample);
    const normalizedX = norm ? own("normalized image", size * 4) : null;
    const normalizedGrad = norm ? own("normalized image gradient", size * 4) : null;
    const input = normalizedX ? normalizeInput(evaluation, preset, x, normalizedX, pixels) : x;
    // Sliced Wasserstein runs whole: a tiled network was refused above.
    const terms = regionLoss
      ? regionLoss.terms({ scalars, slot: SLOT.gram })
      : gramTerms
      ? gramTerms.terms(layerWeights, { scalars, slot: SLOT.gram })
      : swTerms!.terms(resample!, layerWeights, { scalars, slot: SLOT.gram }, {
        seed: options.seed ?? 0,
        scalars,
        counter: SLOT.draw,
        one: SLOT.one,
      });
    recordEvaluation(evaluation, net, input, normalizedGrad ?? grad, terms);
    // The first draw, so the evaluation has directions from the start.
    resample?.run();
    if (normalizedGrad) normalizeGradient(evaluation, preset, normalizedGrad, grad, pixels);
    spectrum?.record(evaluation, x, grad, spectrumWeight, { scalars, slot: SLOT.spectrum });
    combineScalars(evaluation, scalars, SLOT.total, 1, SLOT.gram, spectrumWeight, SLOT.spectrum);
    if (options.free) {
      const free = own("free pixels", pixels * 4);
      ctx.write(free, options.free);
      scalePixels(evaluation, grad, free, { channels: 3, height, width });
    }
    return new TextureObjective(ctx, {
      x,
      grad,
      scalars,
      evaluation,
      resample,
      net,
      owned,
      buffers,
      size,
    });
  }

  /** Frees every GPU buffer the objective holds (not the shared weights). */
  destroy(): void {
    this.evaluation.destroy();
    this.#owned.forEach((o) => o.destroy());
    this.#buffers.forEach((b) => this.#ctx.destroyBuffer(b));
  }
}

/** Masks and guides weight Gram statistics; sliced Wasserstein has no weighted form here. */
export function steeringNeedsGram(): TexSynthError {
  return new TexSynthError(
    "masks, exemplar masks and guides work with the Gram loss only: drop --loss sw (or use --loss gram)",
  );
}
