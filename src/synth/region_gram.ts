import type { GpuContext } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import { TiledVgg19 } from "../nn/tiled_vgg19.ts";
import { POOL_INDICES, type Vgg19 } from "../nn/vgg19.ts";
import type { VggConvs } from "../nn/vgg19_convs.ts";
import { MaskedGram, meanOneWeights } from "../ops/masked_gram.ts";
import { reduceDot, type ReduceTarget } from "../ops/reduce.ts";
import { layerMasks, type Mask } from "./masks.ts";
import { network, normalizeInput, recordTaps, type TapTerms } from "./network.ts";
import type { ExemplarInput } from "./objective.ts";
import type { Preset } from "./presets.ts";

/**
 * One steered region: where the output's statistics are measured and where
 * in each exemplar they come from. Plain synthesis is one region with no
 * masks; an inpainting's hole, an exemplar's kept part and each label of a
 * guide are regions with masks.
 */
export interface Region {
  /** Weights at the output's size; null: every pixel. */
  output: Mask | null;
  /**
   * Per exemplar, in order: weights at the exemplar's size, null for every
   * pixel, undefined where the exemplar has no part in the region.
   */
  exemplars: (Mask | null | undefined)[];
  /** The region's share of the Gram term (its share of the output); shares add up to 1. */
  share: number;
}

/** One region's Gram loss at one layer. */
interface Term {
  /** The output's weights at this layer, mean 1 (see meanOneWeights). */
  weights: GPUBuffer;
  target: GPUBuffer;
  diff: GPUBuffer;
  /** The output's masked Gram matrix (summed over the tiles of a tiled network). */
  gram: GPUBuffer;
  weight: number;
}

/**
 * Floats of the largest loss-layer activation the network hands its terms:
 * a whole layer, or the largest window of one tile.
 */
function _largestTapFloats(net: Vgg19 | TiledVgg19): number {
  if (!(net instanceof TiledVgg19)) {
    return Math.max(...net.taps.map((t) => t.channels * t.height * t.width));
  }
  let largest = 0;
  for (const t of net.taps) {
    const s = 2 ** POOL_INDICES.filter((p) => p <= t.index).length;
    for (const { core } of net.tiles) {
      const h = Math.floor((core.y + core.height) / s) - core.y / s;
      const w = Math.floor((core.x + core.width) / s) - core.x / s;
      largest = Math.max(largest, t.channels * h * w);
    }
  }
  return largest;
}

function _everyPixel(height: number, width: number): Mask {
  return { height, width, data: new Float32Array(height * width).fill(1) };
}

/**
 * The Gram term of a steered synthesis: for every region and loss layer,
 * the masked Gram matrix of the output's region (src/ops/masked_gram.ts)
 * against the average of the exemplars' masked Gram matrices over their
 * parts of the region, Gatys et al. (2017)'s guided Gram loss. Masks reach
 * each layer pooled as the features are (masks.ts, `layerMasks`), and the
 * same per-layer masks serve whole and tiled networks: a tile reads its
 * window of them. Each region's term is weighted by its share of the output
 * and, with the preset's relative scaling, divided by the mean square of its
 * target, as the unsteered term is.
 */
export class RegionGramLoss {
  readonly #ctx: GpuContext;
  readonly #net: Vgg19 | TiledVgg19;
  readonly #grams: MaskedGram[];
  readonly #terms: Term[][];
  readonly #buffers: GPUBuffer[];

  private constructor(
    ctx: GpuContext,
    net: Vgg19 | TiledVgg19,
    grams: MaskedGram[],
    terms: Term[][],
    buffers: GPUBuffer[],
  ) {
    this.#ctx = ctx;
    this.#net = net;
    this.#grams = grams;
    this.#terms = terms;
    this.#buffers = buffers;
  }

