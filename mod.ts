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
 * // The trained VGG19 weights are downloaded on first use (about 550 MB, once).
 * const synth = await createSynthesizer("bricks.png", { width: 64, height: 64 });
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
import { STYLE_LAYERS } from "./src/synth/style_objective.ts";
import {
  type StyleInit,
  StyleTransfer,
  type StyleTransferOptions,
} from "./src/synth/style_transfer.ts";
import { quietMesa } from "./src/gpu/quiet_mesa.ts";
import { ensureWeights, loadCachedWeights, type WeightsProgress } from "./src/weights/ensure.ts";

// The engine on web APIs, the same for pages (browser.ts); below, what only
// Deno code gets: files by path, style transfer, material maps.
export * from "./browser.ts";
export { decodeImage } from "./src/io/image.ts";
export { readImageFile } from "./src/io/image_file.ts";
export {
  type StyleInit,
  type StyleRecord,
  type StyleRunOptions,
  type StyleRunResult,
  StyleTransfer,
  type StyleTransferOptions,
} from "./src/synth/style_transfer.ts";
export {
  checkMapAligned,
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
export { loadWeightsFile } from "./src/weights/load.ts";
export type { WeightsProgress } from "./src/weights/ensure.ts";

/**
 * Options of {@link createSynthesizer}: those of {@link Synthesizer.create},
 * with weights by path or by default, and masks, guides and the image to
 * fill also given as paths.
 */
export interface CreateOptions extends
  Omit<
    SynthesizerOptions,
    "weights" | "mask" | "image" | "exemplarMasks" | "guides"
  > {
  /**
   * VGG19 weights: a `.safetensors`/`.pth` path, loaded {@link VggWeights}, or
   * "random" (seeded random weights, an offline smoke mode whose textures are
   * not what trained weights give). Default: torchvision's trained VGG19 from
   * the cache, downloaded and converted on first use, as the command line
   * does (see {@link trainedWeights}).
   */
  weights?: string | VggWeights;
  /** Progress of fetching the default weights on first use (download, conversion, waiting for another process). */
  onWeightsProgress?: (progress: WeightsProgress) => void;
  /** Inpainting: the mask of the hole (white is synthesized), see {@link SynthesizerOptions.mask}. */
  mask?: string | PlanarImage;
  /** The image to fill (default: the first exemplar), see {@link SynthesizerOptions.image}. */
  image?: string | PlanarImage;
  /** One mask per exemplar (null for none): only white parts feed the statistics. */
  exemplarMasks?: (string | PlanarImage | null)[];
  /** Label maps for guided synthesis: one per exemplar and one for the output. */
  guides?: {
    exemplar: string | PlanarImage | (string | PlanarImage)[];
    target: string | PlanarImage;
  };
}

async function _image(source: string | PlanarImage): Promise<PlanarImage> {
  return typeof source === "string" ? await readImageFile(source) : source;
}

/**
 * Creates a {@link Synthesizer} from exemplars given as file paths or as
 * pixels (one, or several whose statistics are averaged), loading masks,
 * guides and the image to fill from paths when paths are given. Without
 * `weights` it uses the trained VGG19 weights from the cache, fetching them
 * on first use (about 550 MB, once); without network and cache that is a
 * {@link TexSynthError} saying what to do. On Linux it keeps Mesa's
 * "XDG_RUNTIME_DIR is invalid" warning off stderr.
 *
 * @example
 * ```ts
 * import { createSynthesizer } from "@tex/synth";
 *
 * const synth = await createSynthesizer("bricks.png", {
 *   preset: "liu",
 *   onWeightsProgress: (p) => console.log(p.phase, p.bytes, p.total),
 * });
 * await synth.synthesize(100);
 * const image = await synth.image(); // { width, height, data: Float32Array [3, H, W] }
 * synth.dispose();
 * ```
 *
 * @example Inpainting: fill the white part of `hole.png` from the rest of `photo.png`
 * ```ts
 * import { createSynthesizer, writePng } from "@tex/synth";
 *
 * const synth = await createSynthesizer("photo.png", { mask: "hole.png", weights: "random" });
 * await synth.synthesize(100);
 * await writePng("filled.png", await synth.image()); // outside the hole: photo.png, bit for bit
 * synth.dispose();
 * ```
 *
 * @example Guided synthesis: each colour of `target.png` takes that colour's texture in the exemplar
 * ```ts
 * import { createSynthesizer } from "@tex/synth";
 *
 * const synth = await createSynthesizer("two_materials.png", {
 *   guides: { exemplar: "two_materials_labels.png", target: "target_labels.png" },
 *   exemplarMasks: ["no_logo.png"], // only the white part of the exemplar counts
 *   width: 256,
 *   height: 256,
 *   weights: "random",
 * });
 * await synth.synthesize(100);
 * synth.dispose();
 * ```
 */
export async function createSynthesizer(
  exemplar: string | PlanarImage | (string | PlanarImage)[],
  options: CreateOptions = {},
): Promise<Synthesizer> {
  quietMesa();
  const { weights: w, onWeightsProgress, ...rest } = options;
  const images: PlanarImage[] = [];
  for (const e of Array.isArray(exemplar) ? exemplar : [exemplar]) {
    images.push(typeof e === "string" ? await readImageFile(e) : e);
  }
  const upTo = Math.max(...preset(options.preset ?? "liu").layers);
  const weights = w === "random"
    ? "random"
    : typeof w === "string"
    ? await loadWeightsFile(w, upTo)
    : w ?? await trainedWeights({ upTo, onProgress: onWeightsProgress });
  const { guides } = rest;
  const exemplarGuides = guides
    ? await Promise.all(
      (Array.isArray(guides.exemplar) ? guides.exemplar : [guides.exemplar]).map(_image),
    )
    : [];
  return await Synthesizer.create(images, {
    ...rest,
    weights,
    mask: rest.mask === undefined ? undefined : await _image(rest.mask),
    image: rest.image === undefined ? undefined : await _image(rest.image),
    exemplarMasks: rest.exemplarMasks &&
      await Promise.all(rest.exemplarMasks.map((m) => m === null ? null : _image(m))),
    guides: guides && { exemplar: exemplarGuides, target: await _image(guides.target) },
  });
}

/** Options of {@link createStyleTransfer}: those of {@link StyleTransfer.create}, with files by path and weights by default. */
export interface CreateStyleOptions extends Omit<StyleTransferOptions, "weights" | "init"> {
  /**
   * VGG19 weights: a `.safetensors`/`.pth` path, loaded {@link VggWeights}, or
   * "random" (an offline smoke mode). Default: the trained VGG19 from the
   * cache, fetched on first use (see {@link trainedWeights}).
   */
  weights?: string | VggWeights;
  /** Start image: "content" (default), "noise", an image path or pixels. */
  init?: StyleInit | string;
  /** Progress of fetching the default weights on first use. */
  onWeightsProgress?: (progress: WeightsProgress) => void;
}

/**
 * Creates a {@link StyleTransfer} of one or more style images onto a content
 * image, each given as a file path or as pixels: the command line's
 * `tex-synth style`, option for option. Without `weights` it uses the trained
 * VGG19 weights from the cache, fetching them on first use, as
 * {@link createSynthesizer} does.
 *
 * @example
 * ```ts
 * import { createStyleTransfer, writePng } from "@tex/synth";
 *
 * const transfer = await createStyleTransfer("photo.png", ["starry.png", "mosaic.png"], {
 *   styleBlend: [0.7, 0.3],
 *   originalColors: true,
 *   tvWeight: 0.1,
 * });
 * await transfer.transfer(100, { onProgress: (r) => console.log(r.iteration, r.gram, r.content) });
 * await writePng("photo_styled.png", await transfer.image());
 * transfer.dispose();
 * ```
 */
export async function createStyleTransfer(
  content: string | PlanarImage,
  style: string | PlanarImage | (string | PlanarImage)[],
  options: CreateStyleOptions = {},
): Promise<StyleTransfer> {
  quietMesa();
  const { weights: w, onWeightsProgress, init: i, ...rest } = options;
  const read = async (e: string | PlanarImage) =>
    typeof e === "string" ? await readImageFile(e) : e;
  const styles: PlanarImage[] = [];
  for (const s of Array.isArray(style) ? style : [style]) styles.push(await read(s));
  const init = i === undefined || i === "content" || i === "noise" ? i : await read(i);
  const upTo = Math.max(...STYLE_LAYERS);
  const weights = w === "random"
    ? "random"
    : typeof w === "string"
    ? await loadWeightsFile(w, upTo)
    : w ?? await trainedWeights({ upTo, onProgress: onWeightsProgress });
  return await StyleTransfer.create(await read(content), styles, { ...rest, init, weights });
}

/** Options of {@link trainedWeights} and {@link trainedWeightsPath}. */
export interface TrainedWeightsOptions {
  /** Progress of the first-use download and conversion, and of waiting while another process does them. */
  onProgress?: (progress: WeightsProgress) => void;
  /** Stops waiting or downloading; a partial download is resumed next time. */
  signal?: AbortSignal;
  /** Cache folder; default `$TEX_SYNTH_CACHE`, else `$XDG_CACHE_HOME/tex-synth`, else `~/.cache/tex-synth`. */
  cacheDir?: string;
  /** With {@link trainedWeights}: load only the layers up to this `features` index (all 16 by default). */
  upTo?: number;
}

/** How library errors name the other ways to get weights. */
const LIBRARY_ALTERNATIVES = 'weights: "FILE.pth" or weights: "random"';

/**
 * torchvision's trained VGG19 weights, the ones the command line uses: read
 * from the cache, where the first call downloads the checkpoint (548 MB, its
 * SHA-256 checked) and converts its 16 convolutions into one 80 MB file. Each
 * call checks that file's size and SHA-256 against the record made when it
 * was converted (a damaged file is rebuilt, never used). Another process
 * fetching into the same cache makes this one wait (a "wait" progress event).
 * Without network and cache it throws a one-line {@link TexSynthError} that
 * says where to put the file by hand. Like {@link createSynthesizer}, it
 * keeps Mesa's "XDG_RUNTIME_DIR" warning off stderr for the GPU work that
 * follows. Source and cache can be changed with
 * `TEX_SYNTH_WEIGHTS_URL`, `TEX_SYNTH_WEIGHTS_SHA256` and `TEX_SYNTH_CACHE`.
 *
 * @example
 * ```ts
 * import { readImageFile, Synthesizer, trainedWeights } from "@tex/synth";
 *
 * const weights = await trainedWeights({ onProgress: (p) => console.log(p.phase, p.bytes) });
 * const synth = await Synthesizer.create(await readImageFile("bricks.png"), { weights });
 * await synth.synthesize(100);
 * synth.dispose();
 * ```
 */
export async function trainedWeights(options: TrainedWeightsOptions = {}): Promise<VggWeights> {
  quietMesa();
  return await loadCachedWeights({ ...options, alternatives: LIBRARY_ALTERNATIVES });
}

/**
 * Path of the cached trained VGG19 weights (an F32 safetensors file with
 * torchvision's key names), fetched and converted first when missing and
 * checked against its record, as {@link trainedWeights} does.
 *
 * @example
 * ```ts
 * import { trainedWeightsPath } from "@tex/synth";
 *
 * console.log(await trainedWeightsPath()); // e.g. ~/.cache/tex-synth/vgg19-features-f32.safetensors
 * ```
 */
export async function trainedWeightsPath(
  options: Omit<TrainedWeightsOptions, "upTo"> = {},
): Promise<string> {
  return await ensureWeights({ ...options, alternatives: LIBRARY_ALTERNATIVES });
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
