import { GpuContext, type Precision } from "../gpu/context.ts";
import type { KernelChoice } from "../gpu/kernel_family.ts";
import { Program } from "../gpu/program.ts";
import {
  checkFits,
  checkLargeEnough,
  minimumSide,
  networkFits,
  type SizedImage,
  slicedWassersteinTooLarge,
} from "./fits.ts";
import { Resampler } from "../ops/resample.ts";
import { resampled, runResample, type StartImageFit, startImageFit } from "./resize.ts";

export type { StartImageFit } from "./resize.ts";
import { SLICE_ITERATIONS } from "./sw_terms.ts";
import { Lbfgs, NonFiniteError, type StopReason } from "../optim/lbfgs.ts";
import type { PlanarImage } from "../io/image.ts";
import { VggConvs } from "../nn/vgg19_convs.ts";
import { Random } from "../random.ts";
import { randomVggWeights, type VggWeights } from "../weights/vgg19_weights.ts";
import { TexSynthError } from "../errors.ts";
import {
  type ExemplarInput,
  type FeatureLoss,
  SLOT,
  steeringNeedsGram,
  TextureObjective,
} from "./objective.ts";
import { preset as presetNamed, type PresetName } from "./presets.ts";
import { type Guides, Steering } from "./steering.ts";
import { keepPixels } from "../ops/pixel_mask.ts";

/** One line of a run's loss history. */
export interface LossRecord {
  /** L-BFGS iteration, counted across scales; 0 is the start image. */
  iteration: number;
  /** Objective evaluations so far in this variation. */
  evaluations: number;
  /** The total objective. */
  loss: number;
  /** The feature-statistics part (Gram or sliced Wasserstein), weighted as the preset weights it. */
  gram: number;
  /** The unweighted spectrum term ½ Σ (x − Re P)². */
  spectrum: number;
  /** Milliseconds since the previous record. */
  ms: number;
  /** Scale of a multi-scale run: halvings of the output size (0 is full size). */
  scale: number;
}

/** How a {@link Synthesizer} is set up. */
export interface SynthesizerOptions {
  /** Objective preset: "liu" (default) or "seed". */
  preset?: PresetName;
  /**
   * VGG19 weights (trained ones from `trainedWeights()` or `loadWeightsFile()`
   * in mod.ts), or "random" for seeded He weights, an offline smoke mode.
   * Required: the engine fetches nothing and picks no weights by itself
   * (`createSynthesizer` defaults to the cached trained weights).
   */
  weights: VggWeights | "random";
  /** Seed of the start noise (and of random weights and slice directions). Default 0. */
  seed?: number;
  /** Output width in pixels. Default: the (first) exemplar's. */
  width?: number;
  /** Output height in pixels. Default: the (first) exemplar's. */
  height?: number;
  /** Scale exemplars so their shorter side has this many pixels (aspect kept). Default: as they are. */
  exemplarSize?: number;
  /** Periodic output that tiles without a seam (circular padding everywhere). Default false. */
  tile?: boolean;
  /**
   * Coarse-to-fine scales: synthesize at 1/2^(scales−1) of the size first,
   * upsample, repeat up to full size. Default 1, or 3 and more for outputs of
   * 512 px and larger (the coarsest scale near 128 px), fewer when an
   * exemplar would get smaller than the network needs.
   */
  scales?: number;
  /** Feature statistics to match: "gram" (default) or "sw" (sliced Wasserstein). */
  loss?: FeatureLoss;
  /**
   * Recompute activations inside blocks during backward to save memory.
   * Default: on for outputs (scales) of 512×512 pixels and more, where memory
   * matters more than the extra forward pass.
   */
  checkpointing?: boolean;
  /** L-BFGS history pairs. Default 100. */
  historySize?: number;
  /**
   * Storage of the convolutions' transformed weights when this synthesizer
   * opens its own GPU context ("f16" needs `shader-f16`, else it stays f32).
   * Default: f16 where the tiled kernels run on an adapter with `shader-f16`,
   * f32 elsewhere. A shared `gpu` keeps its own precision.
   */
  precision?: Precision;
  /**
   * The kernel family when this synthesizer opens its own GPU context:
   * "auto" (default: "software" on CPU rasterizers, "tiled" on GPUs),
   * "software" or "tiled". A shared `gpu` keeps its own.
   */
  kernels?: KernelChoice;
  /** A GPU context to share; one is opened (and later closed) otherwise. */
  gpu?: GpuContext;
  /**
   * Inpainting: where this mask is white (luminance ≥ 0.5) the output is
   * synthesized, elsewhere it keeps `image`'s pixels bit for bit. The output
   * is `image`'s size; a mask of another size is resampled (nearest). The
   * statistics come from the exemplars; when `image` is not given, the first
   * exemplar is the image, and only its kept part feeds its statistics.
   */
  mask?: PlanarImage;
  /** The image whose masked pixels are filled. Default: the first exemplar. */
  image?: PlanarImage;
  /**
   * One mask per exemplar, in order (null for none): only the white part
   * (luminance ≥ 0.5) of each exemplar feeds the statistics. Masks of
   * another size are resampled (nearest).
   */
  exemplarMasks?: (PlanarImage | null)[];
  /**
   * Guided synthesis: label maps whose exact colours name regions; each
   * colour's region of the output takes the statistics of the same colour's
   * region in the exemplars. Resampled (nearest) to the exemplars and the
   * output. A colour of the target that no exemplar guide has is an error.
   */
  guides?: Guides;
  /**
   * Whether the spectrum term counts. Default: on, except with a mask,
   * exemplar masks or guides, whose statistics are regional while the
   * spectrum is the whole image's.
   */
  spectrum?: boolean;
}

