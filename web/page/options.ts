/**
 * The page's options under the command line's long names: one table drives
 * the URL query (`?exemplar=/examples/dots.png&size=64&tile=1`), the form
 * defaults and the equivalent `tex-synth` command. Plain functions with no
 * DOM, so they are tested in Deno.
 *
 * @module
 */

import type { Mode, SteeringFiles } from "./steering.ts";

/** Where the page's VGG19 weights come from. */
export type WeightsChoice = "cached" | "random" | "file" | "url";

/** Everything a run in the page is set up with. */
export interface PageOptions {
  /** Exemplar URLs from the query (picked files cannot be named in a URL). */
  exemplars: string[];
  /** New texture, or the first image with its hole filled (the command line's `fill`). */
  mode: Mode;
  /** URL of the hole's mask (fill mode). */
  mask?: string;
  /** URLs of the exemplar masks, one per exemplar (fill: per image after the first). */
  exemplarMasks: string[];
  /** URLs of the exemplar guides, one per exemplar (fill: the image, or per image after it). */
  guides: string[];
  /** URL of the output's guide. */
  targetGuide?: string;
  /** Output width; undefined: the first exemplar's. */
  width?: number;
  /** Output height; undefined: the first exemplar's. */
  height?: number;
  tile: boolean;
  /** Coarse-to-fine scales; undefined: the engine's default for the size. */
  scales?: number;
  loss: "gram" | "sw";
  exemplarSize?: number;
  iterations: number;
  seed: number;
  preset: "liu" | "seed";
  /** "cached", "random", or the URL of a weights file; "file" is a picked file. */
  weights: string;
  checkpointing: "auto" | "on" | "off";
  /** "auto": f16 where the tiled kernels meet `shader-f16`, else f32. */
  precision: "auto" | "f32" | "f16";
  kernels: "auto" | "software" | "tiled";
  /** Start as soon as the page has loaded. */
  autostart: boolean;
}

/** The defaults, the command line's. */
export const DEFAULTS: Readonly<PageOptions> = Object.freeze({
  exemplars: [],
  mode: "texture",
  exemplarMasks: [],
  guides: [],
  tile: false,
  loss: "gram",
  iterations: 100,
  seed: 0,
  preset: "liu",
  weights: "cached",
  checkpointing: "auto",
  precision: "auto",
  kernels: "auto",
  autostart: false,
});

/** How a query parameter is read and checked, with the command line's ranges. */
export interface QuerySpec {
  /** The command line's long name. */
  name: string;
  kind: "int" | "flag" | "choice" | "text";
  min?: number;
  max?: number;
  choices?: readonly string[];
}

/** Largest output or exemplar side, as the command line takes it. */
export const MAX_SIDE = 16384;

/**
 * The query parameters the page reads: the command line's generation,
 * mask and guide options under their long names and ranges (a test holds
 * them to the CLI's tables), plus `exemplar` (the CLI's positional
 * arguments), `mode` (`texture`, or `fill` for the CLI's `fill` command;
 * a `mask` implies it) and `autostart`. Masks and guides are addresses of
 * images, as exemplars are.
 */
export const QUERY_OPTIONS: readonly QuerySpec[] = [
  { name: "exemplar", kind: "text" },
  { name: "mode", kind: "choice", choices: ["texture", "fill"] },
  { name: "mask", kind: "text" },
  { name: "exemplar-mask", kind: "text" },
  { name: "guide", kind: "text" },
  { name: "target-guide", kind: "text" },
  { name: "size", kind: "text" },
  { name: "width", kind: "int", min: 1, max: MAX_SIDE },
  { name: "height", kind: "int", min: 1, max: MAX_SIDE },
  { name: "tile", kind: "flag" },
  { name: "scales", kind: "int", min: 1, max: 10 },
  { name: "loss", kind: "choice", choices: ["gram", "sw"] },
  { name: "exemplar-size", kind: "int", min: 1, max: MAX_SIDE },
  { name: "iterations", kind: "int", min: 0, max: 1_000_000 },
  { name: "seed", kind: "int", min: -(2 ** 31), max: 2 ** 31 - 1 },
  { name: "preset", kind: "choice", choices: ["liu", "seed"] },
  { name: "weights", kind: "text" },
  { name: "checkpointing", kind: "choice", choices: ["auto", "on", "off"] },
  { name: "precision", kind: "choice", choices: ["auto", "f32", "f16"] },
  { name: "kernels", kind: "choice", choices: ["auto", "software", "tiled"] },
  { name: "autostart", kind: "flag" },
];