  /**
   * Computes the regions' targets from the exemplars (each through its own
   * network, tiled when `maxCrop` says or its size needs) and prepares the
   * output's side on `net`.
   */
  static async create(
    ctx: GpuContext,
    convs: VggConvs,
    preset: Preset,
    net: Vgg19 | TiledVgg19,
    exemplars: ExemplarInput[],
    regions: Region[],
    options: { maxCrop?: number; wrap: boolean },
  ): Promise<RegionGramLoss> {
    const taps = net.taps;
    const { height, width } = net.input;
    const buffers: GPUBuffer[] = [];
    const own = (label: string, data: Float32Array | number): GPUBuffer => {
      const b = typeof data === "number"
        ? ctx.createBuffer(label, data * 4)
        : ctx.upload(label, data);
      buffers.push(b);
      return b;
    };
    const temporary: { destroy(): void }[] = [];
    const setup = new Program(ctx);
    try {
      // Exemplar side: each exemplar's per-layer weights for each region, on
      // the CPU first, to count the exemplars that feed each (region, layer).
      const eNets = exemplars.map((e, i) =>
        regions.some((r) => r.exemplars[i] !== undefined)
          ? network(ctx, convs, preset.layers, e.height, e.width, {
            padding: "zero",
            checkpointing: true,
            maxCrop: options.maxCrop,
          })
          : null
      );
      eNets.forEach((n) => n && temporary.push(n));
      const eWeights = regions.map((r) =>
        exemplars.map((e, i) => {
          const mask = r.exemplars[i];
          const eNet = eNets[i];
          if (mask === undefined || !eNet) return null;
          return layerMasks(mask ?? _everyPixel(e.height, e.width), preset.layers, false)
            .map((m) => meanOneWeights(m.data));
        })
      );
      const counts = regions.map((_, k) =>
        taps.map((_, tap) => eWeights[k].filter((w) => w?.[tap]).length)
      );
      const outWeights = regions.map((r) =>
        layerMasks(r.output ?? _everyPixel(height, width), preset.layers, options.wrap)
          .map((m) => meanOneWeights(m.data))
      );
      // A (region, layer) is a term when both sides have pixels there.
      const targets = regions.map((_, k) =>
        taps.map((t, tap) =>
          counts[k][tap] > 0 && outWeights[k][tap]
            ? own(`region ${k} target gram ${t.index}`, t.channels * t.channels)
            : null
        )
      );
      const started = regions.map(() => taps.map(() => false));
      const largest = Math.max(...eNets.map((n) => n ? _largestTapFloats(n) : 0));
      const weighted = ctx.createBuffer("exemplar masked features", largest * 4);
      temporary.push({ destroy: () => ctx.destroyBuffer(weighted) });
      exemplars.forEach((e, i) => {
        const eNet = eNets[i];
        if (!eNet) return;
        const grams = eNet.taps.map((t) => {
          const g = new MaskedGram(ctx, t.channels, t.height * t.width, weighted);
          temporary.push(g);
          return g;
        });
        // Each exemplar's part is pre-divided by the number of exemplars that
        // feed the term, so the sum over exemplars is their average.
        const weights = regions.map((_, k) =>
          eNet.taps.map((_, tap) => {
            const w = eWeights[k][i]?.[tap];
            if (!w || !targets[k][tap]) return null;
            const scaled = w.map((v) => v / counts[k][tap]);
            const b = ctx.upload("exemplar layer mask", scaled);
            temporary.push({ destroy: () => ctx.destroyBuffer(b) });
            return b;
          })
        );
        let input = e.buffer;
        if (preset.normalize) {
          const normalized = ctx.createBuffer("normalized exemplar", e.height * e.width * 12);
          temporary.push({ destroy: () => ctx.destroyBuffer(normalized) });
          input = normalizeInput(setup, preset, e.buffer, normalized, e.height * e.width);
        }
        recordTaps(setup, eNet, input, (prog, tap, window, _pixels, _first, at) => {
          regions.forEach((_, k) => {
            const w = weights[k][tap];
            const target = targets[k][tap];
            if (!w || !target) return;
            grams[tap].forward(prog, window, w, target, {
              height: at.height,
              width: at.width,
              window: { mapWidth: eNet.taps[tap].width, y: at.y, x: at.x },
              accumulate: started[k][tap],
            });
            started[k][tap] = true;
          });
        });
      });
      const norms = ctx.createBuffer(
        "region target norms",
        Math.max(1, regions.length * taps.length) * 4,
      );
      temporary.push({ destroy: () => ctx.destroyBuffer(norms) });
      targets.forEach((row, k) =>
        row.forEach((target, tap) => {
          if (!target) return;
          const c = taps[tap].channels;
          reduceDot(setup, target, target, c * c, {
            scalars: norms,
            slot: k * taps.length + tap,
            scale: 1 / (c * c),
          });
        })
      );
      setup.run();
      const meanSquares = await ctx.read(norms, 0, Math.max(1, regions.length * taps.length));

      // Output side: one masked Gram a layer, one term per (region, layer).
      const outWeighted = own("masked features", _largestTapFloats(net));
      const grams = taps.map((t) =>
        new MaskedGram(ctx, t.channels, t.height * t.width, outWeighted)
      );
      const terms = taps.map((t, tap) =>
        regions.flatMap((r, k) => {
          const target = targets[k][tap];
          const w = outWeights[k][tap];
          if (!target || !w) return [];
          const n = t.channels * t.channels;
          const weight = preset.gramScaling === "fixed"
            ? preset.gramWeight * r.share
            : (preset.gramWeight * r.share) /
              (taps.length * n * Math.max(meanSquares[k * taps.length + tap], 1e-30));
          return [{
            weights: own(`region ${k} layer mask ${t.index}`, w),
            target,
            diff: own(`region ${k} gram diff ${t.index}`, n),
            gram: own(`region ${k} gram ${t.index}`, n),
            weight,
          }];
        })
      );
      return new RegionGramLoss(ctx, net, grams, terms, buffers);
    } catch (e) {
      buffers.forEach((b) => ctx.destroyBuffer(b));
      throw e;
    } finally {
      setup.destroy();
      temporary.forEach((t) => t.destroy());
    }
  }

