import { SLICE_ITERATIONS } from "./sw_terms.ts";
import { GpuContext, type Precision } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import type { PlanarImage } from "../io/image.ts";
import { VggConvs } from "../nn/vgg19_convs.ts";
import { axpy, scale } from "../ops/vector.ts";
import { Lbfgs, type StopReason } from "../optim/lbfgs.ts";
import { Random } from "../random.ts";
import { TexSynthError } from "../errors.ts";
import { randomVggWeights, type VggWeights } from "../weights/vgg19_weights.ts";
import { checkFits, minimumSide, networkFits, slicedWassersteinTooLarge } from "./fits.ts";
import type { FeatureLoss } from "./objective.ts";
import { resampled, type StartImageFit, startImageFit } from "./resize.ts";
import type { GpuImage } from "./spectrum_target.ts";
import { checkStyleBlend, STYLE_LAYERS, STYLE_SLOT, StyleObjective } from "./style_objective.ts";
import { defaultCheckpointing, type LossRecord } from "./synthesizer.ts";

/** Where a style transfer starts: the content, seeded noise, or an image (resampled to the output's size). */
export type StyleInit = "content" | "noise" | PlanarImage;

/** How a {@link StyleTransfer} is set up; the command line's `style` options are the same. */
export interface StyleTransferOptions {
  /** Each style image's share of the style target (normalized to sum 1). Default: equal shares. */
  styleBlend?: number[];
  /** Weight of the content term (relu4_2 features). Default 1. */
  contentWeight?: number;
  /** Weight of the style term (Gram matrices at relu1_1 … relu5_1). Default 1. */
  styleWeight?: number;
  /** Weight of the total variation term (smoothness). Default 0. */
  tvWeight?: number;
  /** Weight of the spectrum term, the styles' Fourier modulus. Default 0 (off). */
  spectrumWeight?: number;
  /**
   * The style images' size relative to the output: each is resampled so its
   * longer side is this times the output's longer side (aspect kept).
   * Default 1.
   */
  styleScale?: number;
  /** Start image: "content" (default), "noise" or an image. */
  init?: StyleInit;
  /**
   * Share of seeded noise blended into an image start, (1 − r)·image + r·noise.
   * Default: 0 for the first {@link StyleTransfer.transfer}, 0.2 for each
   * later one, so variations differ. Ignored for a noise start.
   */
  initNoise?: number;
  /**
   * Keep the content's colours: optimize the luminance only and take the
   * chroma (I and Q of YIQ) from the content. Default false.
   */
  originalColors?: boolean;
  /** The style's feature statistics: "gram" (default) or "sw" (sliced Wasserstein). */
  loss?: FeatureLoss;
  /**
   * VGG19 weights (trained ones from `trainedWeights()` or `loadWeightsFile()`
   * in mod.ts), or "random" for seeded He weights, an offline smoke mode.
   * Required: the engine fetches nothing and picks no weights by itself
   * (`createStyleTransfer` defaults to the cached trained weights).
   */
  weights: VggWeights | "random";
  /** Seed of the start noise, of random weights and of slice directions. Default 0. */
  seed?: number;
  /** Output width; with only one of width and height the other keeps the content's aspect. Default: the content's. */
  width?: number;
  /** Output height. Default: the content's. */
  height?: number;
  /** Recompute activations during backward to save memory. Default: from 512×512 px. */
  checkpointing?: boolean;
  /** L-BFGS history pairs. Default 100. */
  historySize?: number;
  /** Convolution weight storage when this transfer opens its own GPU context. Default "f32". */
  precision?: Precision;
  /** A GPU context to share; one is opened (and later closed) otherwise. */
  gpu?: GpuContext;
}

/**
 * One line of a style transfer's loss history: a {@link LossRecord} whose
 * `gram` is the style term (Gram or sliced Wasserstein) and whose `scale`
 * is always 0, with the content and total variation terms beside it. The
 * style, content and total variation terms are weighted as the total adds
 * them; `spectrum` is unweighted, as in texture synthesis.
 */
export interface StyleRecord extends LossRecord {
  /** The content term. */
  content: number;
  /** The total variation term (0 when off). */
  tv: number;
}

/** Limits and callbacks of one {@link StyleTransfer.transfer} or {@link StyleTransfer.optimize} call. */
export interface StyleRunOptions {
  /** Stop after this many objective evaluations in this call. */
  maxEvaluations?: number;
  /** Stops the run cleanly between evaluations; the image keeps its best state. */
  signal?: AbortSignal;
  /** Called with each new loss record (iteration 0 included). */
  onProgress?: (record: StyleRecord) => void | Promise<void>;
}

