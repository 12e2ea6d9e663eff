// The page's masks and guides without a browser: the brush paints exactly
// the pixels under its path, maps made from files mean to the engine what
// the files mean, a downloaded map reads back as the same map, and a run's
// plan hands the engine and the command the same maps under unique names,
// filling in the maps a kind in use lacks.
import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { decodeImage, encodePng, type PlanarImage } from "../../src/io/image.ts";
import { labelMap } from "../../src/synth/guides.ts";
import { maskFromImage, resizeNearest } from "../../src/synth/masks.ts";
import {
  BLACK,
  blankMap,
  coloursOf,
  countColour,
  labelMapOf,
  mapImage,
  maskMapOf,
  paintSize,
  resampleMap,
  stroke,
  WHITE,
} from "../../web/page/paint_map.ts";
import {
  blankLayer,
  describeSteering,
  fitLayer,
  type Layer,
  layerFromImage,
  layerName,
  paintBlocked,
  planSteering,
  type SteeredImage,
  steeringOptions,
  textureSources,
} from "../../web/page/steering.ts";

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** An image of random 8-bit values, or of `levels` grey/colour levels. */
function image(width: number, height: number, seed: number, levels = 256): PlanarImage {
  const r = random(seed);
  const data = Float32Array.from(
    { length: 3 * width * height },
    () => Math.floor(r() * levels) * Math.floor(255 / (levels - 1)) / 255,
  );
  return { width, height, data };
}

function painted(map: { width: number; colours: Uint32Array }, colour: number): string[] {
  const at: string[] = [];
  map.colours.forEach((c, i) => {
    if (c === colour) at.push(`${i % map.width},${Math.floor(i / map.width)}`);
  });
  return at;
}

Deno.test("paint map: a thin stroke paints the pixels under its path, a dab a disc, clipped", () => {
  const map = blankMap(10, 8, BLACK);
  assert(stroke(map, { x: 2.5, y: 1.5 }, { x: 2.5, y: 5.5 }, 0.1, WHITE));
  assertEquals(painted(map, WHITE), ["2,1", "2,2", "2,3", "2,4", "2,5"]);
  assert(!stroke(map, { x: 2.5, y: 1.5 }, { x: 2.5, y: 5.5 }, 0.1, WHITE), "nothing changed");
  const dab = blankMap(10, 8, BLACK);
  stroke(dab, { x: 5, y: 4 }, { x: 5, y: 4 }, 2, 0xff0000);
  // Centres within 2 of (5, 4): 12 pixels, a disc.
  assertEquals(countColour(dab, 0xff0000), 12);
  for (const p of painted(dab, 0xff0000)) {
    const [x, y] = p.split(",").map(Number);
    assert((x + 0.5 - 5) ** 2 + (y + 0.5 - 4) ** 2 <= 4, p);
  }
  const edge = blankMap(4, 4, BLACK);
  stroke(edge, { x: -3, y: -3 }, { x: 0.2, y: 0.2 }, 0.5, WHITE);
  assertEquals(painted(edge, WHITE), ["0,0"]);
  // A thin slanted stroke stays connected: a painted pixel in every column it crosses.
  const slant = blankMap(8, 6, BLACK);
  stroke(slant, { x: 0.3, y: 0.9 }, { x: 7.6, y: 4.2 }, 0.1, WHITE);
  const columns = new Set(painted(slant, WHITE).map((p) => p.split(",")[0]));
  assertEquals(columns.size, 8);
  assert(countColour(slant, WHITE) <= 16, "and thin");
});

Deno.test("paint map: maps from files mean to the engine what the files mean; PNGs read back", async () => {
  for (const [w, h, tw, th] of [[7, 5, 7, 5], [9, 6, 20, 13], [30, 17, 8, 11]]) {
    const guide = image(w, h, w * h, 3);
    const labels = labelMapOf(guide, tw, th);
    assertEquals(labelMap(mapImage(labels), th, tw).labels, labelMap(guide, th, tw).labels);
    const mask = image(w, h, w + h);
    const m = maskMapOf(mask, tw, th);
    assertEquals(coloursOf(m).sort(), [BLACK, WHITE].filter((c) => m.colours.includes(c)).sort());
    assertEquals(
      maskFromImage(mapImage(m)).data,
      resizeNearest(maskFromImage(mask), th, tw).data,
    );
    const png = await decodeImage(await encodePng(mapImage(labels)), "guide.png");
    assertEquals(labelMap(png, th, tw).labels, labels.colours);
  }
  assertEquals(paintSize(4096, 1024), { width: 2048, height: 512 });
  assertEquals(paintSize(300, 200), { width: 300, height: 200 });
  const map = labelMapOf(image(4, 4, 1, 3), 4, 4);
  assertEquals(resampleMap(resampleMap(map, 8, 8), 4, 4), map, "2× up and down again");
});

function steered(path: string, size: number, seed: number): SteeredImage {
  return { path, image: image(size, size, seed), hole: null, mask: null, guide: null };
}

function layer(kind: "hole" | "mask" | "guide" | "target", size: number, colour: number): Layer {
  const l = blankLayer(kind, { width: size, height: size }, layerName(kind, "x.png"));
  stroke(l.map, { x: 1, y: 1 }, { x: size - 1, y: 1 }, 1, colour);
  return l;
}

