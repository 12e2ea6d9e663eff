/**
 * Makes docs/tiled_2x2.png: a `--tile` synthesis laid out 2×2, to show that
 * it repeats without a seam.
 *
 *   deno run -A examples/make_tiled_demo.ts [--weights FILE|random] [--size 128] [--iterations 60]
 */
import { parseArgs } from "@std/cli/parse-args";
import { readImageFile } from "../src/io/image_file.ts";
import { writeFileAtomic } from "../src/io/atomic_write.ts";
import { encodePng } from "../src/io/image.ts";
import { Synthesizer } from "../src/synth/synthesizer.ts";
import { loadWeightsFile } from "../src/weights/load.ts";

const args = parseArgs(Deno.args, { string: ["weights", "size", "iterations", "exemplar"] });
const size = Number(args.size ?? 128);
const root = new URL("../", import.meta.url);
const exemplar = await readImageFile(
  args.exemplar ?? new URL("examples/cracks.png", root).pathname,
);
const weights = !args.weights || args.weights === "random"
  ? "random"
  : await loadWeightsFile(args.weights);
const synth = await Synthesizer.create(exemplar, {
  weights,
  width: size,
  height: size,
  tile: true,
  seed: 1,
});
await synth.synthesize(Number(args.iterations ?? 60));
const tile = await synth.image();
synth.dispose();
const data = new Float32Array(3 * 4 * size * size);
for (let c = 0; c < 3; c++) {
  for (let y = 0; y < 2 * size; y++) {
    for (let x = 0; x < 2 * size; x++) {
      data[(c * 2 * size + y) * 2 * size + x] =
        tile.data[(c * size + (y % size)) * size + (x % size)];
    }
  }
}
const out = new URL("docs/tiled_2x2.png", root).pathname;
await writeFileAtomic(out, await encodePng({ width: 2 * size, height: 2 * size, data }));
console.log(`wrote ${out}`);
