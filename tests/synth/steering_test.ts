// Inpainting, exemplar masks and guided synthesis through the Synthesizer, on
// the scenes of examples/steering_scenes.ts with random weights: kept pixels
// stay bit for bit, a fill takes the kept part's colours and contrast, a
// guided output's regions take their labels' colours.
import { assert, assertEquals } from "@std/assert";
import { Synthesizer } from "../../src/synth/synthesizer.ts";
import { decodeImage, encodePng, type PlanarImage } from "../../src/io/image.ts";
import {
  colourStatistics,
  example,
  fillScene,
  guidedScene,
  paint,
} from "../../examples/steering_scenes.ts";
import { gpu } from "../_helpers.ts";

function keptIdentical(
  out: PlanarImage,
  image: PlanarImage,
  free: (y: number, x: number) => boolean,
): void {
  const plane = image.width * image.height;
  let kept = 0;
  for (let i = 0; i < 3 * plane; i++) {
    const p = i % plane;
    if (free(Math.floor(p / image.width), p % image.width)) continue;
    kept++;
    if (out.data[i] !== image.data[i]) {
      throw new Error(`kept value ${i} changed: ${out.data[i]} ≠ ${image.data[i]}`);
    }
  }
  assert(kept > 0);
}

// The measure: per-channel mean and standard deviation (contrast) of the
// fill against the kept pixels. With random weights and 30 iterations the
// means agree within 0.05 and each channel's contrast within a factor 1.5
// (bench/steering.ts prints the figures of longer runs); "not flat" is the
// same contrast bound from below.
Deno.test("inpainting a 64 px texture's 20×20 hole: kept pixels bit for bit (in the PNG too), the fill in the kept part's colours and contrast", async () => {
  const { image, mask, hole } = await fillScene(64, 20);
  const inHole = (y: number, x: number) =>
    y >= hole.y && y < hole.y + hole.side && x >= hole.x && x < hole.x + hole.side;
  const synth = await Synthesizer.create(image, { weights: "random", mask, gpu: await gpu() });
  await synth.synthesize(30);
  const out = await synth.image();
  synth.dispose();
  keptIdentical(out, image, inHole);
  const decoded = await decodeImage(await encodePng(out), "fill.png");
  keptIdentical(decoded, image, inHole);
  const inside = colourStatistics(out, inHole);
  const outside = colourStatistics(out, (y, x) => !inHole(y, x));
  assertEquals(inside.pixels, 400);
  for (let c = 0; c < 3; c++) {
    const dm = Math.abs(inside.mean[c] - outside.mean[c]);
    const ratio = inside.std[c] / outside.std[c];
    assert(dm < 0.05, `channel ${c}: mean ${inside.mean[c]} inside, ${outside.mean[c]} outside`);
    assert(ratio > 1 / 1.5 && ratio < 1.5, `channel ${c}: contrast ratio ${ratio}`);
  }
});

Deno.test("inpainting at two scales, tiling, from another exemplar: kept pixels stay bit for bit", async () => {
  const { image, mask, hole } = await fillScene(48, 14);
  const other = paint(40, 40, (y, x) => [(x % 8) / 8, (y % 5) / 5, 0.5]);
  const inHole = (y: number, x: number) =>
    y >= hole.y && y < hole.y + hole.side && x >= hole.x && x < hole.x + hole.side;
  const synth = await Synthesizer.create(other, {
    weights: "random",
    mask,
    image,
    scales: 2,
    tile: true,
    gpu: await gpu(),
  });
  assertEquals([synth.width, synth.height], [48, 48]);
  await synth.synthesize(4);
  const out = await synth.image();
  keptIdentical(out, image, inHole);
  await synth.setImage(paint(48, 48, () => [0.2, 0.9, 0.4]));
  await synth.optimize(2);
  keptIdentical(await synth.image(), image, inHole);
  synth.dispose();
});

// Colours measured as in the fill test; each region's mean must sit closer
// to its own label's half of the exemplar than to the other half.
Deno.test("guided synthesis: inside a white disc the right half's colours, outside the left half's", async () => {
  const scene = await guidedScene(48);
  const synth = await Synthesizer.create(scene.exemplar, {
    weights: "random",
    guides: { exemplar: scene.exemplarGuide, target: scene.targetGuide },
    gpu: await gpu(),
  });
  await synth.synthesize(20);
  const out = await synth.image();
  synth.dispose();
  const plane = 48 * 48;
  const white = (img: PlanarImage) => (y: number, x: number) => img.data[y * 48 + x] > 0.5;
  const left = colourStatistics(scene.exemplar, (y, x) => !white(scene.exemplarGuide)(y, x));
  const right = colourStatistics(scene.exemplar, white(scene.exemplarGuide));
  const inside = colourStatistics(out, white(scene.targetGuide));
  const outside = colourStatistics(out, (y, x) => !white(scene.targetGuide)(y, x));
  assert(inside.pixels > 0 && inside.pixels < plane);
  const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, c) => v - b[c]));
  const dIn = [distance(inside.mean, right.mean), distance(inside.mean, left.mean)];
  const dOut = [distance(outside.mean, left.mean), distance(outside.mean, right.mean)];
  assert(dIn[0] < 0.05 && dIn[0] < dIn[1] / 3, `inside: ${dIn}`);
  assert(dOut[0] < 0.05 && dOut[0] < dOut[1] / 3, `outside: ${dOut}`);
});

Deno.test("an exemplar mask keeps a masked-out logo's colour out of the output", async () => {
  const image = await example("cracks", 48);
  // A saturated blue square, the "logo", on a brown texture.
  const logo = (y: number, x: number) => y >= 8 && y < 24 && x >= 8 && x < 24;
  const plane = 48 * 48;
  const exemplar = paint(
    48,
    48,
    (y, x) => logo(y, x) ? [0, 0.2, 1] : [0, 1, 2].map((c) => image.data[c * plane + y * 48 + x]),
  );
  const blueness = async (masked: boolean): Promise<number> => {
    const synth = await Synthesizer.create(exemplar, {
      weights: "random",
      exemplarMasks: masked ? [paint(48, 48, (y, x) => logo(y, x) ? [0, 0, 0] : [1, 1, 1])] : [],
      spectrum: false,
      gpu: await gpu(),
    });
    await synth.synthesize(15);
    const out = await synth.image();
    synth.dispose();
    let blue = 0;
    for (let i = 0; i < plane; i++) {
      if (out.data[2 * plane + i] - out.data[i] > 0.4) blue++;
    }
    return blue / plane;
  };
  const without = await blueness(false);
  const withMask = await blueness(true);
  assert(without > 0.03, `unmasked, ${without} of the output is logo-blue`);
  assert(withMask < without / 4, `masked ${withMask} vs unmasked ${without}`);
});

Deno.test("inpainting with guides: each label fills its part of the hole, kept pixels stay", async () => {
  const scene = await guidedScene(32);
  const hole = (y: number, x: number) => y >= 8 && y < 24 && x >= 10 && x < 22;
  const synth = await Synthesizer.create(scene.exemplar, {
    weights: "random",
    mask: paint(32, 32, (y, x) => hole(y, x) ? [1, 1, 1] : [0, 0, 0]),
    // The hole straddles both halves; the output's labels are the image's own.
    guides: { exemplar: scene.exemplarGuide, target: scene.exemplarGuide },
    gpu: await gpu(),
  });
  await synth.synthesize(3);
  keptIdentical(await synth.image(), scene.exemplar, hole);
  synth.dispose();
});
