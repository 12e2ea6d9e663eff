// Masks, guides and steering plans on the CPU: pooling and convolution as
// the network does them, area and nearest resampling, label maps, and the
// errors a user can fix.
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  convolveMask,
  layerMasks,
  type Mask,
  maskArea,
  maskFromImage,
  poolMask,
  resizeArea,
  resizeNearest,
} from "../../src/synth/masks.ts";
import { colourName, labelMap, labelsOf } from "../../src/synth/guides.ts";
import { Steering } from "../../src/synth/steering.ts";
import type { PlanarImage } from "../../src/io/image.ts";
import { TexSynthError } from "../../src/errors.ts";
import { randomArray } from "../_helpers.ts";

function mask(height: number, width: number, seed: number): Mask {
  return { height, width, data: randomArray(height * width, seed, 0, 1) };
}

/** A solid image of one colour per pixel, from a function of (y, x). */
function paint(
  height: number,
  width: number,
  colour: (y: number, x: number) => number[],
): PlanarImage {
  const plane = height * width;
  const data = new Float32Array(3 * plane);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      colour(y, x).forEach((v, c) => data[c * plane + y * width + x] = v);
    }
  }
  return { height, width, data };
}

Deno.test("poolMask averages 2×2 blocks and drops an odd last row and column, as avgpool does", () => {
  const m = mask(5, 7, 1);
  const p = poolMask(m);
  assertEquals([p.height, p.width], [2, 3]);
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 3; x++) {
      const at = (yy: number, xx: number) => m.data[yy * 7 + xx];
      const expected = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) +
        at(2 * y + 1, 2 * x + 1)) / 4;
      assertAlmostEquals(p.data[y * 3 + x], expected, 1e-6);
    }
  }
});

