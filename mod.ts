/**
 * tex-synth: neural texture synthesis on WebGPU. From one exemplar image it
 * makes new images of the same texture by optimizing pixels with L-BFGS so
 * that VGG19 Gram matrices and the Fourier modulus match the exemplar
 * (Gatys et al. 2015 with the spectrum constraint of Liu, Gousseau & Xia 2016).
 *
 * @example
 * ```ts
 * import { createSynthesizer, writePng } from "@tex/synth";
 *
 * const synth = await createSynthesizer("bricks.png", { weights: "random", width: 64, height: 64 });
 * await synth.synthesize(50, { onProgress: (r) => console.log(r.iteration, r.loss) });
 * await writePng("out.png", await synth.image());
 * synth.dispose();
 * ```
 * @module
 */
import { readImageFile } from "./src/io/image_file.ts";
import { encodePng, type PlanarImage } from "./src/io/image.ts";
import { writeFileAtomic } from "./src/io/atomic_write.ts";
import { Synthesizer, type SynthesizerOptions } from "./src/synth/synthesizer.ts";
import { loadWeightsFile } from "./src/weights/load.ts";
import type { VggWeights } from "./src/weights/vgg19_weights.ts";
import { preset } from "./src/synth/presets.ts";

export { TexSynthError } from "./src/errors.ts";
export { decodeImage, encodePng, type PlanarImage } from "./src/io/image.ts";
export { readImageFile } from "./src/io/image_file.ts";
export {
  defaultScales,
  type LossRecord,
  type RunOptions,
  type RunResult,
  Synthesizer,
  type SynthesizerOptions,
} from "./src/synth/synthesizer.ts";
export {
  type StyleInit,
  type StyleRecord,
  type StyleRunOptions,
  type StyleRunResult,
  StyleTransfer,
  type StyleTransferOptions,
} from "./src/synth/style_transfer.ts";
export {
  decodeSourceField,
  encodeSourceField,
  findSourceField,
  remapImage,
  remapSamples,
  type SourceField,
  type SourceFieldOptions,
} from "./src/synth/source_field.ts";
export { decodePngSamples, encodePngSamples, type PngSamples } from "./src/io/png.ts";
export { decodeImageSamples, planarFromSamples } from "./src/io/samples.ts";
export type { StopReason } from "./src/optim/lbfgs.ts";
export type { FeatureLoss } from "./src/synth/objective.ts";
export { type Preset, type PresetName } from "./src/synth/presets.ts";
export {
  type ConvWeights,
  randomVggWeights,
  type VggLayerSpec,
  type VggWeights,
} from "./src/weights/vgg19_weights.ts";
export {
  GpuContext,
  type GpuContextOptions,
  type GpuInfo,
  type Precision,
} from "./src/gpu/context.ts";
export { loadWeightsFile } from "./src/weights/load.ts";

/** Options of {@link createSynthesizer}: those of {@link Synthesizer.create}, plus weights by path. */
export interface CreateOptions extends Omit<SynthesizerOptions, "weights"> {
  /** A `.safetensors`/`.pth` path, loaded weights, or "random" (default). */
  weights?: string | VggWeights | "random";
}

/**
 * Creates a {@link Synthesizer} from exemplars given as file paths or as
 * pixels (one, or several whose statistics are averaged), loading weights
 * from a path when one is given.
 *
 * @example
 * ```ts
 * import { createSynthesizer } from "@tex/synth";
 *
 * const synth = await createSynthesizer("bricks.png", { weights: "vgg19.safetensors", preset: "liu" });
 * await synth.synthesize(100);
 * const image = await synth.image(); // { width, height, data: Float32Array [3, H, W] }
 * synth.dispose();
 * ```
 */
export async function createSynthesizer(
  exemplar: string | PlanarImage | (string | PlanarImage)[],
  options: CreateOptions = {},
): Promise<Synthesizer> {
  const images: PlanarImage[] = [];
  for (const e of Array.isArray(exemplar) ? exemplar : [exemplar]) {
    images.push(typeof e === "string" ? await readImageFile(e) : e);
  }
  const w = options.weights;
  const weights = typeof w === "string" && w !== "random"
    ? await loadWeightsFile(w, Math.max(...preset(options.preset ?? "liu").layers))
    : w;
  return await Synthesizer.create(images, { ...options, weights });
}

/**
 * Encodes an image as PNG and writes it atomically (temporary name, then
 * rename), so `path` never holds a half-written file.
 *
 * @example
 * ```ts
 * import { writePng } from "@tex/synth";
 *
 * const data = new Float32Array(3 * 8 * 8).fill(0.5);
 * await writePng("gray.png", { width: 8, height: 8, data });
 * ```
 */
export async function writePng(path: string, image: PlanarImage): Promise<void> {
  await writeFileAtomic(path, await encodePng(image));
}

// `deno run -A jsr:@tex/synth cli …`: run as the main module, the package
// is its command line (less the leading `cli`), exactly as `@tex/synth/cli`.
// Imported, it does nothing: the command line loads only here.
if (import.meta.main) {
  const { main } = await import("./cli.ts");
  const args = Deno.args[0] === "cli" ? Deno.args.slice(1) : Deno.args;
  Deno.exit(await main(args));
}