/** What a style transfer run did. */
export interface StyleRunResult {
  /** Why it stopped. */
  stop: StopReason;
  /** The last loss record. */
  last: StyleRecord;
}

/** Default share of noise in an image start after the first variation. */
const VARIATION_NOISE = 0.2;

/**
 * Neural style transfer (Gatys, Ecker & Bethge 2016): repaints a content
 * image with the feature statistics of one or more style images, by
 * L-BFGS on the pixels (see {@link StyleObjective} for the loss). Owns the
 * network weights on the GPU, the objective, the optimizer and the image.
 *
 * @example
 * ```ts
 * import { readImageFile, StyleTransfer, writePng } from "@tex/synth";
 *
 * const content = await readImageFile("photo.png");
 * const style = await readImageFile("painting.png");
 * const transfer = await StyleTransfer.create(content, style, {
 *   weights: "random",
 *   styleWeight: 5,
 *   originalColors: true,
 * });
 * await transfer.transfer(100, { onProgress: (r) => console.log(r.iteration, r.loss) });
 * await writePng("photo_styled.png", await transfer.image());
 * transfer.dispose();
 * ```
 */
export class StyleTransfer {
  /** Output width in pixels. */
  readonly width: number;
  /** Output height in pixels. */
  readonly height: number;
  /** How an `init` image was fitted to the output (resized when its size differs); null for "content" and "noise". */
  readonly initFit: StartImageFit | null;
  #ctx: GpuContext;
  #ownsContext: boolean;
  #objective: StyleObjective;
  #convs: VggConvs;
  #content: GpuImage;
  #init: GPUBuffer | null;
  #optimizer: Lbfgs;
  #options: StyleTransferOptions;
  #variation = 0;
  #history: StyleRecord[] = [];
  #started = false;
  #lastTime = 0;

  private constructor(
    ctx: GpuContext,
    parts: {
      convs: VggConvs;
      content: GpuImage;
      init: GPUBuffer | null;
      objective: StyleObjective;
      optimizer: Lbfgs;
    },
    options: StyleTransferOptions,
  ) {
    this.#ctx = ctx;
    this.#ownsContext = !options.gpu;
    this.#convs = parts.convs;
    this.#content = parts.content;
    this.#init = parts.init;
    this.#objective = parts.objective;
    this.#optimizer = parts.optimizer;
    this.#options = options;
    this.width = parts.content.width;
    this.height = parts.content.height;
    this.initFit = typeof options.init === "object" ? startImageFit(options.init, this) : null;
  }

