// With circular padding everything is periodic: shifting the start image by a
// multiple of 32 px shifts the optimized result by the same amount.
import { assert } from "@std/assert";
import { Synthesizer } from "../../src/synth/synthesizer.ts";
import type { PlanarImage } from "../../src/io/image.ts";
import { Random } from "../../src/random.ts";
import { stripes } from "../peer/_inputs.ts";
import { gpu } from "../_helpers.ts";

function roll(image: PlanarImage, dy: number, dx: number): PlanarImage {
  const { width: w, height: h } = image;
  const data = new Float32Array(image.data.length);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        data[(c * h + (y + dy) % h) * w + (x + dx) % w] = image.data[(c * h + y) * w + x];
      }
    }
  }
  return { width: w, height: h, data };
}

/** Optimizes a start image and its 32-px shift; returns how far apart the shifted results are. */
async function shiftedRuns(tile: boolean): Promise<{ worst: number; change: number }> {
  const ctx = await gpu();
  const size = 64;
  const synth = await Synthesizer.create(stripes(48), {
    weights: "random",
    width: size,
    height: size,
    tile,
    gpu: ctx,
  });
  const rng = new Random(4);
  const start = {
    width: size,
    height: size,
    data: Float32Array.from({ length: 3 * size * size }, () => rng.uniform()),
  };
  // One iteration: evaluations commute with the shift up to the order of
  // float sums (about 5e-6 of the gradient's size), but L-BFGS amplifies
  // such differences once its line search meets a near tie; after two or
  // three iterations they reached 3e-3 for some kernels' rounding and 6e-7
  // for others'.
  await synth.setImage(start);
  await synth.optimize(1);
  const a = await synth.image();
  await synth.setImage(roll(start, 32, 32));
  await synth.optimize(1);
  const b = await synth.image();
  synth.dispose();
  const shifted = roll(a, 32, 32);
  let worst = 0;
  let change = 0;
  for (let i = 0; i < b.data.length; i++) {
    worst = Math.max(worst, Math.abs(b.data[i] - shifted.data[i]));
    change = Math.max(change, Math.abs(a.data[i] - start.data[i]));
  }
  return { worst, change };
}

Deno.test("--tile: a start image shifted by 32 px gives the result shifted by 32 px", async () => {
  const { worst, change } = await shiftedRuns(true);
  // Only the order of float sums differs between the two runs (measured: 1.3e-7 and 4.6e-7,
  // for a change of 0.02 and 0.11).
  assert(worst < 1e-4, `shifted results differ by up to ${worst}`);
  assert(change > 0.01, `the optimization barely moved the image (${change})`);
});

Deno.test("without --tile the same shift does not commute (the border matters)", async () => {
  const { worst } = await shiftedRuns(false);
  // Measured: 5.8e-2.
  assert(worst > 1e-2, `zero padding gave a shift-equivariant result (${worst})`);
});
