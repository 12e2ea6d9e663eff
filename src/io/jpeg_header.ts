// What a JPEG's marker segments say before any pixel is decoded: the frame
// header (SOFn: coding process, sample precision, size, components) and the
// EXIF orientation. Web APIs only. The decoder (imagescript) reads baseline
// and progressive Huffman-coded 8-bit frames with 1, 3 or 4 components
// (CMYK and YCCK included); every other kind is named here, before the bytes
// reach it, instead of failing inside it with a generic error.
import type { TexSynthError } from "../errors.ts";

/** A JPEG's frame header and orientation. */
export interface JpegHeader {
  /** The SOFn marker (0xC0–0xCF, less DHT 0xC4, JPG 0xC8 and DAC 0xCC). */
  sof: number;
  /** Bits per sample: 8, or 12 (extended), or 2–16 (lossless). */
  precision: number;
  /** Width of the stored image in pixels. */
  width: number;
  /** Height of the stored image in pixels. */
  height: number;
  /** Colour components: 1 (gray), 3 (YCbCr or RGB), 4 (CMYK or YCCK). */
  components: number;
  /** EXIF orientation, 1–8 (1 when there is no readable tag): how to turn the stored image upright. */
  orientation: number;
}

/** Coding processes by SOF marker, as the JPEG standard (ITU T.81, Table B.1) names them. */
const PROCESSES: Readonly<Record<number, string>> = {
  0xc0: "baseline",
  0xc1: "extended sequential",
  0xc2: "progressive",
  0xc3: "lossless",
  0xc5: "hierarchical (differential sequential)",
  0xc6: "hierarchical (differential progressive)",
  0xc7: "hierarchical (differential lossless)",
  0xc9: "arithmetic-coded (extended sequential)",
  0xca: "arithmetic-coded progressive",
  0xcb: "arithmetic-coded lossless",
  0xcd: "arithmetic-coded hierarchical (differential sequential)",
  0xce: "arithmetic-coded hierarchical (differential progressive)",
  0xcf: "arithmetic-coded hierarchical (differential lossless)",
};

/**
 * Walks the marker segments up to the first frame header (SOFn) and reads it,
 * with the orientation from an EXIF APP1 segment before it. Damaged markers
 * are reported through `bad`; an unreadable EXIF block only loses the
 * orientation (the image stays as stored).
 */
export function readJpegHeader(bytes: Uint8Array, bad: (why: string) => TexSynthError): JpegHeader {
  const truncated = "the file is truncated or corrupt: it ends before its frame header";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let orientation = 1;
  let p = 2;
  for (;;) {
    if (p >= bytes.length) throw bad(truncated);
    if (bytes[p] !== 0xff) throw bad(`no marker at byte ${p}: the file is corrupt`);
    while (p < bytes.length && bytes[p] === 0xff) p++;
    if (p >= bytes.length) throw bad(truncated);
    const marker = bytes[p++];
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;
    if (marker === 0xd9 || marker === 0xda) {
      throw bad("image data comes before any frame header: the file is corrupt");
    }
    if (p + 2 > bytes.length) throw bad(truncated);
    const length = view.getUint16(p);
    if (length < 2) throw bad(`a segment of length ${length}: the file is corrupt`);
    if (Object.hasOwn(PROCESSES, marker)) {
      if (p + 8 > bytes.length) throw bad(truncated);
      return {
        sof: marker,
        precision: bytes[p + 2],
        height: view.getUint16(p + 3),
        width: view.getUint16(p + 5),
        components: bytes[p + 7],
        orientation,
      };
    }
    if (marker === 0xe1 && orientation === 1) {
      orientation = _exifOrientation(bytes.subarray(p + 2, Math.min(bytes.length, p + length)));
    }
    p += length;
  }
}

/**
 * Why the decoder cannot read a JPEG with this header, as words for an error
 * ("a lossless JPEG (SOF3)"), or null when it can.
 */
export function unsupportedJpeg(h: JpegHeader): string | null {
  const sof = `SOF${h.sof - 0xc0}`;
  if (h.sof !== 0xc0 && h.sof !== 0xc1 && h.sof !== 0xc2) {
    return `${_article(PROCESSES[h.sof])} ${PROCESSES[h.sof]} JPEG (${sof})`;
  }
  if (h.precision !== 8) return `a ${h.precision}-bit JPEG (${sof}, ${PROCESSES[h.sof]})`;
  if (h.components !== 1 && h.components !== 3 && h.components !== 4) {
    return `a JPEG with ${h.components} colour components`;
  }
  return null;
}

function _article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

/**
 * The Orientation tag (0x0112) of IFD0 in an APP1 segment's payload
 * ("Exif\0\0" + a TIFF structure, either byte order); 1 when the segment is
 * not EXIF, the tag is missing or out of range, or the structure is cut short.
 */
function _exifOrientation(app1: Uint8Array): number {
  const tiff = 6;
  if (app1.length < tiff + 8) return 1;
  if (String.fromCharCode(...app1.subarray(0, 6)) !== "Exif\0\0") return 1;
  const view = new DataView(app1.buffer, app1.byteOffset + tiff, app1.length - tiff);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return 1;
  const little = order === 0x4949;
  if (view.getUint16(2, little) !== 42) return 1;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > view.byteLength) return 1;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + 12 * i;
    if (entry + 12 > view.byteLength) return 1;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    // One SHORT as the standard has it (some writers use a LONG), stored in the entry itself.
    const type = view.getUint16(entry + 2, little);
    if (type !== 3 && type !== 4) return 1;
    const value = type === 3
      ? view.getUint16(entry + 8, little)
      : view.getUint32(entry + 8, little);
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}
