// `tex-synth [synth] <exemplar>…`: new images of a texture. Its option table
// also holds the generation options that `batch` shares.
import { basename } from "@std/path";
import denoJson from "../../deno.json" with { type: "json" };
import type { Precision } from "../gpu/context.ts";
import type { KernelChoice } from "../gpu/kernel_family.ts";
import type { PlanarImage } from "../io/image.ts";
import { readImageFile } from "../io/image_file.ts";
import { writeImageFile } from "../io/image_write.ts";
import type { FeatureLoss } from "../synth/objective.ts";
import type { PresetName } from "../synth/presets.ts";
import { type StartImageFit, Synthesizer, type SynthesizerOptions } from "../synth/synthesizer.ts";
import type { VggWeights } from "../weights/vgg19_weights.ts";
import { type CommandSpec, type OptionSpec, type ParsedCommand, UsageError } from "./options.ts";
import {
  checkOutputs,
  IMAGE_EXTENSIONS,
  numberedPath,
  type PlannedOutput,
  type RunInput,
} from "./output_paths.ts";
import { type JobSummary, RunSession, withInterrupts } from "./run.ts";
import { loadRunWeights, weightsLabel } from "./weights.ts";
import {
  loadMaps,
  MAP_OPTIONS,
  type MapArgs,
  mapArgs,
  mapCompanions,
  mapInputs,
  mapOutputs,
  wantsField,
} from "./maps.ts";

/** Largest width or height the command line accepts, as image decoding does. */
export const MAX_SIDE = 16384;

/** Seeds are signed 32-bit integers: every one names a different start noise. */
const SEED_RANGE = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** Options that say what to make; `synth` and `batch` share them. */
export const GENERATION_OPTIONS: readonly OptionSpec[] = [
  {
    name: "size",
    short: "s",
    kind: "text",
    value: "N|WxH",
    help:
      `output N×N or W×H pixels, each side from 1 to ${MAX_SIDE} (default: the exemplar's size)`,
  },
  {
    name: "width",
    kind: "int",
    value: "W",
    min: 1,
    max: MAX_SIDE,
    help: "output width; alone, the height follows the exemplar's aspect ratio",
  },
  {
    name: "height",
    kind: "int",
    value: "H",
    min: 1,
    max: MAX_SIDE,
    help: "output height; alone, the width follows the exemplar's aspect ratio",
  },
  { name: "tile", kind: "flag", help: "seamless output: it repeats without a seam" },
  {
    name: "scales",
    kind: "int",
    value: "K",
    min: 1,
    max: 10,
    help: "coarse-to-fine scales",
    default: "1, or 3+ from 512 px up",
  },
  {
    name: "loss",
    kind: "choice",
    value: "L",
    choices: ["gram", "sw"],
    help: "feature statistics: gram, or sw for sliced Wasserstein",
    default: "gram",
  },
  {
    name: "exemplar-size",
    kind: "int",
    value: "N",
    min: 1,
    max: MAX_SIDE,
    help: "scale exemplars to N px on their shorter side first",
  },
  {
    name: "iterations",
    short: "n",
    kind: "int",
    value: "K",
    min: 0,
    max: 1_000_000,
    help: "L-BFGS iterations per output and scale",
    default: "100",
  },
  {
    name: "seed",
    kind: "int",
    value: "S",
    ...SEED_RANGE,
    help: "seed of the start noise and of random weights",
    default: "0",
  },
  {
    name: "preset",
    short: "p",
    kind: "choice",
    value: "P",
    choices: ["liu", "seed"],
    help: "objective: liu, or seed for the reference, term for term",
    default: "liu",
  },
  {
    name: "weights",
    short: "w",
    kind: "text",
    value: "W",
    help: 'VGG19 weights: FILE (.safetensors or .pth) or "random"',
    default: "the cache, fetched on first use",
  },
  {
    name: "checkpointing",
    kind: "choice",
    value: "WHEN",
    choices: ["auto", "on", "off"],
    help: "recompute activations to save GPU memory: auto (from 512×512 px), on or off",
    default: "auto",
  },
  {
    name: "precision",
    kind: "choice",
    value: "P",
    choices: ["auto", "f32", "f16"],
    help: "convolution weight storage: auto, f32, or f16 for half the memory (needs shader-f16)",
    default: "auto: f16 where tiled kernels meet shader-f16",
  },
  {
    name: "kernels",
    kind: "choice",
    value: "K",
    choices: ["auto", "software", "tiled"],
    help: "GPU kernels: auto, software (for CPU adapters) or tiled (workgroup memory, for GPUs)",
    default: "auto: by adapter",
  },
];

