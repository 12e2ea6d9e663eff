/**
 * tex-synth's engine for web pages: the same WebGPU synthesizer as the Deno
 * package, on web APIs alone (WebGPU, typed arrays, streams, Blobs), with
 * PNG read and written by tex-synth itself and the VGG19 weights readers
 * working on a picked file. `deno task bundle` builds it into one ES module,
 * `web/build/tex-synth.js`, that the page of `tex-synth serve` loads.
 *
 * @example
 * ```ts
 * import { decodePngImage, encodePng, Synthesizer } from "@tex/synth/browser";
 *
 * const bytes = new Uint8Array(await (await fetch("/examples/dots.png")).arrayBuffer());
 * const synth = await Synthesizer.create(await decodePngImage(bytes), {
 *   weights: "random",
 *   width: 64,
 *   height: 64,
 * });
 * await synth.synthesize(20, { onProgress: (r) => console.log(r.iteration, r.loss) });
 * const png = new Blob([await encodePng(await synth.image())], { type: "image/png" });
 * synth.dispose();
 * ```
 * @module
 */
export { TexSynthError } from "./src/errors.ts";
export {
  decodePngImage,
  encodePng,
  type ImageFormat,
  type ImageInfo,
  MAX_IMAGE_PIXELS,
  MAX_IMAGE_SIDE,
  type PlanarImage,
  probeImage,
} from "./src/io/image.ts";
export {
  defaultScales,
  type LossRecord,
  type RunOptions,
  type RunResult,
  type StartImageFit,
  Synthesizer,
  type SynthesizerOptions,
} from "./src/synth/synthesizer.ts";
export type { StopReason } from "./src/optim/lbfgs.ts";
export type { FeatureLoss } from "./src/synth/objective.ts";
export type { ResampleFilter } from "./src/ops/resample.ts";
export { type Preset, preset, type PresetName } from "./src/synth/presets.ts";
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
export type { KernelChoice, KernelFamily } from "./src/gpu/kernel_family.ts";
export type { Guides } from "./src/synth/steering.ts";
export { blobSource, loadWeightsBlob } from "./src/weights/blob.ts";
export type { ByteSource } from "./src/weights/byte_source.ts";
