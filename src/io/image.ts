// Image decode/encode in web APIs only. PNG is ours (png.ts: imagescript
// 1.3's decoder rejects valid PNGs with stored deflate blocks); JPEG and GIF
// go through imagescript, whose main entry loads native codecs and its wasm
// decoders at import time (it needs --allow-ffi, --allow-env and
// --allow-read), so it is imported on first use.
import { TexSynthError } from "../errors.ts";
import { readJpegHeader, unsupportedJpeg } from "./jpeg_header.ts";
import { orientImage } from "./orientation.ts";
import { decodePng, encodePngBytes } from "./png.ts";

/** A decoded RGB image as planar floats: data is [3, height, width], values in [0, 1]. */
export interface PlanarImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Planar R, G, B planes, each height·width floats, row-major. */
  data: Float32Array;
}

/** Largest width or height {@link decodeImage} accepts, in pixels. */
export const MAX_IMAGE_SIDE = 16384;

/**
 * Largest pixel count {@link decodeImage} accepts: 2^26, e.g. 8192×8192.
 * Decoding holds the image about four times over (the decoder's buffer, RGBA
 * bytes, planar floats), some 1.3 GB at this size; an exemplar rarely needs
 * more than a few thousand pixels a side.
 */
export const MAX_IMAGE_PIXELS = 2 ** 26;

/**
 * More pixels per file byte than any PNG, GIF or baseline/progressive JPEG can
 * hold: deflate expands at most ~1032 times and a 1-bit PNG packs 8 pixels a
 * byte (8256); a full 12-bit LZW code emits at most 4096 pixels (2731); every
 * JPEG block codes its DC term in at least one bit (512). A header claiming
 * more is a truncated or forged file, refused before the decoder allocates.
 */
const MAX_PIXELS_PER_BYTE = 16384;

/** The formats {@link decodeImage} reads. */
export type ImageFormat = "PNG" | "JPEG" | "GIF";

/** What an image file's header declares, read without decoding it. */
export interface ImageInfo {
  /** The container format, from the first bytes. */
  format: ImageFormat;
  /** Declared width in pixels. */
  width: number;
  /** Declared height in pixels. */
  height: number;
}

const FORMATS: { name: ImageFormat; magic: number[] }[] = [
  { name: "PNG", magic: [0x89, 0x50, 0x4e, 0x47] },
  { name: "JPEG", magic: [0xff, 0xd8, 0xff] },
  { name: "GIF", magic: [0x47, 0x49, 0x46] },
];

const OTHERS = [
  {
    name: "WebP",
    test: (b: Uint8Array) => _ascii(b, 0, 4) === "RIFF" && _ascii(b, 8, 4) === "WEBP",
  },
  { name: "BMP", test: (b: Uint8Array) => _ascii(b, 0, 2) === "BM" },
  // imagescript 1.3's TIFF decoder traps on plain RGB strips: TIFF is refused by name.
  {
    name: "TIFF",
    test: (b: Uint8Array) => _ascii(b, 0, 4) === "II*\0" || _ascii(b, 0, 4) === "MM\0*",
  },
  { name: "AVIF/HEIC", test: (b: Uint8Array) => _ascii(b, 4, 4) === "ftyp" },
];

function _ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

