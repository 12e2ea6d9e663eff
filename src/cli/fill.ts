// `tex-synth fill <image> --mask MASK`: inpainting. The masked pixels are
// synthesized from the texture of the rest of the image (or of --exemplar
// images); the others are kept bit for bit.
import { basename } from "@std/path";
import denoJson from "../../deno.json" with { type: "json" };
import type { PlanarImage } from "../io/image.ts";
import { readImageFile } from "../io/image_file.ts";
import { Synthesizer } from "../synth/synthesizer.ts";
import { type CommandSpec, type ParsedCommand, UsageError } from "./options.ts";
import { checkOutputs, type PlannedOutput } from "./output_paths.ts";
import { RunSession, withInterrupts } from "./run.ts";
import {
  EXIT_CODES_NOTE,
  GENERATION_OPTIONS,
  type GenerationArgs,
  generationArgs,
  REPORT_OPTIONS,
  runInputs,
  SIDE_OUTPUT_OPTIONS,
  STEERING_OPTIONS,
  type SteeringArgs,
  steeringArgs,
  steeringImages,
  steeringInputs,
  synthesizerOptions,
} from "./synth.ts";
import { loadRunWeights, weightsLabel } from "./weights.ts";

/**
 * The output keeps the image's size, so the size options do not apply, and
 * masked statistics are Gram matrices, so neither does --loss.
 */
const NOT_FOR_FILL = new Set(["size", "width", "height", "loss"]);

/** `tex-synth fill`: its grammar. */
export const FILL_SPEC: CommandSpec = {
  name: "fill",
  summary: "inpainting: synthesize the masked part of an image, keep the rest bit for bit",
  usage: ["fill [options] <image> --mask MASK.png [--exemplar FILE]…"],
  options: [
    {
      name: "mask",
      short: "m",
      kind: "text",
      value: "FILE",
      help:
        "white (luminance 0.5 or more) marks the pixels to synthesize; resampled (nearest) to the image (required)",
    },
    {
      name: "output",
      short: "o",
      kind: "text",
      value: "FILE",
      help: "output PNG (default: <image>_filled.png)",
    },
    {
      name: "exemplar",
      short: "e",
      kind: "text",
      value: "FILE",
      repeat: true,
      help: "take the texture from this image instead of the image's kept part (repeatable)",
    },
    ...STEERING_OPTIONS.map((o) =>
      o.name === "target-guide" ? o : {
        ...o,
        help: o.name === "exemplar-mask"
          ? "one per --exemplar, in order: only its white part feeds the statistics"
          : "label map of the image, or of each --exemplar in order: its exact colours name regions",
      }
    ),
    ...GENERATION_OPTIONS.filter((o) => !NOT_FOR_FILL.has(o.name)),
    ...SIDE_OUTPUT_OPTIONS,
    ...REPORT_OPTIONS,
  ],
  positionals: { name: "image to fill", min: 1, max: 1 },
  notes: [
    "The statistics come from the image's unmasked part, or from the --exemplar images; what the",
    "hole holds never counts. The network sees the kept pixels around the hole, so the fill",
    "continues them. With --guide, --target-guide labels the output and each label fills its part.",
    EXIT_CODES_NOTE,
  ],
};

/** A `fill` run as the command line asks for it. */
interface FillArgs extends GenerationArgs, SteeringArgs {
  image: string;
  mask: string;
  exemplars: string[];
  output: string;
  log?: string;
  plot?: string;
  snapshotEvery?: number;
  snapshotDir: string;
}

function _stem(path: string): string {
  return path.replace(/\.[^./\\]+$/, "");
}

