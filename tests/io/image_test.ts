import { assert, assertEquals, assertRejects } from "@std/assert";
import { decodeImage, encodePng, type PlanarImage } from "../../src/io/image.ts";
import { TexSynthError } from "../../src/errors.ts";
import { JPEG_FIXTURE, PNG_FIXTURES } from "../fixtures/make_fixtures.ts";
import { ColorType, type PngSpec, writePng } from "../fixtures/png_writer.ts";
import { rng } from "../_helpers.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);

/** The 8-bit RGB a PNG spec stands for: low depths scale to 255, 16-bit keeps its high byte (as PIL does). */
function expectedRgb(spec: PngSpec): Float32Array {
  const n = spec.width * spec.height;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[spec.colorType]!;
  const to8 = (v: number) =>
    spec.bitDepth === 16 ? v >>> 8 : spec.bitDepth === 8 ? v : (v * 255) / (2 ** spec.bitDepth - 1);
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      let v: number;
      if (spec.colorType === ColorType.palette) v = spec.palette![3 * spec.samples[i] + c];
      else if (channels <= 2) v = to8(spec.samples[i * channels]);
      else v = to8(spec.samples[i * channels + c]);
      out[c * n + i] = v / 255;
    }
  }
  return out;
}

for (const { file, spec } of PNG_FIXTURES) {
  Deno.test(`decodeImage: ${file} decodes to its known RGB values exactly`, async () => {
    const image = await decodeImage(await Deno.readFile(new URL(file, FIXTURES)), file);
    assertEquals([image.width, image.height], [spec.width, spec.height]);
    assertEquals(image.data, expectedRgb(spec));
  });
}

// JPEG at quality 95 of a smooth gradient: every sample within 6 levels of the source.
Deno.test("decodeImage: the JPEG fixture decodes to its gradient (atol 6/255)", async () => {
  const { file, width, height, value } = JPEG_FIXTURE;
  const image = await decodeImage(await Deno.readFile(new URL(file, FIXTURES)), file);
  assertEquals([image.width, image.height], [width, height]);
  let worst = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const got = image.data[(c * height + y) * width + x] * 255;
        worst = Math.max(worst, Math.abs(got - value(c, x, y)));
      }
    }
  }
  assert(worst <= 6, `JPEG off by ${worst} levels`);
});

function random8Bit(width: number, height: number, seed: number): PlanarImage {
  const r = rng(seed);
  const data = Float32Array.from({ length: 3 * width * height }, () => Math.floor(r() * 256) / 255);
  return { width, height, data };
}

Deno.test("encodePng → decodeImage round trip is exact at 8 bits, as an 8-bit RGB PNG", async () => {
  for (const [w, h] of [[1, 1], [13, 7], [64, 33]]) {
    const image = random8Bit(w, h, w * h);
    const png = await encodePng(image);
    assertEquals([png[24], png[25]], [8, ColorType.rgb], "IHDR bit depth and colour type");
    const back = await decodeImage(png, "round trip");
    assertEquals([back.width, back.height], [w, h]);
    assertEquals(back.data, image.data);
  }
});

Deno.test("encodePng clamps and rounds like PIL's (x.clamp(0,1)*255+0.5).astype(uint8)", async () => {
  const values = [0, 1, 0.5, 0.25, 0.1, 0.3 / 255, 0.5 / 255, 2.5 / 255, -1, 2, NaN, Infinity];
  const want = [0, 255, 128, 64, 26, 0, 1, 3, 0, 255, 0, 255];
  const data = new Float32Array(3 * values.length);
  data.set(values, 0);
  data.set(values, values.length);
  data.set(values, 2 * values.length);
  const back = await decodeImage(await encodePng({ width: values.length, height: 1, data }));
  assertEquals(Array.from(back.data.subarray(0, values.length), (v) => Math.round(v * 255)), want);
});

Deno.test("encodePng output depends on the pixels only", async () => {
  const image = random8Bit(10, 10, 4);
  assertEquals(await encodePng(image), await encodePng(image));
});

Deno.test("decodeImage reads a view into a larger buffer", async () => {
  const png = await Deno.readFile(new URL("rgb8.png", FIXTURES));
  const padded = new Uint8Array(png.length + 20);
  padded.set(png, 7);
  const image = await decodeImage(padded.subarray(7, 7 + png.length), "view");
  assertEquals(image.data, expectedRgb(PNG_FIXTURES.find((f) => f.file === "rgb8.png")!.spec));
});

async function assertOneLineError(
  bytes: Uint8Array,
  name: string,
  includes: string,
): Promise<void> {
  const e = await assertRejects(() => decodeImage(bytes, name), TexSynthError);
  assert(!e.message.includes("\n"), `multi-line message: ${e.message}`);
  assert(e.message.includes(name), `message does not name the file: ${e.message}`);
  assert(e.message.includes(includes), `message lacks "${includes}": ${e.message}`);
}

Deno.test("decodeImage rejects empty, truncated, text and unsupported data with one-line TexSynthErrors", async () => {
  const png = await writePng({
    width: 32,
    height: 32,
    colorType: ColorType.rgb,
    bitDepth: 8,
    samples: Array.from({ length: 3 * 32 * 32 }, (_, i) => (i * 7919) % 251),
  });
  await assertOneLineError(new Uint8Array(0), "empty.png", "empty");
  await assertOneLineError(png.subarray(0, Math.floor(png.length / 2)), "half.png", "corrupt");
  await assertOneLineError(png.subarray(0, 20), "header.png", "corrupt");
  await assertOneLineError(new TextEncoder().encode("just some notes\n"), "notes.txt", "text");
  const webp = new TextEncoder().encode("RIFF\x10\x00\x00\x00WEBPVP8 ");
  await assertOneLineError(webp, "photo.webp", "WebP");
  await assertOneLineError(Uint8Array.of(0, 1, 2, 3, 200, 201), "blob.bin", "PNG or JPEG");
});
