/**
 * Masks on the CPU: one weight in [0, 1] per pixel. They are constants of a
 * synthesis (an inpainting's hole, an exemplar's kept part, a guide's
 * labels), so they are made once per scale, here, and only their per-layer
 * forms go to the GPU.
 *
 * @module
 */
import type { PlanarImage } from "../io/image.ts";

/** Per-pixel weights in [0, 1], row-major `height` × `width`. */
export interface Mask {
  width: number;
  height: number;
  data: Float32Array;
}

/** Rec. 601 luma, the grey the spectrum term uses too. */
const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * 1 where the image's luminance (0.299 R + 0.587 G + 0.114 B) is at least
 * 0.5, 0 elsewhere: a mask painted white on black.
 *
 * @example
 * ```ts
 * import { maskFromImage } from "./masks.ts";
 *
 * const image = { width: 2, height: 1, data: new Float32Array([1, 0, 1, 0, 1, 0]) };
 * console.log(maskFromImage(image).data); // Float32Array [1, 0]
 * ```
 */
export function maskFromImage(image: PlanarImage): Mask {
  const plane = image.width * image.height;
  const data = new Float32Array(plane);
  for (let i = 0; i < plane; i++) {
    const y = LUMA[0] * image.data[i] + LUMA[1] * image.data[plane + i] +
      LUMA[2] * image.data[2 * plane + i];
    // The weights sum to 1, so a grey of exactly 0.5 is 0.5 up to rounding.
    data[i] = y >= 0.5 - 1e-6 ? 1 : 0;
  }
  return { width: image.width, height: image.height, data };
}

/** The source index along one axis that nearest-neighbour resampling reads for output position `o`. */
export function nearestSource(o: number, from: number, to: number): number {
  return Math.min(from - 1, Math.floor(((o + 0.5) * from) / to));
}

/** A mask resampled by nearest neighbour (each output pixel takes the source pixel under its centre). */
export function resizeNearest(mask: Mask, height: number, width: number): Mask {
  if (mask.height === height && mask.width === width) return mask;
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const sy = nearestSource(y, mask.height, height);
    for (let x = 0; x < width; x++) {
      data[y * width + x] = mask.data[sy * mask.width + nearestSource(x, mask.width, width)];
    }
  }
  return { width, height, data };
}

/** One axis's box weights: output cell o covers source [o·from/to, (o+1)·from/to). */
function _boxAxis(from: number, to: number): { start: number; weights: number[] }[] {
  const cells: { start: number; weights: number[] }[] = [];
  for (let o = 0; o < to; o++) {
    const a = (o * from) / to;
    const b = ((o + 1) * from) / to;
    const start = Math.floor(a);
    const weights: number[] = [];
    for (let s = start; s < Math.min(from, Math.ceil(b)); s++) {
      weights.push((Math.min(b, s + 1) - Math.max(a, s)) / (b - a));
    }
    cells.push({ start, weights });
  }
  return cells;
}

/**
 * A mask resampled by area: each output pixel is the average of the source
 * over the rectangle it covers (exact box weights, so a 2× reduction is a
 * 2×2 mean and no region vanishes however small it gets).
 */
export function resizeArea(mask: Mask, height: number, width: number): Mask {
  if (mask.height === height && mask.width === width) return mask;
  const rows = _boxAxis(mask.height, height);
  const cols = _boxAxis(mask.width, width);
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const r = rows[y];
    for (let x = 0; x < width; x++) {
      const c = cols[x];
      let sum = 0;
      r.weights.forEach((wy, i) => {
        const row = (r.start + i) * mask.width + c.start;
        c.weights.forEach((wx, j) => sum += wy * wx * mask.data[row + j]);
      });
      data[y * width + x] = sum;
    }
  }
  return { width, height, data };
}

/**
 * A mask through one of the network's 2×2 average pools, exactly as the
 * features go: ⌊H/2⌋ × ⌊W/2⌋, an odd last row or column dropped.
 */
export function poolMask(mask: Mask): Mask {
  const height = Math.floor(mask.height / 2);
  const width = Math.floor(mask.width / 2);
  const data = new Float32Array(height * width);
  const w = mask.width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const top = 2 * y * w + 2 * x;
      data[y * width + x] = 0.25 *
        ((mask.data[top] + mask.data[top + 1]) + (mask.data[top + w] + mask.data[top + w + 1]));
    }
  }
  return { width, height, data };
}

/**
 * A mask through one 3×3 convolution: each pixel becomes the mean of the
 * mask over the 3×3 window the convolution reads there, i.e. the share of
 * that feature's inputs that lie in the region. Window positions outside
 * the image are left out of the mean (zero padding adds nothing either way),
 * or, with `wrap`, read across the opposite edge as circular padding does.
 */
export function convolveMask(mask: Mask, wrap: boolean): Mask {
  const { height, width } = mask;
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let count = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          let yy = y + dy;
          let xx = x + dx;
          if (wrap) {
            yy = (yy + height) % height;
            xx = (xx + width) % width;
          } else if (yy < 0 || yy >= height || xx < 0 || xx >= width) {
            continue;
          }
          sum += mask.data[yy * width + xx];
          count++;
        }
      }
      data[y * width + x] = sum / count;
    }
  }
  return { width, height, data };
}

/** `features` indices of VGG19's 2×2 pools (average pools here). */
const POOLS = new Set([4, 9, 18, 27, 36]);
/** `features` indices of VGG19's 3×3 convolutions. */
const CONVS = new Set([0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]);

/**
 * A mask at each loss layer's resolution, carried through VGG19 as its
 * features are made: each 3×3 convolution averages it over its window
 * ({@link convolveMask}), each pool averages 2×2 ({@link poolMask}), so a
 * layer's weight at a pixel is the share of that feature's receptive field
 * (box-weighted) that lies in the region. Neither eroded nor dilated: the
 * features that straddle the region's edge count in part, those of a hole
 * that mostly see the kept pixels little, and no region vanishes however
 * deep the layer (README, "Masks and guides", has the measurements).
 * `layers` are `features` indices in increasing order, `wrap` for circular
 * padding.
 */
export function layerMasks(mask: Mask, layers: number[], wrap: boolean): Mask[] {
  const out: Mask[] = [];
  let current = mask;
  let index = 0;
  for (const layer of layers) {
    for (; index <= layer; index++) {
      if (CONVS.has(index)) current = convolveMask(current, wrap);
      else if (POOLS.has(index)) current = poolMask(current);
    }
    out.push(current);
  }
  return out;
}

/** The product of two masks of one size (the intersection of binary ones). */
export function multiplyMasks(a: Mask, b: Mask): Mask {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`masks of ${a.width}×${a.height} and ${b.width}×${b.height} px`);
  }
  return { width: a.width, height: a.height, data: a.data.map((v, i) => v * b.data[i]) };
}

/** 1 − mask: the kept part of an inpainting's hole. */
export function invertMask(mask: Mask): Mask {
  return { width: mask.width, height: mask.height, data: mask.data.map((v) => 1 - v) };
}

/** Σ of the weights: a mask's area in pixels. */
export function maskArea(mask: Mask): number {
  let sum = 0;
  for (const v of mask.data) sum += v;
  return sum;
}
