/**
 * Single-scale against coarse-to-fine synthesis for the same number of
 * objective evaluations, as JSON: the final full-size loss of each.
 *
 *   deno run -A bench/multiscale.ts [--exemplar examples/bricks.png] [--size 256]
 *     [--evals 40] [--scales 3] [--weights random|FILE] [--preset liu|seed]
 */
import { parseArgs } from "@std/cli/parse-args";
import { readImageFile } from "../src/io/image_file.ts";
import { Synthesizer } from "../src/synth/synthesizer.ts";
import type { PresetName } from "../src/synth/presets.ts";
import { loadWeightsFile } from "../src/weights/load.ts";

const args = parseArgs(Deno.args, {
  string: ["exemplar", "size", "evals", "scales", "weights", "preset"],
});
const exemplar = await readImageFile(args.exemplar ?? "examples/bricks.png");
const size = Number(args.size ?? 256);
const evals = Number(args.evals ?? 40);
const scales = Number(args.scales ?? 3);
const preset = (args.preset ?? "liu") as PresetName;
const weights = !args.weights || args.weights === "random"
  ? "random"
  : await loadWeightsFile(args.weights);

async function run(k: number) {
  const synth = await Synthesizer.create(exemplar, {
    weights,
    preset,
    width: size,
    height: size,
    scales: k,
  });
  const t0 = performance.now();
  const { last } = await synth.synthesize(1000, { maxEvaluations: evals });
  const result = {
    scales: k,
    evaluations: last.evaluations,
    finalLoss: last.loss,
    finalGram: last.gram,
    finalSpectrum: last.spectrum,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    evaluationsPerScale: Object.fromEntries(
      [...new Set(synth.history.map((r) => r.scale))].map((s) => [
        s,
        Math.max(...synth.history.filter((r) => r.scale === s).map((r) => r.evaluations)),
      ]),
    ),
  };
  synth.dispose();
  return result;
}

console.log(
  JSON.stringify(
    {
      exemplar: args.exemplar ?? "examples/bricks.png",
      size,
      evals,
      single: await run(1),
      multi: await run(scales),
    },
    null,
    2,
  ),
);