function _fillArgs(parsed: ParsedCommand): FillArgs {
  const v = parsed.values;
  if (typeof v.mask !== "string") {
    throw new UsageError("fill needs --mask FILE: white marks the pixels to synthesize");
  }
  const image = parsed.positionals[0];
  const output = (v.output as string | undefined) ?? `${_stem(image)}_filled.png`;
  if (typeof v.plot === "string" && !/\.svg$/i.test(v.plot)) {
    throw new UsageError(`--plot writes SVG: name the file *.svg`);
  }
  const exemplars = ((v.exemplar as string[] | undefined) ?? []).map(String);
  const steering = exemplars.length
    ? steeringArgs(parsed, exemplars.length, "--exemplar images")
    : steeringArgs(parsed, 1, "images to fill");
  if (steering.exemplarMasks.length && !exemplars.length) {
    throw new UsageError("--exemplar-mask goes with --exemplar (the image's mask is --mask)");
  }
  return {
    ...generationArgs(parsed),
    ...steering,
    image,
    mask: v.mask,
    exemplars,
    output,
    log: v.log as string | undefined,
    plot: v.plot as string | undefined,
    snapshotEvery: v["snapshot-every"] as number | undefined,
    snapshotDir: (v["snapshot-dir"] as string | undefined) ?? `${_stem(output)}-snapshots`,
  };
}

/** Runs `tex-synth fill …`. */
export async function fillCommand(parsed: ParsedCommand): Promise<number> {
  const args = _fillArgs(parsed);
  const planned: PlannedOutput[] = [
    // PNG only: a JPEG would not keep the kept pixels bit for bit.
    { path: args.output, what: "-o", kind: "file", extensions: [".png"] },
  ];
  if (args.log) planned.push({ path: args.log, what: "--log", kind: "file" });
  if (args.plot) planned.push({ path: args.plot, what: "--plot", kind: "file" });
  if (args.snapshotEvery) {
    planned.push({ path: args.snapshotDir, what: "--snapshot-dir", kind: "folder" });
  }
  await checkOutputs(planned, [
    { path: args.image, what: "the image to fill" },
    { path: args.mask, what: "--mask" },
    ...runInputs(args.exemplars, args.weights),
    ...steeringInputs(args),
  ]);
  const image = await readImageFile(args.image);
  const mask = await readImageFile(args.mask);
  const exemplars: PlanarImage[] = [];
  for (const path of args.exemplars) exemplars.push(await readImageFile(path));
  const steering = await steeringImages(args);
  const size = { width: image.width, height: image.height };
  return await withInterrupts(async (interrupts) => {
    const session = await RunSession.open({
      quiet: args.quiet,
      json: args.json,
      log: args.log,
      plot: args.plot,
      plotTitle: `${basename(args.image)}, mask ${basename(args.mask)}`,
      snapshotEvery: args.snapshotEvery,
      snapshotDir: args.snapshotDir,
    }, interrupts);
    try {
      const weights = await loadRunWeights(args.weights, args.preset, {
        quiet: args.quiet,
        signal: session.signal,
      });
      const synthesizer = await Synthesizer.create(exemplars.length ? exemplars : image, {
        ...synthesizerOptions(args, weights, size),
        ...steering,
        mask,
        image: exemplars.length ? image : undefined,
      });
      try {
        const summary = await session.produce({
          output: args.output,
          label: "",
          total: args.iterations * synthesizer.scales,
          snapshotStem: basename(_stem(args.output)),
          run: (options) => synthesizer.synthesize(args.iterations, options),
          image: () => synthesizer.image(),
        });
        return await session.finish({
          version: denoJson.version,
          image: args.image,
          mask: args.mask,
          exemplars: args.exemplars.length ? args.exemplars : [args.image],
          width: synthesizer.width,
          height: synthesizer.height,
          preset: synthesizer.preset,
          tile: args.tile,
          scales: synthesizer.scales,
          weights: weightsLabel(weights, args.seed),
          seed: args.seed,
          adapter: synthesizer.gpu.info.description,
          peakGpuBytes: synthesizer.peakGpuBytes,
          ...summary,
        });
      } finally {
        synthesizer.dispose();
      }
    } finally {
      session.close();
    }
  });
}
