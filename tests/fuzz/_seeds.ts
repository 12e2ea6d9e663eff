// Valid inputs for the fuzzer, one list per kind, each with the length fields
// and structural ranges of its format located, so mutations hit them often.
import { Frame, GIF } from "imagescript";
import { unpickleTorch } from "../../src/weights/pickle.ts";
import { encodeSafetensors } from "../../src/weights/safetensors.ts";
import type { TensorData } from "../../src/weights/tensor.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import { fixture } from "../weights/_fixtures.ts";
import {
  f32Storage,
  legacyPth,
  rowMajorStride,
  type TensorSpec,
  zipPth,
} from "../weights/_torch_writer.ts";
import type { Kind } from "./_kinds.ts";
import type { Field, Seed } from "./_mutate.ts";

/** conv1_1 at its real shapes, so unmutated weight seeds load as valid VGG19 prefixes. */
function _conv11(): Map<string, TensorData> {
  const [l] = randomVggWeights(3, 0).layers;
  return new Map([
    ["features.0.weight", { shape: [64, 3, 3, 3], data: l.weight }],
    ["features.0.bias", { shape: [64], data: Float32Array.from({ length: 64 }, (_, i) => i / 99) }],
  ]);
}

function _specs(tensors: Map<string, TensorData>): TensorSpec[] {
  return [...tensors].map(([name, t], i) => ({
    name,
    storage: f32Storage(String(i), t.data),
    shape: t.shape,
    stride: rowMajorStride(t.shape),
    offset: 0,
  }));
}

function _shared(name: string): Uint8Array | null {
  try {
    return Deno.readFileSync(fixture(name));
  } catch {
    return null;
  }
}

function _safetensorsSeed(name: string, bytes: Uint8Array): Seed {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { name, bytes, fields: [{ at: 0, bytes: 8, le: true }], hot: [[0, 8 + length]] };
}

/** Zip records' size, length and offset fields; hot: local headers, data.pkl, the directory. */
function _zipSeed(name: string, bytes: Uint8Array): Seed {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Field[] = [];
  const hot: [number, number][] = [];
  const add = (base: number, spec: [number, 2 | 4][]): void => {
    for (const [off, width] of spec) fields.push({ at: base + off, bytes: width, le: true });
  };
  for (let p = 0; p + 4 <= bytes.length; p++) {
    const sig = v.getUint32(p, true);
    if (sig === 0x04034b50 && p + 30 <= bytes.length) {
      add(p, [[8, 2], [18, 4], [22, 4], [26, 2], [28, 2]]);
      const nameLength = v.getUint16(p + 26, true);
      const member = new TextDecoder().decode(bytes.subarray(p + 30, p + 30 + nameLength));
      const end = p + 30 + nameLength + v.getUint16(p + 28, true);
      hot.push([p, member.endsWith("data.pkl") ? end + v.getUint32(p + 18, true) : end]);
    } else if (sig === 0x02014b50 && p + 46 <= bytes.length) {
      add(p, [[10, 2], [20, 4], [24, 4], [28, 2], [30, 2], [32, 2], [42, 4]]);
      hot.push([p, p + 46 + v.getUint16(p + 28, true)]);
    } else if (sig === 0x06054b50 && p + 22 <= bytes.length) {
      add(p, [[8, 2], [10, 2], [12, 4], [16, 4], [20, 2]]);
      hot.push([p, bytes.length]);
    }
  }
  return { name, bytes, fields, hot };
}

