// `tex-synth weights fetch|path|verify`, and the weights every run loads:
// a file, seeded random ones, or the cache (fetched on first use).
import type { PresetName } from "../synth/presets.ts";
import { preset as presetNamed } from "../synth/presets.ts";
import { loadWeightsFile } from "../weights/load.ts";
import type { VggWeights } from "../weights/vgg19_weights.ts";
import {
  ensureWeights,
  loadCachedWeights,
  verifyCachedWeights,
  weightsPath,
} from "../weights/ensure.ts";
import { type CommandSpec, type ParsedCommand, UsageError } from "./options.ts";
import { ByteProgress } from "./progress.ts";
import { EXIT, withInterrupts } from "./run.ts";

/** `tex-synth weights`: its grammar. */
export const WEIGHTS_SPEC: CommandSpec = {
  name: "weights",
  summary: "download, locate or check the cached VGG19 weights",
  usage: ["weights fetch [--keep-download]", "weights path", "weights verify"],
  options: [
    {
      name: "keep-download",
      kind: "flag",
      help: "with fetch: keep the original checkpoint in the cache",
    },
    { name: "quiet", short: "q", kind: "flag", help: "print nothing but errors" },
    { name: "help", short: "h", kind: "flag", help: "show this help" },
  ],
  positionals: { name: "action (fetch, path or verify)", min: 1, max: 1 },
  notes: [
    "fetch downloads torchvision's VGG19 (548 MiB, once), checks its SHA-256 and converts it;",
    "path prints where the converted weights live; verify checks them against their record.",
  ],
};

/** Runs `tex-synth weights …`. */
export async function weightsCommand(parsed: ParsedCommand): Promise<number> {
  const action = parsed.positionals[0];
  if (action !== "fetch" && action !== "path" && action !== "verify") {
    throw new UsageError(`weights needs fetch, path or verify, got "${action}"`);
  }
  if (action === "path") {
    console.log(weightsPath());
    return EXIT.ok;
  }
  const quiet = parsed.values.quiet === true;
  return await withInterrupts(async (interrupts) => {
    const progress = new ByteProgress({ quiet });
    try {
      const path = action === "fetch"
        ? await ensureWeights({
          onProgress: (p) => progress.update(p),
          keepDownload: parsed.values["keep-download"] === true,
          signal: interrupts.signal,
        })
        : await verifyCachedWeights({ onProgress: (p) => progress.update(p) });
      progress.done();
      console.log(path);
      return EXIT.ok;
    } finally {
      progress.done();
    }
  });
}

/**
 * The weights a run asks for: "random" as it is, a file loaded up to the
 * preset's deepest layer, or by default the cached trained weights, fetched
 * with a progress line on first use.
 */
export async function loadRunWeights(
  weights: string | undefined,
  presetName: PresetName,
  options: { quiet: boolean; signal: AbortSignal; deepest?: number },
): Promise<VggWeights | "random"> {
  if (weights === "random") return "random";
  const deepest = options.deepest ?? Math.max(...presetNamed(presetName).layers);
  if (weights) return await loadWeightsFile(weights, deepest);
  const progress = new ByteProgress({ quiet: options.quiet });
  try {
    return await loadCachedWeights({
      onProgress: (p) => progress.update(p),
      signal: options.signal,
      upTo: deepest,
    });
  } finally {
    progress.done();
  }
}

/** How a summary names the weights used. */
export function weightsLabel(weights: VggWeights | "random", seed: number): string {
  return weights === "random" ? `random(seed ${seed})` : weights.source;
}