Deno.test("steering: which images are exemplars, and what may be painted over them", () => {
  assertEquals(textureSources("texture", [1, 2]), [1, 2]);
  assertEquals(textureSources("fill", [1]), [1]);
  assertEquals(textureSources("fill", [1, 2, 3]), [2, 3]);
  assertEquals(paintBlocked("texture", 2, 0, "mask"), null);
  assert(paintBlocked("fill", 1, 0, "mask")?.includes("paint its hole over the output"));
  assertEquals(paintBlocked("fill", 1, 0, "guide"), null, "the image's guide is fill's --guide");
  assert(paintBlocked("fill", 2, 0, "guide"));
  assertEquals(paintBlocked("fill", 2, 1, "mask"), null);
  assertEquals(layerName("hole", "examples/dots.png"), "dots_mask.png");
  assertEquals(layerName("target", "my wall.jpeg"), "my wall_target-guide.png");
});

Deno.test("steering: a texture run's maps, the blanks that complete a kind, unique names", () => {
  const a = steered("examples/dots.png", 8, 1);
  const b = steered("dots.png", 6, 2);
  const none = planSteering("texture", [a, b], null, { width: 16, height: 16 }, "dots_synth.png");
  assertEquals([none.files, none.downloads, steeringOptions(none)], [
    { exemplarMasks: [], guides: [] },
    [],
    { mask: undefined, image: undefined, exemplarMasks: undefined, guides: undefined },
  ]);
  assertEquals(none.exemplars, [a.image, b.image]);

  b.mask = layer("mask", 6, BLACK);
  b.mask.name = "dots_exemplar-mask.png";
  const target = layer("target", 4, 0xff0000);
  const plan = planSteering("texture", [a, b], target, { width: 16, height: 12 }, "dots_synth.png");
  assertEquals(plan.files, {
    exemplarMasks: ["dots_exemplar-mask.png", "dots_exemplar-mask-2.png"],
    guides: ["dots_guide.png", "dots_guide-2.png"],
    targetGuide: "x_target-guide.png",
  });
  assertEquals(plan.downloads.map((d) => d.name), [
    ...plan.files.exemplarMasks,
    ...plan.files.guides,
    plan.files.targetGuide,
  ]);
  const options = steeringOptions(plan);
  assertEquals(options.exemplarMasks!.map((m) => maskFromImage(m!).data), [
    new Float32Array(64).fill(1),
    maskFromImage(mapImage(b.mask.map)).data,
  ]);
  const exemplarGuides = options.guides!.exemplar as PlanarImage[];
  assertEquals(exemplarGuides.map((g) => [g.width, g.height]), [[8, 8], [6, 6]]);
  const t = labelMap(options.guides!.target, 12, 16);
  assertEquals([t.width, t.height], [16, 12], "the target guide at the output's size");
  assertEquals(t.labels, resampleMap(target.map, 16, 12).colours);
  assertEquals(describeSteering("texture", plan), {
    mode: "texture",
    mask: null,
    exemplarMasks: [{ width: 8, height: 8, used: 64 }, {
      width: 6,
      height: 6,
      used: countColour(b.mask.map, WHITE),
    }],
    guides: { exemplar: [["#000000"], ["#000000"]], target: ["#ff0000", "#000000"] },
  });
});

Deno.test("steering: a fill's hole, its image and exemplars, and a loaded map resized from its file", () => {
  const wall = steered("wall.png", 8, 3);
  const plain = planSteering("fill", [wall], null, { width: 99, height: 99 }, "wall_filled.png");
  assertEquals(plain.maps.mask, undefined, "no hole yet");
  wall.hole = blankLayer("hole", wall.image, layerName("hole", wall.path));
  assertEquals(planSteering("fill", [wall], null, wall.image, "x").maps.mask, undefined);
  stroke(wall.hole.map, { x: 2, y: 2 }, { x: 2, y: 2 }, 1, WHITE);
  wall.mask = layer("mask", 8, BLACK);
  const one = planSteering("fill", [wall], null, { width: 99, height: 99 }, "wall_filled.png");
  assertEquals([one.width, one.height, one.exemplars, one.image], [8, 8, [wall.image], undefined]);
  assertEquals(one.files, { mask: "wall_mask.png", exemplarMasks: [], guides: [] });
  assertEquals(describeSteering("fill", one).mask, { width: 8, height: 8, fill: 4 });

  const other = steered("stone.png", 5, 4);
  const two = planSteering("fill", [wall, other], null, wall.image, "wall_filled.png");
  assertEquals([two.exemplars, two.image], [[other.image], wall.image]);
  assertEquals(steeringOptions(two).image, wall.image);
  assertNotEquals(two.files.mask, undefined);

  const source = image(5, 3, 9, 3);
  const loaded = layerFromImage(source, "target", { width: 10, height: 6 }, "t.png", "t/t.png");
  const refit = fitLayer(loaded, "target", { width: 7, height: 9 });
  assertEquals(refit.map, labelMapOf(source, 7, 9), "made again from the file, as the CLI would");
  assertEquals([refit.name, refit.url], ["t.png", "t/t.png"]);
  assertEquals(fitLayer(loaded, "target", { width: 10, height: 6 }), loaded);
});
