// The committed example exemplars are exactly what examples/make_examples.ts
// makes (byte for byte), stay small, and decode back to the generated pixels
// (exact up to 8-bit rounding: |error| ≤ 0.5/255).
import { assert, assertEquals } from "@std/assert";
import {
  EXAMPLE_NAMES,
  EXAMPLE_SIZE,
  makeExample,
  makeExamplePng,
} from "../examples/make_examples.ts";
import { decodeImage } from "../src/io/image.ts";
import { assertClose } from "./_helpers.ts";

const EXAMPLES = new URL("../examples/", import.meta.url);
const MAX_BYTES = 200 * 1024;

for (const name of EXAMPLE_NAMES) {
  Deno.test(`examples: ${name}.png is the bytes make_examples.ts makes, under 200 KB`, async () => {
    const committed = await Deno.readFile(new URL(`${name}.png`, EXAMPLES));
    const made = await makeExamplePng(name);
    assert(made.length < MAX_BYTES, `${name}.png is ${made.length} bytes`);
    assertEquals(
      made,
      committed,
      `examples/${name}.png differs from the script's output: rerun deno run -A examples/make_examples.ts`,
    );
  });

  Deno.test(`examples: ${name} is a 256×256 image in [0, 1] that decodes to within 0.5/255`, async () => {
    const image = makeExample(name);
    assertEquals([image.width, image.height], [EXAMPLE_SIZE, EXAMPLE_SIZE]);
    assert(image.data.every((v) => v >= 0 && v <= 1), "values outside [0, 1]");
    const decoded = await decodeImage(await makeExamplePng(name), `${name}.png`);
    assertClose(decoded.data, image.data, 0, 0.5 / 255 + 1e-7, name);
  });
}

Deno.test("examples: every example is textured (not flat) and different from the others", () => {
  const images = EXAMPLE_NAMES.map(makeExample);
  for (const [k, image] of images.entries()) {
    const plane = EXAMPLE_SIZE * EXAMPLE_SIZE;
    const gray = Array.from({ length: plane }, (_, i) => image.data[i] + image.data[plane + i]);
    const mean = gray.reduce((a, b) => a + b, 0) / plane;
    const variance = gray.reduce((a, b) => a + (b - mean) ** 2, 0) / plane;
    assert(variance > 1e-3, `${EXAMPLE_NAMES[k]} is nearly flat (variance ${variance})`);
  }
  for (let a = 0; a < images.length; a++) {
    for (let b = a + 1; b < images.length; b++) {
      const same = images[a].data.every((v, i) => v === images[b].data[i]);
      assert(!same, `${EXAMPLE_NAMES[a]} and ${EXAMPLE_NAMES[b]} are identical`);
    }
  }
});

Deno.test("examples: every pattern tiles (no wrap-around seam stronger than its inner edges)", () => {
  // Mean |difference| across each row boundary and each column boundary; for a
  // tileable image the wrap-around boundary (last → first) is no stronger than
  // the strongest boundary inside it (a grid line, a crack), while a pattern
  // that does not wrap shows a seam there. Tolerance: 1e-6 absolute.
  const n = EXAMPLE_SIZE;
  for (const name of EXAMPLE_NAMES) {
    const { data } = makeExample(name);
    for (const axis of ["rows", "columns"]) {
      const at = (i: number, j: number) => axis === "rows" ? data[j * n + i] : data[i * n + j];
      const boundary = (j: number) => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += Math.abs(at(i, (j + 1) % n) - at(i, j));
        return sum / n;
      };
      const inner = Math.max(...Array.from({ length: n - 1 }, (_, j) => boundary(j)));
      const seam = boundary(n - 1);
      assert(seam <= inner + 1e-6, `${name} ${axis}: seam ${seam} > strongest inner ${inner}`);
    }
  }
});