/** `N` or `WxH` (also `W×H`), each side from 1 to {@link MAX_SIDE}, as the CLI's `--size`. */
export function parseSize(raw: string): { width: number; height: number } | null {
  const m = /^\s*(\d+)\s*(?:[xX×]\s*(\d+))?\s*$/.exec(raw);
  const width = m ? Number(m[1]) : NaN;
  const height = m ? Number(m[2] ?? m[1]) : NaN;
  const ok = (v: number) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_SIDE;
  return ok(width) && ok(height) ? { width, height } : null;
}

/**
 * The output size, by the command line's rule: as asked, or the first
 * exemplar's; one side alone keeps the exemplar's aspect ratio.
 */
export function outputSize(
  asked: { width?: number; height?: number },
  exemplar: { width: number; height: number },
): { width: number; height: number } {
  const { width, height } = asked;
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined) {
    return { width, height: Math.max(1, Math.round((width * exemplar.height) / exemplar.width)) };
  }
  if (height !== undefined) {
    return { width: Math.max(1, Math.round((height * exemplar.width) / exemplar.height)), height };
  }
  return { width: exemplar.width, height: exemplar.height };
}

const FLAG_VALUES: Record<string, boolean> = {
  "": true,
  "1": true,
  "true": true,
  "yes": true,
  "on": true,
  "0": false,
  "false": false,
  "no": false,
  "off": false,
};

/** What {@link parseQuery} read, and what it could not. */
export interface ParsedQuery {
  options: PageOptions;
  /** One line per bad or unknown parameter, naming it and what it takes. */
  problems: string[];
}

/**
 * Reads options from a URL query. Values are checked as the command line
 * checks them; a bad or unknown parameter is reported and its default kept.
 *
 * @example
 * ```ts
 * import { parseQuery } from "./options.ts";
 *
 * const { options } = parseQuery(new URLSearchParams("exemplar=/examples/dots.png&size=64&tile=1"));
 * console.log(options.width, options.height, options.tile); // 64 64 true
 * ```
 */
export function parseQuery(query: URLSearchParams): ParsedQuery {
  const options: PageOptions = { ...DEFAULTS, exemplars: [], exemplarMasks: [], guides: [] };
  const problems: string[] = [];
  const names = new Set(QUERY_OPTIONS.map((o) => o.name));
  for (const key of new Set(query.keys())) {
    if (!names.has(key)) {
      problems.push(
        `unknown option "${key}" in the address: the page takes ${[...names].join(", ")}`,
      );
    }
  }
  for (const spec of QUERY_OPTIONS) {
    const values = query.getAll(spec.name);
    if (values.length === 0) continue;
    if (spec.name in _REPEATED) {
      options[_REPEATED[spec.name]] = values.filter((v) => v !== "");
      continue;
    }
    const raw = values[values.length - 1].trim();
    if (spec.name === "size") {
      const size = parseSize(raw);
      if (!size) {
        problems.push(`size must be N or WxH, each side from 1 to ${MAX_SIDE}, got "${raw}"`);
      } else [options.width, options.height] = [size.width, size.height];
      continue;
    }
    const value = _value(spec, raw);
    if (typeof value === "string" && spec.kind !== "choice" && spec.kind !== "text") {
      problems.push(value);
      continue;
    }
    if (spec.kind === "choice" && !spec.choices!.includes(raw)) {
      problems.push(`${spec.name} takes ${spec.choices!.join(" or ")}, got "${raw}"`);
      continue;
    }
    _assign(options, spec.name, value);
  }
  if (query.has("mask") && !query.has("mode")) options.mode = "fill";
  if (options.mask !== undefined && options.mode !== "fill") {
    problems.push(`mask is the hole to fill: it goes with mode=fill (or leave mode out)`);
    options.mask = undefined;
  }
  return { options, problems };
}