/** Options that steer which parts of the exemplars feed which parts of the output. */
export const STEERING_OPTIONS: readonly OptionSpec[] = [
  {
    name: "exemplar-mask",
    kind: "text",
    value: "FILE",
    repeat: true,
    help: "one per exemplar, in order: only its white part feeds the statistics",
  },
  {
    name: "guide",
    kind: "text",
    value: "FILE",
    repeat: true,
    help: "label map of an exemplar (one per exemplar, in order): its exact colours name regions",
  },
  {
    name: "target-guide",
    kind: "text",
    value: "FILE",
    help: "label map of the output: each colour's region takes that colour's texture in the guides",
  },
];

/** Options every run command takes for its reports. */
export const REPORT_OPTIONS: readonly OptionSpec[] = [
  { name: "quiet", short: "q", kind: "flag", help: "print nothing but errors" },
  { name: "json", kind: "flag", help: "print one JSON summary on stdout" },
  { name: "help", short: "h", kind: "flag", help: "show this help" },
];

/** The exit codes, as every run command's help ends. */
export const EXIT_CODES_NOTE = [
  "Exit codes: 0 done, 1 error, 2 bad arguments, 128+N stopped by signal N (130 Ctrl-C,",
  "143 SIGTERM, 129 SIGHUP): the image so far is saved once the first iteration has finished.",
].join("\n");

/** `--variations`: several outputs from one load, as every image-making command offers. */
export const VARIATIONS_OPTION: OptionSpec = {
  name: "variations",
  kind: "int",
  value: "N",
  min: 1,
  max: 1_000_000,
  help: "N different outputs from one load: <output>-1.png …",
  default: "1",
};

/** What a run writes besides its image: the live log, the loss curve, snapshots. */
export const SIDE_OUTPUT_OPTIONS: readonly OptionSpec[] = [
  { name: "log", kind: "text", value: "FILE", help: "write the loss history as JSON lines" },
  { name: "plot", kind: "text", value: "FILE", help: "write the loss curve as SVG" },
  {
    name: "snapshot-every",
    kind: "int",
    value: "N",
    min: 1,
    max: 1_000_000,
    help: "save the image every N iterations into --snapshot-dir",
  },
  {
    name: "snapshot-dir",
    kind: "text",
    value: "DIR",
    help: "folder for snapshots (default: <output>-snapshots)",
  },
];

/** `tex-synth [synth]`: its grammar. */
export const SYNTH_SPEC: CommandSpec = {
  name: "synth",
  summary: "new images of the texture in the exemplars (the default command)",
  usage: [
    "[synth] [options] <exemplar.png|jpg>… [--maps A,B,… [--remap-albedo] [--uv FILE]]",
    "fill [options] <image> --mask MASK.png [--exemplar FILE]…",
    "style [options] <content.png|jpg> --style <style.png|jpg>…",
    "batch [options] <exemplar or folder>… --out-dir DIR",
    "remap <uv.png> <map.png|jpg>… [-o FILE]",
    "weights fetch|path|verify",
    "--info | --help | --version",
  ],
  options: [
    {
      name: "output",
      short: "o",
      kind: "text",
      value: "FILE",
      help: "output image, .png or .jpg (default: <exemplar>_synth.png)",
    },
    ...GENERATION_OPTIONS,
    ...STEERING_OPTIONS,
    VARIATIONS_OPTION,
    {
      name: "init",
      kind: "text",
      value: "FILE",
      help: "start from this image instead of noise (one of another size is resized to the output)",
    },
    ...SIDE_OUTPUT_OPTIONS,
    {
      name: "results",
      kind: "text",
      value: "DIR",
      help: "also write DIR/exemplar_NAME.png and DIR/synth_NAME.png",
    },
    ...MAP_OPTIONS,
    ...REPORT_OPTIONS.slice(0, 2),
    {
      name: "info",
      kind: "flag",
      help: "show the GPU adapter, its kernels, peak GPU memory per size, cache and weights",
    },
    REPORT_OPTIONS[2],
    { name: "version", short: "V", kind: "flag", help: "show the version" },
  ],
  positionals: { name: "exemplar image", min: 1, max: Infinity },
  notes: [EXIT_CODES_NOTE],
};

/** The generation options as a run uses them. */
export interface GenerationArgs {
  /** Requested output width and height; a missing one follows the exemplar. */
  width?: number;
  height?: number;
  tile: boolean;
  scales?: number;
  loss: FeatureLoss;
  exemplarSize?: number;
  iterations: number;
  seed: number;
  preset: PresetName;
  weights?: string;
  /** undefined: automatic. */
  checkpointing?: boolean;
  /** undefined: the engine's default for the adapter. */
  precision?: Precision;
  kernels: KernelChoice;
  quiet: boolean;
  json: boolean;
}

