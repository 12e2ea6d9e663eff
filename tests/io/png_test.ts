// Our PNG codec: interlaced and stored-block files decode exactly, and the
// encoder round-trips every 8-bit image.
import { assertEquals } from "@std/assert";
import { decodePng, encodePngBytes } from "../../src/io/png.ts";
import { ColorType, writePng } from "../fixtures/png_writer.ts";
import { rng } from "../_helpers.ts";

function randomBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

Deno.test("Adam7-interlaced PNGs decode to the same pixels as plain ones", async () => {
  for (const [width, height] of [[1, 1], [3, 2], [9, 5], [17, 13]]) {
    for (
      const [colorType, bitDepth] of [[ColorType.rgb, 8], [ColorType.gray, 4], [ColorType.rgba, 16]]
    ) {
      const channels = { 0: 1, 2: 3, 6: 4 }[colorType]!;
      const samples = randomBytes(width * height * channels, width * 31 + colorType)
        .map((v) => (bitDepth === 4 ? v & 15 : v));
      const spec = {
        width,
        height,
        colorType,
        bitDepth,
        samples: bitDepth === 16 ? [...samples].map((v) => v * 257) : samples,
      };
      const plain = await decodePng(await writePng(spec), "plain", 1e6);
      const adam7 = await decodePng(await writePng({ ...spec, interlace: true }), "adam7", 1e6);
      assertEquals(adam7.rgb, plain.rgb, `${width}×${height} type ${colorType} depth ${bitDepth}`);
    }
  }
});

Deno.test("incompressible images (stored deflate blocks) round-trip exactly", async () => {
  for (const [width, height] of [[31, 31], [32, 32], [1, 1], [300, 7]]) {
    const rgb = randomBytes(width * height * 3, width + height);
    const back = await decodePng(await encodePngBytes({ width, height, rgb }), "noise", 1e6);
    assertEquals([back.width, back.height], [width, height]);
    assertEquals(back.rgb, rgb);
  }
});
