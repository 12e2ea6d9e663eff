import { GpuContext } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import type { Padding } from "../ops/conv3x3.ts";
import { Resampler } from "../ops/resample.ts";
import { Lbfgs, type StopReason } from "../optim/lbfgs.ts";
import type { PlanarImage } from "../io/image.ts";
import { Random } from "../random.ts";
import { randomVggWeights, type VggWeights } from "../weights/vgg19_weights.ts";
import { TexSynthError } from "../errors.ts";
import { SLOT, TextureObjective } from "./objective.ts";
import { preset as presetNamed, type PresetName } from "./presets.ts";

/** One line of a run's loss history. */
export interface LossRecord {
  /** L-BFGS iteration; 0 is the start image. */
  iteration: number;
  /** Objective evaluations so far in this variation. */
  evaluations: number;
  /** The total objective. */
  loss: number;
  /** The Gram part, weighted as the preset weights it. */
  gram: number;
  /** The unweighted spectrum term ½ Σ (x − Re P)². */
  spectrum: number;
  /** Milliseconds since the previous record. */
  ms: number;
}

/** How a {@link Synthesizer} is set up. */
export interface SynthesizerOptions {
  /** Objective preset: "liu" (default) or "seed". */
  preset?: PresetName;
  /** VGG19 weights, or "random" for seeded He weights (an offline smoke mode). Default "random". */
  weights?: VggWeights | "random";
  /** Seed of the start noise (and of random weights). Default 0. */
  seed?: number;
  /** Output width in pixels. Default: the exemplar's. */
  width?: number;
  /** Output height in pixels. Default: the exemplar's. */
  height?: number;
  /** Recompute activations inside blocks during backward to save memory. Default true. */
  checkpointing?: boolean;
  /** L-BFGS history pairs. Default 100. */
  historySize?: number;
  /** A GPU context to share; one is opened (and later closed) otherwise. */
  gpu?: GpuContext;
}

/** Limits and callbacks of one {@link Synthesizer.synthesize} or {@link Synthesizer.optimize} call. */
export interface RunOptions {
  /** Stop after this many objective evaluations in this call. */
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

/**
 * Texture synthesis from one exemplar: owns the GPU objective and the
 * optimizer, and the current image on the GPU.
 *
 * @example
 * ```ts
 * import { readImageFile, Synthesizer } from "@tex/synth";
 *
 * const exemplar = await readImageFile("bricks.png");
 * const synth = await Synthesizer.create(exemplar, { weights: "random", width: 64, height: 64 });
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
  #ctx: GpuContext;
  #ownsContext: boolean;
  #objective: TextureObjective;
  #optimizer: Lbfgs;
  #exemplar: GPUBuffer;
  #seed: number;
  #variation = 0;
  #history: LossRecord[] = [];
  #started = false;
  #lastTime = 0;

  private constructor(
    ctx: GpuContext,
    ownsContext: boolean,
    objective: TextureObjective,
    optimizer: Lbfgs,
    exemplar: GPUBuffer,
    seed: number,
    preset: PresetName,
  ) {
    this.#ctx = ctx;
    this.#exemplar = exemplar;
    this.#ownsContext = ownsContext;
    this.#objective = objective;
    this.#optimizer = optimizer;
    this.#seed = seed;
    this.preset = preset;
    this.width = objective.net.input.width;
    this.height = objective.net.input.height;
  }

  /** Prepares synthesis from `exemplar`: loads the network, computes the targets. */
  static async create(
    exemplar: PlanarImage,
    options: SynthesizerOptions = {},
  ): Promise<Synthesizer> {
    const seed = options.seed ?? 0;
    const width = options.width ?? exemplar.width;
    const height = options.height ?? exemplar.height;
    for (const [name, v] of [["width", width], ["height", height]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new TexSynthError(`${name} must be a positive integer, got ${v}`);
      }
    }
    const spec = presetNamed(options.preset ?? "liu");
    const weights = options.weights === undefined || options.weights === "random"
      ? randomVggWeights(seed, Math.max(...spec.layers))
      : options.weights;
    const ctx = options.gpu ?? await GpuContext.create();
    try {
      const target = prepareExemplar(ctx, exemplar, width, height);
      const objective = await TextureObjective.create(ctx, weights, target, height, width, spec, {
        padding: "zero" satisfies Padding,
        checkpointing: options.checkpointing ?? true,
      });
      const optimizer = new Lbfgs(ctx, objective, { historySize: options.historySize ?? 100 });
      return new Synthesizer(ctx, !options.gpu, objective, optimizer, target, seed, spec.name);
    } catch (e) {
      if (!options.gpu) ctx.destroy();
      throw e;
    }
  }

  /** The loss records of the current variation, iteration 0 first. */
  get history(): readonly LossRecord[] {
    return this.#history;
  }

  /** Bytes of GPU memory the engine holds at most (measured by its allocator). */
  get peakGpuBytes(): number {
    return this.#ctx.peakBytes;
  }

