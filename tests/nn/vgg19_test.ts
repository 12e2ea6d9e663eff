// Gradient checkpointing changes memory, not results: the same losses and
// bit-identical pixel gradients, with a lower measured peak.
import { assert, assertEquals } from "@std/assert";
import { TextureObjective } from "../../src/synth/objective.ts";
import { VggConvs } from "../../src/nn/vgg19_convs.ts";
import { LIU, SEED } from "../../src/synth/presets.ts";
import { Random } from "../../src/random.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import { gpu } from "../_helpers.ts";

for (const preset of [SEED, LIU]) {
  Deno.test(`${preset.name}: checkpointing gives identical loss and gradient with less memory`, async () => {
    const ctx = await gpu();
    const size = 64;
    const n = 3 * size * size;
    const rng = new Random(9);
    const exemplar = ctx.upload("exemplar", Float32Array.from({ length: n }, () => rng.uniform()));
    const x = Float32Array.from({ length: n }, () => rng.uniform());
    const convs = new VggConvs(ctx, randomVggWeights(1, Math.max(...preset.layers)));
    const run = async (checkpointing: boolean) => {
      const objective = await TextureObjective.create(
        ctx,
        convs,
        [{ buffer: exemplar, height: size, width: size }],
        size,
        size,
        preset,
        {
          padding: "zero",
          checkpointing,
        },
      );
      ctx.write(objective.x, x);
      objective.evaluation.run();
      const result = {
        scalars: await ctx.read(objective.scalars, 0, 3),
        grad: await ctx.read(objective.grad, 0, n),
        activationBytes: objective.net.activationBytes,
      };
      objective.destroy();
      return result;
    };
    const on = await run(true);
    const off = await run(false);
    assertEquals(on.scalars, off.scalars);
    assertEquals(on.grad, off.grad);
    assert(
      on.activationBytes < 0.8 * off.activationBytes,
      `activations and gradients take ${on.activationBytes} bytes with checkpointing, ${off.activationBytes} without`,
    );
    convs.destroy();
    ctx.destroyBuffer(exemplar);
  });
}
