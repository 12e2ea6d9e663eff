// Hostile and degenerate image inputs: each is refused with a one-line
// TexSynthError before any decoding, and sizes are checked from the header.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { Frame, GIF } from "imagescript";
import { TexSynthError } from "../../src/errors.ts";
import { decodeImage, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, probeImage } from "../../src/io/image.ts";
import { readImageFile } from "../../src/io/image_file.ts";
import {
  BAD_FIXTURES,
  badFixturePath,
  basePng,
  withJpegSize,
  withPngSize,
} from "../fixtures/make_bad_fixtures.ts";

const JPEG = await Deno.readFile(new URL("../fixtures/gradient.jpg", import.meta.url));

function assertOneLine(e: Error, ...phrases: string[]): void {
  assert(!e.message.includes("\n"), `multi-line message: ${e.message}`);
  for (const p of phrases) assert(e.message.includes(p), `message lacks "${p}": ${e.message}`);
}

for (const f of BAD_FIXTURES.filter((f) => /\.(png|jpg)$/.test(f.file))) {
  Deno.test(`readImageFile refuses ${f.file} (${f.what}) with a one-line error`, async () => {
    const path = badFixturePath(f.file);
    const e = await assertRejects(() => readImageFile(path), TexSynthError);
    assertOneLine(e, path, f.says);
  });
}

Deno.test("the bad fixtures on disk are what their generator makes", async () => {
  // JPEG-derived files are cut or patched copies of gradient.jpg; PNGs come from the
  // deterministic writer; both are byte-exact unless the fixtures were edited by hand.
  for (const f of BAD_FIXTURES) {
    assertEquals(await Deno.readFile(badFixturePath(f.file)), await f.make(), f.file);
  }
});

/** Runs `fn` and returns how much the resident set grew (bytes), to show nothing large was allocated. */
async function rssGrowth(fn: () => Promise<unknown>): Promise<number> {
  const before = Deno.memoryUsage().rss;
  await fn();
  return Deno.memoryUsage().rss - before;
}

Deno.test("a 100000×100000 PNG header is refused from the header: no decode, no allocation", async () => {
  const png = withPngSize(await basePng(1, 1), 100_000, 100_000);
  const e = assertThrows(() => probeImage(png, "huge.png"), TexSynthError);
  assertOneLine(e, "huge.png", "100000×100000", "downscale");
  const t0 = performance.now();
  const grew = await rssGrowth(() => assertRejects(() => decodeImage(png, "huge.png")));
  // A decode at that size would need 40 GB; refusing it costs nothing measurable.
  assert(grew < 64 * 2 ** 20, `resident memory grew ${grew} bytes`);
  assert(performance.now() - t0 < 5000, "refusal took too long");
});

Deno.test("the size limits are exact: MAX_IMAGE_SIDE and MAX_IMAGE_PIXELS pass, one more fails", async () => {
  // Padded past 4 KiB so the header's claim fits the pixels-per-byte bound tested below.
  const png = new Uint8Array([...await basePng(1, 1), ...new Uint8Array(4096)]);
  const ok = (w: number, h: number): void => {
    assertEquals(probeImage(withPngSize(png, w, h)), { format: "PNG", width: w, height: h });
  };
  const refused = (w: number, h: number): void => {
    assertThrows(() => probeImage(withPngSize(png, w, h), "x.png"), TexSynthError, "downscale");
  };
  ok(MAX_IMAGE_SIDE, 1);
  ok(1, MAX_IMAGE_SIDE);
  ok(8192, MAX_IMAGE_PIXELS / 8192);
  refused(MAX_IMAGE_SIDE + 1, 1);
  refused(1, MAX_IMAGE_SIDE + 1);
  refused(8192, MAX_IMAGE_PIXELS / 8192 + 1);
  refused(2 ** 32 - 1, 2 ** 32 - 1);
  assertThrows(() => probeImage(withPngSize(png, 0, 5), "z.png"), TexSynthError, "no pixels");
  assertThrows(() => probeImage(withPngSize(png, 5, 0), "z.png"), TexSynthError, "no pixels");
});