/** The parameters that may repeat, in order, and the option each fills. */
const _REPEATED: Record<string, "exemplars" | "exemplarMasks" | "guides"> = {
  "exemplar": "exemplars",
  "exemplar-mask": "exemplarMasks",
  "guide": "guides",
};

function _value(spec: QuerySpec, raw: string): number | boolean | string {
  if (spec.kind === "flag") {
    return raw.toLowerCase() in FLAG_VALUES
      ? FLAG_VALUES[raw.toLowerCase()]
      : `${spec.name} takes 1 or 0, got "${raw}"`;
  }
  if (spec.kind === "int") {
    const n = Number(raw);
    if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < spec.min! || n > spec.max!) {
      return `${spec.name} must be a whole number from ${spec.min} to ${spec.max}, got "${raw}"`;
    }
    return n;
  }
  return raw;
}

function _assign(o: PageOptions, name: string, value: number | boolean | string): void {
  switch (name) {
    case "exemplar-size":
      o.exemplarSize = value as number;
      break;
    case "weights":
      o.weights = (value as string) || DEFAULTS.weights;
      break;
    case "mask":
      o.mask = (value as string) || undefined;
      break;
    case "target-guide":
      o.targetGuide = (value as string) || undefined;
      break;
    default:
      (o as unknown as Record<string, unknown>)[name] = value;
  }
}

/**
 * The query that gives these options back, defaults left out (exemplars
 * first, repeated for several).
 *
 * @example
 * ```ts
 * import { DEFAULTS, toQuery } from "./options.ts";
 *
 * console.log(toQuery({ ...DEFAULTS, exemplars: ["/examples/dots.png"], width: 64, height: 64 }));
 * // exemplar=%2Fexamples%2Fdots.png&size=64
 * ```
 */
export function toQuery(o: PageOptions): string {
  const q = new URLSearchParams();
  for (const e of o.exemplars) q.append("exemplar", e);
  if (o.mode !== DEFAULTS.mode) q.set("mode", o.mode);
  if (o.mask !== undefined) q.set("mask", o.mask);
  for (const m of o.exemplarMasks) q.append("exemplar-mask", m);
  for (const g of o.guides) q.append("guide", g);
  if (o.targetGuide !== undefined) q.set("target-guide", o.targetGuide);
  const [flag, size] = _sizeWords(o);
  if (flag) q.set(flag.slice(2), size);
  if (o.tile) q.set("tile", "1");
  if (o.scales !== undefined) q.set("scales", String(o.scales));
  if (o.loss !== DEFAULTS.loss) q.set("loss", o.loss);
  if (o.exemplarSize !== undefined) q.set("exemplar-size", String(o.exemplarSize));
  if (o.iterations !== DEFAULTS.iterations) q.set("iterations", String(o.iterations));
  if (o.seed !== DEFAULTS.seed) q.set("seed", String(o.seed));
  if (o.preset !== DEFAULTS.preset) q.set("preset", o.preset);
  if (o.weights !== DEFAULTS.weights && o.weights !== "file") q.set("weights", o.weights);
  if (o.checkpointing !== DEFAULTS.checkpointing) q.set("checkpointing", o.checkpointing);
  if (o.precision !== DEFAULTS.precision) q.set("precision", o.precision);
  if (o.kernels !== DEFAULTS.kernels) q.set("kernels", o.kernels);
  if (o.autostart) q.set("autostart", "1");
  return q.toString();
}

/** The size as the command line says it: `--size N`, `--size WxH`, or one side alone. */
function _sizeWords(o: PageOptions): string[] {
  const { width, height } = o;
  if (width !== undefined && height !== undefined) {
    return ["--size", width === height ? String(width) : `${width}x${height}`];
  }
  if (width !== undefined) return ["--width", String(width)];
  if (height !== undefined) return ["--height", String(height)];
  return [];
}

