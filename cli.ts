/**
 * The `tex-synth` command line: parses arguments, reads and writes files,
 * shows progress. All math lives in the engine (`src/`).
 *
 * @example
 * ```sh
 * deno run -A jsr:@tex/synth/cli bricks.png -o out.png --size 256 --iterations 200
 * ```
 * @module
 */
import { basename, dirname } from "@std/path";
import denoJson from "./deno.json" with { type: "json" };
import {
  HELP,
  parseCommandLine,
  type SynthArgs,
  UsageError,
  type WeightsArgs,
} from "./src/cli/args.ts";
import { ByteProgress, Progress } from "./src/cli/progress.ts";
import { JsonlLog } from "./src/cli/jsonl_log.ts";
import { lossPlotSvg } from "./src/cli/plot.ts";
import { TexSynthError } from "./src/errors.ts";
import { GpuContext } from "./src/gpu/context.ts";
import { readImageFile } from "./src/io/image_file.ts";
import { encodePng, type PlanarImage } from "./src/io/image.ts";
import { writeFileAtomic } from "./src/io/atomic_write.ts";
import { type LossRecord, Synthesizer } from "./src/synth/synthesizer.ts";
import { preset as presetNamed } from "./src/synth/presets.ts";
import { measurePeakBytes } from "./src/synth/peak_memory.ts";
import { loadWeightsFile } from "./src/weights/load.ts";
import type { VggWeights } from "./src/weights/vgg19_weights.ts";
import { cacheDir } from "./src/weights/cache.ts";
import { ensureWeights, verifyCachedWeights, weightsPath } from "./src/weights/ensure.ts";

const EXIT_ERROR = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;
/** How often a run copies its image to the CPU, to save it if the GPU is lost. */
const SAVE_EVERY_MS = 15_000;
const encoder = new TextEncoder();

class Interrupted extends Error {}

/** Turns Ctrl-C into an abort signal for as long as `body` runs. */
async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    return await body(abort.signal);
  } catch (e) {
    if (abort.signal.aborted) throw new Interrupted();
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

async function checkWritable(path: string, what: string): Promise<void> {
  const dir = dirname(path) || ".";
  const probe = `${dir}/.tex-synth-probe-${Deno.pid}`;
  try {
    await Deno.writeFile(probe, new Uint8Array());
    await Deno.remove(probe);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? "the folder does not exist"
      : (e as Error).message;
    throw new TexSynthError(`cannot write the ${what} to ${path}: ${reason} (choose another path)`);
  }
}

async function makeFolder(dir: string, what: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new TexSynthError(
      `cannot create the ${what} folder ${dir}: ${(e as Error).message} (choose another path)`,
    );
  }
  await checkWritable(`${dir}/x`, `${what}`);
}

async function loadWeights(args: SynthArgs, signal: AbortSignal): Promise<VggWeights | "random"> {
  if (args.weights === "random") return "random";
  const deepest = Math.max(...presetNamed(args.preset).layers);
  if (args.weights) return await loadWeightsFile(args.weights, deepest);
  const progress = new ByteProgress({ quiet: args.quiet });
  try {
    const path = await ensureWeights({ onProgress: (p) => progress.update(p), signal });
    return await loadWeightsFile(path, deepest);
  } finally {
    progress.done();
  }
}

function variationPath(path: string, variation: number, count: number): string {
  if (count === 1) return path;
  const dot = path.lastIndexOf(".");
  const cut = dot > path.lastIndexOf("/") ? dot : path.length;
  return `${path.slice(0, cut)}-${variation}${path.slice(cut)}`;
}

async function writeImage(path: string, image: PlanarImage): Promise<void> {
  await writeFileAtomic(path, await encodePng(image));
}

interface VariationSummary {
  output: string;
  iterations: number;
  evaluations: number;
  loss: number;
  gram: number;
  spectrum: number;
  stop: string;
  seconds: number;
}