/** Masks and guides as the command line names them. */
export interface SteeringArgs {
  /** One per exemplar, in order, or none. */
  exemplarMasks: string[];
  /** One per exemplar, in order, or none; with `targetGuide`. */
  guides: string[];
  targetGuide?: string;
}

/** A `synth` run as the command line asks for it. */
export interface SynthArgs extends GenerationArgs, SteeringArgs {
  exemplars: string[];
  output: string;
  variations: number;
  init?: string;
  log?: string;
  plot?: string;
  snapshotEvery?: number;
  snapshotDir: string;
  results?: string;
  maps: MapArgs;
}

/** `N` or `WxH` (also `W×H`), each side from 1 to {@link MAX_SIDE}. */
export function parseSize(raw: string): { width: number; height: number } {
  const m = /^\s*(\d+)\s*(?:[xX×]\s*(\d+))?\s*$/.exec(raw);
  const width = m ? Number(m[1]) : NaN;
  const height = m ? Number(m[2] ?? m[1]) : NaN;
  const ok = (v: number) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_SIDE;
  if (!ok(width) || !ok(height)) {
    throw new UsageError(
      `--size must be N or WxH (e.g. 256 or 512x256), each side from 1 to ${MAX_SIDE}, got "${raw}"`,
    );
  }
  return { width, height };
}

function _stem(path: string): string {
  return path.replace(/\.[^./\\]+$/, "");
}

/** Reads the generation options out of a parsed command line. */
export function generationArgs(parsed: ParsedCommand): GenerationArgs {
  const v = parsed.values;
  const size = typeof v.size === "string" ? parseSize(v.size) : undefined;
  if (size && (v.width !== undefined || v.height !== undefined)) {
    throw new UsageError("give --size or --width/--height, not both");
  }
  const checkpointing = v.checkpointing ?? "auto";
  return {
    width: size?.width ?? (v.width as number | undefined),
    height: size?.height ?? (v.height as number | undefined),
    tile: v.tile === true,
    scales: v.scales as number | undefined,
    loss: (v.loss ?? "gram") as FeatureLoss,
    exemplarSize: v["exemplar-size"] as number | undefined,
    iterations: (v.iterations as number | undefined) ?? 100,
    seed: (v.seed as number | undefined) ?? 0,
    preset: (v.preset ?? "liu") as PresetName,
    weights: v.weights as string | undefined,
    checkpointing: checkpointing === "auto" ? undefined : checkpointing === "on",
    precision: v.precision === "auto" || v.precision === undefined
      ? undefined
      : v.precision as Precision,
    kernels: (v.kernels ?? "auto") as KernelChoice,
    quiet: v.quiet === true,
    json: v.json === true,
  };
}

/**
 * Reads the masks and guides of a command line and checks they fit
 * `exemplars` exemplars (counted as the user gave them, for messages).
 */
export function steeringArgs(parsed: ParsedCommand, exemplars: number, what: string): SteeringArgs {
  const v = parsed.values;
  const list = (name: string) => ((v[name] as string[] | undefined) ?? []).map(String);
  const exemplarMasks = list("exemplar-mask");
  const guides = list("guide");
  const targetGuide = v["target-guide"] as string | undefined;
  const per = (option: string, given: number) => {
    if (given > 0 && given !== exemplars) {
      throw new UsageError(
        `${given} ${option} for ${exemplars} ${what}: give one per ${
          what.replace(/s$/, "")
        }, in order`,
      );
    }
  };
  per("--exemplar-mask", exemplarMasks.length);
  per("--guide", guides.length);
  if (guides.length > 0 && !targetGuide) {
    throw new UsageError("--guide needs --target-guide, the output's label map");
  }
  if (targetGuide && guides.length === 0) {
    throw new UsageError("--target-guide needs --guide, the exemplars' label maps");
  }
  const steered = exemplarMasks.length > 0 || guides.length > 0;
  if (steered && v.loss === "sw") {
    throw new UsageError(
      "--exemplar-mask and --guide work with the Gram loss only: drop --loss sw",
    );
  }
  return { exemplarMasks, guides, targetGuide };
}

/** Reads the images of masks and guides, in the engine's terms. */
export async function steeringImages(args: SteeringArgs): Promise<Partial<SynthesizerOptions>> {
  const read = (paths: string[]) => Promise.all(paths.map((p) => readImageFile(p)));
  return {
    exemplarMasks: args.exemplarMasks.length ? await read(args.exemplarMasks) : undefined,
    guides: args.targetGuide
      ? { exemplar: await read(args.guides), target: await readImageFile(args.targetGuide) }
      : undefined,
  };
}

