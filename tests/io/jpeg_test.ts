// JPEGs as cameras and tools write them (tests/fixtures/make_jpeg_fixtures.ts):
// every EXIF orientation comes out upright, the kinds the decoder reads decode
// to the picture, and the kinds it cannot read are named from the frame header.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { decodeImage, type PlanarImage, probeImage } from "../../src/io/image.ts";
import { readImageFile } from "../../src/io/image_file.ts";
import { orientImage } from "../../src/io/orientation.ts";
import { QUADRANTS, UPRIGHT } from "../fixtures/make_jpeg_fixtures.ts";

const DIR = new URL("../fixtures/jpeg/", import.meta.url).pathname;

/**
 * Largest difference from the upright picture, in 8-bit levels. Quality 95
 * without chroma subsampling keeps flat quadrants on 8×8 block boundaries
 * within a few levels; any misplaced quadrant is off by 255.
 */
function worstLevel(image: PlanarImage, gray = false): number {
  assertEquals([image.width, image.height], [UPRIGHT.width, UPRIGHT.height]);
  const { width, height } = UPRIGHT;
  const plane = width * height;
  let worst = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = QUADRANTS[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)];
      const luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
      for (let c = 0; c < 3; c++) {
        const want = gray ? luma : rgb[c];
        worst = Math.max(worst, Math.abs(image.data[c * plane + y * width + x] * 255 - want));
      }
    }
  }
  return worst;
}

const ORIENTED = [1, 2, 3, 4, 5, 6, 7, 8].map((o) => `orientation-${o}.jpg`).concat(
  "orientation-6-intel.jpg",
);

for (const name of ORIENTED) {
  Deno.test(`${name} decodes upright`, async () => {
    const bytes = await Deno.readFile(`${DIR}${name}`);
    assertEquals(probeImage(bytes, name), { format: "JPEG", ...UPRIGHT });
    const image = await readImageFile(`${DIR}${name}`);
    const worst = worstLevel(image);
    assert(worst <= 6, `${name}: ${worst} levels off the upright picture`);
  });
}

Deno.test("progressive, grayscale, 8-bit extended sequential and CMYK (YCCK) JPEGs decode to the picture", async () => {
  for (
    const [name, gray] of [
      ["progressive.jpg", false],
      ["grayscale.jpg", true],
      ["extended-8bit.jpg", false],
      ["cmyk.jpg", false],
    ] as const
  ) {
    const worst = worstLevel(await readImageFile(`${DIR}${name}`), gray);
    assert(worst <= 6, `${name}: ${worst} levels off`);
  }
});

for (
  const [name, kind] of [
    ["arithmetic.jpg", "an arithmetic-coded (extended sequential) JPEG (SOF9)"],
    ["arithmetic-progressive.jpg", "an arithmetic-coded progressive JPEG (SOF10)"],
    ["lossless.jpg", "a lossless JPEG (SOF3)"],
    ["12-bit.jpg", "a 12-bit JPEG (SOF1, extended sequential)"],
    ["hierarchical.jpg", "a hierarchical (differential sequential) JPEG (SOF5)"],
  ]
) {
  Deno.test(`${name} is refused as ${kind}, from its header`, async () => {
    const path = `${DIR}${name}`;
    const e = await assertRejects(() => readImageFile(path), TexSynthError);
    assertEquals(
      e.message,
      `${path} is ${kind}, which tex-synth's JPEG decoder cannot read: re-save it as a baseline or progressive 8-bit JPEG, or as PNG`,
    );
  });
}

Deno.test("a damaged EXIF block only loses the orientation; the image still decodes", async () => {
  const bytes = await Deno.readFile(`${DIR}orientation-6.jpg`);
  const exif = bytes.findIndex((_, i) =>
    String.fromCharCode(...bytes.subarray(i, i + 6)) === "Exif\0\0"
  );
  assert(exif > 0);
  const broken = bytes.slice();
  broken.set(new TextEncoder().encode("XX"), exif + 6); // neither "II" nor "MM"
  const image = await decodeImage(broken, "broken-exif.jpg");
  assertEquals([image.width, image.height], [UPRIGHT.height, UPRIGHT.width], "as stored");
  // The tag as a LONG (some writers do that) still counts. The fixture's EXIF is big-endian.
  const tiff = exif + 6;
  assertEquals(String.fromCharCode(bytes[tiff], bytes[tiff + 1]), "MM");
  const ifd = tiff +
    ((bytes[tiff + 4] << 24) | (bytes[tiff + 5] << 16) | (bytes[tiff + 6] << 8) | bytes[tiff + 7]);
  const count = (bytes[ifd] << 8) | bytes[ifd + 1];
  const entry = Array.from({ length: count }, (_, i) => ifd + 2 + 12 * i)
    .find((at) => bytes[at] === 0x01 && bytes[at + 1] === 0x12)!;
  const long = bytes.slice();
  long.set([0, 4, 0, 0, 0, 1, 0, 0, 0, 6], entry + 2);
  assertEquals(worstLevel(await decodeImage(long, "long-tag.jpg")) <= 6, true);
});

Deno.test("orientImage moves pixels exactly as EXIF defines each orientation", () => {
  // A 3×2 image whose pixel values are their stored indices 0..5.
  const stored = { width: 3, height: 2, data: new Float32Array(18).map((_, i) => i % 6) };
  const shown = (o: number): number[][] => {
    const r = orientImage(stored, o);
    return Array.from(
      { length: r.height },
      (_, y) => Array.from(r.data.subarray(y * r.width, (y + 1) * r.width)),
    );
  };
  assertEquals(shown(1), [[0, 1, 2], [3, 4, 5]]);
  assertEquals(shown(2), [[2, 1, 0], [5, 4, 3]]);
  assertEquals(shown(3), [[5, 4, 3], [2, 1, 0]]);
  assertEquals(shown(4), [[3, 4, 5], [0, 1, 2]]);
  assertEquals(shown(5), [[0, 3], [1, 4], [2, 5]]);
  assertEquals(shown(6), [[3, 0], [4, 1], [5, 2]]);
  assertEquals(shown(7), [[5, 2], [4, 1], [3, 0]]);
  assertEquals(shown(8), [[2, 5], [1, 4], [0, 3]]);
  // Every channel moves alike.
  const six = orientImage(stored, 6);
  assertEquals(Array.from(six.data.subarray(6, 12)), Array.from(six.data.subarray(0, 6)));
});
