// Image decode/encode on imagescript, in web APIs only. imagescript's main
// entry loads native codecs and its wasm decoders at import time (it needs
// --allow-ffi, --allow-env and --allow-read), so it is imported on first
// decode; encoding uses its pure-JS PNG writer, which needs nothing.
import pngCodec from "imagescript/png/node.js";
import { TexSynthError } from "../errors.ts";

/** A decoded RGB image as planar floats: data is [3, height, width], values in [0, 1]. */
export interface PlanarImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Planar R, G, B planes, each height·width floats, row-major. */
  data: Float32Array;
}

/** The slice of imagescript's internal PNG module this file uses. */
interface PngCodec {
  encode(
    data: Uint8Array,
    options: { width: number; height: number; channels: 3; level: number },
  ): Uint8Array;
}

const FORMATS = [
  { name: "PNG", magic: [0x89, 0x50, 0x4e, 0x47] },
  { name: "JPEG", magic: [0xff, 0xd8, 0xff] },
  { name: "GIF", magic: [0x47, 0x49, 0x46] },
  { name: "TIFF", magic: [0x49, 0x49, 0x2a, 0x00] },
];

const OTHERS = [
  {
    name: "WebP",
    test: (b: Uint8Array) => _ascii(b, 0, 4) === "RIFF" && _ascii(b, 8, 4) === "WEBP",
  },
  { name: "BMP", test: (b: Uint8Array) => _ascii(b, 0, 2) === "BM" },
  { name: "big-endian TIFF", test: (b: Uint8Array) => _ascii(b, 0, 4) === "MM\0*" },
  { name: "AVIF/HEIC", test: (b: Uint8Array) => _ascii(b, 4, 4) === "ftyp" },
];

function _ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

function _format(bytes: Uint8Array): string | null {
  return FORMATS.find((f) => f.magic.every((b, i) => bytes[i] === b))?.name ?? null;
}

/** What an unsupported file looks like, to name it in the error. */
function _describe(bytes: Uint8Array): string {
  const other = OTHERS.find((o) => o.test(bytes));
  if (other) return `a ${other.name} file`;
  const head = bytes.subarray(0, 256);
  const text = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  return text ? "text, not an image" : "not a PNG or JPEG image";
}

function _oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\s+/g, " ").trim().slice(0, 200) || "unknown error";
}

/**
 * Decodes PNG or JPEG bytes (GIF and TIFF too, first frame) into planar RGB
 * floats: alpha is dropped and each 8-bit sRGB value is divided by 255 with
 * no gamma change. Grayscale, palette and 16-bit PNGs come out as RGB (16-bit
 * samples keep their high byte, as PIL does). Empty, corrupt or unsupported
 * data throws a {@link TexSynthError} whose one-line message names `name`.
 */
export async function decodeImage(bytes: Uint8Array, name = "image"): Promise<PlanarImage> {
  if (bytes.length === 0) {
    throw new TexSynthError(`${name} is empty (0 bytes): give a PNG or JPEG image`);
  }
  const format = _format(bytes);
  if (!format) {
    throw new TexSynthError(`${name} is ${_describe(bytes)}: convert it to PNG or JPEG`);
  }
  let decoded;
  try {
    const { decode, GIF } = await import("imagescript");
    const image = await decode(bytes, true);
    decoded = image instanceof GIF ? image[0] : image;
  } catch (e) {
    if (/NotCapable|Requires \w+ access/.test(`${e instanceof Error ? e.name : ""} ${e}`)) {
      throw new TexSynthError(
        `cannot decode ${name}: the image decoder needs permission (${
          _oneLine(e)
        }); run with --allow-ffi --allow-env --allow-read, or -A`,
      );
    }
    throw new TexSynthError(
      `${name} is not a readable ${format} (${
        _oneLine(e)
      }): the file is truncated or corrupt; re-export it as PNG`,
    );
  }
  const width = decoded?.width ?? 0;
  const height = decoded?.height ?? 0;
  if (width < 1 || height < 1 || decoded.bitmap.length !== width * height * 4) {
    throw new TexSynthError(
      `${name} decoded to an empty or malformed ${width}×${height} ${format} image: re-export it as PNG`,
    );
  }
  const rgba = decoded.bitmap;
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    data[i] = rgba[4 * i] / 255;
    data[plane + i] = rgba[4 * i + 1] / 255;
    data[2 * plane + i] = rgba[4 * i + 2] / 255;
  }
  return { width, height, data };
}

/**
 * Encodes a planar RGB image as an 8-bit RGB PNG. Each value is clamped to
 * [0, 1] and rounded as `floor(v·255 + 0.5)` in f32, matching PIL's save of
 * `(x.clamp(0, 1)·255 + 0.5).astype(uint8)`; NaN becomes 0. The bytes are a
 * function of the pixels alone (no timestamp chunk).
 */
export function encodePng(image: PlanarImage): Promise<Uint8Array> {
  const { width, height, data } = image;
  const plane = width * height;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    return Promise.reject(
      new TexSynthError(`cannot encode a ${width}×${height} image: sizes must be at least 1 px`),
    );
  }
  if (data.length !== 3 * plane) {
    return Promise.reject(
      new Error(`encodePng: ${data.length} floats for a 3×${height}×${width} image`),
    );
  }
  const rgb = new Uint8Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = Math.min(Math.max(data[c * plane + i], 0), 1);
      rgb[3 * i + c] = v === v ? Math.floor(Math.fround(Math.fround(v * 255) + 0.5)) : 0;
    }
  }
  const codec = pngCodec as PngCodec;
  return Promise.resolve(codec.encode(rgb, { width, height, channels: 3, level: 6 }));
}
