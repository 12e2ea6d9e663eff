/**
 * Measures inpainting, guided synthesis and the choices behind them, as JSON
 * lines (README, "Masks and guides", quotes them):
 *
 * - `fill`: a 64 px texture (examples/cracks.png) with a 20×20 hole (`--hole`): whether
 *   the kept pixels are bit for bit the input's, and the per-channel mean and
 *   standard deviation (contrast) inside the hole against the kept part;
 * - `fill-spectrum`: the same with the spectrum term on (the whole image
 *   against the image's own modulus), once as is and once with the hole
 *   painted flat grey first (a stain to remove): the correlation of the fill
 *   with the hole's original content, and the fill's contrast;
 * - `guided`: an exemplar of bricks (left half, labelled black) and noise
 *   (right half, white), a target guide with a white disc on black: the
 *   colour statistics of both halves and of the output inside and outside
 *   the disc;
 * - `exemplar-mask`: examples/cracks.png at 64 px with a saturated blue
 *   20×24 "logo", masked out: the Gram loss (`liu`, no spectrum) of the clean
 *   texture against the masked statistics, with the logo's pixels left in
 *   the exemplar or painted in the kept mean colour (what the Synthesizer
 *   does), and the share of logo-blue pixels in syntheses without and with
 *   the mask;
 * - `masks`: how much of the kept part of the fill scene each loss layer
 *   would still see if masks were eroded at every 3×3 convolution, against
 *   the masks as carried (a mean over each convolution's window).
 *
 *   deno run -A bench/steering.ts [--iterations 100] [--preset liu|seed] [--hole 20]
 *     [--weights random|FILE] [--only fill|fill-spectrum|guided|exemplar-mask|masks]
 */
import { parseArgs } from "@std/cli/parse-args";
import type { PlanarImage } from "../src/io/image.ts";
import { Synthesizer, type SynthesizerOptions } from "../src/synth/synthesizer.ts";
import type { PresetName } from "../src/synth/presets.ts";
import { loadWeightsFile } from "../src/weights/load.ts";
import { layerMasks, type Mask, maskArea, poolMask } from "../src/synth/masks.ts";
import {
  colourStatistics,
  example,
  fillScene,
  guidedScene,
  paint,
} from "../examples/steering_scenes.ts";
import { GpuContext } from "../src/gpu/context.ts";
import { VggConvs } from "../src/nn/vgg19_convs.ts";
import { TextureObjective } from "../src/synth/objective.ts";
import { preset as presetNamed } from "../src/synth/presets.ts";
import { Steering } from "../src/synth/steering.ts";
import { randomVggWeights } from "../src/weights/vgg19_weights.ts";

const args = parseArgs(Deno.args, {
  string: ["iterations", "preset", "weights", "only", "hole"],
});
const iterations = Number(args.iterations ?? 100);
const preset = (args.preset ?? "liu") as PresetName;
const weights = !args.weights || args.weights === "random"
  ? "random"
  : await loadWeightsFile(args.weights);
const weightsName = weights === "random" ? "random (seed 0)" : args.weights;
const wanted = (what: string) => !args.only || args.only === what;

function round(values: number[]): number[] {
  return values.map((v) => Number(v.toFixed(4)));
}

async function synthesize(
  exemplar: PlanarImage,
  options: Omit<SynthesizerOptions, "weights">,
): Promise<{ image: PlanarImage; loss: number; seconds: number }> {
  const started = performance.now();
  const synth = await Synthesizer.create(exemplar, { weights, preset, seed: 0, ...options });
  const { last } = await synth.synthesize(iterations);
  const image = await synth.image();
  synth.dispose();
  return { image, loss: last.loss, seconds: (performance.now() - started) / 1000 };
}

/** Pearson correlation of two images over the selected pixels, per channel, averaged over the channels. */
function correlation(
  a: PlanarImage,
  b: PlanarImage,
  select: (y: number, x: number) => boolean,
): number {
  const plane = a.width * a.height;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const pairs: [number, number][] = [];
    for (let p = 0; p < plane; p++) {
      if (select(Math.floor(p / a.width), p % a.width)) {
        pairs.push([a.data[c * plane + p], b.data[c * plane + p]]);
      }
    }
    const ma = pairs.reduce((s, q) => s + q[0], 0) / pairs.length;
    const mb = pairs.reduce((s, q) => s + q[1], 0) / pairs.length;
    let ab = 0, aa = 0, bb = 0;
    for (const [x, y] of pairs) {
      ab += (x - ma) * (y - mb);
      aa += (x - ma) ** 2;
      bb += (y - mb) ** 2;
    }
    total += aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
  }
  return total / 3;
}

