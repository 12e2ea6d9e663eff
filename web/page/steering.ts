/**
 * The page's masks and guides and what a run makes of them, as the command
 * line does: in "texture" mode every image is an exemplar, with an optional
 * exemplar mask and guide, and the output an optional target guide; in
 * "fill" mode the first image is filled where its hole is painted, and its
 * kept part (or the images after it, when there are any) gives the texture.
 * Missing maps of a kind in use are filled in (a white mask, a guide of the
 * background colour), so the engine gets what the command line will read,
 * and every map has a file name the command uses and a download saves.
 * No DOM, so it is tested in Deno.
 *
 * @module
 */
import type { PlanarImage, SynthesizerOptions } from "@tex/synth/browser";
import { colourName } from "../../src/synth/guides.ts";
import {
  BLACK,
  blankMap,
  coloursOf,
  countColour,
  labelMapOf,
  mapImage,
  maskMapOf,
  type PaintMap,
  paintSize,
  resampleMap,
  WHITE,
} from "./paint_map.ts";

/** What the page makes: new texture, or an image with a filled hole. */
export type Mode = "texture" | "fill";

/** The maps the brush paints: the hole, an exemplar mask, an exemplar guide, the target guide. */
export type LayerKind = "hole" | "mask" | "guide" | "target";

/** A map painted or loaded in the page. */
export interface Layer {
  map: PaintMap;
  /** The file the command line reads it from; a download saves it under this name. */
  name: string;
  /** The address it was loaded from, while it is unchanged. */
  url?: string;
  /** The image it was loaded from, while it is unchanged: a new size is made from it. */
  source?: PlanarImage;
}

/** An image of the page with its maps. */
export interface SteeredImage {
  /** How the command line names it. */
  path: string;
  image: PlanarImage;
  /** Its hole, when it is the image to fill (fill mode, first image). */
  hole: Layer | null;
  /** Its exemplar mask: white is used. */
  mask: Layer | null;
  /** Its guide: colours name regions. */
  guide: Layer | null;
}

/** The background label: a guide's unpainted colour. */
export const BACKGROUND = BLACK;

/** What a layer's pixels start as: masks use everything, guides are all background, no hole. */
export function blankColour(kind: LayerKind): number {
  return kind === "mask" ? WHITE : BLACK;
}

/**
 * The images whose statistics a run takes: all of them, except in fill
 * mode with more than one image, where the first is the image to fill and
 * the others give the texture (the command line's `--exemplar`s).
 */
export function textureSources<T>(mode: Mode, images: readonly T[]): T[] {
  return mode === "fill" && images.length > 1 ? images.slice(1) : [...images];
}

/**
 * Why a map of `kind` cannot be painted over image `index` of `count` in
 * `mode`, or null when it can.
 */
export function paintBlocked(
  mode: Mode,
  count: number,
  index: number,
  kind: "mask" | "guide",
): string | null {
  if (mode !== "fill" || index !== 0) return null;
  if (kind === "mask") {
    return "This is the image to fill: paint its hole over the output, on the right.";
  }
  return count > 1
    ? "This is the image to fill: its hole takes the texture of the images after it, so paint their guides."
    : null;
}

function _stem(path: string): string {
  const base = path.split(/[\\/]/).pop() || "image.png";
  return base.replace(/\.[^.]+$/, "") || "image";
}

/** The file name a painted map of `kind` over the image at `path` is saved under. */
export function layerName(kind: LayerKind, path: string): string {
  const suffix = { hole: "mask", mask: "exemplar-mask", guide: "guide", target: "target-guide" };
  return `${_stem(path)}_${suffix[kind]}.png`;
}

/** The map's size for an image of `size`. */
function _sized(size: { width: number; height: number }): { width: number; height: number } {
  return paintSize(size.width, size.height);
}

/**
 * `layer` at the map size for an image of `size`: itself when it fits,
 * else made again from the file it was loaded from, or resampled.
 */
export function fitLayer(
  layer: Layer,
  kind: LayerKind,
  size: { width: number; height: number },
): Layer {
  const { width, height } = _sized(size);
  if (layer.map.width === width && layer.map.height === height) return layer;
  const map = layer.source
    ? (kind === "guide" || kind === "target" ? labelMapOf : maskMapOf)(layer.source, width, height)
    : resampleMap(layer.map, width, height);
  return { ...layer, map };
}

/** A layer made from an image file of `kind`, for an image of `size`. */
export function layerFromImage(
  source: PlanarImage,
  kind: LayerKind,
  size: { width: number; height: number },
  name: string,
  url?: string,
): Layer {
  const { width, height } = _sized(size);
  const map = kind === "guide" || kind === "target"
    ? labelMapOf(source, width, height)
    : maskMapOf(source, width, height);
  return { map, name, url, source };
}

/** An unpainted layer of `kind` for an image of `size`. */
export function blankLayer(
  kind: LayerKind,
  size: { width: number; height: number },
  name: string,
): Layer {
  const { width, height } = _sized(size);
  return { map: blankMap(width, height, blankColour(kind)), name };
}

/** The files of masks and guides a command reads, by the command line's option names. */
export interface SteeringFiles {
  /** fill's `--mask`. */
  mask?: string;
  /** `--exemplar-mask`, one per exemplar (fill: per `--exemplar`). */
  exemplarMasks: string[];
  /** `--guide`, one per exemplar (fill: the image, or per `--exemplar`). */
  guides: string[];
  /** `--target-guide`. */
  targetGuide?: string;
}

