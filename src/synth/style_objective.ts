import type { GpuContext } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import type { Vgg19 } from "../nn/vgg19.ts";
import { TiledVgg19 } from "../nn/tiled_vgg19.ts";
import type { VggConvs } from "../nn/vgg19_convs.ts";
import { type ColorMap, colorMatrix, LUMA, RGB_TO_YIQ, YIQ_TO_RGB } from "../ops/color_matrix.ts";
import { ContentLoss } from "../ops/content_loss.ts";
import { reduceDot, reduceSum } from "../ops/reduce.ts";
import { combineScalars } from "../ops/scalars.ts";
import type { SpectrumLoss } from "../ops/spectrum.ts";
import { TotalVariation } from "../ops/total_variation.ts";
import { copyWindow } from "../ops/window_copy.ts";
import type { GpuObjective } from "../optim/lbfgs.ts";
import { TexSynthError } from "../errors.ts";
import { networkFits, slicedWassersteinTooLarge } from "./fits.ts";
import { GramTerms } from "./gram_terms.ts";
import {
  network,
  normalizeGradient,
  normalizeInput,
  recordEvaluation,
  recordTaps,
  type TapTerms,
} from "./network.ts";
import type { FeatureLoss } from "./objective.ts";
import { LIU, type Preset } from "./presets.ts";
import { exemplarSpectrum, type GpuImage } from "./spectrum_target.ts";
import { SlicedWassersteinTerms } from "./sw_terms.ts";

/** torchvision `features` indices of the style layers: relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 (Gatys et al. 2016). */
export const STYLE_LAYERS: readonly number[] = [1, 6, 11, 20, 29];
/** torchvision `features` index of the content layer, relu4_2 (Gatys et al. 2016). */
export const CONTENT_LAYER = 22;

/**
 * Slots of the scalars buffer a style evaluation writes: the total, the
 * style, content and total variation terms as weighted, the spectrum term
 * unweighted (½ Σ (x − Re P)², as texture synthesis reports it), then a few
 * it keeps for itself.
 */
export const STYLE_SLOT = {
  total: 0,
  style: 1,
  content: 2,
  spectrum: 3,
  tv: 4,
  one: 6,
  draw: 7,
  norms: 8,
} as const;

/** Input normalization and per-layer scaling of the style terms: preset `liu`'s (ImageNet mean/std, scale-free layers). */
const STYLE_PRESET: Preset = { ...LIU, layers: [...STYLE_LAYERS, CONTENT_LAYER] };

/** Gray RGB from one luminance channel, and its backward. */
const GRAY: ColorMap = { matrix: [[1], [1], [1]] };
const GRAY_BACKWARD: ColorMap = { matrix: [[1, 1, 1]] };

/**
 * Refuses unequal style weights with sliced Wasserstein, which pools the
 * style images' pixels and has no way to weight them.
 */
export function checkStyleBlend(loss: FeatureLoss, weights: number[]): void {
  if (loss === "sw" && weights.some((w) => w !== weights[0])) {
    throw new TexSynthError(
      "sliced Wasserstein pools the style images' pixels and cannot weight them: use --loss gram with --style-blend",
    );
  }
}

/** A style image on the GPU and its share of the style target. */
export interface WeightedImage extends GpuImage {
  weight: number;
}

/** The weight of each term of {@link StyleObjective}; all are scale-free (see there). */
export interface StyleTermWeights {
  content: number;
  style: number;
  tv: number;
  spectrum: number;
}

/** Options for {@link StyleObjective.create}. */
export interface StyleObjectiveOptions {
  weights: StyleTermWeights;
  /** "gram" (default) or "sw": the style's feature statistics. */
  loss?: FeatureLoss;
  /**
   * Optimize luminance only and take the colours from the content (Gatys et
   * al. 2016, "Preserving Color in Neural Artistic Style Transfer"): the
   * variables are the output's Y (of YIQ); style and content go through the
   * network as gray images, each style's luminance first matched to the
   * content's mean and standard deviation.
   */
  originalColors?: boolean;
  checkpointing: boolean;
  /** Seed of the sliced Wasserstein directions. */
  seed?: number;
  /** Run the networks tile by tile on crops of at most this many pixels a side (Gram loss only). */
  maxCrop?: number;
}