function _format(bytes: Uint8Array): ImageFormat | null {
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
 * Reads the format and declared size from an image's header without decoding
 * it (PNG IHDR, JPEG SOF, GIF screen and first frame) and refuses what
 * decoding should never start on: empty, unknown or truncated headers, a
 * 0-pixel image, sizes past {@link MAX_IMAGE_SIDE} or {@link MAX_IMAGE_PIXELS},
 * more pixels than the file's byte count can encode, and JPEG kinds the
 * decoder cannot read (lossless, hierarchical, arithmetic-coded, 12-bit), all
 * before anything that size is allocated. Each refusal is a one-line
 * {@link TexSynthError} naming `name` and the fix. A JPEG's size is as
 * displayed: its EXIF orientation applied.
 */
export function probeImage(bytes: Uint8Array, name = "image"): ImageInfo {
  if (bytes.length === 0) {
    throw new TexSynthError(`${name} is empty (0 bytes): give a PNG or JPEG image`);
  }
  const format = _format(bytes);
  if (!format) {
    throw new TexSynthError(`${name} is ${_describe(bytes)}: convert it to PNG or JPEG`);
  }
  const bad = (why: string): TexSynthError =>
    new TexSynthError(`${name} is not a readable ${format} (${why}): re-export it as PNG`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [width, height] = format === "PNG"
    ? _pngSize(bytes, view, bad)
    : format === "JPEG"
    ? _jpegSize(bytes, bad, name)
    : _gifSize(bytes, view, bad);
  if (width < 1 || height < 1) {
    throw new TexSynthError(
      `${name} declares a ${width}×${height} ${format} image, which has no pixels: re-export it as PNG`,
    );
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new TexSynthError(
      `${name} declares a ${width}×${height} image, past the limit of ${MAX_IMAGE_SIDE} px a side and ${MAX_IMAGE_PIXELS} pixels: downscale it first (an exemplar needs a few thousand px at most)`,
    );
  }
  if (width * height > bytes.length * MAX_PIXELS_PER_BYTE) {
    throw new TexSynthError(
      `${name} declares a ${width}×${height} ${format} image in only ${bytes.length} bytes, more than the format can hold: the file is truncated or corrupt; re-export it as PNG`,
    );
  }
  return { format, width, height };
}

/**
 * Decodes PNG or JPEG bytes (GIF too, its first frame) into planar RGB
 * floats: alpha is dropped and each 8-bit sRGB value is divided by 255 with
 * no gamma change. Grayscale, palette and 16-bit PNGs come out as RGB (16-bit
 * samples keep their high byte, as PIL does). A JPEG comes out upright, its
 * EXIF orientation (all eight) applied, as viewers show it. The header is checked first
 * with {@link probeImage}, so an oversized image is refused before decoding.
 * Empty, corrupt or unsupported data throws a {@link TexSynthError} whose
 * one-line message names `name`.
 *
 * @example
 * ```ts
 * import { decodeImage } from "@tex/synth";
 *
 * const image = await decodeImage(await Deno.readFile("bricks.png"), "bricks.png");
 * console.log(image.width, image.height); // image.data: [3, H, W] floats in [0, 1]
 * ```
 */
export async function decodeImage(bytes: Uint8Array, name = "image"): Promise<PlanarImage> {
  const { format, width: shownWidth, height: shownHeight } = probeImage(bytes, name);
  if (format === "PNG") return _planar(await decodePng(bytes, name, MAX_IMAGE_PIXELS));
  const orientation = format === "JPEG"
    ? readJpegHeader(bytes, (why) => new TexSynthError(why)).orientation
    : 1;
  const [declaredWidth, declaredHeight] = orientation >= 5
    ? [shownHeight, shownWidth]
    : [shownWidth, shownHeight];
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
  if (
    width !== declaredWidth || height !== declaredHeight ||
    decoded.bitmap.length !== width * height * 4
  ) {
    throw new TexSynthError(
      `${name} decoded to a malformed ${width}×${height} ${format} image where its header says ${declaredWidth}×${declaredHeight}: re-export it as PNG`,
    );
  }
  return orientImage(_planar({ width, height, rgb: decoded.bitmap }, 4), orientation);
}

/**
 * Decodes a PNG (any bit depth, colour type or interlacing) into planar RGB
 * floats exactly as {@link decodeImage} does, with no native codec: what a
 * browser page uses, where only PNG is read by tex-synth itself. Anything else,
 * or a corrupt or oversized PNG, is a {@link TexSynthError} naming `name`.
 *
 * @example
 * ```ts
 * import { decodePngImage } from "@tex/synth/browser";
 *
 * const response = await fetch("/examples/dots.png");
 * const image = await decodePngImage(new Uint8Array(await response.arrayBuffer()), "dots.png");
 * console.log(image.width, image.height);
 * ```
 */
export async function decodePngImage(bytes: Uint8Array, name = "image"): Promise<PlanarImage> {
  const { format } = probeImage(bytes, name);
  if (format !== "PNG") {
    throw new TexSynthError(`${name} is a ${format} file, not a PNG: convert it to PNG`);
  }
  return _planar(await decodePng(bytes, name, MAX_IMAGE_PIXELS));
}

/** Interleaved 8-bit pixels (`stride` bytes each, RGB first) as planar floats in [0, 1]. */
function _planar(
  image: { width: number; height: number; rgb: ArrayLike<number> },
  stride = 3,
): PlanarImage {
  const { width, height, rgb } = image;
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    data[i] = rgb[stride * i] / 255;
    data[plane + i] = rgb[stride * i + 1] / 255;
    data[2 * plane + i] = rgb[stride * i + 2] / 255;
  }
  return { width, height, data };
}

type _Bad = (why: string) => TexSynthError;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Bit depths PNG allows for each colour type. */
const PNG_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function _pngSize(bytes: Uint8Array, view: DataView, bad: _Bad): [number, number] {
  if (bytes.length < 33) throw bad("the file is truncated or corrupt: it ends inside its header");
  if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    throw bad("its signature is damaged, as by a text-mode transfer: the file is corrupt");
  }
  if (view.getUint32(8) !== 13 || _ascii(bytes, 12, 4) !== "IHDR") {
    throw bad("it does not start with an IHDR header: the file is corrupt");
  }
  const [depth, type] = [bytes[24], bytes[25]];
  if (!PNG_DEPTHS[type]?.includes(depth)) {
    throw bad(`colour type ${type} at ${depth} bits is not PNG: the file is corrupt`);
  }
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] > 1) {
    throw bad("unknown compression, filter or interlace method: the file is corrupt");
  }
  return [view.getUint32(16), view.getUint32(20)];
}