  /** Prepares a transfer of `style` (one image or several) onto `content`: uploads, resizes, computes targets. */
  static async create(
    content: PlanarImage,
    style: PlanarImage | PlanarImage[],
    options: StyleTransferOptions,
  ): Promise<StyleTransfer> {
    const styles = Array.isArray(style) ? style : [style];
    if (styles.length === 0) throw new TexSynthError("no style image given: pass at least one");
    if (options?.weights === undefined) {
      throw new TexSynthError(
        'StyleTransfer.create needs weights: pass trained VggWeights (trainedWeights() or loadWeightsFile()) or weights: "random"; createStyleTransfer() fetches the trained ones by itself',
      );
    }
    const blend = options.styleBlend ?? styles.map(() => 1);
    if (blend.length !== styles.length) {
      throw new TexSynthError(
        `${blend.length} style blend weights for ${styles.length} style images: give one weight per style`,
      );
    }
    if (blend.some((b) => !(b >= 0)) || !(blend.reduce((s, b) => s + b, 0) > 0)) {
      throw new TexSynthError(
        `style blend weights must be at least 0 with a positive sum, got ${blend.join(",")}`,
      );
    }
    checkStyleBlend(options.loss ?? "gram", blend);
    const weights = {
      content: options.contentWeight ?? 1,
      style: options.styleWeight ?? 1,
      tv: options.tvWeight ?? 0,
      spectrum: options.spectrumWeight ?? 0,
    };
    for (const [name, v] of Object.entries(weights)) {
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new TexSynthError(`the ${name} weight must be a number of at least 0, got ${v}`);
      }
    }
    const styleScale = options.styleScale ?? 1;
    if (!(styleScale > 0) || !Number.isFinite(styleScale)) {
      throw new TexSynthError(`the style scale must be a positive number, got ${styleScale}`);
    }
    const noise = options.initNoise;
    if (noise !== undefined && !(noise >= 0 && noise <= 1)) {
      throw new TexSynthError(`the init noise must be between 0 and 1, got ${noise}`);
    }
    const { width, height } = outputSize(content, options.width, options.height);
    const longer = Math.max(width, height);
    const styleSizes = styles.map((s) => {
      const f = (styleScale * longer) / Math.max(s.width, s.height);
      return {
        width: Math.max(1, Math.round(s.width * f)),
        height: Math.max(1, Math.round(s.height * f)),
      };
    });
    const min = minimumSide(Math.max(...STYLE_LAYERS));
    const small = [
      { what: "output", ...{ width, height }, fix: "use a larger content or --size" },
      ...styleSizes.map((s, i) => ({
        what: `style image${styles.length > 1 ? ` ${i + 1}` : ""} at --style-scale ${styleScale}`,
        ...s,
        fix: "use a larger --style-scale",
      })),
    ].find((i) => Math.min(i.width, i.height) < min);
    if (small) {
      throw new TexSynthError(
        `the ${small.what} is ${small.width}×${small.height} px, smaller than the ${min} px per side that relu5_1, the deepest style layer, needs: ${small.fix}`,
      );
    }
    const ctx = options.gpu ?? await GpuContext.create({ precision: options.precision });
    const made: { destroy(): void }[] = [];
    const buffer = (b: GPUBuffer) => made.push({ destroy: () => ctx.destroyBuffer(b) });
    try {
      // The network runs tile by tile when it must; the whole-image tensors
      // left are the content's relu4_2 features (512 channels at 1/8 scale:
      // 32 bytes a pixel) and the spectrum's complex planes (24).
      checkFits(ctx, width, height, 32, "output", "--size");
      if (options.loss === "sw" && !networkFits(ctx, height, width)) {
        throw slicedWassersteinTooLarge(width, height);
      }
      for (const s of styleSizes) checkFits(ctx, s.width, s.height, 24, "style", "--style-scale");
      const vgg = options.weights === "random"
        ? randomVggWeights(options.seed ?? 0, Math.max(...STYLE_LAYERS))
        : options.weights;
      const convs = new VggConvs(ctx, vgg);
      made.push(convs);
      const upload = (image: PlanarImage, w: number, h: number): GpuImage => {
        const original = {
          buffer: ctx.upload("image", image.data),
          height: image.height,
          width: image.width,
        };
        if (w === image.width && h === image.height) return original;
        const scaled = resampled(ctx, original, h, w);
        ctx.destroyBuffer(original.buffer);
        return scaled;
      };
      const contentImage = upload(content, width, height);
      buffer(contentImage.buffer);
      const styleImages = styles.map((s, i) => {
        const up = upload(s, styleSizes[i].width, styleSizes[i].height);
        buffer(up.buffer);
        return { ...up, weight: blend[i] };
      });
      const init = options.init;
      const initImage = init !== undefined && init !== "content" && init !== "noise"
        ? upload(init, width, height)
        : null;
      if (initImage) buffer(initImage.buffer);
      const objective = await StyleObjective.create(ctx, convs, contentImage, styleImages, {
        weights,
        loss: options.loss,
        originalColors: options.originalColors,
        checkpointing: options.checkpointing ?? defaultCheckpointing(width, height),
        seed: options.seed,
      });
      made.push(objective);
      styleImages.forEach((s) => ctx.destroyBuffer(s.buffer));
      const optimizer = new Lbfgs(ctx, objective, {
        historySize: options.historySize ?? 100,
        resampleEvery: SLICE_ITERATIONS,
      });
      return new StyleTransfer(ctx, {
        convs,
        content: contentImage,
        init: initImage?.buffer ?? null,
        objective,
        optimizer,
      }, options);
    } catch (e) {
      made.forEach((m) => m.destroy());
      if (!options.gpu) ctx.destroy();
      throw e;
    }
  }

  /** The loss records of the current variation, iteration 0 first. */
  get history(): readonly StyleRecord[] {
    return this.#history;
  }

  /** Bytes of GPU memory the engine held at most (measured by its allocator). */
  get peakGpuBytes(): number {
    return this.#ctx.peakBytes;
  }

  /** The GPU context in use. */
  get gpu(): GpuContext {
    return this.#ctx;
  }

  /**
   * Starts a new variation from the start image (the n-th call blends in
   * the n-th seeded noise; see {@link StyleTransferOptions.initNoise}) and
   * runs `iterations` L-BFGS iterations.
   */
  async transfer(iterations: number, options: StyleRunOptions = {}): Promise<StyleRunResult> {
    const variation = this.#variation++;
    const ctx = this.#ctx;
    const pixels = this.width * this.height;
    const start = ctx.createBuffer("start image", 3 * pixels * 4);
    const prog = new Program(ctx);
    try {
      const init = this.#options.init ?? "content";
      const ratio = init === "noise"
        ? 1
        : this.#options.initNoise ?? (variation === 0 ? 0 : VARIATION_NOISE);
      prog.copy(this.#init ?? this.#content.buffer, start, 3 * pixels * 4);
      if (ratio > 0) {
        // sigmoid(N(0, 1)) per pixel and channel, as texture synthesis starts.
        const noise = new Random(this.#options.seed ?? 0, variation).normals(3 * pixels);
        for (let i = 0; i < noise.length; i++) noise[i] = 1 / (1 + Math.exp(-noise[i]));
        const k = { scalars: this.#objective.scalars };
        scale(prog, start, 3 * pixels, { ...k, k: 1 - ratio });
        axpy(prog, start, prog.upload("start noise", noise), 3 * pixels, { ...k, k: ratio });
      }
      this.#objective.recordStart(prog, start);
      prog.run();
    } finally {
      prog.destroy();
      ctx.destroyBuffer(start);
    }
    this.#optimizer.reset();
    this.#history = [];
    this.#started = false;
    return await this.#run(iterations, options);
  }

  /** Continues the current variation for `iterations` more L-BFGS iterations. */
  async optimize(iterations: number, options: StyleRunOptions = {}): Promise<StyleRunResult> {
    if (this.#variation === 0) {
      throw new TexSynthError("nothing to continue: call transfer() first");
    }
    return await this.#run(iterations, options);
  }

  async #run(iterations: number, options: StyleRunOptions): Promise<StyleRunResult> {
    let limit = options.maxEvaluations;
    if (!this.#started) {
      this.#lastTime = performance.now();
      const r = await this.#optimizer.evaluate();
      this.#started = true;
      if (limit !== undefined) limit = Math.max(0, limit - 1);
      await this.#record(0, r.scalars, options);
    }
    const offset = this.#history[this.#history.length - 1].iteration;
    const result = await this.#optimizer.run({
      iterations,
      evaluations: limit,
      signal: options.signal,
      onIteration: (r) => this.#record(offset + r.iteration, r.scalars, options),
    });
    return { stop: result.stop, last: this.#history[this.#history.length - 1] };
  }

  async #record(iteration: number, s: number[], options: StyleRunOptions): Promise<void> {
    const now = performance.now();
    const record: StyleRecord = {
      iteration,
      evaluations: this.#optimizer.evaluations,
      loss: s[STYLE_SLOT.total],
      gram: s[STYLE_SLOT.style],
      spectrum: s[STYLE_SLOT.spectrum],
      ms: now - this.#lastTime,
      scale: 0,
      content: s[STYLE_SLOT.content],
      tv: s[STYLE_SLOT.tv],
    };
    this.#lastTime = now;
    this.#history.push(record);
    await options.onProgress?.(record);
  }

  /** Downloads the current image (RGB; with original colours, the luminance with the content's chroma). */
  async image(): Promise<PlanarImage> {
    const ctx = this.#ctx;
    const n = 3 * this.width * this.height;
    const out = ctx.createBuffer("output image", n * 4);
    const prog = new Program(ctx);
    try {
      this.#objective.recordImage(prog, out);
      prog.run();
      return { width: this.width, height: this.height, data: await ctx.read(out, 0, n) };
    } finally {
      prog.destroy();
      ctx.destroyBuffer(out);
    }
  }

  /** Downloads the content as the objective sees it (resampled to the output's size). */
  async content(): Promise<PlanarImage> {
    const n = 3 * this.width * this.height;
    return {
      width: this.width,
      height: this.height,
      data: await this.#ctx.read(this.#content.buffer, 0, n),
    };
  }

  /** Frees the GPU resources (and the device, when this transfer opened it). */
  dispose(): void {
    this.#optimizer.destroy();
    this.#objective.destroy();
    this.#convs.destroy();
    this.#ctx.destroyBuffer(this.#content.buffer);
    if (this.#init) this.#ctx.destroyBuffer(this.#init);
    if (this.#ownsContext) this.#ctx.destroy();
  }
}

/** The output size: as given, or the content's, one side following the other's scale when only one is given. */
function outputSize(
  content: PlanarImage,
  width?: number,
  height?: number,
): { width: number; height: number } {
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new TexSynthError(`${name} must be a positive whole number, got ${v}`);
    }
  }
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined) {
    return { width, height: Math.max(1, Math.round((content.height * width) / content.width)) };
  }
  if (height !== undefined) {
    return { width: Math.max(1, Math.round((content.width * height) / content.height)), height };
  }
  return { width: content.width, height: content.height };
}
