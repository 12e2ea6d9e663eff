// Steered objectives (masked and guided Gram terms, src/synth/region_gram.ts):
// the gradient against central differences, tile-by-tile evaluation against
// the whole image, the unmasked case against the plain objective, and the
// gradient mask that keeps an inpainting's pixels still.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { TextureObjective } from "../../src/synth/objective.ts";
import type { Region } from "../../src/synth/region_gram.ts";
import type { Padding } from "../../src/ops/conv3x3.ts";
import { VggConvs } from "../../src/nn/vgg19_convs.ts";
import { TiledVgg19 } from "../../src/nn/tiled_vgg19.ts";
import { LIU, type Preset, SEED } from "../../src/synth/presets.ts";
import type { Mask } from "../../src/synth/masks.ts";
import { Random } from "../../src/random.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import { TexSynthError } from "../../src/errors.ts";
import { gpu } from "../_helpers.ts";

/** A disc of radius r·min(h, w) at the centre: 1 inside, 0 outside. */
function disc(height: number, width: number, r: number): Mask {
  const data = new Float32Array(height * width);
  const radius = r * Math.min(height, width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data[y * width + x] = Math.hypot(y + 0.5 - height / 2, x + 0.5 - width / 2) < radius ? 1 : 0;
    }
  }
  return { height, width, data };
}

function invert(m: Mask): Mask {
  return { ...m, data: m.data.map((v) => 1 - v) };
}

/** Left half 1 (or right half with `right`). */
function half(height: number, width: number, right: boolean): Mask {
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = (x < width / 2) !== right ? 1 : 0;
  }
  return { height, width, data };
}

/** Two labels: the output's disc takes the exemplar's right half, the rest its left half. */
function guided(h: number, w: number, eh: number, ew: number): Region[] {
  const d = disc(h, w, 0.3);
  const inside = d.data.reduce((a, b) => a + b, 0) / (h * w);
  return [
    { output: invert(d), exemplars: [half(eh, ew, false)], share: 1 - inside },
    { output: d, exemplars: [half(eh, ew, true)], share: inside },
  ];
}

interface Setup {
  preset: Preset;
  height: number;
  width: number;
  regions?: Region[];
  padding?: Padding;
  maxCrop?: number;
  free?: Float32Array;
  exemplar?: [number, number];
}

async function objectiveFor(s: Setup) {
  const ctx = await gpu();
  const rng = new Random(31);
  const [eh, ew] = s.exemplar ?? [s.height, s.width];
  const exemplar = ctx.upload(
    "exemplar",
    Float32Array.from({ length: 3 * eh * ew }, () => rng.uniform()),
  );
  const convs = new VggConvs(ctx, randomVggWeights(6, Math.max(...s.preset.layers)));
  const objective = await TextureObjective.create(
    ctx,
    convs,
    [{ buffer: exemplar, height: eh, width: ew }],
    s.height,
    s.width,
    s.preset,
    {
      padding: s.padding ?? "zero",
      checkpointing: true,
      maxCrop: s.maxCrop,
      regions: s.regions,
      free: s.free,
    },
  );
  const x = Float32Array.from({ length: objective.size }, () => 0.2 + 0.6 * rng.uniform());
  return {
    ctx,
    objective,
    x,
    async evaluate(at: Float32Array = x): Promise<{ scalars: Float32Array; grad: Float32Array }> {
      ctx.write(objective.x, at);
      objective.evaluation.run();
      return {
        scalars: await ctx.read(objective.scalars, 0, 3),
        grad: await ctx.read(objective.grad, 0, objective.size),
      };
    },
    destroy(): void {
      objective.destroy();
      convs.destroy();
      ctx.destroyBuffer(exemplar);
    },
  };
}

// As tests/synth/gradient_test.ts: directional derivatives along ±1
// directions that agree in sign with the gradient on 3/4 of the pixels,
// h = 1e-4, relative error 5e-3.
async function checkGradient(s: Setup): Promise<void> {
  const o = await objectiveFor(s);
  const { grad, scalars } = await o.evaluate();
  const rng = new Random(7);
  const h = 1e-4;
  for (let k = 0; k < 3; k++) {
    const v = Float32Array.from(grad, (g) => (rng.uniform() < 0.75 ? 1 : -1) * (g < 0 ? -1 : 1));
    const plus = (await o.evaluate(o.x.map((x, i) => x + h * v[i]))).scalars[0];
    const minus = (await o.evaluate(o.x.map((x, i) => x - h * v[i]))).scalars[0];
    const numeric = (plus - minus) / (2 * h);
    let analytic = 0;
    for (let i = 0; i < grad.length; i++) analytic += grad[i] * v[i];
    const rel = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), 1e-12);
    assert(
      rel < 5e-3,
      `direction ${k}: finite difference ${numeric}, gradient ${analytic} (relative ${
        rel.toExponential(2)
      }, loss ${scalars[0]})`,
    );
  }
  o.destroy();
}

