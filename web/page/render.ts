/**
 * Drawing planar images on canvases: the output, its 2×2 tiled preview and
 * exemplar thumbnails. Values are rounded as the PNG encoder rounds them, so
 * the canvas shows the pixels a download holds.
 *
 * @module
 */
import type { PlanarImage } from "@tex/synth/browser";

/** RGBA bytes of a planar image: each value clamped to [0, 1], `floor(v·255 + 0.5)`, NaN as 0. */
export function toImageData(image: PlanarImage): ImageData {
  const { width, height, data } = image;
  const plane = width * height;
  const rgba = new Uint8ClampedArray(4 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.min(Math.max(data[c * plane + i], 0), 1);
      rgba[4 * i + c] = v === v ? Math.floor(Math.fround(Math.fround(v * 255) + 0.5)) : 0;
    }
    rgba[4 * i + 3] = 255;
  }
  return new ImageData(rgba, width, height);
}

/** Draws `image` on `canvas` at its own size, `repeat`×`repeat` times side by side. */
export function drawImage(canvas: HTMLCanvasElement, image: PlanarImage, repeat = 1): void {
  const pixels = toImageData(image);
  canvas.width = image.width * repeat;
  canvas.height = image.height * repeat;
  const context = canvas.getContext("2d")!;
  for (let y = 0; y < repeat; y++) {
    for (let x = 0; x < repeat; x++) {
      context.putImageData(pixels, x * image.width, y * image.height);
    }
  }
  // Small images are enlarged on screen: keep their pixels sharp.
  canvas.classList.toggle("pixelated", image.width * repeat < 256);
}
