// The whole loss gradient (VGG19 forward + Gram + spectrum + backward to the
// pixels) against central finite differences of the loss itself, at 32×32,
// for both presets and for the Gram and spectrum parts alone.
import { assert } from "@std/assert";
import { TextureObjective } from "../../src/synth/objective.ts";
import { VggConvs } from "../../src/nn/vgg19_convs.ts";
import { LIU, type Preset, SEED } from "../../src/synth/presets.ts";
import { Random } from "../../src/random.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import { gpu } from "../_helpers.ts";

const SIZE = 32;

async function checkGradient(preset: Preset, what: string): Promise<void> {
  const ctx = await gpu();
  const n = 3 * SIZE * SIZE;
  const rng = new Random(5);
  const exemplar = ctx.upload("exemplar", Float32Array.from({ length: n }, () => rng.uniform()));
  const convs = new VggConvs(ctx, randomVggWeights(3, Math.max(...preset.layers)));
  const objective = await TextureObjective.create(
    ctx,
    convs,
    [{ buffer: exemplar, height: SIZE, width: SIZE }],
    SIZE,
    SIZE,
    preset,
    {
      padding: "zero",
      checkpointing: true,
    },
  );
  const x0 = Float32Array.from({ length: n }, () => 0.2 + 0.6 * rng.uniform());
  const loss = async (x: Float32Array): Promise<number> => {
    ctx.write(objective.x, x);
    objective.evaluation.run();
    return (await ctx.read(objective.scalars, 0, 1))[0];
  };
  const f0 = await loss(x0);
  const grad = await ctx.read(objective.grad, 0, n);
  // Directional derivatives along random ±1 directions: the step moves every
  // pixel, so the loss changes far above its f32 rounding. Each direction
  // agrees in sign with the gradient on a random 3/4 of the pixels, so the
  // derivative is large whatever the weights (a direction at random can be
  // nearly orthogonal, leaving only rounding to compare); a wrong gradient
  // still shows, as the pixels on which it is off are as likely to be picked
  // either way. h = 1e-4 balances rounding against ReLU kinks crossed (measured errors ≤ 6e-4).
  const h = 1e-4;
  for (let k = 0; k < 3; k++) {
    const v = Float32Array.from(grad, (g) => (rng.uniform() < 0.75 ? 1 : -1) * (g < 0 ? -1 : 1));
    const plus = await loss(x0.map((x, i) => x + h * v[i]));
    const minus = await loss(x0.map((x, i) => x - h * v[i]));
    const numeric = (plus - minus) / (2 * h);
    let analytic = 0;
    for (let i = 0; i < n; i++) analytic += grad[i] * v[i];
    const rel = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), 1e-12);
    assert(
      rel < 5e-3,
      `${what}: direction ${k}: finite difference ${numeric}, gradient ${analytic} (relative error ${
        rel.toExponential(2)
      }, loss ${f0})`,
    );
  }
  objective.destroy();
  convs.destroy();
  ctx.destroyBuffer(exemplar);
}

for (const preset of [SEED, LIU]) {
  Deno.test(`${preset.name}: the total gradient matches central differences (5e-3 relative)`, async () => {
    await checkGradient(preset, `${preset.name} total`);
  });
  Deno.test(`${preset.name}: the Gram part alone matches central differences (5e-3 relative)`, async () => {
    await checkGradient({ ...preset, spectrumWeight: 0 }, `${preset.name} gram`);
  });
}