Deno.test("convolveMask: the mean over each 3×3 window, inside the image or wrapping", () => {
  const m = mask(4, 5, 2);
  const at = (y: number, x: number) => m.data[y * 5 + x];
  const zero = convolveMask(m, false);
  // A corner averages the 4 pixels of its window inside the image.
  assertAlmostEquals(zero.data[0], (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4, 1e-6);
  const inner = [0, 1, 2].flatMap((y) => [1, 2, 3].map((x) => at(y, x)));
  assertAlmostEquals(zero.data[1 * 5 + 2], inner.reduce((a, b) => a + b) / 9, 1e-6);
  const wrap = convolveMask(m, true);
  const around = [3, 0, 1].flatMap((y) => [4, 0, 1].map((x) => at(y, x)));
  assertAlmostEquals(wrap.data[0], around.reduce((a, b) => a + b) / 9, 1e-6);
  // Constant masks stay constant: unmasked statistics are untouched.
  const ones = { height: 6, width: 3, data: new Float32Array(18).fill(1) };
  assert(convolveMask(ones, false).data.every((v) => Math.abs(v - 1) < 1e-6));
});

Deno.test("layerMasks reach each loss layer's size and keep a region's edge soft, never empty", () => {
  const hole: Mask = { height: 64, width: 64, data: new Float32Array(64 * 64) };
  for (let y = 22; y < 42; y++) for (let x = 22; x < 42; x++) hole.data[y * 64 + x] = 1;
  const layers = layerMasks(hole, [1, 4, 9, 18, 27], false);
  assertEquals(layers.map((l) => l.width), [64, 32, 16, 8, 4]);
  // relu1_1: one 3×3 mean, so a 1 px soft ring around the hole.
  assertEquals(layers[0].data[30 * 64 + 30], 1);
  assertAlmostEquals(layers[0].data[30 * 64 + 21], 1 / 3, 1e-6);
  assertEquals(layers[0].data[30 * 64 + 20], 0);
  for (const l of layers) assert(maskArea(l) > 0);
  const kept = layerMasks({ ...hole, data: hole.data.map((v) => 1 - v) }, [27], false)[0];
  assert(kept.data.every((v) => v > 0 && v < 1), "pool4 sees both sides everywhere at 64 px");
});

Deno.test("resizeArea keeps a mask's mean and shrinks 2× as a 2×2 mean; resizeNearest picks centres", () => {
  const m = mask(12, 9, 3);
  for (const [h, w] of [[6, 3], [5, 7], [30, 20]]) {
    const r = resizeArea(m, h, w);
    assertAlmostEquals(maskArea(r) / (h * w), maskArea(m) / (12 * 9), 1e-5);
  }
  const half = resizeArea(m, 6, 3);
  assertAlmostEquals(
    half.data[0],
    (m.data[0] + m.data[1] + m.data[2] + m.data[9] + m.data[10] + m.data[11]) / 6,
    1e-6,
  );
  const near = resizeNearest(m, 24, 18);
  assertEquals(near.data[5 * 18 + 7], m.data[2 * 9 + 3]);
});

Deno.test("maskFromImage: luminance 0.5 and above is white", () => {
  const image = paint(
    1,
    4,
    (_, x) => [[1, 1, 1], [0.5, 0.5, 0.5], [0.49, 0.49, 0.49], [1, 0, 0]][x],
  );
  assertEquals(Array.from(maskFromImage(image).data), [1, 1, 0, 0]);
});

Deno.test("labelMap: exact 8-bit colours, resampled nearest (no new colours)", () => {
  const guide = paint(2, 2, (y, x) => y === x ? [1, 0, 0] : [0, 0, 1]);
  const map = labelMap(guide, 5, 3);
  assertEquals(labelsOf(map).map(colourName).sort(), ["#0000ff", "#ff0000"]);
  assertEquals(colourName(map.labels[0]), "#ff0000");
  assertEquals(colourName(map.labels[4 * 3 + 0]), "#0000ff");
});

Deno.test("Steering.plan: a target colour the exemplar guide lacks is an error naming it", () => {
  const exemplar = paint(8, 8, () => [0.5, 0.5, 0.5]);
  const exemplarGuide = paint(8, 8, (_, x) => x < 4 ? [0, 0, 0] : [1, 1, 1]);
  const target = paint(16, 16, (y) => y < 8 ? [0, 0, 0] : [0, 1, 0]);
  const error = assertThrows(
    () =>
      Steering.plan([exemplar], { width: 16, height: 16 }, {
        guides: { exemplar: exemplarGuide, target },
      }),
    TexSynthError,
  );
  assert(error.message.includes("#00ff00"), error.message);
  const plan = Steering.plan([exemplar], { width: 16, height: 16 }, {
    guides: { exemplar: exemplarGuide, target: paint(16, 16, () => [1, 1, 1]) },
  });
  assertEquals(plan!.regionsAt(16, 16, [{ height: 8, width: 8 }]).length, 1);
});

Deno.test("Steering.plan refuses what cannot work, with the fix in the message", () => {
  const image = paint(8, 8, () => [0.5, 0.5, 0.5]);
  const black = paint(8, 8, () => [0, 0, 0]);
  const white = paint(8, 8, () => [1, 1, 1]);
  const cases: [() => unknown, string][] = [
    [() => Steering.plan([image], { width: 8, height: 8 }, { mask: black }), "marks no pixel"],
    [
      () => Steering.plan([image], { width: 8, height: 8 }, { mask: white }),
      "no pixel of the image",
    ],
    [
      () => Steering.plan([image], { width: 9, height: 8 }, { mask: white, image }),
      "keeps the image's size",
    ],
    [
      () => Steering.plan([image, image], { width: 8, height: 8 }, { exemplarMasks: [white] }),
      "one per exemplar",
    ],
    [
      () => Steering.plan([image], { width: 8, height: 8 }, { exemplarMasks: [black] }),
      "selects no pixel",
    ],
    [() => Steering.plan([image], { width: 8, height: 8 }, { image }), "needs a mask"],
  ];
  for (const [call, text] of cases) assertThrows(call, TexSynthError, text);
  assertEquals(Steering.plan([image], { width: 8, height: 8 }, { exemplarMasks: [null] }), null);
});

Deno.test("Steering: an inpainting's regions, shares and free pixels at full and coarse scales", () => {
  const image = paint(16, 16, () => [0.5, 0.5, 0.5]);
  const hole = paint(16, 16, (y, x) => y >= 4 && y < 8 && x >= 4 && x < 9 ? [1, 1, 1] : [0, 0, 0]);
  const plan = Steering.plan([image], { width: 16, height: 16 }, { mask: hole })!;
  const [region] = plan.regionsAt(16, 16, [{ height: 16, width: 16 }]);
  assertEquals(maskArea(region.output!), 20);
  assertEquals(maskArea(region.exemplars[0]!), 256 - 20);
  assertEquals(plan.freeAt(16, 16)!.reduce((a, b) => a + b), 20);
  // At half size every pixel the hole touches is free: rows 2–3, columns 2–4.
  assertEquals(plan.freeAt(8, 8)!.reduce((a, b) => a + b), 6);
  assertEquals(plan.holeColours!.mean.map((v) => Math.round(v * 100)), [50, 50, 50]);
});
