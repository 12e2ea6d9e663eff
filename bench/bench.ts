/**
 * `deno task bench`: milliseconds per objective evaluation (forward + losses
 * + backward) and peak GPU memory with and without checkpointing, as JSON.
 *
 *   deno task bench [--sizes 64,128,256] [--evals 3] [--preset seed|liu]
 */
import { parseArgs } from "@std/cli/parse-args";
import { GpuContext } from "../src/gpu/context.ts";
import { TextureObjective } from "../src/synth/objective.ts";
import { VggConvs } from "../src/nn/vgg19_convs.ts";
import { preset as presetNamed, type PresetName } from "../src/synth/presets.ts";
import { Random } from "../src/random.ts";
import { randomVggWeights } from "../src/weights/vgg19_weights.ts";

interface Measurement {
  size: number;
  msPerEvaluation: number;
  evaluations: number;
  peakGpuBytes: { checkpointing: number; noCheckpointing: number };
  activationBytes: { checkpointing: number; noCheckpointing: number };
}

async function measure(
  ctx: GpuContext,
  size: number,
  presetName: PresetName,
  checkpointing: boolean,
  evals: number,
): Promise<{ ms: number; peak: number; activations: number }> {
  const spec = presetNamed(presetName);
  const weights = randomVggWeights(0, Math.max(...spec.layers));
  const rng = new Random(1);
  const exemplar = ctx.upload(
    "exemplar",
    Float32Array.from({ length: 3 * size * size }, () => rng.uniform()),
  );
  ctx.resetPeak();
  const before = ctx.liveBytes;
  const convs = new VggConvs(ctx, weights);
  const objective = await TextureObjective.create(
    ctx,
    convs,
    [{ buffer: exemplar, height: size, width: size }],
    size,
    size,
    spec,
    { padding: "zero", checkpointing },
  );
  ctx.write(objective.x, Float32Array.from({ length: 3 * size * size }, () => rng.uniform()));
  objective.evaluation.run();
  await ctx.sync();
  const t0 = performance.now();
  for (let i = 0; i < evals; i++) objective.evaluation.run();
  await ctx.sync();
  const ms = (performance.now() - t0) / evals;
  const peak = ctx.peakBytes - before;
  const activations = objective.net.activationBytes;
  objective.destroy();
  convs.destroy();
  ctx.destroyBuffer(exemplar);
  return { ms, peak, activations };
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, { string: ["sizes", "evals", "preset"] });
  const sizes = (args.sizes ?? "64,128,256").split(",").map(Number);
  const evals = Number(args.evals ?? 3);
  const presetName = (args.preset ?? "seed") as PresetName;
  const ctx = await GpuContext.create();
  const results: Measurement[] = [];
  for (const size of sizes) {
    const withCp = await measure(ctx, size, presetName, true, evals);
    const without = await measure(ctx, size, presetName, false, 1);
    results.push({
      size,
      msPerEvaluation: Number(withCp.ms.toFixed(2)),
      evaluations: evals,
      peakGpuBytes: { checkpointing: withCp.peak, noCheckpointing: without.peak },
      activationBytes: { checkpointing: withCp.activations, noCheckpointing: without.activations },
    });
    console.error(`${size}px: ${withCp.ms.toFixed(1)} ms/eval`);
  }
  console.log(
    JSON.stringify({ adapter: ctx.info.description, preset: presetName, results }, null, 2),
  );
  ctx.destroy();
}