async function synth(args: SynthArgs, signal: AbortSignal): Promise<number> {
  const exemplars = [];
  for (const path of args.exemplars) exemplars.push(await readImageFile(path));
  const init = args.init ? await readImageFile(args.init) : undefined;
  const outputs = Array.from(
    { length: args.variations },
    (_, i) => variationPath(args.output, i + 1, args.variations),
  );
  await checkWritable(args.output, "output");
  if (args.log) await checkWritable(args.log, "log");
  if (args.plot) await checkWritable(args.plot, "plot");
  if (args.results) await makeFolder(args.results, "results");
  if (args.snapshotEvery) await makeFolder(args.snapshotDir, "snapshot");
  const weights = await loadWeights(args, signal);
  const started = performance.now();
  const synthesizer = await Synthesizer.create(exemplars, {
    preset: args.preset,
    weights,
    seed: args.seed,
    width: args.width,
    height: args.height,
    tile: args.tile,
    scales: args.scales,
    loss: args.loss,
    exemplarSize: args.exemplarSize,
    checkpointing: args.checkpointing,
    precision: args.precision,
  });
  const log = args.log ? await JsonlLog.open(args.log) : null;
  const history: LossRecord[] = [];
  const summaries: VariationSummary[] = [];
  const stemOf = (path: string) => basename(path).replace(/\.[^.]+$/, "");
  const name = stemOf(args.exemplars[0]);
  let interrupted = false;
  let lastGood: { image: PlanarImage | null; iteration: number; time: number } = {
    image: null,
    iteration: 0,
    time: 0,
  };
  try {
    for (let v = 1; v <= args.variations && !interrupted; v++) {
      const label = args.variations > 1 ? `variation ${v}/${args.variations}: ` : "";
      const progress = new Progress(args.iterations * synthesizer.scales, {
        quiet: args.quiet,
        label,
      });
      const t0 = performance.now();
      const options = {
        signal,
        onProgress: async (r: LossRecord) => {
          progress.update(r);
          history.push(r);
          // A lost GPU takes the image with it: keep a copy now and then.
          if (r.scale === 0 && performance.now() - lastGood.time > SAVE_EVERY_MS) {
            lastGood = {
              image: await synthesizer.image(),
              iteration: r.iteration,
              time: performance.now(),
            };
          }
          await log?.write(args.variations > 1 ? { variation: v, ...r } : r);
          if (args.snapshotEvery && r.iteration % args.snapshotEvery === 0) {
            const file = `${args.snapshotDir}/${name}${args.variations > 1 ? `-${v}` : ""}-${
              String(r.iteration).padStart(5, "0")
            }.png`;
            await writeImage(file, await synthesizer.image());
          }
        },
      };
      let result;
      lastGood = { image: null, iteration: 0, time: performance.now() };
      try {
        if (init) {
          await synthesizer.setImage(init);
          result = await synthesizer.optimize(args.iterations, options);
        } else {
          result = await synthesizer.synthesize(args.iterations, options);
        }
      } catch (e) {
        if (!(e instanceof TexSynthError) || !lastGood.image) throw e;
        await writeImage(outputs[v - 1], lastGood.image);
        throw new TexSynthError(
          `${e.message}; wrote the image of iteration ${lastGood.iteration} to ${outputs[v - 1]}`,
        );
      }
      const image = await synthesizer.image();
      await writeImage(outputs[v - 1], image);
      if (args.results) {
        const suffix = args.variations > 1 ? `-${v}` : "";
        await writeImage(`${args.results}/synth_${name}${suffix}.png`, image);
      }
      interrupted = result.stop === "aborted";
      progress.message(
        interrupted
          ? `interrupted: wrote the image so far to ${outputs[v - 1]}`
          : `wrote ${outputs[v - 1]}`,
      );
      summaries.push({
        output: outputs[v - 1],
        iterations: result.last.iteration,
        evaluations: result.last.evaluations,
        loss: result.last.loss,
        gram: result.last.gram,
        spectrum: result.last.spectrum,
        stop: result.stop,
        seconds: (performance.now() - t0) / 1000,
      });
    }
    if (args.results) {
      const used = await synthesizer.exemplars();
      for (let i = 0; i < used.length; i++) {
        await writeImage(`${args.results}/exemplar_${stemOf(args.exemplars[i])}.png`, used[i]);
      }
    }
    await log?.close();
    if (args.plot) {
      const title = args.exemplars.map((p) => basename(p)).join(", ");
      await writeFileAtomic(args.plot, encoder.encode(lossPlotSvg(history, { title })));
    }
    if (args.json) {
      console.log(JSON.stringify({
        version: denoJson.version,
        exemplars: args.exemplars,
        width: synthesizer.width,
        height: synthesizer.height,
        preset: synthesizer.preset,
        loss: args.loss,
        tile: args.tile,
        scales: synthesizer.scales,
        weights: weights === "random" ? `random(seed ${args.seed})` : weights.source,
        seed: args.seed,
        adapter: synthesizer.gpu.info.description,
        peakGpuBytes: synthesizer.peakGpuBytes,
        seconds: (performance.now() - started) / 1000,
        interrupted,
        variations: summaries,
      }));
    }
    return interrupted ? EXIT_INTERRUPTED : 0;
  } finally {
    synthesizer.dispose();
  }
}

