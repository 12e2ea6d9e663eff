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
import { dirname } from "@std/path";
import denoJson from "./deno.json" with { type: "json" };
import {
  HELP,
  parseCommandLine,
  type SynthArgs,
  UsageError,
  type WeightsArgs,
} from "./src/cli/args.ts";
import { Progress } from "./src/cli/progress.ts";
import { JsonlLog } from "./src/cli/jsonl_log.ts";
import { TexSynthError } from "./src/errors.ts";
import { readImageFile } from "./src/io/image_file.ts";
import { encodePng } from "./src/io/image.ts";
import { writeFileAtomic } from "./src/io/atomic_write.ts";
import { Synthesizer } from "./src/synth/synthesizer.ts";
import { preset as presetNamed } from "./src/synth/presets.ts";
import { loadWeightsFile } from "./src/weights/load.ts";
import type { VggWeights } from "./src/weights/vgg19_weights.ts";

const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

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

async function loadWeights(args: SynthArgs): Promise<VggWeights | "random"> {
  if (args.weights === "random") return "random";
  const deepest = Math.max(...presetNamed(args.preset).layers);
  if (args.weights) return await loadWeightsFile(args.weights, deepest);
  throw new TexSynthError(
    "no VGG19 weights given: pass --weights FILE (.safetensors or .pth), or --weights random for an offline smoke run",
  );
}

async function synth(args: SynthArgs): Promise<number> {
  const progress = new Progress(args.iterations, { quiet: args.quiet });
  const exemplar = await readImageFile(args.exemplar);
  const init = args.init ? await readImageFile(args.init) : undefined;
  await checkWritable(args.output, "output");
  if (args.log) await checkWritable(args.log, "log");
  const weights = await loadWeights(args);
  const synthesizer = await Synthesizer.create(exemplar, {
    preset: args.preset,
    weights,
    seed: args.seed,
    width: args.width,
    height: args.height,
    checkpointing: args.checkpointing,
  });
  const log = args.log ? await JsonlLog.open(args.log) : null;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const options = {
      signal: abort.signal,
      onProgress: async (r: Parameters<Progress["update"]>[0]) => {
        progress.update(r);
        await log?.write(r);
      },
    };
    let stop;
    if (init) {
      synthesizer.setImage(init);
      stop = (await synthesizer.optimize(args.iterations, options)).stop;
    } else {
      stop = (await synthesizer.synthesize(args.iterations, options)).stop;
    }
    await writeFileAtomic(args.output, await encodePng(await synthesizer.image()));
    await log?.close();
    if (stop === "aborted") {
      progress.message(`interrupted: wrote the image so far to ${args.output}`);
      return EXIT_INTERRUPTED;
    }
    progress.message(`wrote ${args.output}`);
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    synthesizer.dispose();
  }
}

function weightsCommand(_args: WeightsArgs): Promise<number> {
  throw new TexSynthError(
    "weights download is not available yet: use --weights FILE or --weights random",
  );
}

/** Runs the command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseCommandLine(argv);
    switch (args.command) {
      case "help":
        console.log(HELP);
        return 0;
      case "version":
        console.log(`tex-synth ${denoJson.version}`);
        return 0;
      case "weights":
        return await weightsCommand(args);
      case "synth":
        return await synth(args);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`tex-synth: ${e.message}\nTry 'tex-synth --help' for the options.`);
      return EXIT_USAGE;
    }
    if (e instanceof TexSynthError) {
      console.error(`tex-synth: error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
