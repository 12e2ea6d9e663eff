/**
 * Single-scale against coarse-to-fine synthesis for the same number of
 * objective evaluations (coarse ones included), as JSON: the final full-size
 * loss of each, the evaluations each scale used and, with `--trace`, every
 * loss record as [evaluations, loss, gram, scale]. Both runs use the same seed and
 * the same full-size objective, so their final losses compare directly.
 *
 *   deno run -A bench/multiscale.ts [--exemplar examples/bricks.png] [--size 256]
 *     [--evals 40] [--scales 3] [--weights random|FILE] [--preset liu|seed]
 *     [--seed 0] [--only single|multi] [--trace]
 */
import { parseArgs } from "@std/cli/parse-args";
import { readImageFile } from "../src/io/image_file.ts";
import { type LossRecord, Synthesizer } from "../src/synth/synthesizer.ts";
import type { PresetName } from "../src/synth/presets.ts";
import { loadWeightsFile } from "../src/weights/load.ts";

const args = parseArgs(Deno.args, {
  string: ["exemplar", "size", "evals", "scales", "weights", "preset", "seed", "only"],
  boolean: ["trace"],
});
const exemplar = await readImageFile(args.exemplar ?? "examples/bricks.png");
const size = Number(args.size ?? 256);
const evals = Number(args.evals ?? 40);
const scales = Number(args.scales ?? 3);
const preset = (args.preset ?? "liu") as PresetName;
const seed = Number(args.seed ?? 0);
const weights = !args.weights || args.weights === "random"
  ? "random"
  : await loadWeightsFile(args.weights);

function traceRow(r: LossRecord): number[] {
  return [r.evaluations, Number(r.loss.toPrecision(4)), Number(r.gram.toPrecision(4)), r.scale];
}

async function run(k: number) {
  const synth = await Synthesizer.create(exemplar, {
    weights,
    preset,
    seed,
    width: size,
    height: size,
    scales: k,
  });
  const t0 = performance.now();
  const { last } = await synth.synthesize(1000, { maxEvaluations: evals });
  const history = synth.history;
  // A scale starts with one evaluation of its start image, so its first
  // record tells how many evaluations the scales before it used.
  const starts = [...new Set(history.map((r) => r.scale))].map((s) => ({
    s,
    start: history.find((r) => r.scale === s)!.evaluations - 1,
  }));
  const result = {
    scales: k,
    evaluations: last.evaluations,
    finalLoss: last.loss,
    finalGram: last.gram,
    finalSpectrum: last.spectrum,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    evaluationsPerScale: Object.fromEntries(
      starts.map(({ s, start }, i) => [s, (starts[i + 1]?.start ?? last.evaluations) - start]),
    ),
    // The first full-size record of a multi-scale run is the upsampled start.
    fullSizeStart: history.find((r) => r.scale === 0)?.loss,
    ...(args.trace ? { trace: history.map(traceRow) } : {}),
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
      preset,
      seed,
      ...(args.only !== "multi" ? { single: await run(1) } : {}),
      ...(args.only !== "single" ? { multi: await run(scales) } : {}),
    },
    null,
    args.trace ? undefined : 2,
  ),
);