Deno.test("a header claiming more pixels than its file's bytes can encode is refused", async () => {
  // 4 M pixels is within the limits, but no PNG of ~70 bytes holds them (deflate's
  // ~1032:1 at 8 pixels a byte allows ~0.6 M); the same holds for GIF and JPEG.
  const small = withPngSize(await basePng(1, 1), 2000, 2000);
  const e = assertThrows(() => probeImage(small, "bomb.png"), TexSynthError);
  assertOneLine(e, "bomb.png", "2000×2000", "in only 75 bytes", "truncated or corrupt");
  const jpeg = withJpegSize(JPEG, 4000, 4000);
  assertThrows(() => probeImage(jpeg, "j.jpg"), TexSynthError, "more than the format can hold");
  assertEquals(probeImage(withJpegSize(JPEG, 2000, 4000)).width, 2000);
});

Deno.test("JPEG frame headers: size read from SOF0 and SOF2, 0 height and oversize refused", async () => {
  assertEquals(probeImage(JPEG), { format: "JPEG", width: 16, height: 16 });
  assertEquals(probeImage(withJpegSize(JPEG, 300, 7)), { format: "JPEG", width: 300, height: 7 });
  const progressive = withJpegSize(JPEG, 40, 30);
  const sof = progressive.findIndex((b, i) => b === 0xff && progressive[i + 1] === 0xc0);
  progressive[sof + 1] = 0xc2;
  assertEquals(probeImage(progressive), { format: "JPEG", width: 40, height: 30 });
  assertThrows(() => probeImage(withJpegSize(JPEG, 16, 0), "dnl.jpg"), TexSynthError, "no pixels");
  const e = await assertRejects(
    () => decodeImage(withJpegSize(JPEG, 20000, 20000), "big.jpg"),
    TexSynthError,
  );
  assertOneLine(e, "big.jpg", "20000×20000");
  // Scan data before any frame header, and a zero-length segment, are corrupt files.
  const scanFirst = Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9);
  assertThrows(() => probeImage(scanFirst, "s.jpg"), TexSynthError, "before any frame header");
  const zeroSegment = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xd9);
  assertThrows(() => probeImage(zeroSegment, "z.jpg"), TexSynthError, "segment of length 0");
  const noMarker = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 4, 1, 2, 0x12, 0x34);
  assertThrows(() => probeImage(noMarker, "m.jpg"), TexSynthError, "no marker at byte 8");
});

Deno.test("PNG headers: damaged signature, missing IHDR, impossible depth, unknown methods", async () => {
  const png = await basePng(2, 2);
  const cases: [string, (b: Uint8Array) => void, string][] = [
    ["signature", (b) => (b[4] = 0x0a), "signature is damaged"],
    ["ihdr", (b) => (b[12] = 0x69), "IHDR"],
    ["depth", (b) => (b[24] = 3), "colour type 2 at 3 bits"],
    ["interlace", (b) => (b[28] = 2), "interlace"],
  ];
  for (const [what, damage, says] of cases) {
    const bytes = png.slice();
    damage(bytes);
    const e = assertThrows(() => probeImage(bytes, `${what}.png`), TexSynthError);
    assertOneLine(e, `${what}.png`, says);
  }
});

Deno.test("GIF: first frame decodes exactly; an oversized screen or frame is refused; TIFF is named", async () => {
  const frame = new Frame(5, 3, 100);
  for (let i = 0; i < 15; i++) frame.bitmap.set([i * 16, 255 - i * 16, 7 * i, 255], i * 4);
  const gif = await new GIF([frame]).encode();
  const image = await decodeImage(gif, "tiny.gif");
  assertEquals([image.width, image.height], [5, 3]);
  const plane = 15;
  for (let i = 0; i < plane; i++) {
    // A 15-colour frame fits GIF's palette exactly, so values survive unchanged.
    assertEquals(
      [image.data[i], image.data[plane + i], image.data[2 * plane + i]].map((v) =>
        Math.round(v * 255)
      ),
      [i * 16, 255 - i * 16, 7 * i],
    );
  }
  const screen = gif.slice();
  new DataView(screen.buffer).setUint16(6, 65535, true);
  new DataView(screen.buffer).setUint16(8, 65535, true);
  assertThrows(() => probeImage(screen, "s.gif"), TexSynthError, "65535×65535");
  assertThrows(() => probeImage(gif.subarray(0, 12), "t.gif"), TexSynthError, "truncated");
  const tiff = Uint8Array.of(0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 0, 0);
  assertThrows(() => probeImage(tiff, "scan.tif"), TexSynthError, "a TIFF file");
});