/** Limits and callbacks of one {@link Synthesizer.synthesize} or {@link Synthesizer.optimize} call. */
export interface RunOptions {
  /**
   * Stop after this many objective evaluations in this call, over all scales:
   * each coarse scale gets an even share of what remains, full size the rest.
   */
  maxEvaluations?: number;
  /** Stops the run cleanly between evaluations; the image keeps its best state. */
  signal?: AbortSignal;
  /** Called with each new loss record (iteration 0 included). */
  onProgress?: (record: LossRecord) => void | Promise<void>;
}

/** What a run did. */
export interface RunResult {
  /** Why it stopped. */
  stop: StopReason;
  /** The last loss record. */
  last: LossRecord;
}

interface Stage {
  scale: number;
  objective: TextureObjective;
  optimizer: Lbfgs;
  height: number;
  width: number;
  /**
   * An inpainting's kept pixels at this scale: their values (the image to
   * fill, resampled below full size) and where they are (free < 0.5).
   */
  kept: { image: GPUBuffer; free: GPUBuffer } | null;
}

/** Outputs of at least this many pixels are checkpointed unless told otherwise. */
const CHECKPOINT_FROM_PIXELS = 512 * 512;

/** Whether an output (or scale) of this size is checkpointed unless told otherwise: from 512×512 px. */
export function defaultCheckpointing(width: number, height: number): boolean {
  return width * height >= CHECKPOINT_FROM_PIXELS;
}

/**
 * The default number of scales for an output: one below 512 px, then enough
 * halvings to start near 128 px.
 *
 * @example
 * ```ts
 * import { defaultScales } from "@tex/synth";
 *
 * console.log(defaultScales(256, 256), defaultScales(512, 512), defaultScales(2048, 1024)); // 1 3 4
 * ```
 */
export function defaultScales(width: number, height: number): number {
  const side = Math.min(width, height);
  return side < 512 ? 1 : Math.floor(Math.log2(side / 128)) + 1;
}

