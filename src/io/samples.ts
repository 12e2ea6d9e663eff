import { decodeImage, MAX_IMAGE_PIXELS, type PlanarImage, probeImage } from "./image.ts";
import { decodePngSamples, type PngSamples } from "./png.ts";

/**
 * Decodes an image to its samples as stored, for data that must be copied
 * bit for bit (material maps): PNGs keep their channels and depth (see
 * {@link PngSamples}); JPEG and GIF come out as 8-bit RGB.
 *
 * @example
 * ```ts
 * import { decodeImageSamples } from "@tex/synth";
 *
 * const map = await decodeImageSamples(await Deno.readFile("height16.png"), "height16.png");
 * console.log(map.channels, map.depth); // e.g. 1 16
 * ```
 */
export async function decodeImageSamples(bytes: Uint8Array, name = "image"): Promise<PngSamples> {
  if (probeImage(bytes, name).format === "PNG") {
    return await decodePngSamples(bytes, name, MAX_IMAGE_PIXELS);
  }
  const { width, height, data } = await decodeImage(bytes, name);
  const plane = width * height;
  const samples = new Uint8Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) samples[3 * i + c] = Math.round(data[c * plane + i] * 255);
  }
  return { width, height, channels: 3, depth: 8, samples };
}

/**
 * Samples as planar RGB floats in [0, 1]: gray is replicated, alpha dropped,
 * each sample divided by its depth's largest value.
 *
 * @example
 * ```ts
 * import { planarFromSamples } from "@tex/synth";
 *
 * const image = planarFromSamples({ width: 1, height: 1, channels: 1, depth: 16, samples: Uint16Array.of(65535) });
 * console.log(image.data); // Float32Array [1, 1, 1]
 * ```
 */
export function planarFromSamples(image: PngSamples): PlanarImage {
  const { width, height, channels, depth, samples } = image;
  const plane = width * height;
  const top = depth === 16 ? 65535 : 255;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      data[c * plane + i] = samples[i * channels + (channels >= 3 ? c : 0)] / top;
    }
  }
  return { width, height, data };
}