  /**
   * The terms of an evaluation (see `recordEvaluation` in network.ts): each
   * region's masked Gram loss at each layer, added to `loss`, and its
   * gradient to the features'.
   */
  terms(loss: ReduceTarget): TapTerms {
    const taps = this.#net.taps;
    const lossTarget = { ...loss, accumulate: true };
    const finish = (prog: Program, tap: number) =>
      this.#terms[tap].forEach((term) =>
        this.#grams[tap].loss(prog, term.gram, term.target, term.diff, term.weight, lossTarget)
      );
    return {
      forward: (prog, tap, features, { first, complete, at }) => {
        for (const term of this.#terms[tap]) {
          this.#grams[tap].forward(prog, features, term.weights, term.gram, {
            height: at.height,
            width: at.width,
            window: { mapWidth: taps[tap].width, y: at.y, x: at.x },
            accumulate: !first,
          });
        }
        if (complete) finish(prog, tap);
      },
      afterForward: (prog) => taps.forEach((_, tap) => finish(prog, tap)),
      backward: (prog, tap, features, grad, { pixels, accumulate, at }) => {
        const terms = this.#terms[tap];
        if (terms.length === 0 && !accumulate) {
          prog.clear(grad, 0, taps[tap].channels * pixels * 4);
        }
        terms.forEach((term, i) =>
          this.#grams[tap].backward(prog, term.diff, features, term.weights, grad, {
            height: at.height,
            width: at.width,
            window: { mapWidth: taps[tap].width, y: at.y, x: at.x },
            accumulate: accumulate || i > 0,
          })
        );
      },
    };
  }

  /** Frees the masks, targets and scratch (not the network, which the objective owns). */
  destroy(): void {
    this.#grams.forEach((g) => g.destroy());
    this.#buffers.forEach((b) => this.#ctx.destroyBuffer(b));
  }
}
