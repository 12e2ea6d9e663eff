import type { GpuContext } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import { Vgg19 } from "../nn/vgg19.ts";
import { TiledVgg19 } from "../nn/tiled_vgg19.ts";
import { networkFits, slicedWassersteinTooLarge } from "./fits.ts";
import { network, recordTaps } from "./networks.ts";
import type { VggConvs } from "../nn/vgg19_convs.ts";
import type { Padding } from "../ops/conv3x3.ts";
import { Gram } from "../ops/gram.ts";
import { SpectrumLoss } from "../ops/spectrum.ts";
import { channelAffine } from "../ops/channel_affine.ts";
import { reduceDot } from "../ops/reduce.ts";
import { combineScalars } from "../ops/scalars.ts";
import { axpy } from "../ops/vector.ts";
import { scalePixels } from "../ops/pixel_mask.ts";
import { recordRandomDirections, SlicedWasserstein } from "../ops/sliced_wasserstein.ts";
import type { GpuObjective } from "../optim/lbfgs.ts";
import type { Preset } from "./presets.ts";
import { type Spectrum, transferSpectra } from "./spectrum_transfer.ts";
import { type Region, RegionGramLoss } from "./region_gram.ts";
import { TexSynthError } from "../errors.ts";

/** Slots of the scalars buffer the evaluation writes (and a few it keeps for itself). */
export const SLOT = { total: 0, gram: 1, spectrum: 2, one: 6, evaluation: 7, norms: 8 } as const;

/** The feature-statistics loss: Gram matrices, or sliced Wasserstein (Heitz et al. 2021). */
export type FeatureLoss = "gram" | "sw";

