// Turns a decoded image upright as its EXIF orientation says, so an exemplar
// straight from a camera or phone is used as every viewer shows it. Web APIs only.
import type { PlanarImage } from "./image.ts";

/**
 * The image as displayed for EXIF orientation `orientation` (1–8): 1 as
 * stored, 2 mirrored left–right, 3 turned 180°, 4 mirrored top–bottom,
 * 5 transposed, 6 turned 90° clockwise, 7 transversed, 8 turned 90°
 * counter-clockwise. 5–8 swap width and height. Pixels are moved, never
 * resampled; 1 (or anything outside 1–8) returns the image itself.
 */
export function orientImage(image: PlanarImage, orientation: number): PlanarImage {
  if (!Number.isInteger(orientation) || orientation < 2 || orientation > 8) return image;
  const { width: w, height: h, data } = image;
  const swap = orientation >= 5;
  const width = swap ? h : w;
  const height = swap ? w : h;
  // Displayed pixel (x, y) reads stored index start + x·dx + y·dy.
  const last = (h - 1) * w;
  const [start, dx, dy] = {
    2: [w - 1, -1, w],
    3: [last + w - 1, -1, -w],
    4: [last, 1, -w],
    5: [0, w, 1],
    6: [last, -w, 1],
    7: [last + w - 1, -w, -1],
    8: [w - 1, w, -1],
  }[orientation as 2 | 3 | 4 | 5 | 6 | 7 | 8];
  const plane = w * h;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    let from = start + y * dy;
    for (let x = 0, to = y * width; x < width; x++, to++, from += dx) {
      out[to] = data[from];
      out[plane + to] = data[plane + from];
      out[2 * plane + to] = data[2 * plane + from];
    }
  }
  return { width, height, data: out };
}