  /** The GPU context in use. */
  get gpu(): GpuContext {
    return this.#ctx;
  }

  /**
   * Starts a new variation from fresh seeded noise (sigmoid of N(0, 1) per
   * pixel and channel; the n-th call uses the n-th noise of the seed) and
   * runs `iterations` L-BFGS iterations.
   */
  async synthesize(iterations: number, options: RunOptions = {}): Promise<RunResult> {
    const rng = new Random(this.#seed, this.#variation++);
    const noise = rng.normals(this.#objective.size);
    for (let i = 0; i < noise.length; i++) noise[i] = 1 / (1 + Math.exp(-noise[i]));
    this.setImage({ width: this.width, height: this.height, data: noise });
    return await this.optimize(iterations, options);
  }

  /** Replaces the current image (e.g. an init image) and starts a new history. */
  setImage(image: PlanarImage): void {
    if (image.width !== this.width || image.height !== this.height) {
      throw new TexSynthError(
        `the start image is ${image.width}×${image.height} but the output is ${this.width}×${this.height}: resize it or change the output size`,
      );
    }
    this.#ctx.write(this.#objective.x, image.data);
    this.#optimizer.reset();
    this.#history = [];
    this.#started = false;
  }

  /** Continues the current variation for `iterations` more L-BFGS iterations. */
  async optimize(iterations: number, options: RunOptions = {}): Promise<RunResult> {
    if (!this.#started) {
      this.#lastTime = performance.now();
      const r = await this.#optimizer.evaluate();
      this.#started = true;
      await this.#record(0, r.scalars, options);
    }
    const offset = this.#history[this.#history.length - 1].iteration;
    const result = await this.#optimizer.run({
      iterations,
      evaluations: options.maxEvaluations,
      signal: options.signal,
      onIteration: (r) => this.#record(offset + r.iteration, r.scalars, options),
    });
    return { stop: result.stop, last: this.#history[this.#history.length - 1] };
  }

  async #record(iteration: number, scalars: number[], options: RunOptions): Promise<void> {
    const now = performance.now();
    const record: LossRecord = {
      iteration,
      evaluations: this.#optimizer.evaluations,
      loss: scalars[SLOT.total],
      gram: scalars[SLOT.gram],
      spectrum: scalars[SLOT.spectrum],
      ms: now - this.#lastTime,
    };
    this.#lastTime = now;
    this.#history.push(record);
    await options.onProgress?.(record);
  }

  /** Downloads the current image (values clamped to [0, 1] when encoded). */
  async image(): Promise<PlanarImage> {
    const data = await this.#ctx.read(this.#objective.x, 0, this.#objective.size);
    return { width: this.width, height: this.height, data };
  }

  /** Downloads the exemplar as the objective sees it: cropped and resampled to the output size. */
  async exemplar(): Promise<PlanarImage> {
    const data = await this.#ctx.read(this.#exemplar, 0, this.#objective.size);
    return { width: this.width, height: this.height, data };
  }

  /** Frees the GPU resources (and the device, when this synthesizer opened it). */
  dispose(): void {
    this.#optimizer.destroy();
    this.#objective.destroy();
    this.#ctx.destroyBuffer(this.#exemplar);
    if (this.#ownsContext) this.#ctx.destroy();
  }
}

/**
 * Puts the exemplar on the GPU at the output size. A different aspect ratio
 * is centre-cropped to the output's first (never stretched), then the crop is
 * resampled: Lanczos-3 widened by the scale factor when shrinking (no
 * aliasing), bicubic when enlarging. An exemplar already at the size is
 * uploaded unchanged.
 */
function prepareExemplar(
  ctx: GpuContext,
  image: PlanarImage,
  width: number,
  height: number,
): GPUBuffer {
  if (image.width === width && image.height === height) return ctx.upload("exemplar", image.data);
  const scale = Math.min(image.width / width, image.height / height);
  const cw = Math.min(image.width, Math.max(1, Math.round(width * scale)));
  const ch = Math.min(image.height, Math.max(1, Math.round(height * scale)));
  const x0 = Math.floor((image.width - cw) / 2);
  const y0 = Math.floor((image.height - ch) / 2);
  const crop = new Float32Array(3 * cw * ch);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < ch; y++) {
      const src = (c * image.height + y0 + y) * image.width + x0;
      crop.set(image.data.subarray(src, src + cw), (c * ch + y) * cw);
    }
  }
  const source = ctx.upload("exemplar source", crop);
  const target = ctx.createBuffer("exemplar", 3 * width * height * 4);
  const shrink = cw > width || ch > height;
  const resampler = new Resampler(ctx, 3, ch, cw, height, width, shrink ? "lanczos3" : "bicubic");
  const prog = new Program(ctx);
  resampler.record(prog, source, target);
  prog.run();
  prog.destroy();
  resampler.destroy();
  ctx.destroyBuffer(source);
  return target;
}
