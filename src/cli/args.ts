import { parseArgs } from "@std/cli/parse-args";
import type { PresetName } from "../synth/presets.ts";
import type { Precision } from "../gpu/context.ts";

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
  exemplars: string[];
  output: string;
  width?: number;
  height?: number;
  iterations: number;
  seed: number;
  variations: number;
  tile: boolean;
  scales?: number;
  loss: "gram" | "sw";
  exemplarSize?: number;
  weights?: string;
  preset: PresetName;
  init?: string;
  log?: string;
  plot?: string;
  snapshotEvery?: number;
  snapshotDir: string;
  results?: string;
  quiet: boolean;
  json: boolean;
  /** undefined: automatic. */
  checkpointing?: boolean;
  /** undefined: the engine's default for the adapter. */
  precision?: Precision;
}

/** `tex-synth weights fetch|path|verify`. */
export interface WeightsArgs {
  command: "weights";
  action: "fetch" | "path" | "verify";
  keepDownload: boolean;
  quiet: boolean;
}

/** Everything the command line can ask for. */
export type Args =
  | SynthArgs
  | WeightsArgs
  | { command: "help" }
  | { command: "version" }
  | { command: "info"; json: boolean };

interface OptionSpec {
  name: string;
  short?: string;
  value?: string;
  help: string;
}

/** Every option, in `--help` order; the parser and the help text both come from here. */
export const OPTIONS: readonly OptionSpec[] = [
  { name: "output", short: "o", value: "FILE", help: "output PNG (default: <exemplar>_synth.png)" },
  {
    name: "size",
    short: "s",
    value: "N",
    help: "output N×N pixels (default: the exemplar's size)",
  },
  {
    name: "width",
    value: "W",
    help: "output width (with --height; any size, not only the exemplar's)",
  },
  { name: "height", value: "H", help: "output height (with --width)" },
  { name: "tile", help: "seamless output: it repeats without a seam (circular padding)" },
  { name: "scales", value: "K", help: "coarse-to-fine scales (default 1; 3+ from 512 px up)" },
  {
    name: "loss",
    value: "L",
    help: "feature statistics: gram (default) or sw (sliced Wasserstein)",
  },
  {
    name: "exemplar-size",
    value: "N",
    help: "scale exemplars to N px on their shorter side first",
  },
  {
    name: "iterations",
    short: "n",
    value: "K",
    help: "L-BFGS iterations per output (default 100)",
  },
  { name: "seed", value: "S", help: "seed of the start noise and of random weights (default 0)" },
  {
    name: "variations",
    value: "N",
    help: "N different outputs from one load: <output>-1.png … (default 1)",
  },
  {
    name: "preset",
    short: "p",
    value: "P",
    help: "objective: liu (default) or seed (the reference, term for term)",
  },
  {
    name: "weights",
    short: "w",
    value: "W",
    help:
      'VGG19 weights: FILE (.safetensors or .pth) or "random" (default: the cache, fetched on first use)',
  },
  { name: "init", value: "FILE", help: "start from this image instead of noise" },
  { name: "log", value: "FILE", help: "write the loss history as JSON lines" },
  { name: "plot", value: "FILE", help: "write the loss curve as SVG" },
  {
    name: "snapshot-every",
    value: "N",
    help: "save the image every N iterations into --snapshot-dir",
  },
  {
    name: "snapshot-dir",
    value: "DIR",
    help: "folder for snapshots (default: <output>-snapshots)",
  },
  {
    name: "results",
    value: "DIR",
    help: "also write DIR/exemplar_NAME.png and DIR/synth_NAME.png",
  },
  {
    name: "checkpointing",
    value: "WHEN",
    help: "recompute activations to save GPU memory: auto (from 512×512 px), on or off",
  },
  {
    name: "precision",
    value: "P",
    help:
      "convolution weight storage: f32 or f16 (half the memory; default f16 on GPUs with shader-f16)",
  },
  {
    name: "keep-download",
    help: "with `weights fetch`: keep the original checkpoint in the cache",
  },
  { name: "quiet", short: "q", help: "print nothing but errors" },
  { name: "json", help: "print one JSON summary on stdout" },
  {
    name: "info",
    help: "show the GPU adapter, its kernels, peak GPU memory per size, cache and weights",
  },
  { name: "help", short: "h", help: "show this help" },
  { name: "version", short: "V", help: "show the version" },
];

function optionLine(o: OptionSpec): string {
  const flag = `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.value ? ` ${o.value}` : ""}`;
  return `  ${flag.padEnd(24)} ${o.help}`;
}

