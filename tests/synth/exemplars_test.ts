// Several exemplars: Gram targets are the average of the exemplars' Gram
// matrices, sliced Wasserstein pools their pixels.
import { assert, assertAlmostEquals } from "@std/assert";
import { TextureObjective } from "../../src/synth/objective.ts";
import { LIU, type Preset, SEED } from "../../src/synth/presets.ts";
import { VggConvs } from "../../src/nn/vgg19_convs.ts";
import type { FeatureLoss } from "../../src/synth/objective.ts";
import { Random } from "../../src/random.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import { gpu } from "../_helpers.ts";

const SIZE = 32;

async function lossAt(
  preset: Preset,
  loss: FeatureLoss,
  exemplars: Float32Array[],
  x: Float32Array,
): Promise<number> {
  const ctx = await gpu();
  const convs = new VggConvs(ctx, randomVggWeights(2, Math.max(...preset.layers)));
  const buffers = exemplars.map((e) => ctx.upload("exemplar", e));
  const objective = await TextureObjective.create(
    ctx,
    convs,
    buffers.map((buffer) => ({ buffer, height: SIZE, width: SIZE })),
    SIZE,
    SIZE,
    { ...preset, spectrumWeight: 0 },
    { padding: "zero", checkpointing: true, loss },
  );
  ctx.write(objective.x, x);
  objective.evaluation.run();
  const [value] = await ctx.read(objective.scalars, 0, 1);
  objective.destroy();
  convs.destroy();
  buffers.forEach((b) => ctx.destroyBuffer(b));
  return value;
}

function image(seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: 3 * SIZE * SIZE }, () => r.uniform());
}

Deno.test("two exemplars: the Gram target is their average", async () => {
  const a = image(1);
  const b = image(2);
  const atA = await lossAt(SEED, "gram", [a, b], a);
  const atB = await lossAt(SEED, "gram", [a, b], b);
  const apart = await lossAt(SEED, "gram", [b], a);
  assert(apart > 0);
  // G(A) − (G_A + G_B)/2 = (G_A − G_B)/2: a quarter of the distance, from either side.
  assertAlmostEquals(atA, apart / 4, 1e-3 * apart);
  assertAlmostEquals(atB, apart / 4, 1e-3 * apart);
});

Deno.test("sliced Wasserstein: an exemplar given twice matches itself exactly", async () => {
  const a = image(3);
  const same = await lossAt(LIU, "sw", [a, a], a);
  const other = await lossAt(LIU, "sw", [a, a], image(4));
  assert(other > 1e-3, `a different image scores ${other}`);
  assert(same <= 1e-6 * other, `the exemplar itself scores ${same}`);
});