/** The mask and guide files a run reads, which its outputs may not name. */
export function steeringInputs(args: SteeringArgs): RunInput[] {
  return [
    ...args.exemplarMasks.map((path) => ({ path, what: "--exemplar-mask" })),
    ...args.guides.map((path) => ({ path, what: "--guide" })),
    ...(args.targetGuide ? [{ path: args.targetGuide, what: "--target-guide" }] : []),
  ];
}

/** Reads a `synth` command line; throws {@link UsageError} on mistakes. */
export function synthArgs(parsed: ParsedCommand): SynthArgs {
  const v = parsed.values;
  const output = (v.output as string | undefined) ?? _stem(parsed.positionals[0]) + "_synth.png";
  if (typeof v.plot === "string" && !/\.svg$/i.test(v.plot)) {
    throw new UsageError(`--plot writes SVG: name the file *.svg`);
  }
  return {
    ...generationArgs(parsed),
    ...steeringArgs(parsed, parsed.positionals.length, "exemplars"),
    exemplars: parsed.positionals,
    output,
    variations: (v.variations as number | undefined) ?? 1,
    init: v.init as string | undefined,
    log: v.log as string | undefined,
    plot: v.plot as string | undefined,
    snapshotEvery: v["snapshot-every"] as number | undefined,
    snapshotDir: (v["snapshot-dir"] as string | undefined) ?? `${_stem(output)}-snapshots`,
    results: v.results as string | undefined,
    maps: mapArgs(parsed, parsed.positionals),
  };
}

/**
 * The output size: as asked, or the first exemplar's; one side alone keeps
 * the exemplar's aspect ratio.
 */
export function outputSize(
  args: { width?: number; height?: number },
  exemplar: { width: number; height: number },
): { width: number; height: number } {
  const { width, height } = args;
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined) {
    return { width, height: Math.max(1, Math.round((width * exemplar.height) / exemplar.width)) };
  }
  if (height !== undefined) {
    return { width: Math.max(1, Math.round((height * exemplar.width) / exemplar.height)), height };
  }
  return { width: exemplar.width, height: exemplar.height };
}

/** The engine's options for a run of these arguments. */
export function synthesizerOptions(
  args: GenerationArgs,
  weights: VggWeights | "random",
  size: { width: number; height: number },
): SynthesizerOptions {
  return {
    preset: args.preset,
    weights,
    seed: args.seed,
    width: size.width,
    height: size.height,
    tile: args.tile,
    scales: args.scales,
    loss: args.loss,
    exemplarSize: args.exemplarSize,
    checkpointing: args.checkpointing,
    precision: args.precision,
    kernels: args.kernels,
  };
}

/** The files a run reads, which its outputs may not name. */
export function runInputs(paths: readonly string[], weights?: string, init?: string): RunInput[] {
  const inputs: RunInput[] = paths.map((path) => ({ path, what: "the exemplar" }));
  if (init) inputs.push({ path: init, what: "--init" });
  if (weights && weights !== "random") inputs.push({ path: weights, what: "--weights" });
  return inputs;
}

/** Every path a `synth` run writes, for the up-front checks. */
function _plannedOutputs(args: SynthArgs): PlannedOutput[] {
  const planned: PlannedOutput[] = [{
    path: args.output,
    what: "-o",
    kind: "file",
    extensions: IMAGE_EXTENSIONS,
    numbered: args.variations,
  }];
  if (args.log) planned.push({ path: args.log, what: "--log", kind: "file" });
  if (args.plot) planned.push({ path: args.plot, what: "--plot", kind: "file" });
  if (args.snapshotEvery) {
    planned.push({ path: args.snapshotDir, what: "--snapshot-dir", kind: "folder" });
  }
  if (args.results) {
    planned.push({ path: args.results, what: "--results", kind: "folder" });
    planned.push({
      path: `${args.results}/synth_${_name(args.exemplars[0])}.png`,
      what: "--results",
      kind: "file",
      numbered: args.variations,
    });
    const names = new Set<string>();
    for (const e of args.exemplars) {
      const file = `${args.results}/exemplar_${_name(e)}.png`;
      if (names.has(file)) continue;
      names.add(file);
      planned.push({ path: file, what: "--results", kind: "file" });
    }
  }
  return [...planned, ...mapOutputs(args.maps, args.output, args.variations)];
}

function _name(path: string): string {
  return basename(path).replace(/\.[^.]+$/, "");
}