/**
 * Texture synthesis from one or more exemplars: owns the network weights on
 * the GPU, the objective and optimizer of the current scale, and the image.
 *
 * @example
 * ```ts
 * import { readImageFile, Synthesizer } from "@tex/synth";
 *
 * const exemplar = await readImageFile("bricks.png");
 * const synth = await Synthesizer.create(exemplar, { weights: "random", width: 96, height: 64, tile: true });
 * const { stop, last } = await synth.synthesize(30);
 * console.log(stop, last.loss);
 * synth.dispose();
 * ```
 */
export class Synthesizer {
  /** Output width in pixels. */
  readonly width: number;
  /** Output height in pixels. */
  readonly height: number;
  /** The objective preset in use. */
  readonly preset: PresetName;
  /** Number of coarse-to-fine scales of {@link synthesize}. */
  readonly scales: number;
  #ctx: GpuContext;
  #ownsContext: boolean;
  #convs: VggConvs;
  #exemplars: ExemplarInput[];
  #options: SynthesizerOptions;
  #steering: Steering | null;
  /** The image an inpainting fills, at full size. */
  #image: ExemplarInput | null;
  #stage: Stage | null = null;
  #seed: number;
  #variation = 0;
  #history: LossRecord[] = [];
  #started = false;
  #lastTime = 0;
  #evaluationOffset = 0;
  #disposed = false;

  private constructor(
    ctx: GpuContext,
    convs: VggConvs,
    exemplars: ExemplarInput[],
    options: SynthesizerOptions,
    size: { width: number; height: number; scales: number },
    steering: { plan: Steering | null; image: ExemplarInput | null },
  ) {
    this.#ctx = ctx;
    this.#steering = steering.plan;
    this.#image = steering.image;
    this.#ownsContext = !options.gpu;
    this.#convs = convs;
    this.#exemplars = exemplars;
    this.#options = options;
    this.#seed = options.seed ?? 0;
    this.preset = options.preset ?? "liu";
    this.width = size.width;
    this.height = size.height;
    this.scales = size.scales;
  }

  /** Prepares synthesis from one or more exemplars: uploads the network, checks the sizes. */
  static async create(
    exemplar: PlanarImage | PlanarImage[],
    options: SynthesizerOptions,
  ): Promise<Synthesizer> {
    const images = Array.isArray(exemplar) ? exemplar : [exemplar];
    if (images.length === 0) throw new TexSynthError("no exemplar given: pass at least one image");
    if (options?.weights === undefined) {
      throw new TexSynthError(
        'Synthesizer.create needs weights: pass trained VggWeights (trainedWeights() or loadWeightsFile()) or weights: "random"; createSynthesizer() fetches the trained ones by itself',
      );
    }
    const filled = options.mask ? options.image ?? images[0] : null;
    const width = options.width ?? filled?.width ?? images[0].width;
    const height = options.height ?? filled?.height ?? images[0].height;
    const spec = presetNamed(options.preset ?? "liu");
    const scales = options.scales ??
      _scalesThatFit(images, width, height, options.exemplarSize, Math.max(...spec.layers));
    for (const [name, v] of [["width", width], ["height", height], ["scales", scales]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new TexSynthError(`${name} must be a positive whole number, got ${v}`);
      }
    }
    checkLargeEnough(
      _imagesSeen(images, { width, height, scales, exemplarSize: options.exemplarSize }),
      spec.name,
      Math.max(...spec.layers),
    );
    const steering = Steering.plan(images, { width, height }, options);
    if (steering && options.loss === "sw") throw steeringNeedsGram();
    const weights = options.weights === "random"
      ? randomVggWeights(options.seed ?? 0, Math.max(...spec.layers))
      : options.weights;
    const ctx = options.gpu ??
      await GpuContext.create({ precision: options.precision, kernels: options.kernels });
    const made: { destroy(): void }[] = [];
    try {
      // The network runs tile by tile when it must; the whole-image tensors
      // left are the image, its gradient and (largest) its spectrum.
      const perPixel = spec.spectrum === "color" ? 24 : 12;
      checkFits(ctx, width, height, perPixel, "output", "--size");
      if (options.loss === "sw" && !networkFits(ctx, height, width)) {
        throw slicedWassersteinTooLarge(width, height);
      }
      for (const image of images) {
        const f = options.exemplarSize
          ? options.exemplarSize / Math.min(image.width, image.height)
          : 1;
        checkFits(
          ctx,
          Math.round(image.width * f),
          Math.round(image.height * f),
          perPixel,
          "exemplar",
          "--exemplar-size",
        );
      }
      const convs = new VggConvs(ctx, weights);
      made.push(convs);
      const exemplars = (steering?.exemplarsSeen(images) ?? images).map((image) => {
        const e = uploadExemplar(ctx, image, options.exemplarSize);
        made.push({ destroy: () => ctx.destroyBuffer(e.buffer) });
        return e;
      });
      const image = steering?.image
        ? { buffer: ctx.upload("image to fill", steering.image.data), height, width }
        : null;
      if (image) made.push({ destroy: () => ctx.destroyBuffer(image.buffer) });
      const synth = new Synthesizer(ctx, convs, exemplars, options, { width, height, scales }, {
        plan: steering,
        image,
      });
      // One scale: build it now so a size the GPU cannot hold fails here.
      if (scales === 1) synth.#stage = await synth.#makeStage(0);
      return synth;
    } catch (e) {
      made.forEach((m) => m.destroy());
      if (!options.gpu) ctx.destroy();
      throw e;
    }
  }

