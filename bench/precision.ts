/**
 * `deno run -A bench/precision.ts`: the objective's loss with the Winograd
 * weights stored as f16 against f32, per size and preset (random weights,
 * the bundled bricks exemplar), as JSON lines on stdout. Three figures, each
 * with its relative difference:
 *
 * - start: both objectives at the same start image;
 * - sameImage: both objectives at the image f32 reached after
 *   `--iterations` L-BFGS iterations, where the Gram terms are small;
 * - trajectory: each precision's own loss after `--iterations` iterations
 *   from the same start (L-BFGS paths part once any rounding differs, so
 *   this measures the paths, not the loss function).
 *
 *   deno run -A bench/precision.ts [--sizes 64,128,256] [--presets liu,seed]
 *     [--iterations 10]
 */
import { parseArgs } from "@std/cli/parse-args";
import { GpuContext, type Precision } from "../src/gpu/context.ts";
import type { PlanarImage } from "../src/io/image.ts";
import { readImageFile } from "../src/io/image_file.ts";
import type { PresetName } from "../src/synth/presets.ts";
import { type LossRecord, Synthesizer } from "../src/synth/synthesizer.ts";

const args = parseArgs(Deno.args, {
  string: ["sizes", "presets", "iterations"],
  default: { sizes: "64,128,256", presets: "liu,seed", iterations: "10" },
});
const sizes = String(args.sizes).split(",").map(Number);
const presets = String(args.presets).split(",") as PresetName[];
const iterations = Number(args.iterations);
const exemplar = await readImageFile(
  new URL("../examples/bricks.png", import.meta.url).pathname,
);

interface Run {
  start: LossRecord;
  end: LossRecord;
  image: PlanarImage;
  /** The loss at `at`, when given. */
  at?: LossRecord;
}

/** Runs `iterations` L-BFGS iterations with one precision, then evaluates at `at`. */
async function run(
  precision: Precision,
  size: number,
  preset: PresetName,
  at?: PlanarImage,
): Promise<Run> {
  const gpu = await GpuContext.create({ precision });
  if (gpu.precision !== precision) throw new Error(`this adapter cannot store ${precision}`);
  const synth = await Synthesizer.create(exemplar, {
    gpu,
    preset,
    weights: "random",
    width: size,
    height: size,
    exemplarSize: size,
  });
  const records: LossRecord[] = [];
  await synth.synthesize(iterations, { onProgress: (r) => void records.push(r) });
  const image = await synth.image();
  let there: LossRecord | undefined;
  if (at) {
    await synth.setImage(at);
    there = (await synth.optimize(0)).last;
  }
  synth.dispose();
  gpu.destroy();
  return { start: records[0], end: records[records.length - 1], image, at: there };
}

function compare(f32: LossRecord, f16: LossRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { iteration: f32.iteration };
  for (const key of ["loss", "gram", "spectrum"] as const) {
    const [a, b] = [f32[key], f16[key]];
    out[key] = { f32: a, f16: b, relative: Math.abs(b - a) / Math.abs(a) };
  }
  return out;
}

for (const size of sizes) {
  for (const preset of presets) {
    const f32 = await run("f32", size, preset);
    const f16 = await run("f16", size, preset, f32.image);
    console.log(JSON.stringify({
      size,
      preset,
      start: compare(f32.start, f16.start),
      sameImage: compare(f32.end, f16.at!),
      trajectory: compare(f32.end, f16.end),
    }));
  }
}
