// `tex-synth style <content> --style <style>…`: the content repainted with
// the feature statistics of the style images (Gatys et al. 2016).
import { basename } from "@std/path";
import denoJson from "../../deno.json" with { type: "json" };
import type { Precision } from "../gpu/context.ts";
import type { PlanarImage } from "../io/image.ts";
import { readImageFile } from "../io/image_file.ts";
import type { FeatureLoss } from "../synth/objective.ts";
import { STYLE_LAYERS } from "../synth/style_objective.ts";
import { type StyleInit, StyleTransfer } from "../synth/style_transfer.ts";
import { type CommandSpec, type OptionSpec, type ParsedCommand, UsageError } from "./options.ts";
import {
  checkOutputs,
  IMAGE_EXTENSIONS,
  numberedPath,
  type PlannedOutput,
} from "./output_paths.ts";
import { type JobSummary, RunSession, withInterrupts } from "./run.ts";
import {
  EXIT_CODES_NOTE,
  GENERATION_OPTIONS,
  initResizedNote,
  MAX_SIDE,
  outputSize,
  parseSize,
  REPORT_OPTIONS,
  SIDE_OUTPUT_OPTIONS,
  VARIATIONS_OPTION,
} from "./synth.ts";
import { loadRunWeights, weightsLabel } from "./weights.ts";

/** The generation options style transfer shares with synthesis, by name. */
function _shared(...names: string[]): OptionSpec[] {
  return names.map((n) => GENERATION_OPTIONS.find((o) => o.name === n)!);
}

/** A weight of a loss term: any number from 0 up. */
function _weight(name: string, help: string, fallback: string): OptionSpec {
  return { name, kind: "number", value: "X", min: 0, help, default: fallback };
}

/** `tex-synth style`: its grammar. */
export const STYLE_SPEC: CommandSpec = {
  name: "style",
  summary: "the content image repainted in the style of others (neural style transfer)",
  usage: ["style [options] <content.png|jpg> --style <style.png|jpg> [--style …]"],
  options: [
    {
      name: "style",
      kind: "text",
      value: "FILE",
      repeat: true,
      help: "a style image; give it again for more, whose statistics blend (required)",
    },
    {
      name: "output",
      short: "o",
      kind: "text",
      value: "FILE",
      help: "output image, .png or .jpg (default: <content>_styled.png)",
    },
    {
      name: "style-blend",
      kind: "text",
      value: "W,W,…",
      help: "each style's share of the style target, in --style order (default: equal)",
    },
    _weight("content-weight", "weight of the content term (relu4_2 features)", "1"),
    _weight("style-weight", "weight of the style term (relu1_1 … relu5_1 statistics)", "1"),
    _weight("tv-weight", "weight of total variation, which smooths the pixels", "0"),
    _weight("spectrum-weight", "weight of the styles' Fourier modulus", "0"),
    {
      name: "style-scale",
      kind: "number",
      value: "X",
      min: 0.01,
      max: 16,
      help: "style images' longer side as a multiple of the output's",
      default: "1",
    },
    {
      name: "init",
      kind: "text",
      value: "WHAT",
      help: "start from: content, noise, or an image FILE",
      default: "content",
    },
    {
      name: "init-noise",
      kind: "number",
      value: "R",
      min: 0,
      max: 1,
      help: "share of seeded noise blended into an image start",
      default: "0 for the first variation, 0.2 for the others",
    },
    {
      name: "original-colors",
      kind: "flag",
      help: "keep the content's colours: transfer luminance only (chroma from the content, YIQ)",
    },
    {
      name: "size",
      short: "s",
      kind: "text",
      value: "N|WxH",
      help:
        `output N×N or W×H pixels, each side from 1 to ${MAX_SIDE} (default: the content's size)`,
    },
    {
      name: "width",
      kind: "int",
      value: "W",
      min: 1,
      max: MAX_SIDE,
      help: "output width; alone, the height follows the content's aspect ratio",
    },
    {
      name: "height",
      kind: "int",
      value: "H",
      min: 1,
      max: MAX_SIDE,
      help: "output height; alone, the width follows the content's aspect ratio",
    },
    ..._shared("loss", "iterations", "seed", "weights", "checkpointing", "precision"),
    VARIATIONS_OPTION,
    ...SIDE_OUTPUT_OPTIONS,
    ...REPORT_OPTIONS,
  ],
  positionals: { name: "content image", min: 1, max: 1 },
  notes: [
    "The output has the content's size unless told otherwise; large outputs run tile by tile.",
    "In --log lines gram is the style term, content and tv are weighted alike, spectrum is not.",
    EXIT_CODES_NOTE,
  ],
};

