/**
 * Makes the README's before/after pictures of steering:
 * - docs/steering_fill.png: examples/cracks.png at 128 px with a 40×40 hole
 *   (shown magenta) | the hole filled from the rest of the image;
 * - docs/steering_exemplar_mask.png: an exemplar with a blue "logo" | its
 *   mask | a synthesis without the mask | with it;
 * - docs/steering_guided.png: an exemplar of bricks and noise | its labels |
 *   the target's labels | the guided synthesis.
 *
 *   deno run -A examples/make_steering_demo.ts [--weights FILE|random] [--iterations 100]
 */
import { parseArgs } from "@std/cli/parse-args";
import { writeFileAtomic } from "../src/io/atomic_write.ts";
import { encodePng, type PlanarImage } from "../src/io/image.ts";
import { Synthesizer, type SynthesizerOptions } from "../src/synth/synthesizer.ts";
import { loadWeightsFile } from "../src/weights/load.ts";
import { example, fillScene, guidedScene, paint } from "./steering_scenes.ts";

const args = parseArgs(Deno.args, { string: ["weights", "iterations"] });
const iterations = Number(args.iterations ?? 100);
const weights = !args.weights || args.weights === "random"
  ? "random"
  : await loadWeightsFile(args.weights);
const root = new URL("../", import.meta.url);

/** Panels side by side on white, 4 px apart. */
function row(panels: PlanarImage[]): PlanarImage {
  const gap = 4;
  const height = Math.max(...panels.map((p) => p.height));
  const width = panels.reduce((s, p) => s + p.width, 0) + gap * (panels.length - 1);
  const data = new Float32Array(3 * height * width).fill(1);
  let left = 0;
  for (const p of panels) {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < p.height; y++) {
        for (let x = 0; x < p.width; x++) {
          data[(c * height + y) * width + left + x] = p.data[(c * p.height + y) * p.width + x];
        }
      }
    }
    left += p.width + gap;
  }
  return { width, height, data };
}

async function synthesize(
  exemplar: PlanarImage,
  options: Omit<SynthesizerOptions, "weights">,
): Promise<PlanarImage> {
  const synth = await Synthesizer.create(exemplar, { weights, seed: 0, ...options });
  await synth.synthesize(iterations);
  const image = await synth.image();
  synth.dispose();
  return image;
}

async function save(name: string, image: PlanarImage): Promise<void> {
  const path = new URL(`docs/${name}`, root).pathname;
  await writeFileAtomic(path, await encodePng(image));
  console.log(`wrote ${path}`);
}

const size = 128;
const fill = await fillScene(size, 40);
const plane = size * size;
const shown = {
  ...fill.image,
  data: fill.image.data.map((v, i) =>
    fill.mask.data[i % plane] > 0.5 ? [1, 0, 1][Math.floor(i / plane)] : v
  ),
};
await save(
  "steering_fill.png",
  row([shown, await synthesize(fill.image, { mask: fill.mask })]),
);

const texture = await example("cracks", size);
const logo = (y: number, x: number) => y >= 24 && y < 64 && x >= 40 && x < 88;
const withLogo = paint(
  size,
  size,
  (y, x) =>
    logo(y, x) ? [0.1, 0.3, 0.95] : [0, 1, 2].map((c) => texture.data[c * plane + y * size + x]),
);
const logoMask = paint(size, size, (y, x) => logo(y, x) ? [0, 0, 0] : [1, 1, 1]);
await save(
  "steering_exemplar_mask.png",
  row([
    withLogo,
    logoMask,
    await synthesize(withLogo, { spectrum: false }),
    await synthesize(withLogo, { exemplarMasks: [logoMask] }),
  ]),
);

const guided = await guidedScene(size);
await save(
  "steering_guided.png",
  row([
    guided.exemplar,
    guided.exemplarGuide,
    guided.targetGuide,
    await synthesize(guided.exemplar, {
      guides: { exemplar: guided.exemplarGuide, target: guided.targetGuide },
    }),
  ]),
);
