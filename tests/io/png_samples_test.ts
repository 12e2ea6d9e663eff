// PNG samples at their own depth: 16-bit gray, gray + alpha, RGB and RGBA
// decode exactly from files an independent writer made, and the encoder
// round-trips every channel count and depth, with tEXt chunks.
import { assertEquals } from "@std/assert";
import {
  decodePng,
  decodePngSamples,
  encodePngSamples,
  type PngSamples,
  pngText,
} from "../../src/io/png.ts";
import { ColorType, writePng } from "../fixtures/png_writer.ts";
import { rng } from "../_helpers.ts";

function randomSamples(n: number, seed: number, max: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * (max + 1)));
}

Deno.test("decodePngSamples keeps 8- and 16-bit samples exactly, for every channel count, interlaced or not", async () => {
  const types = [
    [ColorType.gray, 1],
    [ColorType.grayAlpha, 2],
    [ColorType.rgb, 3],
    [ColorType.rgba, 4],
  ] as const;
  for (const [colorType, channels] of types) {
    for (const bitDepth of [8, 16]) {
      for (const interlace of [false, true]) {
        const [width, height] = [13, 7];
        const samples = randomSamples(
          width * height * channels,
          colorType + bitDepth,
          2 ** bitDepth - 1,
        );
        const png = await writePng({ width, height, colorType, bitDepth, samples, interlace });
        const got = await decodePngSamples(png, "fixture", 1e6);
        assertEquals([got.width, got.height, got.channels, got.depth], [
          width,
          height,
          channels,
          bitDepth,
        ]);
        assertEquals(
          [...got.samples],
          samples,
          `type ${colorType} depth ${bitDepth} interlace ${interlace}`,
        );
      }
    }
  }
});

Deno.test("decodePngSamples: palettes become 8-bit RGB, 1/2/4-bit gray is scaled to 8 bits", async () => {
  const palette = [10, 20, 30, 200, 100, 0, 1, 2, 3];
  const png = await writePng({
    width: 3,
    height: 1,
    colorType: ColorType.palette,
    bitDepth: 2,
    samples: [2, 0, 1],
    palette,
  });
  const p = await decodePngSamples(png, "palette", 1e6);
  assertEquals([p.channels, p.depth, [...p.samples]], [3, 8, [1, 2, 3, 10, 20, 30, 200, 100, 0]]);
  const gray = await writePng({
    width: 4,
    height: 1,
    colorType: ColorType.gray,
    bitDepth: 2,
    samples: [0, 1, 2, 3],
  });
  const g = await decodePngSamples(gray, "gray", 1e6);
  assertEquals([g.channels, g.depth, [...g.samples]], [1, 8, [0, 85, 170, 255]]);
});

Deno.test("encodePngSamples round-trips 1–4 channels at 8 and 16 bits; decodePng keeps the high byte of 16-bit", async () => {
  for (const channels of [1, 2, 3, 4] as const) {
    for (const depth of [8, 16] as const) {
      const [width, height] = [17, 9];
      const values = randomSamples(width * height * channels, channels * depth, 2 ** depth - 1);
      const image: PngSamples = {
        width,
        height,
        channels,
        depth,
        samples: depth === 16 ? Uint16Array.from(values) : Uint8Array.from(values),
      };
      const png = await encodePngSamples(image);
      const back = await decodePngSamples(png, "round trip", 1e6);
      assertEquals(back, image, `${channels} channels, ${depth} bits`);
      const rgb = await decodePng(png, "rgb", 1e6);
      const shift = depth === 16 ? 8 : 0;
      for (let i = 0; i < width * height; i++) {
        const c = channels >= 3 ? 1 : 0;
        assertEquals(rgb.rgb[3 * i + 1], values[i * channels + c] >> shift);
      }
    }
  }
});

Deno.test("tEXt chunks round-trip; bad keywords are refused", async () => {
  const image: PngSamples = {
    width: 2,
    height: 1,
    channels: 1,
    depth: 16,
    samples: Uint16Array.of(0, 65535),
  };
  const png = await encodePngSamples(image, { "tex-synth:source": "256x128", Comment: "é" });
  assertEquals(pngText(png), { "tex-synth:source": "256x128", Comment: "é" });
  assertEquals((await decodePngSamples(png, "text", 1e6)).samples, image.samples);
  let refused = 0;
  const bad: Record<string, string>[] = [{ "": "x" }, { ["k".repeat(80)]: "x" }, { key: "∑" }];
  for (const text of bad) {
    try {
      await encodePngSamples(image, text);
    } catch (e) {
      if (e instanceof RangeError) refused++;
    }
  }
  assertEquals(refused, 3);
});