  /** The loss records of the current variation, iteration 0 first. */
  get history(): readonly LossRecord[] {
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

  async #makeStage(scale: number): Promise<Stage> {
    const f = 2 ** scale;
    const height = Math.max(1, Math.round(this.height / f));
    const width = Math.max(1, Math.round(this.width / f));
    const exemplars = scale === 0
      ? this.#exemplars
      : this.#exemplars.map((e) =>
        resampled(this.#ctx, e, Math.round(e.height / f), Math.round(e.width / f))
      );
    const steering = this.#steering;
    const regions = steering?.regionsAt(height, width, exemplars);
    const free = steering?.freeAt(height, width) ?? undefined;
    let kept: Stage["kept"] = null;
    try {
      if (free && this.#image) {
        kept = {
          image: scale === 0
            ? this.#image.buffer
            : resampled(this.#ctx, this.#image, height, width).buffer,
          free: this.#ctx.upload("free pixels", free),
        };
      }
      const objective = await TextureObjective.create(
        this.#ctx,
        this.#convs,
        exemplars,
        height,
        width,
        presetNamed(this.preset),
        {
          padding: this.#options.tile ? "circular" : "zero",
          checkpointing: this.#options.checkpointing ?? defaultCheckpointing(width, height),
          loss: this.#options.loss,
          seed: this.#seed,
          regions,
          free,
          spectrum: this.#options.spectrum ?? !steering,
        },
      );
      const optimizer = new Lbfgs(this.#ctx, objective, {
        historySize: this.#options.historySize ?? 100,
        resampleEvery: SLICE_ITERATIONS,
      });
      return { scale, objective, optimizer, height, width, kept };
    } catch (e) {
      if (kept) this.#destroyKept(kept, scale);
      throw e;
    } finally {
      if (scale !== 0) exemplars.forEach((e) => this.#ctx.destroyBuffer(e.buffer));
    }
  }

  #dropStage(): void {
    if (this.#stage) this.#destroyStage(this.#stage);
    this.#stage = null;
  }

  #destroyStage(stage: Stage): void {
    stage.optimizer.destroy();
    stage.objective.destroy();
    if (stage.kept) this.#destroyKept(stage.kept, stage.scale);
  }