for (const preset of [SEED, LIU]) {
  const gramOnly = { ...preset, spectrumWeight: 0 };
  Deno.test(`${preset.name}: a masked Gram term's gradient matches central differences (5e-3 relative)`, async () => {
    const d = disc(32, 32, 0.3);
    await checkGradient({
      preset: gramOnly,
      height: 32,
      width: 32,
      regions: [{ output: d, exemplars: [invert(disc(40, 36, 0.2))], share: 1 }],
      exemplar: [40, 36],
    });
  });
  Deno.test(`${preset.name}: a guided (two-label) Gram term's gradient matches central differences (5e-3 relative)`, async () => {
    await checkGradient({
      preset: gramOnly,
      height: 32,
      width: 32,
      regions: guided(32, 32, 32, 40),
      exemplar: [32, 40],
    });
  });
}

// Two pools deep: stride 4, a margin of 8 px (as tests/synth/tiled_test.ts).
const SHALLOW: Preset = { ...LIU, layers: [1, 4, 9] };

function assertSame(
  tiled: { scalars: Float32Array; grad: Float32Array },
  whole: { scalars: Float32Array; grad: Float32Array },
  what: string,
): void {
  for (let i = 0; i < 3; i++) {
    const rel = Math.abs(tiled.scalars[i] - whole.scalars[i]) / Math.abs(whole.scalars[i] || 1);
    assert(rel < 1e-5, `${what}: scalar ${i} tiled ${tiled.scalars[i]} vs ${whole.scalars[i]}`);
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

for (const padding of ["zero", "circular"] as const) {
  Deno.test(`guided regions: tiles give the whole image's loss and gradient (${padding}, output and exemplar tiled; loss rtol 1e-5, gradient 1e-4 of its peak)`, async () => {
    const setup = {
      preset: SHALLOW,
      height: 64,
      width: 56,
      padding,
      regions: guided(64, 56, 72, 52),
      exemplar: [72, 52] as [number, number],
    };
    const whole = await objectiveFor(setup);
    const w = await whole.evaluate();
    whole.destroy();
    const tiled = await objectiveFor({ ...setup, maxCrop: 40 });
    const net = tiled.objective.net;
    assertEquals(net instanceof TiledVgg19 ? net.tiles.length : 1, 9);
    const t = await tiled.evaluate();
    tiled.destroy();
    assertSame(t, w, padding);
  });
}

Deno.test("one region without masks is the plain objective (loss and gradient within f32 rounding)", async () => {
  // Both scalings (fixed and relative to the target), two pools deep to stay quick.
  for (const preset of [{ ...SEED, layers: [1, 4, 9] }, SHALLOW]) {
    const setup = { preset, height: 32, width: 32, exemplar: [36, 40] as [number, number] };
    const plain = await objectiveFor(setup);
    const p = await plain.evaluate();
    plain.destroy();
    const steered = await objectiveFor({
      ...setup,
      regions: [{ output: null, exemplars: [null], share: 1 }],
    });
    const s = await steered.evaluate();
    steered.destroy();
    assertSame(s, p, preset.name);
  }
});

Deno.test("the free mask zeroes the gradient on kept pixels and leaves the others", async () => {
  // Gram terms only: with a free mask the spectrum term is weighted per free pixel.
  const preset = { ...SHALLOW, spectrumWeight: 0 };
  const [h, w] = [32, 32];
  const hole = disc(h, w, 0.25);
  const regions: Region[] = [{ output: hole, exemplars: [invert(hole)], share: 1 }];
  const open = await objectiveFor({ preset, height: h, width: w, regions });
  const a = await open.evaluate();
  open.destroy();
  const masked = await objectiveFor({
    preset,
    height: h,
    width: w,
    regions,
    free: hole.data,
  });
  const b = await masked.evaluate();
  masked.destroy();
  const plane = h * w;
  let moved = 0;
  for (let i = 0; i < 3 * plane; i++) {
    if (hole.data[i % plane] === 0) {
      assertEquals(b.grad[i], 0);
      if (a.grad[i] !== 0) moved++;
    } else {
      assertEquals(b.grad[i], a.grad[i]);
    }
  }
  assert(moved > 0, "the unmasked gradient reaches kept pixels (the network sees them)");
});

Deno.test("masks with the sliced Wasserstein loss are refused with a TexSynthError", async () => {
  await assertRejects(
    async () => {
      const ctx = await gpu();
      const convs = new VggConvs(ctx, randomVggWeights(6, 9));
      const e = ctx.createBuffer("exemplar", 3 * 32 * 32 * 4);
      try {
        await TextureObjective.create(ctx, convs, [{ buffer: e, height: 32, width: 32 }], 32, 32, {
          ...LIU,
          layers: [1, 4, 9],
        }, {
          padding: "zero",
          checkpointing: false,
          loss: "sw",
          regions: [{ output: null, exemplars: [null], share: 1 }],
        });
      } finally {
        convs.destroy();
        ctx.destroyBuffer(e);
      }
    },
    TexSynthError,
    "Gram loss only",
  );
});
