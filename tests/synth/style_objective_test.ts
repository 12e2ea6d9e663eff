// The style transfer loss (VGG19 forward + style Gram + content MSE + total
// variation + spectrum + backward, in RGB and in luminance) against central
// finite differences of the loss itself, and tile by tile against the whole
// image.
import { assert, assertEquals } from "@std/assert";
import { StyleObjective, type StyleTermWeights } from "../../src/synth/style_objective.ts";
import { VggConvs } from "../../src/nn/vgg19_convs.ts";
import { TiledVgg19 } from "../../src/nn/tiled_vgg19.ts";
import { Random } from "../../src/random.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import { gpu } from "../_helpers.ts";

const ALL: StyleTermWeights = { content: 1, style: 1, tv: 0.3, spectrum: 0.5 };

async function make(
  height: number,
  width: number,
  options: {
    originalColors?: boolean;
    maxCrop?: number;
    weights?: StyleTermWeights;
    styleSizes?: [number, number][];
  },
) {
  const ctx = await gpu();
  const rng = new Random(17);
  const image = (h: number, w: number) => ({
    buffer: ctx.upload("image", Float32Array.from({ length: 3 * h * w }, () => rng.uniform())),
    height: h,
    width: w,
  });
  const content = image(height, width);
  const sizes = options.styleSizes ?? [[40, 36], [36, 48]];
  const styles = sizes.map(([h, w], i) => ({ ...image(h, w), weight: 2 - i }));
  const convs = new VggConvs(ctx, randomVggWeights(6, 29));
  const objective = await StyleObjective.create(ctx, convs, content, styles, {
    weights: options.weights ?? ALL,
    originalColors: options.originalColors,
    checkpointing: true,
    maxCrop: options.maxCrop,
  });
  const cleanup = () => {
    objective.destroy();
    convs.destroy();
    for (const b of [content, ...styles]) ctx.destroyBuffer(b.buffer);
  };
  return { ctx, objective, rng, cleanup };
}

for (const originalColors of [false, true]) {
  const what = originalColors ? "luminance (original colours)" : "RGB";
  Deno.test(`style loss: the gradient in ${what} matches central differences (5e-3 relative)`, async () => {
    const { ctx, objective, rng, cleanup } = await make(32, 32, { originalColors });
    const n = objective.size;
    assertEquals(n, (originalColors ? 1 : 3) * 32 * 32);
    const x0 = Float32Array.from({ length: n }, () => 0.2 + 0.6 * rng.uniform());
    const loss = async (x: Float32Array): Promise<number[]> => {
      ctx.write(objective.x, x);
      objective.evaluation.run();
      return [...await ctx.read(objective.scalars, 0, 5)];
    };
    const terms = await loss(x0);
    const grad = await ctx.read(objective.grad, 0, n);
    // Every term is live at a point away from the content.
    for (let k = 1; k < 5; k++) assert(terms[k] > 0, `term ${k} is ${terms[k]}`);
    const sum = terms[1] + terms[2] + terms[4] + (ALL.spectrum / (3 * 32 * 32)) * terms[3];
    assert(Math.abs(terms[0] - sum) <= 1e-6 * terms[0], `total ${terms[0]}, terms add to ${sum}`);
    // As in gradient_test.ts: directions that agree in sign with the
    // gradient on a random 3/4 of the variables, h = 1e-4.
    const h = 1e-4;
    for (let k = 0; k < 3; k++) {
      const v = Float32Array.from(grad, (g) => (rng.uniform() < 0.75 ? 1 : -1) * (g < 0 ? -1 : 1));
      const plus = (await loss(x0.map((x, i) => x + h * v[i])))[0];
      const minus = (await loss(x0.map((x, i) => x - h * v[i])))[0];
      const numeric = (plus - minus) / (2 * h);
      let analytic = 0;
      for (let i = 0; i < n; i++) analytic += grad[i] * v[i];
      const rel = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), 1e-12);
      assert(
        rel < 5e-3,
        `${what}: direction ${k}: finite difference ${numeric}, gradient ${analytic} (relative error ${
          rel.toExponential(2)
        })`,
      );
    }
    cleanup();
  });
}

Deno.test("style loss: tile by tile gives the whole image's terms and gradient (3 tiles; terms rtol 1e-5, gradient 1e-4 of its peak)", async () => {
  // relu5_1 reaches 70 px: a 192 px crop leaves 32 px cores.
  const weights = { content: 1, style: 1, tv: 0.1, spectrum: 0 };
  const evaluate = async (maxCrop?: number) => {
    const { ctx, objective, rng, cleanup } = await make(32, 96, {
      maxCrop,
      weights,
      styleSizes: [[32, 32]],
    });
    const x = Float32Array.from({ length: objective.size }, () => rng.uniform());
    ctx.write(objective.x, x);
    objective.evaluation.run();
    const result = {
      terms: await ctx.read(objective.scalars, 0, 5),
      grad: await ctx.read(objective.grad, 0, objective.size),
      tiles: objective.net instanceof TiledVgg19 ? objective.net.tiles.length : 1,
    };
    cleanup();
    return result;
  };
  const whole = await evaluate();
  const tiled = await evaluate(192);
  assertEquals([whole.tiles, tiled.tiles], [1, 3]);
  for (let k = 0; k < 5; k++) {
    const rel = Math.abs(tiled.terms[k] - whole.terms[k]) /
      Math.max(Math.abs(whole.terms[k]), 1e-30);
    assert(rel < 1e-5, `term ${k}: tiled ${tiled.terms[k]} vs whole ${whole.terms[k]}`);
  }
  assert(whole.terms[2] > 0, "the content term is live");
  let peak = 0;
  let diff = 0;
  for (let i = 0; i < whole.grad.length; i++) {
    peak = Math.max(peak, Math.abs(whole.grad[i]));
    diff = Math.max(diff, Math.abs(tiled.grad[i] - whole.grad[i]));
  }
  assert(peak > 0 && diff <= 1e-4 * peak, `gradients differ by ${diff}, peak ${peak}`);
});
