// Measures of images used by the style and map tests: luma, chroma, edges
// and their agreement. Planar [3, H, W] images in [0, 1].
import type { PlanarImage } from "../../src/io/image.ts";
import { LUMA, RGB_TO_YIQ } from "../../src/ops/color_matrix.ts";

/** Channel k (0 Y, 1 I, 2 Q) of YIQ, per pixel. */
export function yiqChannel(image: PlanarImage, k: number): Float64Array {
  const n = image.width * image.height;
  const out = new Float64Array(n);
  const m = k === 0 ? LUMA : RGB_TO_YIQ[k];
  for (let i = 0; i < n; i++) {
    out[i] = m[0] * image.data[i] + m[1] * image.data[n + i] + m[2] * image.data[2 * n + i];
  }
  return out;
}

/** Sobel gradient magnitude of a [H, W] plane (borders replicated). */
export function edges(plane: ArrayLike<number>, width: number, height: number): Float64Array {
  const at = (x: number, y: number) =>
    plane[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gx = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) -
        2 * at(x - 1, y) - at(x - 1, y + 1);
      const gy = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) -
        2 * at(x, y - 1) - at(x + 1, y - 1);
      out[y * width + x] = Math.hypot(gx, gy);
    }
  }
  return out;
}

/** Pearson correlation of two equally long series. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/**
 * How much of the content's shapes an image keeps: the correlation of the
 * Sobel edge magnitudes of their lumas, each smoothed by a 3×3 box first so
 * that fine texture counts less than the outlines of shapes.
 */
export function edgeCorrelation(image: PlanarImage, content: PlanarImage): number {
  const { width, height } = image;
  const smooth = (p: Float64Array) => {
    const out = new Float64Array(p.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let s = 0;
        let c = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
            s += p[yy * width + xx];
            c++;
          }
        }
        out[y * width + x] = s / c;
      }
    }
    return out;
  };
  return correlation(
    edges(smooth(yiqChannel(image, 0)), width, height),
    edges(smooth(yiqChannel(content, 0)), width, height),
  );
}
