// The image-writing edge: the output's format follows its file name, and
// the file appears whole or not at all.
import { TexSynthError } from "../errors.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { encodePng, type PlanarImage } from "./image.ts";

/** The formats an output image can be written in. */
export type OutputFormat = "png" | "jpeg";

/** JPEG quality for outputs: high enough that a texture keeps its fine grain. */
const JPEG_QUALITY = 95;

/** The format a file name asks for: `.png`, `.jpg` or `.jpeg` (any case); null otherwise. */
export function outputFormat(path: string): OutputFormat | null {
  const m = /\.(png|jpe?g)$/i.exec(path);
  if (!m) return null;
  return m[1].toLowerCase() === "png" ? "png" : "jpeg";
}

/**
 * Encodes a planar RGB image as a baseline JPEG (8-bit, quality 95), with the
 * same rounding to bytes as {@link encodePng}.
 */
export async function encodeJpeg(image: PlanarImage): Promise<Uint8Array> {
  const { width, height, data } = image;
  const plane = width * height;
  const { Image } = await import("imagescript");
  const out = new Image(width, height);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.min(Math.max(data[c * plane + i], 0), 1);
      out.bitmap[4 * i + c] = v === v ? Math.floor(Math.fround(Math.fround(v * 255) + 0.5)) : 0;
    }
    out.bitmap[4 * i + 3] = 255;
  }
  return await out.encodeJPEG(JPEG_QUALITY);
}

/**
 * Writes an image in the format its extension names (PNG, or JPEG for
 * `.jpg`/`.jpeg`), atomically: a temporary file renamed into place.
 */
export async function writeImageFile(path: string, image: PlanarImage): Promise<void> {
  const format = outputFormat(path);
  if (!format) {
    throw new TexSynthError(`cannot write ${path}: name the file *.png, *.jpg or *.jpeg`);
  }
  const bytes = format === "png" ? await encodePng(image) : await encodeJpeg(image);
  await writeFileAtomic(path, bytes);
}