/** What the command line is told besides the options: names of files it will read. */
export interface CommandFiles {
  /** The exemplars as a command line names them (paths, or the picked files' names). */
  exemplars: string[];
  /** The picked weights file's name, with weights "file". */
  weightsFile?: string;
  /** The variation shown (0 first): the command makes that many and this is its last. */
  variation?: number;
  /** Iterations run so far when Continue added more than the options ask. */
  iterations?: number;
  /** The mask and guide files (see steering.ts). */
  steering?: SteeringFiles;
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Where the command line finds an exemplar the page loaded from `url`:
 * the bundled examples under `examples/`, anything else by its file name.
 */
export function exemplarPath(url: string): string {
  const path = url.replace(/[?#].*$/, "");
  const examples = path.match(/(?:^|\/)(examples\/[^/]+)$/);
  if (examples) return examples[1];
  return decodeURIComponent(path.split("/").pop() || "exemplar.png");
}

/**
 * The output name the command line picks for the first exemplar:
 * `<stem>_synth.png` (`<stem>_filled.png` for the image a fill fills).
 */
export function outputName(exemplar: string, variation = 0, mode: Mode = "texture"): string {
  const base = exemplar.split(/[\\/]/).pop() || "exemplar.png";
  const stem = base.replace(/\.[^.]+$/, "") || "exemplar";
  if (mode === "fill") return `${stem}_filled.png`;
  return variation > 0 ? `${stem}_synth-${variation + 1}.png` : `${stem}_synth.png`;
}

/**
 * The `tex-synth` command that makes the same image as the page: same
 * exemplars, size, options and seed (and, for a later variation, as many
 * variations, the last one being this image), with the mask and guide files.
 * In fill mode it is `tex-synth fill <image> --mask FILE`, the other images
 * its `--exemplar`s, without the size and loss a fill does not take.
 *
 * @example
 * ```ts
 * import { cliCommand, DEFAULTS } from "./options.ts";
 *
 * const o = { ...DEFAULTS, width: 64, height: 64, tile: true, weights: "random" };
 * console.log(cliCommand(o, { exemplars: ["examples/dots.png"] }));
 * // tex-synth examples/dots.png -o dots_synth.png --size 64 --tile --weights random
 * ```
 */
export function cliCommand(o: PageOptions, files: CommandFiles): string {
  const fill = o.mode === "fill";
  const variations = fill ? 1 : (files.variation ?? 0) + 1;
  const first = files.exemplars[0] ?? "exemplar.png";
  const steering = files.steering ?? { exemplarMasks: [], guides: [] };
  const words = fill
    ? ["tex-synth", "fill", first, "--mask", steering.mask ?? "MASK.png"]
    : ["tex-synth", ...files.exemplars];
  words.push("-o", outputName(first, 0, o.mode));
  if (fill) words.push(...files.exemplars.slice(1).flatMap((e) => ["--exemplar", e]));
  else words.push(..._sizeWords(o));
  if (o.tile) words.push("--tile");
  if (o.scales !== undefined) words.push("--scales", String(o.scales));
  if (o.loss !== DEFAULTS.loss && !fill) words.push("--loss", o.loss);
  if (o.exemplarSize !== undefined) words.push("--exemplar-size", String(o.exemplarSize));
  const iterations = files.iterations ?? o.iterations;
  if (iterations !== DEFAULTS.iterations) words.push("--iterations", String(iterations));
  if (o.seed !== DEFAULTS.seed) words.push("--seed", String(o.seed));
  if (variations > 1) words.push("--variations", String(variations));
  if (o.preset !== DEFAULTS.preset) words.push("--preset", o.preset);
  if (o.weights === "random") words.push("--weights", "random");
  else if (o.weights === "file" && files.weightsFile) words.push("--weights", files.weightsFile);
  else if (o.weights !== "cached" && o.weights !== "file") {
    words.push("--weights", exemplarPath(o.weights));
  }
  if (o.checkpointing !== DEFAULTS.checkpointing) words.push("--checkpointing", o.checkpointing);
  if (o.precision !== DEFAULTS.precision) words.push("--precision", o.precision);
  if (o.kernels !== DEFAULTS.kernels) words.push("--kernels", o.kernels);
  for (const m of steering.exemplarMasks) words.push("--exemplar-mask", m);
  for (const g of steering.guides) words.push("--guide", g);
  if (steering.targetGuide) words.push("--target-guide", steering.targetGuide);
  return words.map(shellQuote).join(" ");
}
