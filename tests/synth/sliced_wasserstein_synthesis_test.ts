// `--loss sw` synthesizes, run as a user runs it: 20 iterations at 48 px
// (random weights, the cracks example scaled to 48 px) reach iteration 20,
// cut the loss at least 5×, and move the image toward the exemplar by a
// texture distance that is not the loss: the sliced Wasserstein distance
// between the 3×3 pixel patches of the image and of the exemplar, on 64 fixed
// directions in the 27-dimensional patch space, computed in float64 on the
// CPU from the PNGs (the start noise is snapshot 0). Style transfer's
// sliced Wasserstein style term runs its iterations too.
import { assert, assertEquals } from "@std/assert";
import { readImageFile } from "../../src/io/image_file.ts";
import type { PlanarImage } from "../../src/io/image.ts";
import { Random } from "../../src/random.ts";
import { randomDirections } from "../../src/ops/sliced_wasserstein.ts";
import { slicedWassersteinLoss, sortedTarget } from "../reference/sliced_wasserstein.ts";
import { mosaicImage, shapesImage } from "../../examples/transfer_inputs.ts";
import { StyleTransfer } from "../../src/synth/style_transfer.ts";
import { gpu } from "../_helpers.ts";

const ROOT = new URL("../../", import.meta.url);
const PATCH = 3;
const DIMS = 3 * PATCH * PATCH;

/** Every 3×3 patch as a column: [27, patches]. */
function patches(image: PlanarImage): { features: Float64Array; count: number } {
  const { width: w, height: h } = image;
  const across = w - PATCH + 1;
  const count = across * (h - PATCH + 1);
  const features = new Float64Array(DIMS * count);
  for (let y = 0; y + PATCH <= h; y++) {
    for (let x = 0; x + PATCH <= w; x++) {
      let dim = 0;
      for (let c = 0; c < 3; c++) {
        for (let dy = 0; dy < PATCH; dy++) {
          for (let dx = 0; dx < PATCH; dx++) {
            features[dim++ * count + y * across + x] = image.data[(c * h + y + dy) * w + x + dx];
          }
        }
      }
    }
  }
  return { features, count };
}

/** Sliced Wasserstein distance of the two images' 3×3 patch distributions on fixed directions. */
function patchDistance(image: PlanarImage, exemplar: PlanarImage): number {
  const slices = 64;
  const directions = randomDirections(new Random(2021), slices, DIMS);
  const a = patches(image);
  const b = patches(exemplar);
  const target = sortedTarget(directions, b.features, slices, DIMS, b.count, a.count);
  return slicedWassersteinLoss(a.features, directions, target, slices, DIMS, a.count, 1);
}

Deno.test("--loss sw: 20 iterations at 48 px run to the end, loss ÷5, patches move toward the exemplar", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-sw-" });
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("cli.ts", ROOT).pathname,
        new URL("examples/cracks.png", ROOT).pathname,
        "--loss",
        "sw",
        "--size",
        "48",
        "--exemplar-size",
        "48",
        "--iterations",
        "20",
        "--weights",
        "random",
        "--snapshot-every",
        "20",
        "--snapshot-dir",
        `${dir}/snapshots`,
        "--results",
        `${dir}/results`,
        "--log",
        `${dir}/log.jsonl`,
        "-o",
        `${dir}/out.png`,
        "--json",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert(run.success, stderr);
    const summary = JSON.parse(new TextDecoder().decode(run.stdout)).variations[0];
    assertEquals(
      [summary.stop, summary.iterations],
      ["iterations", 20],
      `stopped early: ${stderr}`,
    );
    const log = (await Deno.readTextFile(`${dir}/log.jsonl`)).trim().split("\n")
      .map((l) => JSON.parse(l));
    assertEquals(log.map((r) => r.iteration), Array.from({ length: 21 }, (_, i) => i));
    const [first, last] = [log[0], log[20]];
    assert(first.loss / last.loss >= 5, `loss went from ${first.loss} to ${last.loss}`);

    const exemplar = await readImageFile(`${dir}/results/exemplar_cracks.png`);
    assertEquals([exemplar.width, exemplar.height], [48, 48]);
    const snapshots = [...Deno.readDirSync(`${dir}/snapshots`)].map((e) => e.name);
    const zeroth = snapshots.find((n) => /\D0+\.png$/.test(n));
    assert(zeroth, `no snapshot of iteration 0 among ${snapshots}`);
    const start = await readImageFile(`${dir}/snapshots/${zeroth}`);
    const result = await readImageFile(`${dir}/out.png`);
    const before = patchDistance(start, exemplar);
    const after = patchDistance(result, exemplar);
    console.log(
      `loss ${first.loss.toExponential(3)} → ${last.loss.toExponential(3)}; ` +
        `3×3 patch SW distance to the exemplar ${before.toExponential(3)} → ${
          after.toExponential(3)
        }`,
    );
    assert(after * 10 <= before, `patch distance went from ${before} to ${after}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("style transfer, loss sw: 10 iterations at 32 px from noise run to the end, the style term ÷3", async () => {
  const transfer = await StyleTransfer.create(shapesImage(32, 32), mosaicImage(64), {
    weights: "random",
    loss: "sw",
    init: "noise",
    gpu: await gpu(),
  });
  try {
    const run = await transfer.transfer(10);
    assertEquals([run.stop, run.last.iteration], ["iterations", 10]);
    const first = transfer.history[0];
    assert(run.last.gram * 3 <= first.gram, `style term ${first.gram} → ${run.last.gram}`);
  } finally {
    transfer.dispose();
  }
});
