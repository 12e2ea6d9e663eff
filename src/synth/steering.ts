/**
 * Steering a synthesis: an inpainting's hole, exemplar masks and guides,
 * turned into the regions the objective weighs (region_gram.ts). Everything
 * here is checked and made once, at full size, before any GPU work; each
 * scale then takes the masks resampled by area, so a region never vanishes
 * at a coarse scale and the masks stay what the network's pooling would
 * make of them.
 *
 * @module
 */
import { TexSynthError } from "../errors.ts";
import type { PlanarImage } from "../io/image.ts";
import { colourName, labelMap, labelMask, labelsOf } from "./guides.ts";
import {
  invertMask,
  type Mask,
  maskArea,
  maskFromImage,
  multiplyMasks,
  resizeArea,
  resizeNearest,
} from "./masks.ts";
import type { Region } from "./region_gram.ts";

/** Label maps: one per exemplar (in order) and one for the output. */
export interface Guides {
  /** The exemplars' label maps, one per exemplar (a single image for a single exemplar). */
  exemplar: PlanarImage | PlanarImage[];
  /** The output's label map: each colour's region takes the statistics of that colour in the exemplars. */
  target: PlanarImage;
}

/** What steers a synthesis, as {@link SynthesizerOptions} gives it. */
export interface SteeringOptions {
  /** Inpainting: white (luminance ≥ 0.5) marks the pixels to synthesize. */
  mask?: PlanarImage;
  /** The image to fill; by default the first exemplar, whose kept part then gives the statistics. */
  image?: PlanarImage;
  /** One mask per exemplar (null for none): only its white part feeds the statistics. */
  exemplarMasks?: (PlanarImage | null)[];
  /** Guided synthesis: label maps for the exemplars and the output. */
  guides?: Guides;
}

/** A colour distribution: mean RGB and the lower Cholesky factor of the 3×3 covariance (row-major). */
export interface ColourStatistics {
  mean: [number, number, number];
  cholesky: number[];
}

/**
 * The mean colour and colour covariance of the exemplar pixels that feed the
 * statistics (weighted by their masks), for an inpainting's start noise.
 */
function _colourStatistics(exemplars: PlanarImage[], masks: (Mask | null)[]): ColourStatistics {
  let total = 0;
  const sum = [0, 0, 0];
  const products = new Array(9).fill(0);
  exemplars.forEach((e, i) => {
    const plane = e.width * e.height;
    for (let p = 0; p < plane; p++) {
      const w = masks[i]?.data[p] ?? 1;
      if (w === 0) continue;
      total += w;
      for (let a = 0; a < 3; a++) {
        const va = e.data[a * plane + p];
        sum[a] += w * va;
        for (let b = 0; b <= a; b++) products[a * 3 + b] += w * va * e.data[b * plane + p];
      }
    }
  });
  const mean = sum.map((v) => v / total) as [number, number, number];
  const cov = products.map((v, k) => v / total - mean[Math.floor(k / 3)] * mean[k % 3]);
  const l = new Array(9).fill(0);
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b <= a; b++) {
      let v = cov[a * 3 + b];
      for (let k = 0; k < b; k++) v -= l[a * 3 + k] * l[b * 3 + k];
      // A flat channel has no variance left: its factor is 0, not NaN.
      l[a * 3 + b] = a === b
        ? Math.sqrt(Math.max(v, 0))
        : (l[b * 3 + b] > 0 ? v / l[b * 3 + b] : 0);
    }
  }
  return { mean, cholesky: l };
}

/** A region at full size: the output's weights and each exemplar's (see {@link Region}). */
interface FullRegion {
  output: Mask | null;
  exemplars: (Mask | null | undefined)[];
  share: number;
}

function _countError(what: string, given: number, exemplars: number): TexSynthError {
  return new TexSynthError(
    `${given} ${what} for ${exemplars} exemplar${
      exemplars === 1 ? "" : "s"
    }: give one per exemplar, in order`,
  );
}

/**
 * The steering of one synthesis, checked: the hole of an inpainting (if
 * any), the image it fills, and the regions at full size.
 */
export class Steering {
  /** 1 on the pixels to synthesize, at the output's size; null when nothing is kept. */
  readonly hole: Mask | null;
  /** The image whose kept pixels the output keeps (inpainting only). */
  readonly image: PlanarImage | null;
  /**
   * An inpainting's hole starts as noise of this colour distribution, that
   * of the exemplar pixels its statistics come from (null without a hole).
   */
  readonly holeColours: ColourStatistics | null;
  readonly #regions: FullRegion[];
  /** Each exemplar's own mask (exemplar mask, kept part of the image filled), or null. */
  readonly #own: (Mask | null)[];

  private constructor(
    hole: Mask | null,
    image: PlanarImage | null,
    holeColours: ColourStatistics | null,
    regions: FullRegion[],
    own: (Mask | null)[],
  ) {
    this.hole = hole;
    this.image = image;
    this.holeColours = holeColours;
    this.#regions = regions;
    this.#own = own;
  }