  #destroyKept(kept: NonNullable<Stage["kept"]>, scale: number): void {
    this.#ctx.destroyBuffer(kept.free);
    // At full size the kept values are the image itself, which lives as long as the synthesizer.
    if (scale !== 0) this.#ctx.destroyBuffer(kept.image);
  }

  /** Puts an inpainting's kept pixels back into the stage's image, bit for bit. */
  #keep(stage: Stage): void {
    if (!stage.kept) return;
    const prog = new Program(this.#ctx);
    keepPixels(prog, stage.objective.x, stage.kept.free, stage.kept.image, {
      channels: 3,
      height: stage.height,
      width: stage.width,
    });
    prog.run();
    prog.destroy();
  }

  async #fullScale(): Promise<Stage> {
    if (this.#stage?.scale !== 0) {
      this.#dropStage();
      this.#stage = await this.#makeStage(0);
    }
    return this.#stage;
  }

  /**
   * Starts a new variation from fresh seeded noise (sigmoid of N(0, 1) per
   * pixel and channel; the n-th call uses the n-th noise of the seed) and
   * runs `iterations` L-BFGS iterations at every scale, coarse to fine.
   */
  async synthesize(iterations: number, options: RunOptions = {}): Promise<RunResult> {
    this.#checkAlive("synthesize");
    const rng = new Random(this.#seed, this.#variation++);
    this.#history = [];
    this.#evaluationOffset = 0;
    let budget = options.maxEvaluations;
    let result: RunResult | null = null;
    for (let scale = this.scales - 1; scale >= 0; scale--) {
      const previous = this.#stage;
      const stage = previous?.scale === scale ? previous : await this.#makeStage(scale);
      if (previous && previous !== stage) {
        if (scale < this.scales - 1) {
          upsample(this.#ctx, previous, stage, this.#options.tile ?? false);
        }
        this.#destroyStage(previous);
      }
      this.#stage = stage;
      if (scale === this.scales - 1) {
        const noise = rng.normals(stage.objective.size);
        const colours = this.#steering?.holeColours;
        if (colours) {
          // An inpainting's hole starts in the colours it is to take.
          const plane = stage.height * stage.width;
          const { mean, cholesky: l } = colours;
          for (let p = 0; p < plane; p++) {
            const z = [noise[p], noise[plane + p], noise[2 * plane + p]];
            for (let c = 0; c < 3; c++) {
              noise[c * plane + p] = mean[c] + l[c * 3] * z[0] + l[c * 3 + 1] * z[1] +
                l[c * 3 + 2] * z[2];
            }
          }
        } else {
          for (let i = 0; i < noise.length; i++) noise[i] = 1 / (1 + Math.exp(-noise[i]));
        }
        this.#ctx.write(stage.objective.x, noise);
      }
      this.#keep(stage);
      stage.optimizer.reset();
      this.#started = false;
      // A budget is shared out evenly; the full-size scale gets what is left.
      const share = budget === undefined
        ? undefined
        : scale > 0
        ? Math.floor(budget / (scale + 1))
        : budget;
      result = await this.#run(iterations, { ...options, maxEvaluations: share });
      if (budget !== undefined) budget -= stage.optimizer.evaluations;
      this.#evaluationOffset += stage.optimizer.evaluations;
      if (result.stop === "aborted") break;
    }
    this.#evaluationOffset -= this.#stage!.optimizer.evaluations;
    return result!;
  }

  /**
   * Replaces the current image (e.g. an init image) at full scale and starts
   * a new history. An image of another size is resized to the output's on
   * the GPU with the exemplars' filters (stretched when the aspect ratios
   * differ); the result says how.
   */
  async setImage(image: PlanarImage): Promise<StartImageFit> {
    this.#checkAlive("setImage");
    const { width, height } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new TexSynthError(`the start image is ${width}×${height}: it needs at least one pixel`);
    }
    if (image.data.length !== 3 * width * height) {
      throw new TexSynthError(
        `the start image holds ${image.data.length} values, not 3×${width}×${height}: pass planar RGB`,
      );
    }
    const fit = startImageFit(image, this);
    const filter = fit.filter;
    if (filter) checkFits(this.#ctx, width, height, 12, "start image", "start image");
    const stage = await this.#fullScale();
    if (filter) {
      const source = this.#ctx.upload("start image", image.data);
      try {
        runResample(
          this.#ctx,
          new Resampler(this.#ctx, 3, height, width, this.height, this.width, filter),
          source,
          stage.objective.x,
        );
      } finally {
        this.#ctx.destroyBuffer(source);
      }
    } else {
      this.#ctx.write(stage.objective.x, image.data);
    }
    this.#keep(stage);
    stage.optimizer.reset();
    this.#history = [];
    this.#evaluationOffset = 0;
    this.#started = false;
    return fit;
  }

  /** Continues the current variation at full scale for `iterations` more L-BFGS iterations. */
  async optimize(iterations: number, options: RunOptions = {}): Promise<RunResult> {
    this.#checkAlive("optimize");
    if (!this.#stage || this.#stage.scale !== 0) {
      throw new TexSynthError("nothing to continue: call synthesize() or setImage() first");
    }
    return await this.#run(iterations, options);
  }

  async #run(iterations: number, options: RunOptions): Promise<RunResult> {
    try {
      return await this.#runStage(iterations, options);
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e;
      const last = this.#history.at(-1);
      throw new NonFiniteError(
        e.atStart,
        e.atStart || !last
          ? `${e.message} at the start image: the weights probably hold huge or non-finite values (check the weights file; --weights random tests the rest of the setup)`
          : `${e.message} after iteration ${last.iteration}: the optimization diverged, which weights with huge values make likely (check the weights file)`,
      );
    }
  }

  async #runStage(iterations: number, options: RunOptions): Promise<RunResult> {
    const stage = this.#stage!;
    let limit = options.maxEvaluations;
    if (!this.#started) {
      this.#lastTime = performance.now();
      const r = await stage.optimizer.evaluate();
      this.#started = true;
      if (limit !== undefined) limit = Math.max(0, limit - 1);
      await this.#record(this.#history.at(-1)?.iteration ?? 0, r.scalars, options);
    }
    // Each accepted iteration follows the last record, whatever the
    // optimizer counted before (an earlier call, a coarser scale).
    const result = await stage.optimizer.run({
      iterations,
      evaluations: limit,
      signal: options.signal,
      onIteration: (r) => this.#record(this.#history.at(-1)!.iteration + 1, r.scalars, options),
    });
    return { stop: result.stop, last: this.#history[this.#history.length - 1] };
  }

  async #record(iteration: number, scalars: number[], options: RunOptions): Promise<void> {
    const now = performance.now();
    const stage = this.#stage!;
    const record: LossRecord = {
      iteration,
      evaluations: this.#evaluationOffset + stage.optimizer.evaluations,
      loss: scalars[SLOT.total],
      gram: scalars[SLOT.gram],
      spectrum: scalars[SLOT.spectrum],
      ms: now - this.#lastTime,
      scale: stage.scale,
    };
    this.#lastTime = now;
    this.#history.push(record);
    await options.onProgress?.(record);
  }

  /** Downloads the current image (at the current scale's size while a multi-scale run is under way). */
  async image(): Promise<PlanarImage> {
    this.#checkAlive("image");
    const stage = this.#stage ?? await this.#fullScale();
    const data = await this.#ctx.read(stage.objective.x, 0, stage.objective.size);
    return { width: stage.width, height: stage.height, data };
  }

  /**
   * Downloads the exemplars as the objective sees them at full scale (after
   * `exemplarSize`; what their masks leave out painted in their kept mean colour).
   */
  async exemplars(): Promise<PlanarImage[]> {
    this.#checkAlive("exemplars");
    return await Promise.all(this.#exemplars.map(async (e) => ({
      width: e.width,
      height: e.height,
      data: await this.#ctx.read(e.buffer, 0, 3 * e.width * e.height),
    })));
  }

  #checkAlive(method: string): void {
    if (this.#disposed) {
      throw new TexSynthError(
        `${method}() was called after dispose(): this synthesizer was disposed, create a new one`,
      );
    }
  }

  /**
   * Frees the GPU resources (and the device, when this synthesizer opened
   * it). Calling it again does nothing; any other method then throws.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#dropStage();
    this.#convs.destroy();
    this.#exemplars.forEach((e) => this.#ctx.destroyBuffer(e.buffer));
    if (this.#image) this.#ctx.destroyBuffer(this.#image.buffer);
    if (this.#ownsContext) this.#ctx.destroy();
  }
}

/**
 * {@link defaultScales}, less the coarse scales at which an exemplar would be
 * smaller than the network's deepest layer needs: scales the user did not
 * ask for must not make a run fail.
 */