/** A `style` run as the command line asks for it. */
export interface StyleArgs {
  content: string;
  styles: string[];
  output: string;
  blend?: number[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  spectrumWeight: number;
  styleScale: number;
  /** "content", "noise", or a file. */
  init: string;
  initNoise?: number;
  originalColors: boolean;
  width?: number;
  height?: number;
  loss: FeatureLoss;
  iterations: number;
  seed: number;
  weights?: string;
  checkpointing?: boolean;
  precision: Precision;
  variations: number;
  log?: string;
  plot?: string;
  snapshotEvery?: number;
  snapshotDir: string;
  quiet: boolean;
  json: boolean;
}

function _stem(path: string): string {
  return path.replace(/\.[^./\\]+$/, "");
}

/** Reads a `style` command line; throws {@link UsageError} on mistakes. */
export function styleArgs(parsed: ParsedCommand): StyleArgs {
  const v = parsed.values;
  const styles = (v.style as string[] | undefined) ?? [];
  if (styles.length === 0) throw new UsageError("style needs at least one --style image");
  let blend: number[] | undefined;
  if (typeof v["style-blend"] === "string") {
    const parts = v["style-blend"].split(",").map((s) => s.trim());
    blend = parts.map(Number);
    if (
      parts.some((p) => !/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(p)) || !blend.some((b) => b > 0)
    ) {
      throw new UsageError(
        `--style-blend must be numbers of at least 0, one for each --style, not all 0, got "${
          v["style-blend"]
        }"`,
      );
    }
    if (blend.length !== styles.length) {
      throw new UsageError(
        `--style-blend gives ${blend.length} weights for ${styles.length} --style images: give one each`,
      );
    }
  }
  if (v.loss === "sw" && blend?.some((b) => b !== blend![0])) {
    throw new UsageError(
      "--loss sw pools the style images' pixels and cannot weight them: leave out --style-blend or use --loss gram",
    );
  }
  const size = typeof v.size === "string" ? parseSize(v.size) : undefined;
  if (size && (v.width !== undefined || v.height !== undefined)) {
    throw new UsageError("give --size or --width/--height, not both");
  }
  if (typeof v.plot === "string" && !/\.svg$/i.test(v.plot)) {
    throw new UsageError(`--plot writes SVG: name the file *.svg`);
  }
  const output = (v.output as string | undefined) ??
    _stem(parsed.positionals[0]) + "_styled.png";
  const checkpointing = v.checkpointing ?? "auto";
  return {
    content: parsed.positionals[0],
    styles,
    output,
    blend,
    contentWeight: (v["content-weight"] as number | undefined) ?? 1,
    styleWeight: (v["style-weight"] as number | undefined) ?? 1,
    tvWeight: (v["tv-weight"] as number | undefined) ?? 0,
    spectrumWeight: (v["spectrum-weight"] as number | undefined) ?? 0,
    styleScale: (v["style-scale"] as number | undefined) ?? 1,
    init: (v.init as string | undefined) ?? "content",
    initNoise: v["init-noise"] as number | undefined,
    originalColors: v["original-colors"] === true,
    width: size?.width ?? (v.width as number | undefined),
    height: size?.height ?? (v.height as number | undefined),
    loss: (v.loss ?? "gram") as FeatureLoss,
    iterations: (v.iterations as number | undefined) ?? 100,
    seed: (v.seed as number | undefined) ?? 0,
    weights: v.weights as string | undefined,
    checkpointing: checkpointing === "auto" ? undefined : checkpointing === "on",
    precision: (v.precision ?? "f32") as Precision,
    variations: (v.variations as number | undefined) ?? 1,
    log: v.log as string | undefined,
    plot: v.plot as string | undefined,
    snapshotEvery: v["snapshot-every"] as number | undefined,
    snapshotDir: (v["snapshot-dir"] as string | undefined) ?? `${_stem(output)}-snapshots`,
    quiet: v.quiet === true,
    json: v.json === true,
  };
}

/** Whether `--init` names a file rather than a kind of start. */
function _initFile(init: string): string | undefined {
  return init === "content" || init === "noise" ? undefined : init;
}

function _plannedOutputs(args: StyleArgs): PlannedOutput[] {
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
  return planned;
}

function _name(path: string): string {
  return basename(path).replace(/\.[^.]+$/, "");
}

/** Runs `tex-synth style …`. */
export async function styleCommand(parsed: ParsedCommand): Promise<number> {
  const args = styleArgs(parsed);
  const initFile = _initFile(args.init);
  const inputs = [
    { path: args.content, what: "the content image" },
    ...args.styles.map((path) => ({ path, what: "--style" })),
  ];
  if (initFile) inputs.push({ path: initFile, what: "--init" });
  if (args.weights && args.weights !== "random") {
    inputs.push({ path: args.weights, what: "--weights" });
  }
  await checkOutputs(_plannedOutputs(args), inputs);
  const content = await readImageFile(args.content);
  const styles: PlanarImage[] = [];
  for (const path of args.styles) styles.push(await readImageFile(path));
  const init: StyleInit = initFile ? await readImageFile(initFile) : args.init as StyleInit;
  const size = outputSize(args, content);
  return await withInterrupts(async (interrupts) => {
    const session = await RunSession.open({
      quiet: args.quiet,
      json: args.json,
      log: args.log,
      plot: args.plot,
      plotTitle: `${basename(args.content)} in the style of ${
        args.styles.map((p) => basename(p)).join(", ")
      }`,
      snapshotEvery: args.snapshotEvery,
      snapshotDir: args.snapshotDir,
    }, interrupts);
    try {
      const weights = await loadRunWeights(args.weights, "liu", {
        quiet: args.quiet,
        signal: session.signal,
        deepest: Math.max(...STYLE_LAYERS),
      });
      const transfer = await StyleTransfer.create(content, styles, {
        styleBlend: args.blend,
        contentWeight: args.contentWeight,
        styleWeight: args.styleWeight,
        tvWeight: args.tvWeight,
        spectrumWeight: args.spectrumWeight,
        styleScale: args.styleScale,
        init,
        initNoise: args.initNoise,
        originalColors: args.originalColors,
        loss: args.loss,
        weights,
        seed: args.seed,
        width: size.width,
        height: size.height,
        checkpointing: args.checkpointing,
        precision: args.precision,
      });
      const initFit = transfer.initFit?.filter ? transfer.initFit : null;
      if (initFit) session.say(initResizedNote(initFile!, initFit));
      try {
        const summaries: JobSummary[] = [];
        const name = _name(args.content);
        for (let v = 1; v <= args.variations && !session.interrupted; v++) {
          const many = args.variations > 1;
          summaries.push(
            await session.produce({
              output: numberedPath(args.output, v, args.variations),
              label: many ? `variation ${v}/${args.variations}: ` : "",
              total: args.iterations,
              logFields: many ? { variation: v } : undefined,
              startFields: () => initFit ? { init: initFit } : undefined,
              snapshotStem: many ? `${name}-${v}` : name,
              run: (options) => transfer.transfer(args.iterations, options),
              image: () => transfer.image(),
            }),
          );
        }
        return await session.finish({
          version: denoJson.version,
          content: args.content,
          styles: args.styles,
          styleBlend: args.blend ?? args.styles.map(() => 1),
          width: transfer.width,
          height: transfer.height,
          loss: args.loss,
          originalColors: args.originalColors,
          weightsOfTerms: {
            content: args.contentWeight,
            style: args.styleWeight,
            tv: args.tvWeight,
            spectrum: args.spectrumWeight,
          },
          weights: weightsLabel(weights, args.seed),
          seed: args.seed,
          adapter: transfer.gpu.info.description,
          peakGpuBytes: transfer.peakGpuBytes,
          ...(initFit ? { init: { path: initFile, ...initFit } } : {}),
          variations: summaries,
        });
      } finally {
        transfer.dispose();
      }
    } finally {
      session.close();
    }
  });
}
