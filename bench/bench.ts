/**
 * `deno task bench`: milliseconds per objective evaluation (forward + losses
 * + backward), the effective FLOP/s against the evaluation's FLOP count
 * (bench/flops.ts) and peak GPU memory, with and without checkpointing, as
 * JSON on stdout. With `--compare PEER` it also runs the PyTorch script of
 * the same objective (../shared/peer/torch_ref.py, with $PYTHON or
 * /usr/bin/python3) at the same sizes and reports its figure and the ratio.
 *
 *   deno task bench [--sizes 64,128,256] [--evals 3] [--preset seed|liu]
 *     [--precision f32|f16] [--kernels auto|software|tiled] [--compare PEER]
 *     [--threads N] [--device cpu|cuda] [--out FILE]
 *
 * `--kernels tiled` forces the GPU kernels (workgroup-memory GEMMs, one copy
 * of the weights) on a software adapter, e.g. to measure their memory;
 * `--out FILE` also writes the JSON report to FILE.
 */
import { parseArgs } from "@std/cli/parse-args";
import { GpuContext, type Precision } from "../src/gpu/context.ts";
import type { KernelChoice } from "../src/gpu/kernel_family.ts";
import { TextureObjective } from "../src/synth/objective.ts";
import { defaultCheckpointing } from "../src/synth/synthesizer.ts";
import { VggConvs } from "../src/nn/vgg19_convs.ts";
import { preset as presetNamed, type PresetName } from "../src/synth/presets.ts";
import { Random } from "../src/random.ts";
import { randomVggWeights } from "../src/weights/vgg19_weights.ts";
import { evaluationFlops } from "./flops.ts";

/** One mode's figures at one size. */
interface ModeFigures {
  msPerEvaluation: number;
  /** FLOPs of one evaluation in this mode (bench/flops.ts). */
  flops: number;
  /** flops / time, in GFLOP/s. */
  gflopsPerSecond: number;
  peakGpuBytes: number;
  activationBytes: number;
}

interface Measurement {
  size: number;
  evaluations: number;
  /** The mode the engine uses at this size by default (checkpointing from 512×512 px). */
  defaultMode: "checkpointing" | "noCheckpointing";
  /** The default mode's figures, repeated at the top for quick reading. */
  msPerEvaluation: number;
  peakGpuBytes: number;
  checkpointing: ModeFigures;
  noCheckpointing: ModeFigures;
  torch?: TorchFigures;
  /** Our ms per evaluation in the default mode (as the CLI runs) over PyTorch's. */
  ratioToTorch?: number;
  /** The same with checkpointing forced on. */
  ratioToTorchCheckpointing?: number;
  /** The same without checkpointing, which is what PyTorch does. */
  ratioToTorchNoCheckpointing?: number;
}

/** What the PyTorch peer reported. */
interface TorchFigures {
  msPerEvaluation: number;
  evaluations: number;
  threads: number;
  device: string;
  gflopsPerSecond: number;
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

/**
 * Runs the PyTorch peer at `size` and returns its timing line
 * (`ms_per_eval`, `evals`, `threads`), or throws with its stderr.
 */
async function runTorch(
  peer: string,
  size: number,
  evals: number,
  threads: number,
  device: string,
): Promise<{ ms: number; evals: number; threads: number }> {
  const python = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
  const out = await new Deno.Command(python, {
    args: [
      peer,
      "--size",
      String(size),
      "--evals",
      String(evals),
      "--threads",
      String(threads),
      "--device",
      device,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split("\n").map((l) => l.trim()).filter((l) => l.includes("ms_per_eval")).pop();
  if (!out.success || !line) {
    throw new Error(`${python} ${peer} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  const r = JSON.parse(line);
  return { ms: r.ms_per_eval, evals: r.evals, threads: r.threads };
}

function _figures(
  size: number,
  taps: number[],
  checkpointing: boolean,
  m: { ms: number; peak: number; activations: number },
): ModeFigures {
  const flops = evaluationFlops(size, size, taps, checkpointing).total;
  return {
    msPerEvaluation: Number(m.ms.toFixed(2)),
    flops,
    gflopsPerSecond: Number((flops / m.ms / 1e6).toFixed(2)),
    peakGpuBytes: m.peak,
    activationBytes: m.activations,
  };
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, {
    string: [
      "sizes",
      "evals",
      "preset",
      "precision",
      "kernels",
      "compare",
      "threads",
      "device",
      "out",
    ],
  });
  const sizes = (args.sizes ?? "64,128,256").split(",").map(Number);
  const evals = Number(args.evals ?? 3);
  const presetName = (args.preset ?? "seed") as PresetName;
  const threads = Number(args.threads ?? navigator.hardwareConcurrency);
  const device = args.device ?? "cpu";
  const taps = presetNamed(presetName).layers;
  const ctx = await GpuContext.create({
    precision: args.precision as Precision | undefined,
    kernels: args.kernels as KernelChoice | undefined,
  });
  const results: Measurement[] = [];
  for (const size of sizes) {
    const withCp = await measure(ctx, size, presetName, true, evals);
    const without = await measure(ctx, size, presetName, false, evals);
    const byDefault = defaultCheckpointing(size, size) ? withCp : without;
    const result: Measurement = {
      size,
      evaluations: evals,
      defaultMode: byDefault === withCp ? "checkpointing" : "noCheckpointing",
      msPerEvaluation: Number(byDefault.ms.toFixed(2)),
      peakGpuBytes: byDefault.peak,
      checkpointing: _figures(size, taps, true, withCp),
      noCheckpointing: _figures(size, taps, false, without),
    };
    const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
    let line = `${size}px: ${withCp.ms.toFixed(1)} ms/eval, peak ${mb(withCp.peak)} (${
      without.ms.toFixed(1)
    } ms, ${mb(without.peak)} without checkpointing)`;
    if (args.compare) {
      // The peer warms up with one evaluation of its own before it times `evals`.
      const torch = await runTorch(args.compare, size, evals, threads, device);
      const flops = evaluationFlops(size, size, taps, false).total;
      result.torch = {
        msPerEvaluation: Number(torch.ms.toFixed(2)),
        evaluations: torch.evals,
        threads: torch.threads,
        device,
        gflopsPerSecond: Number((flops / torch.ms / 1e6).toFixed(2)),
      };
      result.ratioToTorch = Number((byDefault.ms / torch.ms).toFixed(3));
      result.ratioToTorchCheckpointing = Number((withCp.ms / torch.ms).toFixed(3));
      result.ratioToTorchNoCheckpointing = Number((without.ms / torch.ms).toFixed(3));
      line += `, PyTorch ${
        torch.ms.toFixed(1)
      } ms/eval: ×${result.ratioToTorchCheckpointing} with checkpointing, ×${result.ratioToTorchNoCheckpointing} without (default: ${result.defaultMode})`;
    }
    results.push(result);
    console.error(line);
  }
  const report = JSON.stringify(
    {
      adapter: ctx.info.description,
      kernels: ctx.kernels,
      preset: presetName,
      precision: ctx.precision,
      results,
    },
    null,
    2,
  );
  console.log(report);
  if (args.out) await Deno.writeTextFile(args.out, report + "\n");
  ctx.destroy();
}
