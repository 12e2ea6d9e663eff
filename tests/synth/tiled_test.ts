// Tile-by-tile evaluation (for outputs too large for one pass) gives the
// loss and gradient of the whole image: the crops' margins cover the
// network's reach and the Gram matrices add up over the tiles.
import { assert, assertEquals } from "@std/assert";
import { TextureObjective } from "../../src/synth/objective.ts";
import type { Padding } from "../../src/ops/conv3x3.ts";
import { VggConvs } from "../../src/nn/vgg19_convs.ts";
import { planTiles, TiledVgg19 } from "../../src/nn/tiled_vgg19.ts";
import { LIU, type Preset, SEED } from "../../src/synth/presets.ts";
import { Random } from "../../src/random.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import { TexSynthError } from "../../src/errors.ts";
import { gpu } from "../_helpers.ts";

interface Evaluation {
  scalars: Float32Array;
  grad: Float32Array;
  tiles: number;
}

async function evaluate(
  preset: Preset,
  height: number,
  width: number,
  padding: Padding,
  maxCrop?: number,
): Promise<Evaluation> {
  const ctx = await gpu();
  const rng = new Random(21);
  const n = 3 * height * width;
  // The exemplar is a different size, tiled too when maxCrop is given.
  const [eh, ew] = [height + 8, width - 4];
  const exemplar = ctx.upload(
    "exemplar",
    Float32Array.from({ length: 3 * eh * ew }, () => rng.uniform()),
  );
  const x = Float32Array.from({ length: n }, () => rng.uniform());
  const convs = new VggConvs(ctx, randomVggWeights(4, Math.max(...preset.layers)));
  const objective = await TextureObjective.create(
    ctx,
    convs,
    [{ buffer: exemplar, height: eh, width: ew }],
    height,
    width,
    preset,
    { padding, checkpointing: true, maxCrop },
  );
  ctx.write(objective.x, x);
  objective.evaluation.run();
  const result = {
    scalars: await ctx.read(objective.scalars, 0, 3),
    grad: await ctx.read(objective.grad, 0, n),
    tiles: objective.net instanceof TiledVgg19 ? objective.net.tiles.length : 1,
  };
  objective.destroy();
  convs.destroy();
  ctx.destroyBuffer(exemplar);
  return result;
}

function assertSame(tiled: Evaluation, whole: Evaluation, what: string): void {
  for (let i = 0; i < 3; i++) {
    const rel = Math.abs(tiled.scalars[i] - whole.scalars[i]) / Math.abs(whole.scalars[i]);
    assert(
      rel < 1e-5,
      `${what}: scalar ${i} tiled ${tiled.scalars[i]} vs whole ${whole.scalars[i]}`,
    );
  }
  let peak = 0;
  let diff = 0;
  for (let i = 0; i < whole.grad.length; i++) {
    peak = Math.max(peak, Math.abs(whole.grad[i]));
    diff = Math.max(diff, Math.abs(tiled.grad[i] - whole.grad[i]));
  }
  assert(peak > 0, `${what}: zero gradient`);
  assert(diff <= 1e-4 * peak, `${what}: gradients differ by ${diff}, peak ${peak}`);
}

// Two pools deep: stride 4, a margin of 8 px.
const SHALLOW: Preset = { ...LIU, layers: [1, 4, 9] };

for (const padding of ["zero", "circular"] as const) {
  Deno.test(`tiles give the whole image's loss and gradient (${padding} padding, 9 tiles of 3 crop shapes; loss rtol 1e-5, gradient 1e-4 of its peak)`, async () => {
    const whole = await evaluate(SHALLOW, 64, 56, padding);
    const tiled = await evaluate(SHALLOW, 64, 56, padding, 40);
    assertEquals(tiled.tiles, 9);
    assertSame(tiled, whole, padding);
  });
}

Deno.test("periodic tiles wider than the image fold their margins back (circular, crop 40 px on a 24 px side)", async () => {
  const whole = await evaluate(SHALLOW, 32, 24, "circular");
  const tiled = await evaluate(SHALLOW, 32, 24, "circular", 40);
  assertEquals(tiled.tiles, 2);
  assertSame(tiled, whole, "fold");
});

Deno.test("a last core narrower than a layer's stride adds nothing there (exemplar 72×38, crop 28 px; loss rtol 1e-5, gradient 1e-4 of its peak)", async () => {
  // 12 px cores: the exemplar's last column of cores is 2 px wide, less
  // than pool2's stride of 4, so it holds pixels at relu1_1 and pool1 only.
  const whole = await evaluate(SHALLOW, 64, 42, "zero");
  const tiled = await evaluate(SHALLOW, 64, 42, "zero", 28);
  assertSame(tiled, whole, "narrow last core");
});

Deno.test("tiles reach as deep as the seed preset's pool5 (loss rtol 1e-5, gradient 1e-4 of its peak)", async () => {
  const whole = await evaluate(SEED, 96, 64, "zero");
  const tiled = await evaluate(SEED, 96, 64, "zero", 320);
  assertEquals(tiled.tiles, 2);
  assertSame(tiled, whole, "seed");
});

Deno.test("planTiles: cores partition the image on the stride grid, crops add the margin", () => {
  const reach = { stride: 16, before: 60, after: 62 };
  for (const wrap of [false, true]) {
    const tiles = planTiles(1000, 700, reach, 400, wrap);
    const covered = new Uint8Array(1000 * 700);
    for (const { core, crop } of tiles) {
      assertEquals(core.y % 16, 0);
      assertEquals(core.x % 16, 0);
      assert(crop.height <= 400 && crop.width <= 400);
      for (let y = core.y; y < core.y + core.height; y++) {
        for (let x = core.x; x < core.x + core.width; x++) covered[y * 700 + x]++;
      }
      const top = wrap || core.y > 0 ? 64 : 0;
      assertEquals(core.y - crop.y, top);
      const bottom = wrap || core.y + core.height < 1000 ? 64 : 0;
      assertEquals(crop.y + crop.height - core.y - core.height, bottom);
    }
    assert(covered.every((c) => c === 1), "every pixel in exactly one core");
  }
});

Deno.test("planTiles refuses crops too small for the margins", () => {
  let error: unknown;
  try {
    planTiles(1000, 1000, { stride: 16, before: 60, after: 60 }, 100, false);
  } catch (e) {
    error = e;
  }
  assert(error instanceof TexSynthError, String(error));
});