const side = Number(args.hole ?? 20);
const scene = await fillScene(64, side);
const { hole } = scene;
const inHole = (y: number, x: number) =>
  y >= hole.y && y < hole.y + hole.side && x >= hole.x && x < hole.x + hole.side;
const kept = (y: number, x: number) => !inHole(y, x);

function fillFigures(out: PlanarImage, input: PlanarImage) {
  const plane = 64 * 64;
  let identical = true;
  for (let i = 0; i < 3 * plane; i++) {
    const p = i % plane;
    if (kept(Math.floor(p / 64), p % 64) && out.data[i] !== input.data[i]) identical = false;
  }
  const inside = colourStatistics(out, inHole);
  const outside = colourStatistics(out, kept);
  return {
    keptIdentical: identical,
    insideMean: round(inside.mean),
    keptMean: round(outside.mean),
    insideStd: round(inside.std),
    keptStd: round(outside.std),
    contrastRatio: round(inside.std.map((s, c) => s / outside.std[c])),
    correlationWithOriginal: Number(correlation(out, scene.image, inHole).toFixed(3)),
  };
}

if (wanted("fill")) {
  const run = await synthesize(scene.image, { mask: scene.mask });
  console.log(JSON.stringify({
    measure: "fill",
    size: 64,
    hole: `${side}×${side}`,
    preset,
    weights: weightsName,
    iterations,
    loss: run.loss,
    seconds: Number(run.seconds.toFixed(1)),
    ...fillFigures(run.image, scene.image),
  }));
}

if (wanted("fill-spectrum")) {
  const plane = 64 * 64;
  const stained: PlanarImage = {
    ...scene.image,
    data: scene.image.data.map((v, i) =>
      inHole(Math.floor((i % plane) / 64), (i % plane) % 64) ? 0.5 : v
    ),
  };
  for (const [what, input] of [["hole as it is", scene.image], ["hole grey", stained]] as const) {
    for (const spectrum of [false, true]) {
      const run = await synthesize(input, { mask: scene.mask, spectrum });
      console.log(JSON.stringify({
        measure: "fill-spectrum",
        hole: `${side}×${side}`,
        input: what,
        spectrum,
        preset,
        weights: weightsName,
        iterations,
        ...fillFigures(run.image, input),
      }));
    }
  }
}

if (wanted("guided")) {
  const g = await guidedScene(64);
  const white = (img: PlanarImage) => (y: number, x: number) => img.data[y * 64 + x] > 0.5;
  const run = await synthesize(g.exemplar, {
    guides: { exemplar: g.exemplarGuide, target: g.targetGuide },
  });
  const stats = (img: PlanarImage, select: (y: number, x: number) => boolean) => {
    const s = colourStatistics(img, select);
    return { mean: round(s.mean), std: round(s.std) };
  };
  console.log(JSON.stringify({
    measure: "guided",
    size: 64,
    preset,
    weights: weightsName,
    iterations,
    loss: run.loss,
    seconds: Number(run.seconds.toFixed(1)),
    exemplarLeft: stats(g.exemplar, (y, x) => !white(g.exemplarGuide)(y, x)),
    exemplarRight: stats(g.exemplar, white(g.exemplarGuide)),
    outsideDisc: stats(run.image, (y, x) => !white(g.targetGuide)(y, x)),
    insideDisc: stats(run.image, white(g.targetGuide)),
  }));
}

