// The Synthesizer's bookkeeping as a library user sees it: iteration numbers
// that continue across optimize() calls, scales and setImage(), start images
// of another size resized on the GPU as exemplars are, and methods after
// dispose() refused with a TexSynthError. Random weights at 24–32 px, a few
// iterations each.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { Synthesizer } from "../../src/synth/synthesizer.ts";
import { TexSynthError } from "../../src/errors.ts";
import type { PlanarImage } from "../../src/io/image.ts";
import { stripes } from "../peer/_inputs.ts";
import { assertClose, gpu, randomArray } from "../_helpers.ts";
import { resampleReference } from "../reference/resample.ts";

async function synthesizer(size: number, scales = 1): Promise<Synthesizer> {
  return await Synthesizer.create(stripes(32), {
    weights: "random",
    width: size,
    height: size,
    scales,
    gpu: await gpu(),
  });
}

function image(width: number, height: number, seed: number): PlanarImage {
  return { width, height, data: randomArray(3 * width * height, seed, 0, 1) };
}

const iterations = (s: Synthesizer): number[] => s.history.map((r) => r.iteration);

Deno.test("optimize() after synthesize(3) records iterations 4 and 5", async () => {
  const synth = await synthesizer(32);
  try {
    const first = await synth.synthesize(3);
    assertEquals(first.stop, "iterations");
    assertEquals(iterations(synth), [0, 1, 2, 3]);
    const more = await synth.optimize(2);
    assertEquals(iterations(synth), [0, 1, 2, 3, 4, 5]);
    assertEquals(more.last.iteration, 5);
    const evaluations = synth.history.map((r) => r.evaluations);
    assert(
      evaluations.every((e, i) => i === 0 || e > evaluations[i - 1]),
      `evaluations do not grow: ${evaluations}`,
    );
    await synth.optimize(1);
    assertEquals(synth.history.at(-1)!.iteration, 6);
    // A new variation starts the numbering again.
    await synth.synthesize(1);
    assertEquals(iterations(synth), [0, 1]);
  } finally {
    synth.dispose();
  }
});

Deno.test("numbering runs on across scales and into optimize()", async () => {
  const synth = await synthesizer(32, 2);
  try {
    await synth.synthesize(2);
    // Scale 1 (16 px): start, 1, 2; full size: its upsampled start keeps the
    // last number, then 3, 4.
    assertEquals(iterations(synth), [0, 1, 2, 2, 3, 4]);
    assertEquals(synth.history.map((r) => r.scale), [1, 1, 1, 0, 0, 0]);
    await synth.optimize(2);
    assertEquals(iterations(synth), [0, 1, 2, 2, 3, 4, 5, 6]);
    assertEquals(synth.history.at(-1)!.scale, 0);
  } finally {
    synth.dispose();
  }
});

Deno.test("setImage() starts the numbering at 0 and optimize() continues it", async () => {
  const synth = await synthesizer(24);
  try {
    await synth.synthesize(2);
    const fit = await synth.setImage(image(24, 24, 1));
    assertEquals(fit, {
      from: { width: 24, height: 24 },
      to: { width: 24, height: 24 },
      filter: null,
    });
    assertEquals(synth.history.length, 0);
    await synth.optimize(2);
    assertEquals(iterations(synth), [0, 1, 2]);
    await synth.optimize(1);
    assertEquals(iterations(synth), [0, 1, 2, 3]);
  } finally {
    synth.dispose();
  }
});

Deno.test("setImage() resizes another size on the GPU with the exemplars' filters", async () => {
  const synth = await synthesizer(24);
  try {
    // [from width, from height, the filter expected]: shrinking (either side)
    // takes widened Lanczos-3, enlarging bicubic.
    const cases: [number, number, string][] = [[40, 30, "lanczos3"], [16, 12, "bicubic"], [
      16,
      40,
      "lanczos3",
    ]];
    for (const [w, h, filter] of cases) {
      const start = image(w, h, w + h);
      const fit = await synth.setImage(start);
      assertEquals(fit, { from: { width: w, height: h }, to: { width: 24, height: 24 }, filter });
      const got = await synth.image();
      assertEquals([got.width, got.height], [24, 24]);
      // f32 on the GPU against float64: a few ulps of values in [0, 1].
      assertClose(
        got.data,
        resampleReference(start.data, 3, h, w, 24, 24, filter as "lanczos3" | "bicubic"),
        0,
        1e-5,
        `${w}×${h} → 24×24`,
      );
      assertEquals(synth.history.length, 0);
    }
    await synth.optimize(1);
    assertEquals(iterations(synth), [0, 1]);
  } finally {
    synth.dispose();
  }
});

Deno.test("setImage() refuses pixels that do not match the size it states", async () => {
  const synth = await synthesizer(24);
  try {
    const bad = { width: 10, height: 10, data: new Float32Array(10) };
    const e = await assertRejects(() => synth.setImage(bad), TexSynthError);
    assert(/planar RGB/.test(e.message), e.message);
  } finally {
    synth.dispose();
  }
});

Deno.test("after dispose() every method says the synthesizer was disposed", async () => {
  const synth = await synthesizer(24);
  await synth.synthesize(1);
  synth.dispose();
  synth.dispose(); // twice is harmless
  const calls: [string, () => Promise<unknown>][] = [
    ["optimize", () => synth.optimize(2)],
    ["synthesize", () => synth.synthesize(2)],
    ["setImage", () => synth.setImage(image(24, 24, 2))],
    ["image", () => synth.image()],
    ["exemplars", () => synth.exemplars()],
  ];
  for (const [name, call] of calls) {
    const e = await assertRejects(call, TexSynthError);
    assert(e.message.startsWith(`${name}()`) && /was disposed/.test(e.message), e.message);
    assert(!e.message.includes("\n"), "the message is one line");
  }
});