/** The `--help` text; README's CLI reference repeats it. */
export const HELP: string = [
  "tex-synth: neural texture synthesis on WebGPU (VGG19 Gram + spectrum, L-BFGS)",
  "",
  "Usage:",
  "  tex-synth [options] <exemplar.png|jpg>",
  "  tex-synth weights fetch|path|verify [--keep-download]",
  "  tex-synth --info",
  "",
  "Options:",
  ...OPTIONS.map(optionLine),
  "",
  "Exit codes: 0 done, 1 error, 2 bad arguments, 130 interrupted (the image so far is saved).",
].join("\n");

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new UsageError(`--${name} needs a whole number, got "${value}"`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be a whole number of at least ${min}, got ${value}`);
  }
  return n;
}

function stem(path: string): string {
  return path.replace(/\.[^./\\]+$/, "");
}

/** Parses `argv` (without the program name); throws {@link UsageError} on mistakes. */
export function parseCommandLine(argv: string[]): Args {
  const withValue = OPTIONS.filter((o) => o.value).map((o) => o.name);
  const flags = OPTIONS.filter((o) => !o.value).map((o) => o.name.replace(/^no-/, ""));
  const alias = Object.fromEntries(OPTIONS.filter((o) => o.short).map((o) => [o.short, o.name]));
  const known = new Set([...withValue, ...flags, ...Object.keys(alias)]);
  let unknown: string | undefined;
  const a = parseArgs(argv, {
    string: withValue,
    boolean: flags,
    alias,
    unknown: (arg: string, key?: string) => {
      if (key !== undefined && !known.has(key)) unknown ??= arg;
      return true;
    },
  });
  if (unknown !== undefined) throw new UsageError(`unknown option ${unknown.split("=")[0]}`);
  for (const name of withValue) {
    if (a[name] === "") throw new UsageError(`--${name} needs a value`);
  }
  if (a.help) return { command: "help" };
  if (a.version) return { command: "version" };
  if (a.info) return { command: "info", json: a.json };
  const positional = a._.map(String);
  if (positional[0] === "weights") {
    const action = positional[1];
    if (action !== "fetch" && action !== "path" && action !== "verify") {
      throw new UsageError(
        `weights needs fetch, path or verify${action ? `, got "${action}"` : ""}`,
      );
    }
    if (positional.length > 2) throw new UsageError(`unexpected argument "${positional[2]}"`);
    return { command: "weights", action, keepDownload: a["keep-download"], quiet: a.quiet };
  }
  if (positional.length === 0) throw new UsageError("missing the exemplar image");
  const preset = a.preset ?? "liu";
  if (preset !== "liu" && preset !== "seed") {
    throw new UsageError(`--preset must be liu or seed, got "${preset}"`);
  }
  const size = integer("size", a.size, 1);
  const width = integer("width", a.width, 1);
  const height = integer("height", a.height, 1);
  if (size !== undefined && (width !== undefined || height !== undefined)) {
    throw new UsageError("give --size or --width/--height, not both");
  }
  if ((width === undefined) !== (height === undefined)) {
    throw new UsageError("--width and --height go together");
  }
  if (a.plot && !/\.svg$/i.test(a.plot)) {
    throw new UsageError(`--plot writes SVG: name the file *.svg`);
  }
  const loss = a.loss ?? "gram";
  if (loss !== "gram" && loss !== "sw") {
    throw new UsageError(`--loss must be gram or sw, got "${loss}"`);
  }
  const output = a.output ?? stem(positional[0]) + "_synth.png";
  const when = a.checkpointing ?? "auto";
  if (when !== "auto" && when !== "on" && when !== "off") {
    throw new UsageError(`--checkpointing must be auto, on or off, got "${when}"`);
  }
  const checkpointing = when === "auto" ? undefined : when === "on";
  const precision = a.precision;
  if (precision !== undefined && precision !== "f32" && precision !== "f16") {
    throw new UsageError(`--precision must be f32 or f16, got "${precision}"`);
  }
  const snapshotEvery = integer("snapshot-every", a["snapshot-every"], 1);
  return {
    command: "synth",
    exemplars: positional,
    output,
    width: size ?? width,
    height: size ?? height,
    iterations: integer("iterations", a.iterations, 0) ?? 100,
    seed: integer("seed", a.seed, -(2 ** 31)) ?? 0,
    variations: integer("variations", a.variations, 1) ?? 1,
    tile: a.tile,
    scales: integer("scales", a.scales, 1),
    loss,
    exemplarSize: integer("exemplar-size", a["exemplar-size"], 1),
    weights: a.weights,
    preset,
    init: a.init,
    log: a.log,
    plot: a.plot,
    snapshotEvery,
    snapshotDir: a["snapshot-dir"] ?? `${stem(output)}-snapshots`,
    results: a.results,
    quiet: a.quiet,
    json: a.json,
    checkpointing,
    precision,
  };
}
