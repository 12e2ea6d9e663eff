/**
 * The scenes that show inpainting, exemplar masks and guided synthesis, built
 * from the bundled examples: the README's pictures
 * (examples/make_steering_demo.ts), the measurements (bench/steering.ts) and
 * the tests (tests/synth/steering_test.ts) all start from them.
 *
 * @module
 */
import { readImageFile } from "../src/io/image_file.ts";
import type { PlanarImage } from "../src/io/image.ts";
import { resizeArea } from "../src/synth/masks.ts";

const EXAMPLES = new URL("./", import.meta.url);

/** A bundled example (256 px) shrunk by area to `size` px, at 8-bit levels as a PNG holds it. */
export async function example(name: string, size: number): Promise<PlanarImage> {
  const src = await readImageFile(new URL(`${name}.png`, EXAMPLES).pathname);
  const plane = src.width * src.height;
  const data = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    const channel = {
      width: src.width,
      height: src.height,
      data: src.data.subarray(c * plane, (c + 1) * plane),
    };
    const small = resizeArea(channel, size, size).data;
    small.forEach((v, i) => data[c * size * size + i] = Math.round(v * 255) / 255);
  }
  return { width: size, height: size, data };
}

/** An image of one colour per pixel, given as a function of (y, x). */
export function paint(
  height: number,
  width: number,
  colour: (y: number, x: number) => readonly number[],
): PlanarImage {
  const plane = height * width;
  const data = new Float32Array(3 * plane);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      colour(y, x).forEach((v, c) => data[c * plane + y * width + x] = v);
    }
  }
  return { height, width, data };
}

const WHITE = [1, 1, 1] as const;
const BLACK = [0, 0, 0] as const;

/** Inpainting: a `size` px texture and the mask of a centred `hole` × `hole` square. */
export interface FillScene {
  image: PlanarImage;
  mask: PlanarImage;
  /** The hole's first row and column, and its side. */
  hole: { y: number; x: number; side: number };
}

/** `examples/cracks.png` at `size` px with a `side` px square hole in the middle. */
export async function fillScene(size = 64, side = 20, name = "cracks"): Promise<FillScene> {
  const y = Math.floor((size - side) / 2);
  const inHole = (py: number, px: number) => py >= y && py < y + side && px >= y && px < y + side;
  return {
    image: await example(name, size),
    mask: paint(size, size, (py, px) => inHole(py, px) ? WHITE : BLACK),
    hole: { y, x: y, side },
  };
}

/** Guided synthesis: an exemplar of two textures side by side, its labels, and a target's labels. */
export interface GuidedScene {
  exemplar: PlanarImage;
  /** Black on the exemplar's left half, white on its right half. */
  exemplarGuide: PlanarImage;
  /** A white disc (radius 0.3 of the side) on black. */
  targetGuide: PlanarImage;
}

/**
 * An exemplar `size` px square whose left half is `left` (bricks) and right
 * half `right` (noise), each the left `size`/2 columns of that example
 * shrunk to `2·size` px, labelled black and white, and a target guide of the
 * same size with a white disc on black.
 */
export async function guidedScene(
  size = 64,
  left = "bricks",
  right = "noise",
): Promise<GuidedScene> {
  const a = await example(left, 2 * size);
  const b = await example(right, 2 * size);
  const at = (img: PlanarImage, c: number, y: number, x: number) =>
    img.data[(c * img.height + y) * img.width + x];
  const half = size / 2;
  return {
    exemplar: paint(
      size,
      size,
      (y, x) => [0, 1, 2].map((c) => x < half ? at(a, c, y, x) : at(b, c, y, x - half)),
    ),
    exemplarGuide: paint(size, size, (_, x) => x < half ? BLACK : WHITE),
    targetGuide: paint(
      size,
      size,
      (y, x) => Math.hypot(y + 0.5 - size / 2, x + 0.5 - size / 2) < 0.3 * size ? WHITE : BLACK,
    ),
  };
}

/** Per-channel mean and standard deviation of the pixels `select` picks. */
export function colourStatistics(
  image: PlanarImage,
  select: (y: number, x: number) => boolean,
): { mean: number[]; std: number[]; pixels: number } {
  const plane = image.width * image.height;
  const sum = [0, 0, 0];
  const squares = [0, 0, 0];
  let pixels = 0;
  for (let i = 0; i < plane; i++) {
    if (!select(Math.floor(i / image.width), i % image.width)) continue;
    pixels++;
    for (let c = 0; c < 3; c++) {
      const v = image.data[c * plane + i];
      sum[c] += v;
      squares[c] += v * v;
    }
  }
  const mean = sum.map((s) => s / pixels);
  const std = squares.map((q, c) => Math.sqrt(Math.max(0, q / pixels - mean[c] ** 2)));
  return { mean, std, pixels };
}