  /**
   * Checks the steering options against the exemplars and the output size
   * and makes the full-size regions; null when nothing steers. Mistakes a
   * user can fix (a mask that selects nothing, a label the exemplars lack,
   * a count that does not match the exemplars) are {@link TexSynthError}s.
   */
  static plan(
    exemplars: PlanarImage[],
    output: { width: number; height: number },
    options: SteeringOptions,
  ): Steering | null {
    const { mask, guides } = options;
    const exemplarMasks = options.exemplarMasks ?? [];
    if (exemplarMasks.length > 0 && exemplarMasks.length !== exemplars.length) {
      throw _countError("exemplar masks", exemplarMasks.length, exemplars.length);
    }
    if (!mask && !guides && exemplarMasks.every((m) => !m)) {
      if (options.image) {
        throw new TexSynthError("an image to fill needs a mask: give the mask of its hole");
      }
      return null;
    }
    const { width, height } = output;
    let hole: Mask | null = null;
    let image: PlanarImage | null = null;
    if (mask) {
      image = options.image ?? exemplars[0];
      if (image.width !== width || image.height !== height) {
        throw new TexSynthError(
          `the image to fill is ${image.width}×${image.height} but the output is ${width}×${height}: an inpainting keeps the image's size`,
        );
      }
      hole = resizeNearest(maskFromImage(mask), height, width);
      if (maskArea(hole) === 0) {
        throw new TexSynthError(
          "the mask marks no pixel to fill: paint the hole white (luminance 0.5 or more) on black",
        );
      }
    }
    // Each exemplar's own mask: its exemplar mask and, for the image being
    // filled, its kept part.
    const own = exemplars.map((e, i): Mask | null => {
      const m = exemplarMasks[i];
      let out = m ? resizeNearest(maskFromImage(m), e.height, e.width) : null;
      if (out && maskArea(out) === 0) {
        throw new TexSynthError(
          `exemplar mask ${i + 1} selects no pixel of its exemplar: paint what to use white`,
        );
      }
      if (hole && !options.image && i === 0) {
        const kept = invertMask(hole);
        out = out ? multiplyMasks(out, kept) : kept;
        if (maskArea(out) === 0) {
          throw new TexSynthError(
            "the mask leaves no pixel of the image to take the texture from: give exemplars to fill from",
          );
        }
      }
      return out;
    });
    const regions = guides
      ? Steering.#guided(exemplars, output, guides, hole, own)
      : [{ output: hole, exemplars: own, share: 1 }];
    const colours = hole ? _colourStatistics(exemplars, own) : null;
    return new Steering(hole, image, colours, regions, own);
  }

  static #guided(
    exemplars: PlanarImage[],
    output: { width: number; height: number },
    guides: Guides,
    hole: Mask | null,
    own: (Mask | null)[],
  ): FullRegion[] {
    const given = Array.isArray(guides.exemplar) ? guides.exemplar : [guides.exemplar];
    if (given.length !== exemplars.length) {
      throw _countError("exemplar guides", given.length, exemplars.length);
    }
    const maps = given.map((g, i) => labelMap(g, exemplars[i].height, exemplars[i].width));
    const target = labelMap(guides.target, output.height, output.width);
    const regions: FullRegion[] = [];
    for (const label of labelsOf(target)) {
      let out = labelMask(target, label);
      if (hole) out = multiplyMasks(out, hole);
      if (maskArea(out) === 0) continue;
      const parts = maps.map((map, i) => {
        let m = labelMask(map, label);
        if (own[i]) m = multiplyMasks(m, own[i]!);
        return maskArea(m) > 0 ? m : undefined;
      });
      if (parts.every((p) => p === undefined)) {
        throw new TexSynthError(
          `the target guide's colour ${colourName(label)} is in no exemplar guide${
            own.some((m) => m) ? " (or only where the exemplars are masked out)" : ""
          }: paint that region in an exemplar guide, or recolour it in the target guide`,
        );
      }
      regions.push({ output: out, exemplars: parts, share: maskArea(out) });
    }
    const total = regions.reduce((s, r) => s + r.share, 0);
    return regions.map((r) => ({ ...r, share: r.share / total }));
  }

  /**
   * The exemplars as the network should see them: where an exemplar's own
   * mask leaves a pixel out entirely (a masked-out logo, the hole of the
   * image being filled), the mean colour of the pixels it keeps. The
   * network's deep features reach across a mask's edge (pool4's receptive
   * field is 108 px wide), so what is left out would otherwise colour the
   * statistics of everything near it; a flat patch of the kept colours
   * barely does (README, "Masks and guides", has the figures).
   */
  exemplarsSeen(exemplars: PlanarImage[]): PlanarImage[] {
    return exemplars.map((e, i) => {
      const own = this.#own[i];
      if (!own) return e;
      const plane = e.width * e.height;
      const { mean } = _colourStatistics([e], [own]);
      const data = e.data.slice();
      for (let p = 0; p < plane; p++) {
        if (own.data[p] === 0) { for (let c = 0; c < 3; c++) data[c * plane + p] = mean[c]; }
      }
      return { width: e.width, height: e.height, data };
    });
  }

  /**
   * The regions at one scale: the output's masks resampled by area to
   * `height` × `width`, each exemplar's to its size at that scale.
   */
  regionsAt(
    height: number,
    width: number,
    exemplars: { height: number; width: number }[],
  ): Region[] {
    return this.#regions.map((r) => ({
      output: r.output && resizeArea(r.output, height, width),
      exemplars: r.exemplars.map((m, i) =>
        m && resizeArea(m, exemplars[i].height, exemplars[i].width)
      ),
      share: r.share,
    }));
  }

  /**
   * 1 on the pixels the optimizer may move at `height` × `width`: the hole
   * (at full size exactly, at a coarse scale every pixel the hole touches);
   * null when every pixel may move.
   */
  freeAt(height: number, width: number): Float32Array | null {
    if (!this.hole) return null;
    return resizeArea(this.hole, height, width).data.map((v) => v > 0 ? 1 : 0);
  }
}