/** The five pickles are hot; each storage's 8-byte element count is a field. */
function _legacySeed(name: string, bytes: Uint8Array): Seed {
  let at = 0;
  for (let i = 0; i < 5; i++) at = unpickleTorch(bytes, at, name).end;
  const hot: [number, number][] = [[0, at]];
  const fields: Field[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (at + 8 <= bytes.length) {
    fields.push({ at, bytes: 8, le: true });
    hot.push([at, at + 8]);
    // The seeds hold F32 storages only.
    at += 8 + Number(v.getBigUint64(at, true)) * 4;
  }
  return { name, bytes, fields, hot };
}

/** PNG chunk lengths and the IHDR size; everything but IDAT payloads is hot. */
function _pngSeed(name: string, bytes: Uint8Array): Seed {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Field[] = [{ at: 16, bytes: 4, le: false }, { at: 20, bytes: 4, le: false }];
  const hot: [number, number][] = [[0, 8]];
  for (let p = 8; p + 12 <= bytes.length;) {
    const length = v.getUint32(p);
    const type = new TextDecoder().decode(bytes.subarray(p + 4, p + 8));
    fields.push({ at: p, bytes: 4, le: false });
    hot.push(type === "IDAT" ? [p, p + 8] : [p, p + 12 + length]);
    p += 12 + length;
  }
  return { name, bytes, fields, hot };
}

/** JPEG segment lengths and the frame size; the marker segments before the scan are hot. */
function _jpegSeed(name: string, bytes: Uint8Array): Seed {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Field[] = [];
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1];
    fields.push({ at: p + 2, bytes: 2, le: false });
    if (marker >= 0xc0 && marker <= 0xc2) {
      fields.push({ at: p + 5, bytes: 2, le: false }, { at: p + 7, bytes: 2, le: false });
    }
    p += 2 + v.getUint16(p + 2);
    if (marker === 0xda) break;
  }
  return { name, bytes, fields, hot: [[0, p], [bytes.length - 16, bytes.length]] };
}

function _gifSeed(name: string, bytes: Uint8Array): Seed {
  const fields: Field[] = [6, 8].map((at) => ({ at, bytes: 2, le: true }));
  return { name, bytes, fields, hot: [[0, Math.min(bytes.length, 64)]] };
}

/** Every seed of every kind; the shared torch fixtures join when ../shared is present. */
export async function makeSeeds(): Promise<Record<Kind, Seed[]>> {
  const conv = _conv11();
  const mixed = new Map<string, TensorData>([
    ...conv,
    ["classifier.6.bias", { shape: [3], data: new Float32Array([1, -2, 0.5]) }],
    ["empty", { shape: [0, 2], data: new Float32Array(0) }],
  ]);
  const specs = _specs(conv);
  const images = new URL("../fixtures/", import.meta.url);
  const png: Seed[] = [];
  for await (const entry of Deno.readDir(images)) {
    if (entry.isFile && entry.name.endsWith(".png")) {
      png.push(_pngSeed(entry.name, await Deno.readFile(new URL(entry.name, images))));
    }
  }
  png.sort((a, b) => (a.name < b.name ? -1 : 1));
  const frame = new Frame(6, 4, 100);
  for (let i = 0; i < 24; i++) frame.bitmap.set([i * 10, 200 - i * 5, i * 3, 255], 4 * i);
  const withShared = (seeds: Seed[], files: string[], make: (n: string, b: Uint8Array) => Seed) => {
    for (const f of files) {
      const bytes = _shared(f);
      if (bytes) seeds.push(make(f, bytes));
    }
    return seeds;
  };
  return {
    "safetensors": withShared(
      [
        _safetensorsSeed("conv1_1.safetensors", encodeSafetensors(conv)),
        _safetensorsSeed("mixed.safetensors", encodeSafetensors(mixed, { format: "pt" })),
      ],
      ["tiny.safetensors"],
      _safetensorsSeed,
    ),
    "pth-zip": withShared(
      [_zipSeed("conv1_1-zip.pth", zipPth(specs))],
      ["tiny-zip.pth"],
      _zipSeed,
    ),
    "pth-legacy": withShared(
      [
        _legacySeed("conv1_1-py2.pth", legacyPth(specs, { py2: true })),
        _legacySeed("conv1_1-py3.pth", legacyPth(specs)),
      ],
      ["tiny-legacy.pth", "tiny-legacy-py2.pth"],
      _legacySeed,
    ),
    "png": png,
    "jpeg": [_jpegSeed("gradient.jpg", await Deno.readFile(new URL("gradient.jpg", images)))],
    "gif": [_gifSeed("frame.gif", await new GIF([frame]).encode())],
  };
}