if (wanted("exemplar-mask")) {
  const texture = await example("cracks", 64);
  const plane = 64 * 64;
  const logo = (y: number, x: number) => y >= 12 && y < 32 && x >= 20 && x < 44;
  const withLogo = paint(
    64,
    64,
    (y, x) =>
      logo(y, x) ? [0.1, 0.3, 0.95] : [0, 1, 2].map((c) => texture.data[c * plane + y * 64 + x]),
  );
  const mask = paint(64, 64, (y, x) => logo(y, x) ? [0, 0, 0] : [1, 1, 1]);
  const plan = Steering.plan([withLogo], { width: 64, height: 64 }, { exemplarMasks: [mask] })!;
  const spec = { ...presetNamed(preset), spectrumWeight: 0 };
  const ctx = await GpuContext.create();
  const convs = new VggConvs(
    ctx,
    weights === "random" ? randomVggWeights(0, Math.max(...spec.layers)) : weights,
  );
  const lossAtTexture = async (exemplar: PlanarImage): Promise<number> => {
    const buffer = ctx.upload("exemplar", exemplar.data);
    const objective = await TextureObjective.create(
      ctx,
      convs,
      [{ buffer, height: 64, width: 64 }],
      64,
      64,
      spec,
      {
        padding: "zero",
        checkpointing: false,
        regions: plan.regionsAt(64, 64, [{ height: 64, width: 64 }]),
      },
    );
    ctx.write(objective.x, texture.data);
    objective.evaluation.run();
    const [loss] = await ctx.read(objective.scalars, 0, 1);
    objective.destroy();
    ctx.destroyBuffer(buffer);
    return loss;
  };
  const leftIn = await lossAtTexture(withLogo);
  const painted = await lossAtTexture(plan.exemplarsSeen([withLogo])[0]);
  convs.destroy();
  ctx.destroy();
  const blueShare = async (masked: boolean): Promise<number> => {
    const run = await synthesize(withLogo, {
      exemplarMasks: masked ? [mask] : undefined,
      spectrum: false,
    });
    let blue = 0;
    for (let i = 0; i < plane; i++) {
      if (run.image.data[2 * plane + i] - run.image.data[i] > 0.4) blue++;
    }
    return Number((blue / plane).toFixed(4));
  };
  console.log(JSON.stringify({
    measure: "exemplar-mask",
    size: 64,
    preset,
    weights: weightsName,
    iterations,
    gramLossOfTextureLogoLeftIn: Number(leftIn.toPrecision(3)),
    gramLossOfTextureLogoPainted: Number(painted.toPrecision(3)),
    logoBlueShareUnmasked: await blueShare(false),
    logoBlueShareMasked: await blueShare(true),
  }));
}

if (wanted("masks")) {
  // Erosion keeps a feature only if every input of its 3×3 window (and of
  // its pool's 2×2 block) is in the region.
  const erode = (m: Mask): Mask => {
    const { width, height } = m;
    const data = m.data.map((_, i) => {
      const y = Math.floor(i / width);
      const x = i % width;
      let v = 1;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < height && xx >= 0 && xx < width) {
            v = Math.min(v, m.data[yy * width + xx]);
          }
        }
      }
      return v;
    });
    return { width, height, data };
  };
  const pools = new Set([4, 9, 18, 27, 36]);
  const convs = new Set([0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]);
  const keptMask: Mask = {
    width: 64,
    height: 64,
    data: Float32Array.from(
      { length: 64 * 64 },
      (_, i) => kept(Math.floor(i / 64), i % 64) ? 1 : 0,
    ),
  };
  const layers = preset === "seed" ? [1, 4, 9, 18, 27, 36] : [1, 4, 9, 18, 27];
  let eroded = keptMask;
  let index = 0;
  const erodedShare: number[] = [];
  for (const layer of layers) {
    for (; index <= layer; index++) {
      if (convs.has(index)) eroded = erode(eroded);
      else if (pools.has(index)) {
        const p = poolMask(eroded);
        eroded = { ...p, data: p.data.map((v) => v === 1 ? 1 : 0) };
      }
    }
    erodedShare.push(maskArea(eroded) / (eroded.width * eroded.height));
  }
  const carried = layerMasks(keptMask, layers, false).map((m) =>
    maskArea(m) / (m.width * m.height)
  );
  console.log(JSON.stringify({
    measure: "masks",
    scene: "kept part of a 64 px image with a 20×20 hole",
    layers,
    keptShareEroded: round(erodedShare),
    keptShareCarried: round(carried),
  }));
}
