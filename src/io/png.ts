/**
 * PNG decoding and encoding on web APIs alone (DecompressionStream and
 * CompressionStream for zlib), so every valid PNG reads the same everywhere:
 * all bit depths and colour types, palettes, Adam7 interlacing. Structure,
 * CRCs and sizes are checked before anything large is allocated.
 */
import { TexSynthError } from "../errors.ts";

/** 8-bit RGB pixels, interleaved, row-major. */
export interface RgbBytes {
  width: number;
  height: number;
  /** `width · height · 3` bytes. */
  rgb: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

function fail(name: string, problem: string): never {
  throw new TexSynthError(
    `${name} is not a readable PNG (${problem}): the file is truncated or corrupt; re-export it as PNG`,
  );
}

/** The passes of the image (one, or Adam7's seven) with their sizes. */
function passes(
  h: Header,
): { x0: number; y0: number; dx: number; dy: number; w: number; h: number }[] {
  if (!h.interlaced) return [{ x0: 0, y0: 0, dx: 1, dy: 1, w: h.width, h: h.height }];
  return ADAM7.map(([x0, y0, dx, dy]) => ({
    x0,
    y0,
    dx,
    dy,
    w: Math.max(0, Math.ceil((h.width - x0) / dx)),
    h: Math.max(0, Math.ceil((h.height - y0) / dy)),
  })).filter((p) => p.w > 0 && p.h > 0);
}

function rowBytes(h: Header, width: number): number {
  return Math.ceil((width * CHANNELS[h.colorType] * h.depth) / 8);
}

async function inflate(data: Uint8Array, expected: number, name: string): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let filled = 0;
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("deflate"),
  );
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      // Extra bytes past the image are ignored, as decoders do; a stream
      // that keeps producing them is cut off here, never buffered.
      const take = Math.min(value.length, expected - filled);
      out.set(value.subarray(0, take), filled);
      filled += take;
      if (filled === expected) {
        await reader.cancel();
        break;
      }
    }
  } catch (e) {
    fail(name, `corrupt compressed data: ${(e as Error).message}`);
  }
  if (filled < expected) fail(name, "the image data is truncated");
  return out;
}

function unfilter(
  data: Uint8Array,
  offset: number,
  rows: number,
  stride: number,
  bpp: number,
  name: string,
) {
  for (let y = 0; y < rows; y++) {
    const at = offset + y * (stride + 1);
    const type = data[at];
    const row = at + 1;
    const prev = row - (stride + 1);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? data[row + i - bpp] : 0;
      const b = y > 0 ? data[prev + i] : 0;
      const c = y > 0 && i >= bpp ? data[prev + i - bpp] : 0;
      let v: number;
      switch (type) {
        case 0:
          continue;
        case 1:
          v = a;
          break;
        case 2:
          v = b;
          break;
        case 3:
          v = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          fail(name, `unknown row filter ${type}`);
      }
      data[row + i] = (data[row + i] + v) & 0xff;
    }
  }
}

/**
 * A PNG's samples as stored, interleaved, row-major: `channels` of gray,
 * gray + alpha, RGB or RGBA at 8 or 16 bits (16-bit in a Uint16Array).
 * Palettes come out as 8-bit RGB and 1/2/4-bit gray scaled to 8 bits.
 */
export interface PngSamples {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** Bits a sample. */
  depth: 8 | 16;
  /** `width · height · channels` samples, pixel by pixel, rows top to bottom. */
  samples: Uint8Array | Uint16Array;
}

/**
 * Decodes a PNG's samples at their own depth (see {@link PngSamples}), for
 * data that must keep every bit, such as 16-bit height maps. Structure,
 * CRCs and sizes are checked before anything large is allocated;
 * `maxPixels` is checked before any pixel memory is taken.
 */