async function weightsCommand(args: WeightsArgs, signal: AbortSignal): Promise<number> {
  if (args.action === "path") {
    console.log(weightsPath());
    return 0;
  }
  const progress = new ByteProgress({ quiet: args.quiet });
  try {
    const path = args.action === "fetch"
      ? await ensureWeights({
        onProgress: (p) => progress.update(p),
        keepDownload: args.keepDownload,
        signal,
      })
      : await verifyCachedWeights({ onProgress: (p) => progress.update(p) });
    progress.done();
    console.log(path);
    return 0;
  } finally {
    progress.done();
  }
}

async function info(json: boolean): Promise<number> {
  const path = weightsPath();
  let weights = "not downloaded (run `tex-synth weights fetch`)";
  try {
    weights = `cached, ${((await Deno.stat(path)).size / 1048576).toFixed(1)} MiB`;
  } catch {
    // The cache file is simply absent.
  }
  const ctx = await GpuContext.create();
  const sizes = [256, 512, 1024];
  let peaks: number[];
  try {
    peaks = await measurePeakBytes(ctx, sizes);
  } finally {
    ctx.destroy();
  }
  const report = {
    version: denoJson.version,
    adapter: ctx.info.description,
    limits: {
      maxBufferSize: ctx.info.maxBufferSize,
      maxStorageBufferBindingSize: ctx.info.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: ctx.info.maxComputeWorkgroupStorageSize,
    },
    shaderF16: ctx.info.shaderF16,
    kernels: ctx.kernels,
    precision: ctx.precision,
    /** GPU bytes an evaluation of preset liu needs at most, by output side in pixels. */
    peakGpuBytes: Object.fromEntries(sizes.map((s, i) => [s, peaks[i]])),
    cache: cacheDir(),
    weightsPath: path,
    weights,
  };
  if (json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
  console.log([
    `tex-synth ${report.version}`,
    `adapter:  ${report.adapter}`,
    `limits:   buffer ${mib(report.limits.maxBufferSize)}, storage binding ${
      mib(report.limits.maxStorageBufferBindingSize)
    }, workgroup memory ${report.limits.maxComputeWorkgroupStorageSize / 1024} KiB, shader-f16 ${
      report.shaderF16 ? "yes" : "no"
    }`,
    `kernels:  ${report.kernels} (${
      report.kernels === "tiled"
        ? "workgroup-memory GEMMs, one copy of the weights"
        : "register-block GEMMs, a weight copy per pass direction"
    }), weights stored as ${report.precision}`,
    `memory:   ${
      sizes.map((s, i) => `${s} px ${(peaks[i] / 1e6).toFixed(0)} MB`).join(", ")
    } (peak GPU memory of one evaluation, preset liu)`,
    `cache:    ${report.cache}`,
    `weights:  ${report.weightsPath} (${report.weights})`,
  ].join("\n"));
  return 0;
}

/**
 * Mesa's EGL prints "XDG_RUNTIME_DIR is invalid" on every start when the
 * variable is unset (headless machines, CI): give it a private folder.
 */
function quietMesa(): void {
  if (Deno.build.os !== "linux" || Deno.env.get("XDG_RUNTIME_DIR")) return;
  const dir = `/tmp/tex-synth-runtime-${Deno.uid() ?? 0}`;
  try {
    Deno.mkdirSync(dir, { mode: 0o700, recursive: true });
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  } catch {
    // Only a warning is at stake; Mesa works without the folder.
  }
}

/** Runs the command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  quietMesa();
  try {
    const args = parseCommandLine(argv);
    switch (args.command) {
      case "help":
        console.log(HELP);
        return 0;
      case "version":
        console.log(`tex-synth ${denoJson.version}`);
        return 0;
      case "info":
        return await info(args.json);
      case "weights":
        return await withInterrupt((signal) => weightsCommand(args, signal));
      case "synth":
        return await withInterrupt((signal) => synth(args, signal));
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`tex-synth: ${e.message}\nTry 'tex-synth --help' for the options.`);
      return EXIT_USAGE;
    }
    if (e instanceof Interrupted) {
      console.error("tex-synth: interrupted");
      return EXIT_INTERRUPTED;
    }
    if (e instanceof TexSynthError) {
      console.error(`tex-synth: error: ${e.message}`);
      return EXIT_ERROR;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
