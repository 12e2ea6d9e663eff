import { parseArgs } from "@std/cli/parse-args";
import type { PresetName } from "../synth/presets.ts";

/** A mistake in the command line: printed with a usage hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A synthesis run as the command line asks for it. */
export interface SynthArgs {
  command: "synth";
  exemplar: string;
  output: string;
  width?: number;
  height?: number;
  iterations: number;
  seed: number;
  weights?: string;
  preset: PresetName;
  init?: string;
  log?: string;
  quiet: boolean;
  checkpointing: boolean;
}

/** `tex-synth weights fetch|path|verify`. */
export interface WeightsArgs {
  command: "weights";
  action: "fetch" | "path" | "verify";
  keepDownload: boolean;
}

/** Everything the command line can ask for. */
export type Args = SynthArgs | WeightsArgs | { command: "help" } | { command: "version" };

/** The `--help` text; README's CLI reference repeats it. */
export const HELP = `tex-synth: neural texture synthesis on WebGPU (VGG19 Gram + spectrum, L-BFGS)

Usage:
  tex-synth [options] <exemplar.png|jpg>
  tex-synth weights fetch|path|verify [--keep-download]

Options:
  -o, --output FILE      output PNG (default: <exemplar>_synth.png)
  -s, --size N           output N×N pixels (default: the exemplar's size)
  -n, --iterations K     L-BFGS iterations (default 100)
      --seed S           seed of the start noise and of random weights (default 0)
  -w, --weights W        FILE (.safetensors or .pth) or "random"
                         (default: VGG19 from the cache, fetched on first use)
  -p, --preset P         liu (default) or seed
      --init FILE        start from this image instead of noise
      --log FILE         write the loss history as JSON lines
      --no-checkpointing keep every activation (more GPU memory, no recompute)
  -q, --quiet            print nothing but errors
  -h, --help             show this help
  -V, --version          show the version
`;

const STRING = ["output", "size", "iterations", "seed", "weights", "preset", "init", "log"];
const BOOLEAN = ["quiet", "help", "version", "checkpointing", "keep-download"];

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new UsageError(`--${name} needs a whole number, got "${value}"`);
  }
  const n = Number(value);
  if (n < min) throw new UsageError(`--${name} must be at least ${min}, got ${n}`);
  return n;
}

/** Parses `argv` (without the program name); throws {@link UsageError} on mistakes. */
export function parseCommandLine(argv: string[]): Args {
  const unknown: string[] = [];
  const a = parseArgs(argv, {
    string: STRING,
    boolean: BOOLEAN,
    negatable: ["checkpointing"],
    default: { checkpointing: true },
    alias: {
      o: "output",
      s: "size",
      n: "iterations",
      w: "weights",
      p: "preset",
      q: "quiet",
      h: "help",
      V: "version",
    },
    unknown: (arg: string) => {
      if (arg.startsWith("-")) unknown.push(arg);
      return !arg.startsWith("-");
    },
  });
  if (unknown.length) throw new UsageError(`unknown option ${unknown[0]}`);
  if (a.help) return { command: "help" };
  if (a.version) return { command: "version" };
  const positional = a._.map(String);
  if (positional[0] === "weights") {
    const action = positional[1];
    if (action !== "fetch" && action !== "path" && action !== "verify") {
      throw new UsageError(
        `weights needs fetch, path or verify${action ? `, got "${action}"` : ""}`,
      );
    }
    return { command: "weights", action, keepDownload: a["keep-download"] };
  }
  if (positional.length === 0) throw new UsageError("missing the exemplar image");
  if (positional.length > 1) {
    throw new UsageError(`one exemplar expected, got ${positional.length}`);
  }
  const preset = a.preset ?? "liu";
  if (preset !== "liu" && preset !== "seed") {
    throw new UsageError(`--preset must be liu or seed, got "${preset}"`);
  }
  const exemplar = positional[0];
  const size = integer("size", a.size, 1);
  return {
    command: "synth",
    exemplar,
    output: a.output ?? exemplar.replace(/\.[^./\\]+$/, "") + "_synth.png",
    width: size,
    height: size,
    iterations: integer("iterations", a.iterations, 0) ?? 100,
    seed: integer("seed", a.seed, -(2 ** 31)) ?? 0,
    weights: a.weights,
    preset,
    init: a.init,
    log: a.log,
    quiet: a.quiet,
    checkpointing: a.checkpointing,
  };
}