export async function decodePngSamples(
  bytes: Uint8Array,
  name: string,
  maxPixels: number,
): Promise<PngSamples> {
  if (bytes.length < 8 || SIGNATURE.some((v, i) => bytes[i] !== v)) fail(name, "no PNG signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | null = null;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let ended = false;
  for (let at = 8; at < bytes.length && !ended;) {
    if (at + 12 > bytes.length) fail(name, "the file is truncated");
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const label = /^[A-Za-z]{4}$/.test(type) ? `the ${type}` : "a damaged";
    const end = at + 8 + length;
    if (length > 0x7fffffff || end + 4 > bytes.length) {
      fail(name, `${label} chunk runs past the end of the file`);
    }
    if (crc32(bytes, at + 4, end) !== view.getUint32(end)) {
      fail(name, `${label} chunk is corrupt (CRC mismatch)`);
    }
    const body = bytes.subarray(at + 8, end);
    if (type === "IHDR") {
      if (length !== 13) fail(name, "bad IHDR chunk");
      const b = new DataView(body.buffer, body.byteOffset, 13);
      header = {
        width: b.getUint32(0),
        height: b.getUint32(4),
        depth: body[8],
        colorType: body[9],
        interlaced: body[12] === 1,
      };
      if (header.width === 0 || header.height === 0) {
        fail(name, `it is ${header.width}×${header.height} pixels`);
      }
      if (
        !DEPTHS[header.colorType]?.includes(header.depth) || body[10] !== 0 || body[11] !== 0 ||
        body[12] > 1
      ) {
        fail(
          name,
          `unsupported format (colour type ${header.colorType}, bit depth ${header.depth})`,
        );
      }
      if (header.width * header.height > maxPixels) {
        throw new TexSynthError(
          `${name} declares ${header.width}×${header.height} pixels, more than the ${maxPixels} this tool reads: use a smaller exemplar`,
        );
      }
    } else if (!header) {
      fail(name, "the first chunk is not IHDR");
    } else if (type === "PLTE") {
      if (length % 3 !== 0 || length === 0 || length > 768) fail(name, "bad palette");
      palette = body;
    } else if (type === "IDAT") {
      idat.push(body);
      idatBytes += body.length;
    } else if (type === "IEND") {
      ended = true;
    }
    at = end + 4;
  }
  if (!header) fail(name, "no IHDR chunk");
  if (idatBytes === 0) fail(name, "no image data");
  if (header.colorType === 3 && !palette) fail(name, "a palette image without a palette");
  const plan = passes(header);
  const expected = plan.reduce((s, p) => s + p.h * (rowBytes(header, p.w) + 1), 0);
  const compressed = new Uint8Array(idatBytes);
  let o = 0;
  for (const part of idat) {
    compressed.set(part, o);
    o += part.length;
  }
  const raw = await inflate(compressed, expected, name);
  const stored = CHANNELS[header.colorType];
  const channels = (header.colorType === 3 ? 3 : stored) as PngSamples["channels"];
  const depth = header.depth === 16 ? 16 : 8;
  const bpp = Math.max(1, (stored * header.depth) >> 3);
  const samples = depth === 16
    ? new Uint16Array(header.width * header.height * channels)
    : new Uint8Array(header.width * header.height * channels);
  const levels = (1 << Math.min(header.depth, 8)) - 1;
  let offset = 0;
  for (const p of plan) {
    const stride = rowBytes(header, p.w);
    unfilter(raw, offset, p.h, stride, bpp, name);
    for (let y = 0; y < p.h; y++) {
      const row = offset + y * (stride + 1) + 1;
      for (let x = 0; x < p.w; x++) {
        const out = ((p.y0 + y * p.dy) * header.width + p.x0 + x * p.dx) * channels;
        if (header.depth === 16) {
          for (let c = 0; c < channels; c++) {
            const at = row + (x * channels + c) * 2;
            samples[out + c] = (raw[at] << 8) | raw[at + 1];
          }
        } else if (header.depth === 8 && header.colorType !== 3) {
          for (let c = 0; c < channels; c++) samples[out + c] = raw[row + x * channels + c];
        } else {
          const bit = x * header.depth;
          const v = header.depth === 8
            ? raw[row + x]
            : (raw[row + (bit >> 3)] >> (8 - header.depth - (bit & 7))) & levels;
          if (header.colorType === 3) {
            if (v * 3 + 2 >= palette!.length) fail(name, `palette index ${v} out of range`);
            samples.set(palette!.subarray(v * 3, v * 3 + 3), out);
          } else {
            samples[out] = Math.round((v * 255) / levels);
          }
        }
      }
    }
    offset += p.h * (stride + 1);
  }
  return { width: header.width, height: header.height, channels, depth, samples };
}

/**
 * Decodes a PNG to 8-bit RGB: gray is replicated, palettes looked up, alpha
 * dropped, 16-bit samples keep their high byte (as PIL does), 1/2/4-bit gray
 * is scaled to 0–255. `maxPixels` is checked before any pixel memory is taken.
 */
export async function decodePng(
  bytes: Uint8Array,
  name: string,
  maxPixels: number,
): Promise<RgbBytes> {
  const { width, height, channels, depth, samples } = await decodePngSamples(
    bytes,
    name,
    maxPixels,
  );
  const rgb = new Uint8Array(width * height * 3);
  const shift = depth === 16 ? 8 : 0;
  const colour = channels >= 3;
  for (let i = 0; i < width * height; i++) {
    const at = i * channels;
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = samples[at + (colour ? c : 0)] >> shift;
  }
  return { width, height, rgb };
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 12);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

/** PNG colour types by channel count: gray, gray + alpha, RGB, RGBA. */
const COLOR_TYPES: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/**
 * Encodes samples as a PNG of their channels and depth (16-bit samples
 * big-endian, as PNG stores them), with optional tEXt chunks (Latin-1
 * keywords of 1 to 79 characters). Each row takes the filter with the
 * smallest sum of absolute residuals (the usual heuristic); the same
 * samples always give the same bytes.
 */
export async function encodePngSamples(
  image: PngSamples,
  text: Record<string, string> = {},
): Promise<Uint8Array> {
  const { width, height, channels, depth, samples } = image;
  if (COLOR_TYPES[channels] === undefined || (depth !== 8 && depth !== 16)) {
    throw new RangeError(`encodePngSamples: ${channels} channels at ${depth} bits`);
  }
  if (samples.length !== width * height * channels) {
    throw new RangeError(
      `encodePngSamples: ${samples.length} samples for ${width}×${height}×${channels}`,
    );
  }
  const bpp = (channels * depth) / 8;
  const stride = width * bpp;
  const bytes = new Uint8Array(height * stride);
  if (depth === 16) {
    for (let i = 0; i < samples.length; i++) {
      bytes[2 * i] = samples[i] >> 8;
      bytes[2 * i + 1] = samples[i] & 0xff;
    }
  } else {
    bytes.set(samples);
  }
  const filtered = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  const best = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    let bestScore = Infinity;
    let bestType = 0;
    for (let type = 0; type < 5; type++) {
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? bytes[row + i - bpp] : 0;
        const b = y > 0 ? bytes[row - stride + i] : 0;
        const c = y > 0 && i >= bpp ? bytes[row - stride + i - bpp] : 0;
        let pred = 0;
        if (type === 1) pred = a;
        else if (type === 2) pred = b;
        else if (type === 3) pred = (a + b) >> 1;
        else if (type === 4) {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
        const v = (bytes[row + i] - pred) & 0xff;
        candidate[i] = v;
        score += v < 128 ? v : 256 - v;
      }
      if (score < bestScore) {
        bestScore = score;
        bestType = type;
        best.set(candidate);
      }
    }
    filtered[y * (stride + 1)] = bestType;
    filtered.set(best, y * (stride + 1) + 1);
  }
  const compressed = new Uint8Array(
    await new Response(
      new Blob([filtered]).stream().pipeThrough(new CompressionStream("deflate")),
    ).arrayBuffer(),
  );
  const ihdr = new Uint8Array(13);
  const h = new DataView(ihdr.buffer);
  h.setUint32(0, width);
  h.setUint32(4, height);
  ihdr[8] = depth;
  ihdr[9] = COLOR_TYPES[channels];
  const texts = Object.entries(text).map(([keyword, value]) => {
    const latin1 = [...value].every((ch) => ch.charCodeAt(0) >= 1 && ch.charCodeAt(0) <= 255);
    if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || !latin1) {
      throw new RangeError(`encodePngSamples: tEXt keyword or text not Latin-1: ${keyword}`);
    }
    return chunk("tEXt", Uint8Array.from(`${keyword}\0${value}`, (ch) => ch.charCodeAt(0)));
  });
  const parts = [
    new Uint8Array(SIGNATURE),
    chunk("IHDR", ihdr),
    ...texts,
    chunk("IDAT", compressed),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The tEXt chunks of a PNG, keyword to text (Latin-1); a damaged file gives what precedes the damage. */
export function pngText(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 12 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length || type === "IEND" || type === "IDAT") break;
    if (type === "tEXt") {
      const body = bytes.subarray(at + 8, at + 8 + length);
      const zero = body.indexOf(0);
      if (zero > 0) {
        const latin1 = (b: Uint8Array) => Array.from(b, (v) => String.fromCharCode(v)).join("");
        out[latin1(body.subarray(0, zero))] = latin1(body.subarray(zero + 1));
      }
    }
    at += 12 + length;
  }
  return out;
}

/** Encodes 8-bit RGB as a PNG (see {@link encodePngSamples}); the same pixels always give the same bytes. */
export async function encodePngBytes(image: RgbBytes): Promise<Uint8Array> {
  return await encodePngSamples({
    width: image.width,
    height: image.height,
    channels: 3,
    depth: 8,
    samples: image.rgb,
  });
}