function _scalesThatFit(
  images: readonly PlanarImage[],
  width: number,
  height: number,
  exemplarSize: number | undefined,
  deepest: number,
): number {
  let scales = defaultScales(width, height);
  const fits = (k: number) =>
    _imagesSeen(images, { width, height, scales: k, exemplarSize }).every((i) =>
      Math.min(i.width, i.height) >= minimumSide(deepest)
    );
  while (scales > 1 && !fits(scales)) scales--;
  return scales;
}

/** A size halved `scale` times, as the scales of a run round it. */
function _atScale(side: number, scale: number): number {
  return Math.max(1, Math.round(side / 2 ** scale));
}

/** Every image the network will see in a run: the output and each exemplar, at every scale. */
function _imagesSeen(
  images: readonly PlanarImage[],
  o: { width: number; height: number; scales: number; exemplarSize?: number },
): SizedImage[] {
  const seen: SizedImage[] = [];
  const many = images.length > 1;
  for (let scale = o.scales - 1; scale >= 0; scale--) {
    const at = scale === 0 ? "" : ` at scale ${scale + 1} of ${o.scales} (1/${2 ** scale} size)`;
    seen.push({
      what: `output${at}`,
      width: _atScale(o.width, scale),
      height: _atScale(o.height, scale),
      fix: scale === 0 ? "use a larger --size" : "use fewer --scales or a larger --size",
    });
    images.forEach((image, i) => {
      const f = o.exemplarSize ? o.exemplarSize / Math.min(image.width, image.height) : 1;
      seen.push({
        what: `exemplar${many ? ` ${i + 1}` : ""}${at}`,
        width: _atScale(Math.round(image.width * f), scale),
        height: _atScale(Math.round(image.height * f), scale),
        fix: scale === 0
          ? "use a larger exemplar or a larger --exemplar-size"
          : "use fewer --scales, a larger exemplar or a larger --exemplar-size",
      });
    });
  }
  return seen;
}

/**
 * Puts an exemplar on the GPU, as it is or with its shorter side scaled to
 * `shorterSide` pixels (aspect ratio kept, never stretched).
 */
function uploadExemplar(ctx: GpuContext, image: PlanarImage, shorterSide?: number): ExemplarInput {
  const original = {
    buffer: ctx.upload("exemplar", image.data),
    height: image.height,
    width: image.width,
  };
  if (!shorterSide || Math.min(image.width, image.height) === shorterSide) return original;
  const f = shorterSide / Math.min(image.width, image.height);
  const scaled = resampled(
    ctx,
    original,
    Math.round(image.height * f),
    Math.round(image.width * f),
  );
  ctx.destroyBuffer(original.buffer);
  return scaled;
}

/** Starts `next` from `previous`'s image, upsampled bicubically (wrapping when tiling). */
function upsample(ctx: GpuContext, previous: Stage, next: Stage, wrap: boolean): void {
  const resampler = new Resampler(
    ctx,
    3,
    previous.height,
    previous.width,
    next.height,
    next.width,
    "bicubic",
    { wrap },
  );
  runResample(ctx, resampler, previous.objective.x, next.objective.x);
}
