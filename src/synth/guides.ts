/**
 * Guides: label maps whose exact colours name regions. Colours are compared
 * at 8 bits per channel (a 16-bit PNG's values are rounded to the nearest
 * 8-bit level first), and a guide of any size is resampled by nearest
 * neighbour, which never invents a colour.
 *
 * @module
 */
import type { PlanarImage } from "../io/image.ts";
import { type Mask, nearestSource } from "./masks.ts";

/** A guide's labels at one size: each pixel's colour as 0xRRGGBB. */
export interface LabelMap {
  width: number;
  height: number;
  labels: Uint32Array;
}

/** "#rrggbb", the way colours are named in messages. */
export function colourName(label: number): string {
  return `#${label.toString(16).padStart(6, "0")}`;
}

function _level(v: number): number {
  return Math.min(255, Math.max(0, Math.round(v * 255)));
}

/**
 * A guide image's labels resampled by nearest neighbour to `height` × `width`.
 *
 * @example
 * ```ts
 * import { colourName, labelMap } from "./guides.ts";
 *
 * const guide = { width: 2, height: 1, data: new Float32Array([1, 0, 1, 0, 1, 0]) };
 * const map = labelMap(guide, 2, 4);
 * console.log(Array.from(map.labels, colourName)); // ["#ffffff", "#ffffff", "#000000", "#000000", …]
 * ```
 */
export function labelMap(guide: PlanarImage, height: number, width: number): LabelMap {
  const plane = guide.width * guide.height;
  const labels = new Uint32Array(height * width);
  for (let y = 0; y < height; y++) {
    const sy = nearestSource(y, guide.height, height);
    for (let x = 0; x < width; x++) {
      const i = sy * guide.width + nearestSource(x, guide.width, width);
      labels[y * width + x] = (_level(guide.data[i]) << 16) |
        (_level(guide.data[plane + i]) << 8) | _level(guide.data[2 * plane + i]);
    }
  }
  return { width, height, labels };
}

/** The colours a label map uses, in order of first appearance (row by row). */
export function labelsOf(map: LabelMap): number[] {
  return [...new Set(map.labels)];
}

/** 1 where the map has colour `label`, 0 elsewhere. */
export function labelMask(map: LabelMap, label: number): Mask {
  return {
    width: map.width,
    height: map.height,
    data: Float32Array.from(map.labels, (l) => l === label ? 1 : 0),
  };
}