/** A run's steering: the maps the engine is handed and the files the command line reads. */
export interface SteeringPlan {
  /** The images whose statistics the run takes, in order. */
  exemplars: PlanarImage[];
  /** The output size. */
  width: number;
  height: number;
  /** The image whose hole is filled, when it is not the only exemplar. */
  image?: PlanarImage;
  /** The maps handed to the engine (see {@link steeringOptions}). */
  maps: { mask?: PaintMap; exemplarMasks?: PaintMap[]; guides?: PaintMap[]; target?: PaintMap };
  /** The files named in the command. */
  files: SteeringFiles;
  /** Every map the command reads, under its file name, for download. */
  downloads: { name: string; map: PaintMap }[];
}

/** Why a fill cannot start: it has no hole. */
export const NO_HOLE =
  "nothing to fill yet: paint the hole over the image (the output, on the right) or load a mask, then Start";

function _unique(name: string, taken: Set<string>): string {
  let unique = name;
  for (let n = 2; taken.has(unique.toLowerCase()); n++) {
    unique = name.replace(/(\.[^.]+)?$/, (ext) => `-${n}${ext}`);
  }
  taken.add(unique.toLowerCase());
  return unique;
}

/**
 * What a run of `mode` over `images` makes of their maps and the target
 * guide, for an output of `output` (fill mode: the image's size, whatever
 * `output` says). `outputName` is the command's output file, which no map
 * may be named. A fill without a painted hole gets no mask (see
 * {@link NO_HOLE}).
 *
 * @example
 * ```ts
 * import { planSteering } from "./steering.ts";
 *
 * const image = { width: 4, height: 4, data: new Float32Array(48) };
 * const a = { path: "a.png", image, hole: null, mask: null, guide: null };
 * const plan = planSteering("texture", [a], null, { width: 4, height: 4 }, "a_synth.png");
 * console.log(plan.files); // { exemplarMasks: [], guides: [] }
 * ```
 */
export function planSteering(
  mode: Mode,
  images: readonly SteeredImage[],
  target: Layer | null,
  output: { width: number; height: number },
  outputName: string,
): SteeringPlan {
  const fill = mode === "fill" ? images[0] : undefined;
  const sources = textureSources(mode, images);
  const size = fill ? { width: fill.image.width, height: fill.image.height } : output;
  const taken = new Set(
    [...images.map((i) => i.path.split(/[\\/]/).pop()!), outputName].map((n) => n.toLowerCase()),
  );
  const plan: SteeringPlan = {
    exemplars: sources.map((s) => s.image),
    ...size,
    maps: {},
    files: { exemplarMasks: [], guides: [] },
    downloads: [],
  };
  const use = (layer: Layer): { name: string; map: PaintMap } => {
    const name = _unique(layer.name, taken);
    plan.downloads.push({ name, map: layer.map });
    return { name, map: layer.map };
  };
  const hole = fill?.hole && fitLayer(fill.hole, "hole", size);
  if (hole && countColour(hole.map, WHITE) > 0) {
    const { name, map } = use(hole);
    plan.files.mask = name;
    plan.maps.mask = map;
    if (images.length > 1) plan.image = fill!.image;
  }
  // The image to fill has its hole for a mask.
  if (!(fill && images.length === 1) && sources.some((s) => s.mask)) {
    const used = sources.map((s) =>
      use(
        s.mask
          ? fitLayer(s.mask, "mask", s.image)
          : blankLayer("mask", s.image, layerName("mask", s.path)),
      )
    );
    plan.files.exemplarMasks = used.map((u) => u.name);
    plan.maps.exemplarMasks = used.map((u) => u.map);
  }
  if (target || sources.some((s) => s.guide)) {
    const guides = sources.map((s) =>
      use(
        s.guide
          ? fitLayer(s.guide, "guide", s.image)
          : blankLayer("guide", s.image, layerName("guide", s.path)),
      )
    );
    const t = use(
      target
        ? fitLayer(target, "target", size)
        : blankLayer("target", size, layerName("target", images[0].path)),
    );
    plan.files.guides = guides.map((g) => g.name);
    plan.files.targetGuide = t.name;
    plan.maps.guides = guides.map((g) => g.map);
    plan.maps.target = t.map;
  }
  return plan;
}

/** The engine's steering options for a plan: its maps as images. */
export function steeringOptions(
  plan: SteeringPlan,
): Pick<SynthesizerOptions, "mask" | "image" | "exemplarMasks" | "guides"> {
  const { mask, exemplarMasks, guides, target } = plan.maps;
  return {
    mask: mask && mapImage(mask),
    image: plan.image,
    exemplarMasks: exemplarMasks?.map(mapImage),
    guides: guides && target
      ? { exemplar: guides.map(mapImage), target: mapImage(target) }
      : undefined,
  };
}

/** A summary of what a plan hands to the engine, for automation (`document.body.dataset.steering`). */
export interface SteeringSummary {
  mode: Mode;
  /** The hole: its size and how many pixels are to be filled. */
  mask: { width: number; height: number; fill: number } | null;
  /** Each exemplar mask: its size and how many pixels are used. */
  exemplarMasks: { width: number; height: number; used: number }[] | null;
  /** The colours of each exemplar guide and of the target guide. */
  guides: { exemplar: string[][]; target: string[] } | null;
}

/** What `plan` hands to the engine, in numbers and colour names. */
export function describeSteering(mode: Mode, plan: SteeringPlan): SteeringSummary {
  const { mask, exemplarMasks, guides, target } = plan.maps;
  const names = (map: PaintMap) => coloursOf(map).map(colourName);
  return {
    mode,
    mask: mask ? { width: mask.width, height: mask.height, fill: countColour(mask, WHITE) } : null,
    exemplarMasks: exemplarMasks?.map((m) => ({
      width: m.width,
      height: m.height,
      used: countColour(m, WHITE),
    })) ?? null,
    guides: guides && target ? { exemplar: guides.map(names), target: names(target) } : null,
  };
}
