/**
 * `deno run -A bench/profile.ts`: where an evaluation's GPU time goes, per
 * kernel and per kind of work (convolutions, Gram, FFT, L-BFGS, the rest), by
 * timestamp queries around every dispatch of a short L-BFGS run.
 *
 *   deno run -A bench/profile.ts [--size 128] [--iterations 2] [--preset seed|liu] [--no-checkpointing]
 *
 * Profiling only: it wraps `Program.prototype.encode` so that each dispatch
 * runs in its own timestamped compute pass, which the engine never does.
 */
import { parseArgs } from "@std/cli/parse-args";
import { GpuContext } from "../src/gpu/context.ts";
import { Program } from "../src/gpu/program.ts";
import { TextureObjective } from "../src/synth/objective.ts";
import { VggConvs } from "../src/nn/vgg19_convs.ts";
import { preset as presetNamed, type PresetName } from "../src/synth/presets.ts";
import { Lbfgs } from "../src/optim/lbfgs.ts";
import { Random } from "../src/random.ts";
import { randomVggWeights } from "../src/weights/vgg19_weights.ts";

/** Milliseconds and dispatch count per kernel entry point. */
export type KernelTimes = Map<string, { ms: number; count: number }>;

/** The work kind a kernel counts under in the report. */
export function kindOf(kernel: string): string {
  if (/conv|winograd/.test(kernel)) return "convolution";
  if (/gram/.test(kernel)) return "gram";
  if (/fft|spectrum/.test(kernel)) return "fft+spectrum";
  if (/lbfgs|vector|reduce|scalar/.test(kernel)) return "lbfgs+reductions";
  return "other (relu, pool, affine)";
}

/** Kernel names by WGSL source, from the files in kernels/. */
async function _kernelNames(): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const dir = new URL("../kernels/", import.meta.url);
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".wgsl")) {
      names.set(await Deno.readTextFile(new URL(entry.name, dir)), entry.name.slice(0, -5));
    }
  }
  return names;
}

/**
 * Wraps the context and `Program` so that every dispatch is remembered with
 * its bind group and every encode is timestamped; returns a function that
 * resolves the collected times.
 */
export async function instrument(ctx: GpuContext): Promise<() => Promise<KernelTimes>> {
  const sources = await _kernelNames();
  const names = new Map<GPUComputePipeline, string>();
  const pipeline = ctx.pipeline.bind(ctx);
  ctx.pipeline = (source, entryPoint = "main", constants) => {
    const p = pipeline(source, entryPoint, constants);
    const file = sources.get(source) ?? source.split("\n")[0].slice(0, 40);
    const suffix = constants ? ` ${JSON.stringify(constants)}` : "";
    names.set(p, `${file}${entryPoint === "main" ? "" : `:${entryPoint}`}${suffix}`);
    return p;
  };
  const device = ctx.device;
  const proto = Program.prototype;

  const pending: { query: GPUQuerySet; resolved: GPUBuffer; kernels: string[] }[] = [];
  const encodeOriginal = proto.encode;
  proto.encode = function (this: Program, encoder: GPUCommandEncoder) {
    const count = this.dispatches;
    if (count === 0) return encodeOriginal.call(this, encoder);
    const query = device.createQuerySet({ type: "timestamp", count: 2 * count });
    const resolved = device.createBuffer({
      size: 16 * count,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const pipelines = encodeOriginal.call(this, encoder, { querySet: query });
    encoder.resolveQuerySet(query, 0, 2 * count, resolved, 0);
    pending.push({ query, resolved, kernels: pipelines.map((p) => names.get(p) ?? "?") });
    return pipelines;
  };

  return async () => {
    const times: KernelTimes = new Map();
    for (const { query, resolved, kernels } of pending.splice(0)) {
      const staging = device.createBuffer({
        size: resolved.size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(resolved, 0, staging, 0, resolved.size);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const stamps = new BigUint64Array(staging.getMappedRange());
      kernels.forEach((k, i) => {
        const ms = Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6;
        const t = times.get(k) ?? { ms: 0, count: 0 };
        t.ms += ms;
        t.count++;
        times.set(k, t);
      });
      staging.unmap();
      staging.destroy();
      resolved.destroy();
      query.destroy();
    }
    return times;
  };
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, {
    string: ["size", "iterations", "preset"],
    boolean: ["no-checkpointing"],
  });
  const size = Number(args.size ?? 128);
  const iterations = Number(args.iterations ?? 2);
  const spec = presetNamed((args.preset ?? "seed") as PresetName);
  const ctx = await GpuContext.create();
  const collect = await instrument(ctx);
  const weights = randomVggWeights(0, Math.max(...spec.layers));
  const rng = new Random(1);
  const exemplar = ctx.upload(
    "exemplar",
    Float32Array.from({ length: 3 * size * size }, () => rng.uniform()),
  );
  const convs = new VggConvs(ctx, weights);
  const objective = await TextureObjective.create(
    ctx,
    convs,
    [{ buffer: exemplar, height: size, width: size }],
    size,
    size,
    spec,
    { padding: "zero", checkpointing: !args["no-checkpointing"] },
  );
  ctx.write(objective.x, Float32Array.from({ length: 3 * size * size }, () => rng.uniform()));
  await collect();
  const opt = new Lbfgs(ctx, objective);
  const t0 = performance.now();
  await opt.run({ iterations });
  const wall = performance.now() - t0;
  const times = await collect();
  const total = [...times.values()].reduce((s, t) => s + t.ms, 0);
  const kinds = new Map<string, number>();
  for (const [k, t] of times) kinds.set(kindOf(k), (kinds.get(kindOf(k)) ?? 0) + t.ms);
  const evals = opt.evaluations;
  const perEval = (ms: number) => Number((ms / evals).toFixed(2));
  console.log(JSON.stringify(
    {
      adapter: ctx.info.description,
      size,
      preset: spec.name,
      evaluations: evals,
      wallMsPerEvaluation: perEval(wall),
      gpuMsPerEvaluation: perEval(total),
      kinds: Object.fromEntries(
        [...kinds].sort((a, b) => b[1] - a[1]).map((
          [k, ms],
        ) => [k, { msPerEvaluation: perEval(ms), share: Number((ms / total).toFixed(3)) }]),
      ),
      kernels: Object.fromEntries(
        [...times].sort((a, b) => b[1].ms - a[1].ms).map((
          [k, t],
        ) => [k, { msPerEvaluation: perEval(t.ms), dispatches: t.count }]),
      ),
    },
    null,
    2,
  ));
  objective.destroy();
  convs.destroy();
  ctx.destroy();
}
