/**
 * Painted maps: masks and guide labels as one 0xRRGGBB colour per pixel,
 * painted with a hard-edged brush. No antialiasing: a guide's colours name
 * its regions exactly, so a blended edge would invent labels. Masks hold
 * black and white only. Files are read by the engine's own rules (a mask's
 * luminance threshold, a guide's 8-bit colours, nearest-neighbour
 * resampling), so a map made from a file is what the command line makes of
 * that file. Plain functions with no DOM, so they are tested in Deno.
 *
 * @module
 */
import type { PlanarImage } from "@tex/synth/browser";
import { labelMap } from "../../src/synth/guides.ts";
import { maskFromImage, nearestSource, resizeNearest } from "../../src/synth/masks.ts";

/** A painted map: `colours[y · width + x]` is 0xRRGGBB. */
export interface PaintMap {
  width: number;
  height: number;
  colours: Uint32Array;
}

/** A point in a map's pixel coordinates (pixel (x, y) spans [x, x + 1) × [y, y + 1)). */
export interface Point {
  x: number;
  y: number;
}

export const BLACK = 0x000000;
export const WHITE = 0xffffff;

/**
 * Longest side a painted map has: larger images get a map of the same
 * aspect at this size, which the engine resamples (nearest) to the image,
 * as it resamples any mask or guide.
 */
export const MAX_PAINT_SIDE = 2048;

/**
 * The size of the map painted over an image of `width` × `height`: the
 * image's, or at most {@link MAX_PAINT_SIDE} on the longer side.
 *
 * @example
 * ```ts
 * import { paintSize } from "./paint_map.ts";
 *
 * console.log(paintSize(4096, 1024)); // { width: 2048, height: 512 }
 * ```
 */
export function paintSize(width: number, height: number): { width: number; height: number } {
  const f = Math.min(1, MAX_PAINT_SIDE / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * f)),
    height: Math.max(1, Math.round(height * f)),
  };
}

/** A map of one colour. */
export function blankMap(width: number, height: number, colour: number): PaintMap {
  return { width, height, colours: new Uint32Array(width * height).fill(colour) };
}

/** A copy of a map, resampled by nearest neighbour (as the engine resamples masks and guides). */
export function resampleMap(map: PaintMap, width: number, height: number): PaintMap {
  const colours = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = nearestSource(y, map.height, height) * map.width;
    for (let x = 0; x < width; x++) {
      colours[y * width + x] = map.colours[row + nearestSource(x, map.width, width)];
    }
  }
  return { width, height, colours };
}

/**
 * A mask image as a map of `width` × `height`: white where its luminance is
 * 0.5 or more, black elsewhere, resampled by nearest neighbour (the
 * engine's rules for `--mask` and `--exemplar-mask`).
 */
export function maskMapOf(image: PlanarImage, width: number, height: number): PaintMap {
  const mask = resizeNearest(maskFromImage(image), height, width);
  return { width, height, colours: Uint32Array.from(mask.data, (v) => v > 0 ? WHITE : BLACK) };
}

/**
 * A guide image as a map of `width` × `height`: its colours at 8 bits a
 * channel, resampled by nearest neighbour (the engine's rules for guides).
 */
export function labelMapOf(image: PlanarImage, width: number, height: number): PaintMap {
  const { labels } = labelMap(image, height, width);
  return { width, height, colours: labels };
}

/**
 * Paints `colour` on every pixel whose centre lies within `radius` of the
 * segment from `from` to `to` (a dab when they are equal). The pixel under
 * each end is always painted, however small the radius. Returns whether a
 * pixel changed.
 *
 * @example
 * ```ts
 * import { blankMap, stroke, WHITE } from "./paint_map.ts";
 *
 * const map = blankMap(8, 8, 0);
 * stroke(map, { x: 1.5, y: 4.5 }, { x: 6.5, y: 4.5 }, 0.5, WHITE);
 * console.log(map.colours.filter((c) => c === WHITE).length); // 6
 * ```
 */
export function stroke(
  map: PaintMap,
  from: Point,
  to: Point,
  radius: number,
  colour: number,
): boolean {
  // √½ reaches the centre of the pixel under any point.
  const r = Math.max(radius, Math.SQRT1_2);
  const x0 = Math.max(0, Math.floor(Math.min(from.x, to.x) - r));
  const x1 = Math.min(map.width - 1, Math.ceil(Math.max(from.x, to.x) + r));
  const y0 = Math.max(0, Math.floor(Math.min(from.y, to.y) - r));
  const y1 = Math.min(map.height - 1, Math.ceil(Math.max(from.y, to.y) + r));
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length2 = dx * dx + dy * dy;
  let changed = false;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const [cx, cy] = [x + 0.5 - from.x, y + 0.5 - from.y];
      const t = length2 > 0 ? Math.min(1, Math.max(0, (cx * dx + cy * dy) / length2)) : 0;
      const [ex, ey] = [cx - t * dx, cy - t * dy];
      if (ex * ex + ey * ey > r * r) continue;
      const i = y * map.width + x;
      if (map.colours[i] !== colour) {
        map.colours[i] = colour;
        changed = true;
      }
    }
  }
  return changed;
}

/** The map as an image for the engine or a PNG: each channel's 8 bits over 255. */
export function mapImage(map: PaintMap): PlanarImage {
  const plane = map.width * map.height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    const c = map.colours[i];
    data[i] = ((c >>> 16) & 255) / 255;
    data[plane + i] = ((c >>> 8) & 255) / 255;
    data[2 * plane + i] = (c & 255) / 255;
  }
  return { width: map.width, height: map.height, data };
}

/** How many pixels have `colour`. */
export function countColour(map: PaintMap, colour: number): number {
  let n = 0;
  for (const c of map.colours) if (c === colour) n++;
  return n;
}

/** The colours a map uses, in order of first appearance (row by row). */
export function coloursOf(map: PaintMap): number[] {
  return [...new Set(map.colours)];
}
