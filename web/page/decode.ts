/**
 * Exemplars in the page: PNG through tex-synth's own decoder (the same pixels
 * as the command line), other formats through the browser's, whatever it can
 * show (JPEG, GIF, WebP, AVIF, BMP). Nothing leaves the browser.
 *
 * @module
 */
import {
  decodePngImage,
  MAX_IMAGE_PIXELS,
  MAX_IMAGE_SIDE,
  type PlanarImage,
  probeImage,
  TexSynthError,
} from "@tex/synth/browser";

/**
 * Decodes an image file into planar RGB floats in [0, 1]. A file that is no
 * image, a corrupt one or one past the size limits is a one-line
 * {@link TexSynthError} naming `name`.
 */
export async function decodeExemplar(blob: Blob, name: string): Promise<PlanarImage> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let format: string;
  try {
    format = probeImage(bytes, name).format;
  } catch (e) {
    // The engine reads PNG, JPEG and GIF headers only; a WebP or AVIF the
    // browser decodes is still welcome. Anything else keeps the engine's word.
    const decoded = await _browserDecode(blob, name).catch(() => null);
    if (decoded) return decoded;
    throw e;
  }
  if (format === "PNG") return await decodePngImage(bytes, name);
  try {
    return await _browserDecode(blob, name);
  } catch (e) {
    if (e instanceof TexSynthError) throw e;
    throw new TexSynthError(
      `${name} is not a readable ${format}: the file is truncated or corrupt; re-export it as PNG`,
    );
  }
}

async function _browserDecode(blob: Blob, name: string): Promise<PlanarImage> {
  const bitmap = await createImageBitmap(blob, {
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  });
  try {
    const { width, height } = bitmap;
    if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
      throw new TexSynthError(
        `${name} is ${width}×${height}, past the limit of ${MAX_IMAGE_SIDE} px a side and ${MAX_IMAGE_PIXELS} pixels: downscale it first`,
      );
    }
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d")!;
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    const plane = width * height;
    const data = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      data[i] = rgba[4 * i] / 255;
      data[plane + i] = rgba[4 * i + 1] / 255;
      data[2 * plane + i] = rgba[4 * i + 2] / 255;
    }
    return { width, height, data };
  } finally {
    bitmap.close();
  }
}