/** An exemplar on the GPU: planar [3, height, width] in [0, 1]. */
export interface ExemplarInput {
  buffer: GPUBuffer;
  height: number;
  width: number;
}

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
    const toNetwork = (
      prog: Program,
      image: GPUBuffer,
      out: GPUBuffer,
      count: number,
    ): GPUBuffer => {
      if (!norm) return image;
      channelAffine(
        prog,
        image,
        out,
        3,
        count,
        norm.std.map((s) => 1 / s),
        norm.mean.map((m, c) => -m / norm.std[c]),
      );
      return out;
    };

    // Targets: every exemplar through its own network at its own size.
    const setup = new Program(ctx);
    const temporary: { destroy(): void }[] = [];
    const eNets = (regions ? [] : exemplars).map((e) => {
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
    const gramTargets = loss === "gram" && !regions
      ? taps.map((t) => own(`target gram ${t.index}`, t.channels * t.channels * 4))
      : [];
    const featureTargets = loss === "sw"
      ? taps.map((t, tap) => own(`target features ${t.index}`, t.channels * pooled[tap] * 4))
      : [];
    const tapPixels = taps.map(() => 0);
    eNets.forEach((eNet, i) => {
      const e = exemplars[i];
      const normalized = norm
        ? ctx.createBuffer("normalized exemplar", e.height * e.width * 12)
        : null;
      if (normalized) temporary.push({ destroy: () => ctx.destroyBuffer(normalized) });
      const input = normalized
        ? toNetwork(setup, e.buffer, normalized, e.height * e.width)
        : e.buffer;
      if (loss === "gram") {
        // Each layer's Gram matrix, summed over the tiles when there are tiles.
        const grams = eNet.taps.map((t) => {
          const gram = new Gram(ctx, t.channels, t.height * t.width);
          const g = ctx.createBuffer("exemplar gram", t.channels * t.channels * 4);
          temporary.push(gram, { destroy: () => ctx.destroyBuffer(g) });
          return { gram, g };
        });
        recordTaps(setup, eNet, input, (prog, tap, window, pixels, first) => {
          grams[tap].gram.forward(prog, window, grams[tap].g, { pixels, accumulate: !first });
        });
        grams.forEach(({ g }, tap) => {
          const c = taps[tap].channels;
          axpy(setup, gramTargets[tap], g, c * c, { scalars, k: 1 / exemplars.length });
        });
        return;
      }
      recordTaps(setup, eNet, input, (prog, tap, features, m) => {
        // Channel rows side by side: [N, Σ M_e].
        for (let c = 0; c < taps[tap].channels; c++) {
          prog.copy(
            features,
            featureTargets[tap],
            m * 4,
            c * m * 4,
            (c * pooled[tap] + tapPixels[tap]) * 4,
          );
        }
        tapPixels[tap] += m;
      });
    });
    const targets = regions ? [] : loss === "gram" ? gramTargets : featureTargets;
    targets.forEach((target, tap) => {
      const t = taps[tap];
      const count = loss === "gram" ? t.channels * t.channels : t.channels * tapPixels[tap];
      reduceDot(setup, target, target, count, {
        scalars,
        slot: SLOT.norms + tap,
        scale: 1 / count,
      });
    });
    const spectrum = options.spectrum === false
      ? null
      : new SpectrumLoss(ctx, height, width, preset.spectrum);
    if (spectrum) owned.push(spectrum);
    const sameGrid = exemplars.length === 1 && exemplars[0].height === height &&
      exemplars[0].width === width;
    if (sameGrid) spectrum?.setExemplar(setup, exemplars[0].buffer);
    setup.run();
    const meanSquares = await ctx.read(scalars, SLOT.norms, taps.length);
    if (spectrum && !sameGrid) {
      const spectra: Spectrum[] = [];
      for (const e of exemplars) {
        const s = new SpectrumLoss(ctx, e.height, e.width, preset.spectrum);
        const p = new Program(ctx);
        s.setExemplar(p, e.buffer);
        p.run();
        spectra.push({
          channels: preset.spectrum === "gray" ? 1 : 3,
          height: e.height,
          width: e.width,
          data: await s.readSpectrum(),
        });
        p.destroy();
        s.destroy();
      }
      spectrum.setSpectrum(transferSpectra(spectra, height, width));
    }
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
    const normalizedX = norm ? own("normalized image", size * 4) : null;
    const normalizedGrad = norm ? own("normalized image gradient", size * 4) : null;
    const input = normalizedX ? toNetwork(evaluation, x, normalizedX, pixels) : x;
    if (regionLoss) {
      regionLoss.record(evaluation, input, normalizedGrad ?? grad, { scalars, slot: SLOT.gram });
    } else if (loss === "gram") {
      const grams = taps.map((t) => new Gram(ctx, t.channels, t.height * t.width));
      const diffs = taps.map((t) => own(`gram diff ${t.index}`, t.channels * t.channels * 4));
      owned.push(...grams);
      const recordLoss = (prog: Program, tap: number, g: GPUBuffer) =>
        grams[tap].loss(prog, g, gramTargets[tap], diffs[tap], layerWeights[tap], {
          scalars,
          slot: SLOT.gram,
          accumulate: true,
        });
      if (net instanceof TiledVgg19) {
        // Gram matrices are sums over pixels: the first pass adds up each
        // layer's over the tiles, the loss then gives its gradient, and the
        // second pass carries that back through every tile.
        const full = taps.map((t) => own(`gram ${t.index}`, t.channels * t.channels * 4));
        net.recordForward(evaluation, input, (prog, tap, window, pixels, first) => {
          grams[tap].forward(prog, window, full[tap], { pixels, accumulate: !first });
        });
        taps.forEach((_, tap) => recordLoss(evaluation, tap, full[tap]));
        net.recordBackward(
          evaluation,
          input,
          normalizedGrad ?? grad,
          (prog, tap, window, pixels, windowGrad) => {
            grams[tap].backward(prog, diffs[tap], window, windowGrad, false, pixels);
          },
        );
      } else {
        const largest = Math.max(...taps.map((t) => t.channels));
        // Each layer's Gram matrix is read only by its loss, right after it is
        // made, so one buffer serves every layer.
        const current = own("gram", largest * largest * 4);
        net.recordForwardBackward(
          evaluation,
          input,
          normalizedGrad ?? grad,
          (prog, tap, features) => {
            grams[tap].forward(prog, features, current);
            recordLoss(prog, tap, current);
          },
          (prog, tap, features, g, accumulate) => {
            grams[tap].backward(prog, diffs[tap], features, g, accumulate);
          },
        );
      }
    } else if (net instanceof Vgg19) {
      // Sliced Wasserstein: never tiled (checked above).
      const sws = taps.map((t, tap) =>
        new SlicedWasserstein(ctx, t.channels, t.height * t.width, tapPixels[tap])
      );
      const dirs = taps.map((t) => own(`directions ${t.index}`, t.channels * t.channels * 4));
      owned.push(...sws);
      combineScalars(evaluation, scalars, SLOT.evaluation, 1, SLOT.evaluation, 1, SLOT.one);
      taps.forEach((t, tap) => {
        const seed = ((options.seed ?? 0) * 1000003 + t.index) >>> 0;
        recordRandomDirections(
          evaluation,
          dirs[tap],
          t.channels,
          t.channels,
          seed,
          scalars,
          SLOT.evaluation,
        );
        sws[tap].setTarget(evaluation, featureTargets[tap], dirs[tap]);
      });
      net.recordForwardBackward(
        evaluation,
        input,
        normalizedGrad ?? grad,
        () => {},
        (prog, tap, features, g, accumulate) => {
          sws[tap].record(prog, features, dirs[tap], g, layerWeights[tap], {
            scalars,
            slot: SLOT.gram,
            accumulate: true,
          }, accumulate);
        },
      );
    }
    if (norm && normalizedGrad) {
      channelAffine(evaluation, normalizedGrad, grad, 3, pixels, norm.std.map((s) => 1 / s), [
        0,
        0,
        0,
      ]);
    }
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