/**
 * The style transfer loss of Gatys, Ecker & Bethge (2016) at one output
 * size, as a GPU program that reads the variables `x` and writes the loss
 * terms and `grad`:
 *
 * - style: Gram matrices at relu1_1 … relu5_1 against a blend of the style
 *   images' (Σ_s w_s Ĝ_s, each style at its own size), each layer's
 *   Σ (G − Ĝ)² / Σ Ĝ² averaged over the layers, times `weights.style`; or,
 *   with `loss: "sw"`, sliced Wasserstein distances to the styles' pooled
 *   features, each divided by the target's mean square;
 * - content: the mean squared difference of relu4_2 features to the
 *   content's, divided by the mean square of the content's, times
 *   `weights.content`;
 * - total variation: the mean squared difference of neighbouring pixels
 *   (per variable), times `weights.tv`;
 * - spectrum: preset `liu`'s colour spectrum term against the styles'
 *   Fourier modulus (moduli combined as for several exemplars), times
 *   `weights.spectrum` (built only when that weight is not 0).
 *
 * Input normalization as preset `liu`. The content loss is a sum over
 * pixels, so large outputs run tile by tile like textures (see
 * tiled_vgg19.ts); `loss: "sw"` needs the whole network in one pass.
 */
export class StyleObjective implements GpuObjective {
  readonly size: number;
  readonly x: GPUBuffer;
  readonly grad: GPUBuffer;
  readonly scalars: GPUBuffer;
  readonly reportSlots = 5;
  readonly evaluation: Program;
  /** Sliced Wasserstein only: draws new slice directions (see sw_terms.ts). Null for Gram. */
  readonly resample: Program | null;
  /** The output's network: whole, or tile by tile for large outputs. */
  readonly net: Vgg19 | TiledVgg19;
  readonly height: number;
  readonly width: number;
  /** Whether the variables are the luminance only (original colours). */
  readonly luminance: boolean;
  #ctx: GpuContext;
  #owned: { destroy(): void }[];
  #buffers: GPUBuffer[];
  /** The content in YIQ, for the chroma of the output when `luminance`. */
  #contentYiq: GPUBuffer | null;
  /** The output's luminance beside the content's chroma, when `luminance`. */
  #outputYiq: GPUBuffer | null;

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
      height: number;
      width: number;
      contentYiq: GPUBuffer | null;
      outputYiq: GPUBuffer | null;
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
    this.height = parts.height;
    this.width = parts.width;
    this.#contentYiq = parts.contentYiq;
    this.#outputYiq = parts.outputYiq;
    this.luminance = parts.contentYiq !== null;
    this.size = (this.luminance ? 1 : 3) * parts.height * parts.width;
  }

  /**
   * Builds the objective for `content` (at the output's size) and the
   * weighted `styles` (each at its own size), computes the targets once and
   * records the evaluation.
   */
  static async create(
    ctx: GpuContext,
    convs: VggConvs,
    content: GpuImage,
    styles: WeightedImage[],
    options: StyleObjectiveOptions,
  ): Promise<StyleObjective> {
    const { height, width } = content;
    const loss = options.loss ?? "gram";
    const luminance = options.originalColors ?? false;
    if (styles.length === 0) throw new TexSynthError("no style image given: pass at least one");
    if (loss === "sw") {
      if (options.maxCrop !== undefined || !networkFits(ctx, height, width)) {
        throw slicedWassersteinTooLarge(width, height);
      }
      checkStyleBlend(loss, styles.map((s) => s.weight));
    }
    const pixels = height * width;
    const buffers: GPUBuffer[] = [];
    const owned: { destroy(): void }[] = [];
    const temporary: { destroy(): void }[] = [];
    const own = (label: string, floats: number): GPUBuffer => {
      const b = ctx.createBuffer(label, floats * 4);
      buffers.push(b);
      return b;
    };
    const scratch = (label: string, floats: number): GPUBuffer => {
      const b = ctx.createBuffer(label, floats * 4);
      temporary.push({ destroy: () => ctx.destroyBuffer(b) });
      return b;
    };
    try {
      const net = network(ctx, convs, STYLE_PRESET.layers, height, width, {
        padding: "zero",
        checkpointing: options.checkpointing,
        maxCrop: options.maxCrop,
      });
      owned.push(net);
      const styleCount = STYLE_LAYERS.length;
      const taps = net.taps;
      const contentTap = taps[styleCount];
      const scalars = own("scalars", 64);
      ctx.write(scalars, new Float32Array([1]), STYLE_SLOT.one * 4);
      const size = (luminance ? 1 : 3) * pixels;
      const x = own("image", size);
      const grad = own("image gradient", size);

      // Original colours: the network sees gray images, each style's
      // luminance matched to the content's mean and standard deviation.
      const contentYiq = luminance ? own("content YIQ", 3 * pixels) : null;
      let seenContent = content;
      let seenStyles = styles;
      if (contentYiq) {
        const stats = await lumaStats(ctx, [content, ...styles], scalars);
        const p = new Program(ctx);
        colorMatrix(p, content.buffer, contentYiq, pixels, { matrix: RGB_TO_YIQ });
        // Gray RGB of the luma, matched to the content's mean and spread.
        const gray = (image: GpuImage, stat: { mean: number; std: number }): GpuImage => {
          const a = stat.std > 1e-6 ? stats[0].std / stat.std : 1;
          const b = stats[0].mean - a * stat.mean;
          const buffer = scratch("gray image", 3 * image.height * image.width);
          colorMatrix(p, image.buffer, buffer, image.height * image.width, {
            matrix: [0, 1, 2].map(() => LUMA.map((v) => a * v)),
            shift: [b, b, b],
          });
          return { buffer, height: image.height, width: image.width };
        };
        seenContent = gray(content, stats[0]);
        seenStyles = styles.map((s, i) => ({ ...gray(s, stats[i + 1]), weight: s.weight }));
        p.run();
        p.destroy();
      }
      const normalizedInput = (prog: Program, image: GpuImage): GPUBuffer =>
        normalizeInput(
          prog,
          STYLE_PRESET,
          image.buffer,
          scratch("normalized image", 3 * image.height * image.width),
          image.height * image.width,
        );

      // Targets: each style through its own network at its own size, the
      // content through the output's network.
      const setup = new Program(ctx);
      const styleNets = seenStyles.map((s) => {
        const n = network(ctx, convs, [...STYLE_LAYERS], s.height, s.width, {
          padding: "zero",
          checkpointing: true,
          maxCrop: options.maxCrop,
        });
        temporary.push(n);
        return n;
      });
      const styleTaps = taps.slice(0, styleCount);
      const total = styles.reduce((s, st) => s + st.weight, 0);
      const gramTerms = loss === "gram" ? new GramTerms(ctx, styleTaps) : null;
      const swTerms = loss === "sw"
        ? new SlicedWassersteinTerms(
          ctx,
          styleTaps,
          styleTaps.map((_, tap) =>
            styleNets.reduce((s, n) => s + n.taps[tap].height * n.taps[tap].width, 0)
          ),
        )
        : null;
      if (gramTerms) owned.push(gramTerms);
      if (swTerms) owned.push(swTerms);
      seenStyles.forEach((s, i) => {
        const input = normalizedInput(setup, s);
        gramTerms?.recordTarget(setup, styleNets[i], input, s.weight / total, scalars, temporary);
        swTerms?.recordTarget(setup, styleNets[i], input);
      });
      gramTerms?.recordMeanSquares(setup, scalars, STYLE_SLOT.norms);
      swTerms?.recordMeanSquares(setup, scalars, STYLE_SLOT.norms);
      const contentFloats = contentTap.channels * contentTap.height * contentTap.width;
      const contentTarget = own("content target", contentFloats);
      recordTaps(setup, net, normalizedInput(setup, seenContent), (p, tap, features, _, __, at) => {
        if (tap !== styleCount) return;
        copyWindow(
          p,
          contentTap.channels,
          { buffer: features, height: at.height, width: at.width, y: 0, x: 0 },
          {
            buffer: contentTarget,
            height: contentTap.height,
            width: contentTap.width,
            y: at.y,
            x: at.x,
          },
          at,
          false,
        );
      });
      reduceDot(setup, contentTarget, contentTarget, contentFloats, {
        scalars,
        slot: STYLE_SLOT.norms + styleCount,
        scale: 1 / contentFloats,
      });
      setup.run();
      const meanSquares = await ctx.read(scalars, STYLE_SLOT.norms, styleCount + 1);
      setup.destroy();
      const w = options.weights;
      let spectrum: SpectrumLoss | null = null;
      if (w.spectrum !== 0) {
        spectrum = await exemplarSpectrum(ctx, seenStyles, height, width, STYLE_PRESET.spectrum);
        owned.push(spectrum);
      }

      // Scale-free weights, as preset liu's.
      const styleWeights = styleTaps.map((t, tap) => {
        const count = loss === "gram" ? t.channels * t.channels : 1;
        return w.style / (styleCount * count * Math.max(meanSquares[tap], 1e-30));
      });
      const contentWeight = w.content /
        (contentFloats * Math.max(meanSquares[styleCount], 1e-30));
      const contentLoss = new ContentLoss(ctx, contentFloats);
      owned.push(contentLoss);
      const tv = w.tv !== 0 ? new TotalVariation(ctx, luminance ? 1 : 3, height, width) : null;
      if (tv) owned.push(tv);

      const evaluation = new Program(ctx);
      evaluation.clear(scalars, STYLE_SLOT.style * 4, 16);
      const rgb = luminance ? own("gray image", 3 * pixels) : x;
      const rgbGrad = luminance ? own("gray image gradient", 3 * pixels) : grad;
      if (luminance) colorMatrix(evaluation, x, rgb, pixels, GRAY);
      const normalized = own("normalized image", 3 * pixels);
      const normalizedGrad = own("normalized image gradient", 3 * pixels);
      normalizeInput(evaluation, STYLE_PRESET, rgb, normalized, pixels);
      const styleTarget = { scalars, slot: STYLE_SLOT.style };
      // Slice directions change only between the optimizer's iterations.
      const resample = gramTerms ? null : new Program(ctx);
      if (resample) owned.push(resample);
      const styleTerms = gramTerms
        ? gramTerms.terms(styleWeights, styleTarget)
        : swTerms!.terms(resample!, styleWeights, styleTarget, {
          seed: options.seed ?? 0,
          scalars,
          counter: STYLE_SLOT.draw,
          one: STYLE_SLOT.one,
        });
      resample?.run();
      const targetWindow = net instanceof TiledVgg19
        ? own("content target window", contentFloats)
        : null;
      const terms: TapTerms = {
        forward: styleTerms.forward,
        afterForward: styleTerms.afterForward,
        backward: (p, tap, features, g, part) => {
          if (tap < styleCount) return styleTerms.backward(p, tap, features, g, part);
          const { at } = part;
          const count = contentTap.channels * part.pixels;
          let target = contentTarget;
          if (count !== contentFloats) {
            copyWindow(
              p,
              contentTap.channels,
              {
                buffer: contentTarget,
                height: contentTap.height,
                width: contentTap.width,
                y: at.y,
                x: at.x,
              },
              { buffer: targetWindow!, height: at.height, width: at.width, y: 0, x: 0 },
              at,
              false,
            );
            target = targetWindow!;
          }
          contentLoss.record(p, features, target, g, contentWeight, {
            scalars,
            slot: STYLE_SLOT.content,
            accumulate: true,
          }, { accumulate: part.accumulate, count });
        },
      };
      recordEvaluation(evaluation, net, normalized, normalizedGrad, terms);
      // The gradient at the RGB image the network sees (gray when luminance).
      normalizeGradient(evaluation, STYLE_PRESET, normalizedGrad, rgbGrad, pixels);
      const spectrumWeight = w.spectrum / (3 * pixels);
      spectrum?.record(evaluation, rgb, rgbGrad, spectrumWeight, {
        scalars,
        slot: STYLE_SLOT.spectrum,
      });
      if (luminance) colorMatrix(evaluation, rgbGrad, grad, pixels, GRAY_BACKWARD);
      tv?.record(evaluation, x, grad, w.tv / size, { scalars, slot: STYLE_SLOT.tv });
      const S = STYLE_SLOT;
      combineScalars(evaluation, scalars, S.total, 1, S.style, 1, S.content);
      combineScalars(evaluation, scalars, S.total, 1, S.total, spectrumWeight, S.spectrum);
      combineScalars(evaluation, scalars, S.total, 1, S.total, 1, S.tv);
      temporary.forEach((t) => t.destroy());
      return new StyleObjective(ctx, {
        x,
        grad,
        scalars,
        evaluation,
        resample,
        net,
        owned,
        buffers,
        height,
        width,
        contentYiq,
        outputYiq: luminance ? own("output YIQ", 3 * pixels) : null,
      });
    } catch (e) {
      temporary.forEach((t) => t.destroy());
      owned.forEach((o) => o.destroy());
      buffers.forEach((b) => ctx.destroyBuffer(b));
      throw e;
    }
  }

  /**
   * Records setting the variables from an RGB image of the output's size
   * ([3, H, W]): the image itself, or its luminance with original colours.
   */
  recordStart(prog: Program, rgb: GPUBuffer): void {
    const bytes = 3 * this.height * this.width * 4;
    if (this.luminance) {
      colorMatrix(prog, rgb, this.x, this.height * this.width, { matrix: [LUMA] });
    } else prog.copy(rgb, this.x, bytes);
  }

  /**
   * Records writing the output image ([3, H, W] RGB) into `out`: the
   * variables themselves, or their luminance with the content's chroma
   * (I and Q of YIQ) when the objective optimizes luminance only.
   */
  recordImage(prog: Program, out: GPUBuffer): void {
    const plane = this.height * this.width * 4;
    if (!this.#outputYiq || !this.#contentYiq) {
      prog.copy(this.x, out, 3 * plane);
      return;
    }
    prog.copy(this.x, this.#outputYiq, plane);
    prog.copy(this.#contentYiq, this.#outputYiq, 2 * plane, plane, plane);
    colorMatrix(prog, this.#outputYiq, out, this.height * this.width, { matrix: YIQ_TO_RGB });
  }

  /** Frees every GPU buffer the objective holds (not the shared weights). */
  destroy(): void {
    this.evaluation.destroy();
    this.#owned.forEach((o) => o.destroy());
    this.#buffers.forEach((b) => this.#ctx.destroyBuffer(b));
  }
}

/** Mean and standard deviation of each image's luma (BT.601), read back once at setup. */
async function lumaStats(
  ctx: GpuContext,
  images: GpuImage[],
  scalars: GPUBuffer,
): Promise<{ mean: number; std: number }[]> {
  const out = [];
  for (const image of images) {
    const n = image.height * image.width;
    const luma = ctx.createBuffer("luma", n * 4);
    const prog = new Program(ctx);
    colorMatrix(prog, image.buffer, luma, n, { matrix: [LUMA] });
    reduceSum(prog, luma, n, { scalars, slot: 16, scale: 1 / n });
    reduceDot(prog, luma, luma, n, { scalars, slot: 17, scale: 1 / n });
    prog.run();
    const [mean, square] = await ctx.read(scalars, 16, 2);
    prog.destroy();
    ctx.destroyBuffer(luma);
    out.push({ mean, std: Math.sqrt(Math.max(0, square - mean * mean)) });
  }
  return out;
}