/**
 * The JPEG's size as displayed (EXIF orientations 5–8 swap the sides), after
 * refusing kinds the decoder cannot read — lossless, hierarchical,
 * arithmetic-coded, 12-bit — by name, from the frame header alone.
 */
function _jpegSize(bytes: Uint8Array, bad: _Bad, name: string): [number, number] {
  const header = readJpegHeader(bytes, bad);
  const kind = unsupportedJpeg(header);
  if (kind) {
    throw new TexSynthError(
      `${name} is ${kind}, which tex-synth's JPEG decoder cannot read: re-save it as a baseline or progressive 8-bit JPEG, or as PNG`,
    );
  }
  return header.orientation >= 5 ? [header.height, header.width] : [header.width, header.height];
}

/** The GIF screen size, and the first frame's, which must fit the same limits. */
function _gifSize(bytes: Uint8Array, view: DataView, bad: _Bad): [number, number] {
  const truncated = "the file is truncated or corrupt: it ends before its first frame";
  if (bytes.length < 13) throw bad(truncated);
  const width = view.getUint16(6, true);
  const height = view.getUint16(8, true);
  let p = 13 + (bytes[10] & 0x80 ? 3 << ((bytes[10] & 7) + 1) : 0);
  for (;;) {
    if (p >= bytes.length) throw bad(truncated);
    const block = bytes[p];
    if (block === 0x2c) {
      if (p + 10 > bytes.length) throw bad(truncated);
      const frameWidth = view.getUint16(p + 5, true);
      const frameHeight = view.getUint16(p + 7, true);
      // The decoder holds a frame at its own size: bound it like the screen.
      return [Math.max(width, frameWidth), Math.max(height, frameHeight)];
    }
    if (block !== 0x21) throw bad(`unexpected block 0x${block.toString(16)}: the file is corrupt`);
    p += 2;
    while (p < bytes.length && bytes[p] !== 0) p += bytes[p] + 1;
    p++;
  }
}

/**
 * Encodes a planar RGB image as an 8-bit RGB PNG. Each value is clamped to
 * [0, 1] and rounded as `floor(v·255 + 0.5)` in f32, matching PIL's save of
 * `(x.clamp(0, 1)·255 + 0.5).astype(uint8)`; NaN becomes 0. The bytes are a
 * function of the pixels alone (no timestamp chunk).
 *
 * @example
 * ```ts
 * import { encodePng } from "@tex/synth";
 *
 * const data = new Float32Array(3 * 4 * 4).fill(0.25);
 * const png = await encodePng({ width: 4, height: 4, data });
 * await Deno.writeFile("gray.png", png);
 * ```
 */
export async function encodePng(image: PlanarImage): Promise<Uint8Array> {
  const { width, height, data } = image;
  const plane = width * height;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new TexSynthError(
      `cannot encode a ${width}×${height} image: sizes must be at least 1 px`,
    );
  }
  if (data.length !== 3 * plane) {
    throw new Error(`encodePng: ${data.length} floats for a 3×${height}×${width} image`);
  }
  const rgb = new Uint8Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = Math.min(Math.max(data[c * plane + i], 0), 1);
      rgb[3 * i + c] = v === v ? Math.floor(Math.fround(Math.fround(v * 255) + 0.5)) : 0;
    }
  }
  return await encodePngBytes({ width, height, rgb });
}