/** Runs `tex-synth [synth] …`. */
export async function synthCommand(parsed: ParsedCommand): Promise<number> {
  const args = synthArgs(parsed);
  await checkOutputs(_plannedOutputs(args), [
    ...runInputs(args.exemplars, args.weights, args.init),
    ...steeringInputs(args),
    ...mapInputs(args.maps),
  ]);
  const exemplars: PlanarImage[] = [];
  for (const path of args.exemplars) exemplars.push(await readImageFile(path));
  const maps = wantsField(args.maps)
    ? await loadMaps(args.maps, args.exemplars[0], exemplars[0])
    : null;
  const init = args.init ? await readImageFile(args.init) : undefined;
  const steering = await steeringImages(args);
  const size = outputSize(args, exemplars[0]);
  return await withInterrupts(async (interrupts) => {
    const session = await RunSession.open({
      quiet: args.quiet,
      json: args.json,
      log: args.log,
      plot: args.plot,
      plotTitle: args.exemplars.map((p) => basename(p)).join(", "),
      snapshotEvery: args.snapshotEvery,
      snapshotDir: args.snapshotDir,
      folders: args.results ? [{ path: args.results, what: "--results" }] : [],
    }, interrupts);
    try {
      const weights = await loadRunWeights(args.weights, args.preset, {
        quiet: args.quiet,
        signal: session.signal,
      });
      const synthesizer = await Synthesizer.create(exemplars, {
        ...synthesizerOptions(args, weights, size),
        ...steering,
      });
      try {
        const summaries: JobSummary[] = [];
        const name = _name(args.exemplars[0]);
        // How setImage fitted --init; the same for every variation, reported once.
        const start: { fit?: StartImageFit } = {};
        for (let v = 1; v <= args.variations && !session.interrupted; v++) {
          const many = args.variations > 1;
          const output = numberedPath(args.output, v, args.variations);
          summaries.push(
            await session.produce({
              output,
              label: many ? `variation ${v}/${args.variations}: ` : "",
              total: args.iterations * synthesizer.scales,
              logFields: many ? { variation: v } : undefined,
              startFields: () => start.fit?.filter ? { init: start.fit } : undefined,
              snapshotStem: many ? `${name}-${v}` : name,
              run: async (options) => {
                if (!init) return await synthesizer.synthesize(args.iterations, options);
                const fit = await synthesizer.setImage(init);
                if (!start.fit && fit.filter) session.say(initResizedNote(args.init!, fit));
                start.fit = fit;
                return await synthesizer.optimize(args.iterations, options);
              },
              image: () => synthesizer.image(),
              companions: async (image) => {
                if (args.results) {
                  await session.sideFile(
                    "results",
                    `the results in ${args.results}`,
                    () =>
                      writeImageFile(
                        numberedPath(`${args.results}/synth_${name}.png`, v, args.variations),
                        image,
                      ),
                  );
                }
                if (maps) {
                  await mapCompanions(session, maps, {
                    output: args.output,
                    variation: v,
                    variations: args.variations,
                    tile: args.tile,
                    seed: args.seed,
                    gpu: synthesizer.gpu,
                    exemplar: async () => (await synthesizer.exemplars())[0],
                  })(image);
                }
              },
            }),
          );
        }
        if (args.results && !session.interrupted) {
          const used = await synthesizer.exemplars();
          for (let i = 0; i < used.length; i++) {
            await session.sideFile(
              "results",
              `the results in ${args.results}`,
              () =>
                writeImageFile(`${args.results}/exemplar_${_name(args.exemplars[i])}.png`, used[i]),
            );
          }
        }
        return await session.finish({
          version: denoJson.version,
          exemplars: args.exemplars,
          width: synthesizer.width,
          height: synthesizer.height,
          preset: synthesizer.preset,
          loss: args.loss,
          tile: args.tile,
          scales: synthesizer.scales,
          weights: weightsLabel(weights, args.seed),
          seed: args.seed,
          adapter: synthesizer.gpu.info.description,
          peakGpuBytes: synthesizer.peakGpuBytes,
          ...(start.fit ? { init: { path: args.init, ...start.fit } } : {}),
          variations: summaries,
        });
      } finally {
        synthesizer.dispose();
      }
    } finally {
      session.close();
    }
  });
}

/** The line that says how a start image of another size was fitted to the output. */
export function initResizedNote(path: string, fit: StartImageFit): string {
  const size = (s: { width: number; height: number }) => `${s.width}×${s.height}`;
  return `--init ${path} is ${size(fit.from)}: resized to the output's ${
    size(fit.to)
  } with ${fit.filter} (as exemplars are)`;
}
