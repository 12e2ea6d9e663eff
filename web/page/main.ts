/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * The tex-synth page: exemplars in, a texture growing on a canvas out, with
 * the same engine as the command line running on the browser's WebGPU.
 * A brush paints masks and guides over the exemplars and the output, which
 * the engine takes as the command line takes their files.
 * `document.body.dataset` exposes `state` (idle | running | done | error),
 * `iteration` and `loss` for automation, and `steering`: a JSON summary of
 * the masks and guides the last run handed to the engine.
 *
 * @module
 */
import {
  encodePng,
  loadWeightsBlob,
  type LossRecord,
  type PlanarImage,
  preset as presetNamed,
  type RunOptions,
  type RunResult,
  Synthesizer,
  TexSynthError,
  type VggWeights,
} from "@tex/synth/browser";
import { lossPlotSvg } from "../../src/cli/plot.ts";
import { colourName } from "../../src/synth/guides.ts";
import { PaintSurface } from "./brush.ts";
import { decodeExemplar } from "./decode.ts";
import { EXAMPLES } from "./examples.ts";
import { hasWebGpu, NO_WEBGPU, openGpu, type PageGpu } from "./gpu.ts";
import {
  cliCommand,
  DEFAULTS,
  exemplarPath,
  outputName,
  outputSize,
  type PageOptions,
  parseQuery,
  QUERY_OPTIONS,
  toQuery,
} from "./options.ts";
import { BLACK, coloursOf, countColour, mapImage, type Point, stroke, WHITE } from "./paint_map.ts";
import { drawImage } from "./render.ts";
import {
  BACKGROUND,
  blankColour,
  blankLayer,
  describeSteering,
  fitLayer,
  type Layer,
  layerFromImage,
  type LayerKind,
  layerName,
  type Mode,
  NO_HOLE,
  paintBlocked,
  planSteering,
  type SteeredImage,
  steeringOptions,
  type SteeringPlan,
  textureSources,
} from "./steering.ts";
import { eta, RedrawClock } from "./timing.ts";

type State = "idle" | "running" | "done" | "error";

interface Exemplar extends SteeredImage {
  /** Distinguishes exemplars with the same name, for telling when a run must start anew. */
  id: number;
  /** The URL it came from, to name it in the address; none for picked files. */
  url?: string;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  error: $<HTMLDivElement>("error"),
  drop: $<HTMLDivElement>("drop"),
  pick: $<HTMLInputElement>("pick"),
  exemplars: $<HTMLUListElement>("exemplars"),
  examples: $<HTMLDivElement>("examples"),
  form: $<HTMLFormElement>("options"),
  weightsFileLabel: $<HTMLLabelElement>("weights-file-label"),
  weightsFile: $<HTMLInputElement>("weights-file"),
  weightsNote: $<HTMLParagraphElement>("weights-note"),
  start: $<HTMLButtonElement>("start"),
  stop: $<HTMLButtonElement>("stop"),
  continue: $<HTMLButtonElement>("continue"),
  variation: $<HTMLButtonElement>("variation"),
  output: $<HTMLCanvasElement>("output"),
  tiledFigure: $<HTMLElement>("tiled-figure"),
  tiled: $<HTMLCanvasElement>("tiled"),
  status: $<HTMLParagraphElement>("status"),
  iteration: $<HTMLElement>("stat-iteration"),
  loss: $<HTMLElement>("stat-loss"),
  speed: $<HTMLElement>("stat-speed"),
  eta: $<HTMLElement>("stat-eta"),
  curve: $<HTMLDivElement>("curve"),
  download: $<HTMLButtonElement>("download"),
  downloadLog: $<HTMLButtonElement>("download-log"),
  copy: $<HTMLButtonElement>("copy"),
  command: $<HTMLPreElement>("command"),
  modeNote: $<HTMLParagraphElement>("mode-note"),
  exemplarsHeading: $<HTMLHeadingElement>("exemplars-heading"),
  paint: $<HTMLElement>("paint"),
  palette: $<HTMLDivElement>("palette"),
  brushSize: $<HTMLInputElement>("brush-size"),
  toolNote: $<HTMLParagraphElement>("tool-note"),
  exemplarFrame: $<HTMLDivElement>("exemplar-frame"),
  exemplarView: $<HTMLCanvasElement>("exemplar-view"),
  exemplarPaint: $<HTMLCanvasElement>("exemplar-paint"),
  exemplarLayer: $<HTMLSpanElement>("exemplar-layer"),
  exemplarLoad: $<HTMLInputElement>("exemplar-load"),
  exemplarClear: $<HTMLButtonElement>("exemplar-clear"),
  outputFrame: $<HTMLDivElement>("output-frame"),
  outputPaint: $<HTMLCanvasElement>("output-paint"),
  outputBar: $<HTMLParagraphElement>("output-bar"),
  outputLayer: $<HTMLSpanElement>("output-layer"),
  outputLoad: $<HTMLInputElement>("output-load"),
  outputClear: $<HTMLButtonElement>("output-clear"),
  files: $<HTMLDivElement>("files"),
  fileButtons: $<HTMLDivElement>("file-buttons"),
};

/** Path of the cached trained weights on the tex-synth server. */
const CACHED_WEIGHTS = "weights/vgg19.safetensors";
/** Whether the server has them: `{"cached": true|false}`. */
const WEIGHTS_STATUS = "weights.json";

let state: State = "idle";
const exemplars: Exemplar[] = [];
let gpu: PageGpu | null = null;
let gpuPrecision = "";
let synth: Synthesizer | null = null;
/** The options (and inputs) `synth` was made with; another key needs a new one. */
let synthKey = "";
let synthOptions: PageOptions | null = null;
let variation = 0;
/** Iterations of the current variation at full size, Continue included. */
let iterationsDone = 0;
let abort: AbortController | null = null;
let shown: PlanarImage | null = null;
let weightsMemo: { key: string; weights: VggWeights } | null = null;
let cachedWeightsAvailable = false;
let nextExemplarId = 0;
/** What the output canvas shows: a result of this kind (see {@link shownKind}), or a backdrop. */
let shownFor = "";

// ---- masks and guides ------------------------------------------------------

/** The output's guide. */
let target: Layer | null = null;
/** The exemplar shown for painting, an index into `exemplars`. */
let selected = 0;
/** Counts changes to masks and guides, for telling when a run must start anew. */
let steeringVersion = 0;
/** The guide colours offered: a few distinct ones, and those of guides loaded from files. */
const palette: number[] = [BLACK, WHITE, 0xff0000, 0x00c000, 0x0000ff, 0xffff00];
let colour = WHITE;
/** At most this many colours in the palette. */
const MAX_PALETTE = 24;

function setState(next: State): void {
  state = next;
  document.body.dataset.state = next;
  const running = next === "running";
  ui.start.disabled = running;
  ui.stop.disabled = !running;
  ui.continue.disabled = running || !synth || !shown;
  // fill makes one image per seed.
  ui.variation.disabled = running || !synth || mode() === "fill";
  ui.download.disabled = !shown;
  ui.downloadLog.disabled = !synth || synth.history.length === 0;
}

function showError(message: string): void {
  ui.error.textContent = message;
  ui.error.hidden = false;
  ui.status.textContent = "Stopped by an error (above).";
  setState("error");
}

function clearError(): void {
  ui.error.hidden = true;
  ui.error.textContent = "";
}

function messageOf(e: unknown): string {
  if (e instanceof TexSynthError) return e.message;
  const text = e instanceof Error ? e.message : String(e);
  return `Unexpected error: ${text.split("\n")[0]}`;
}

// ---- options <-> form ----------------------------------------------------

function field(name: string): HTMLInputElement | HTMLSelectElement {
  return ui.form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
}

/** A whole-number field within the command line's range for it; blank is undefined. */
function optionalInt(name: string): number | undefined {
  const raw = field(name).value.trim();
  if (raw === "") return undefined;
  const { min, max } = QUERY_OPTIONS.find((o) => o.name === name)!;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min! || n > max!) {
    throw new TexSynthError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function readForm(): PageOptions {
  const weights = field("weights").value;
  return {
    exemplars: exemplars.flatMap((e) => (e.url ? [e.url] : [])),
    mode: mode(),
    ...layerUrls(mode()),
    width: optionalInt("width"),
    height: optionalInt("height"),
    tile: (field("tile") as HTMLInputElement).checked,
    scales: optionalInt("scales"),
    loss: field("loss").value as PageOptions["loss"],
    exemplarSize: optionalInt("exemplar-size"),
    iterations: optionalInt("iterations") ?? DEFAULTS.iterations,
    seed: optionalInt("seed") ?? DEFAULTS.seed,
    preset: field("preset").value as PageOptions["preset"],
    weights: weights === "url" ? (field("weights").dataset.url ?? DEFAULTS.weights) : weights,
    checkpointing: field("checkpointing").value as PageOptions["checkpointing"],
    precision: field("precision").value as PageOptions["precision"],
    autostart: false,
  };
}

function fillForm(o: PageOptions): void {
  checked("mode", o.mode);
  field("width").value = o.width?.toString() ?? "";
  field("height").value = o.height?.toString() ?? "";
  (field("tile") as HTMLInputElement).checked = o.tile;
  field("scales").value = o.scales?.toString() ?? "";
  field("loss").value = o.loss;
  field("exemplar-size").value = o.exemplarSize?.toString() ?? "";
  field("iterations").value = String(o.iterations);
  field("seed").value = String(o.seed);
  field("preset").value = o.preset;
  field("checkpointing").value = o.checkpointing;
  field("precision").value = o.precision;
  const select = field("weights") as HTMLSelectElement;
  if (o.weights === "cached" || o.weights === "random") select.value = o.weights;
  else {
    const option = document.createElement("option");
    option.value = "url";
    option.textContent = `from ${o.weights}`;
    select.append(option);
    select.value = "url";
    select.dataset.url = o.weights;
  }
  showWeightsChoice();
}

function showWeightsChoice(): void {
  const choice = field("weights").value;
  ui.weightsFileLabel.hidden = choice !== "file";
  ui.weightsNote.textContent = choice === "cached" && !cachedWeightsAvailable
    ? "No cached weights on this server: run `tex-synth weights fetch` and reload, or pick a file."
    : choice === "random"
    ? "Random weights give rough textures; they only show that everything runs."
    : "";
}

/** Shows the equivalent command and keeps the address shareable. */
function refreshCommand(): void {
  let o: PageOptions;
  try {
    o = readForm();
  } catch {
    return;
  }
  // The command makes the image shown while the form still describes it;
  // once the form asks for something else, it makes what Start would.
  const current = synth && synthOptions && keyOf(o) === synthKey;
  const plan = steeringPlan(o);
  ui.command.textContent = cliCommand(current ? synthOptions! : o, {
    exemplars: exemplars.length > 0 ? exemplars.map((e) => e.path) : ["EXEMPLAR.png"],
    weightsFile: ui.weightsFile.files?.[0]?.name,
    variation: current ? variation : 0,
    iterations: current && iterationsDone > synthOptions!.iterations ? iterationsDone : undefined,
    steering: plan?.files,
  });
  renderFiles(plan);
  const query = toQuery(o);
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

// ---- exemplars -------------------------------------------------------------

function renderExemplars(): void {
  ui.exemplars.replaceChildren(...exemplars.map((e, i) => {
    const item = document.createElement("li");
    item.tabIndex = 0;
    item.title = "Paint its mask or guide";
    const thumb = document.createElement("canvas");
    drawImage(thumb, e.image);
    const label = document.createElement("span");
    label.textContent = `${e.path.split("/").pop()} ${e.image.width}×${e.image.height}`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.title = "Remove this exemplar";
    remove.addEventListener("click", (event) => {
      event.stopPropagation();
      exemplars.splice(i, 1);
      if (selected >= i && selected > 0) selected--;
      steeringVersion++;
      renderExemplars();
    });
    const choose = () => {
      selected = i;
      refreshPaint();
    };
    item.addEventListener("click", choose);
    item.addEventListener("keydown", (event) => {
      if (event.target === item && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        choose();
      }
    });
    item.append(thumb, label);
    if (i === 0 && mode() === "fill") {
      const role = document.createElement("em");
      role.textContent = "to fill";
      item.append(role);
    }
    item.append(remove);
    return item;
  }));
  refreshPaint();
  refreshCommand();
}

async function addFiles(files: Iterable<File>): Promise<void> {
  for (const file of files) {
    try {
      const name = file.name || "pasted.png";
      exemplars.push(newExemplar(name, await decodeExemplar(file, name)));
    } catch (e) {
      showError(messageOf(e));
    }
  }
  renderExemplars();
}

function newExemplar(path: string, image: PlanarImage, url?: string): Exemplar {
  return { id: nextExemplarId++, path, url, image, hole: null, mask: null, guide: null };
}

/** An image from an address of this page's server; `what` names it in messages. */
async function fetchImage(url: string, what: string): Promise<PlanarImage> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new TexSynthError(`cannot load the ${what} ${url}: ${messageOf(e)}`);
  }
  if (!response.ok) {
    throw new TexSynthError(
      `cannot load the ${what} ${url}: the server answered ${response.status} ${response.statusText} (check the address)`,
    );
  }
  return await decodeExemplar(await response.blob(), exemplarPath(url));
}

async function addUrl(url: string): Promise<void> {
  const image = await fetchImage(url, "exemplar");
  exemplars.push(newExemplar(exemplarPath(url), image, url));
  renderExemplars();
}

function imageFiles(list: DataTransferItemList | FileList | null | undefined): File[] {
  if (!list) return [];
  if (list instanceof FileList) return [...list];
  return [...list].flatMap((item) => {
    const file = item.kind === "file" ? item.getAsFile() : null;
    return file ? [file] : [];
  });
}

// ---- masks and guides ------------------------------------------------------

function radio(name: string): string {
  return (document.querySelector(`input[name=${name}]:checked`) as HTMLInputElement | null)
    ?.value ?? "";
}

function checked(name: string, value: string): void {
  const input = document.querySelector(`input[name=${name}][value=${value}]`);
  if (input) (input as HTMLInputElement).checked = true;
}

function mode(): Mode {
  return radio("mode") === "fill" ? "fill" : "texture";
}

function labelsTool(): boolean {
  return radio("tool") === "labels";
}

/**
 * The addresses of the masks and guides in use, for the query: those of a
 * kind are written only when every map of that kind came unchanged from an
 * address (a painted one cannot be named in a URL).
 */
function layerUrls(
  m: Mode,
): Pick<PageOptions, "mask" | "exemplarMasks" | "guides" | "targetGuide"> {
  const sources = textureSources(m, exemplars);
  const urls = (layers: (Layer | null)[]) =>
    layers.every((l) => l?.url) ? layers.map((l) => l!.url!) : [];
  const masked = !(m === "fill" && exemplars.length === 1) && sources.some((s) => s.mask);
  const guided = target !== null || sources.some((s) => s.guide);
  const guides = guided ? urls([...sources.map((s) => s.guide), target]) : [];
  return {
    mask: m === "fill" ? exemplars[0]?.hole?.url : undefined,
    exemplarMasks: masked ? urls(sources.map((s) => s.mask)) : [],
    guides: guides.slice(0, -1),
    targetGuide: guides.at(-1),
  };
}

/** The output's size as Start would make it, or null. */
function plannedOutput(): { width: number; height: number } | null {
  if (exemplars.length === 0) return null;
  const first = exemplars[0].image;
  if (mode() === "fill") return { width: first.width, height: first.height };
  try {
    return outputSize(readForm(), first);
  } catch {
    return null;
  }
}

/** What a run of `o` makes of the masks and guides; null without exemplars. */
function steeringPlan(o: PageOptions): SteeringPlan | null {
  if (exemplars.length === 0) return null;
  return planSteering(
    o.mode,
    exemplars,
    target,
    outputSize(o, exemplars[0].image),
    outputName(exemplars[0].path, 0, o.mode),
  );
}

type View = "exemplar" | "output";

/** The map the brush paints on a view now, and whether it may. */
interface Slot {
  kind: LayerKind;
  layer: Layer | null;
  /** The size of the image it belongs to. */
  size: { width: number; height: number };
  /** The image it belongs to, for its file name. */
  path: string;
  /** Why it may not be painted, or null. */
  blocked: string | null;
  set(layer: Layer | null): void;
}

function slot(view: View): Slot | null {
  if (exemplars.length === 0) return null;
  const m = mode();
  if (view === "exemplar") {
    const e = exemplars[selected];
    const kind = labelsTool() ? "guide" : "mask";
    return {
      kind,
      layer: e[kind],
      size: e.image,
      path: e.path,
      blocked: paintBlocked(m, exemplars.length, selected, kind),
      set: (l) => (e[kind] = l),
    };
  }
  if (!labelsTool()) {
    const e = exemplars[0];
    return {
      kind: "hole",
      layer: e.hole,
      size: e.image,
      path: e.path,
      blocked: m === "fill" ? null : "Holes are painted in Fill a hole mode.",
      set: (l) => (e.hole = l),
    };
  }
  const size = plannedOutput();
  if (!size) return null;
  return {
    kind: "target",
    layer: target,
    size,
    path: exemplars[0].path,
    blocked: null,
    set: (l) => (target = l),
  };
}

const STYLE = { hole: "hole", mask: "mask", guide: "labels", target: "labels" } as const;

/** Brush diameter in CSS pixels. */
function brushSize(): number {
  return Number(ui.brushSize.value) || 24;
}

function paintColour(kind: LayerKind): number {
  if (radio("brush") === "erase") return blankColour(kind);
  return kind === "hole" ? WHITE : kind === "mask" ? BLACK : colour;
}

let stroking: { slot: Slot; layer: Layer; created: boolean; changed: boolean } | null = null;

function strokeHandlers(view: View): ConstructorParameters<typeof PaintSurface>[1] {
  return {
    begin: () => {
      const s = slot(view);
      if (!s || s.blocked) return false;
      const created = !s.layer;
      const layer = s.layer
        ? fitLayer(s.layer, s.kind, s.size)
        : blankLayer(s.kind, s.size, layerName(s.kind, s.path));
      s.set(layer);
      stroking = { slot: s, layer, created, changed: false };
      surfaces[view].show(layer.map, STYLE[s.kind]);
      return true;
    },
    segment: (from: Point, to: Point, scale: number) => {
      if (!stroking) return;
      const { slot: s } = stroking;
      const changed = stroke(
        stroking.layer.map,
        from,
        to,
        (brushSize() / 2) * scale,
        paintColour(s.kind),
      );
      if (!changed) return;
      if (!stroking.changed && (stroking.layer.url || stroking.layer.source)) {
        // Painted over, a loaded map is no longer its file.
        stroking.layer = { map: stroking.layer.map, name: layerName(s.kind, s.path) };
        s.set(stroking.layer);
      }
      stroking.changed = true;
      surfaces[view].show(stroking.layer.map, STYLE[s.kind]);
    },
    end: () => {
      const done = stroking;
      stroking = null;
      if (!done) return;
      if (done.created && !done.changed) done.slot.set(null);
      if (done.changed) steeringChanged();
    },
  };
}

const surfaces: Record<View, PaintSurface> = {
  exemplar: new PaintSurface(ui.exemplarPaint, strokeHandlers("exemplar")),
  output: new PaintSurface(ui.outputPaint, strokeHandlers("output")),
};

function steeringChanged(): void {
  steeringVersion++;
  refreshPaint();
  refreshCommand();
}

function addColours(layer: Layer, kind: LayerKind): void {
  if (kind !== "guide" && kind !== "target") return;
  for (const c of coloursOf(layer.map)) {
    if (palette.length >= MAX_PALETTE) break;
    if (!palette.includes(c)) palette.push(c);
  }
}

/** Reads a mask or guide file into the map a view paints now. */
async function loadFile(view: View, file: File): Promise<void> {
  const s = slot(view);
  if (!s || s.blocked) return;
  const image = await decodeExemplar(file, file.name);
  const layer = layerFromImage(image, s.kind, s.size, file.name || layerName(s.kind, s.path));
  s.set(layer);
  addColours(layer, s.kind);
  steeringChanged();
}

/** Loads the masks and guides the address names, onto the images as the command line would. */
async function loadQueryLayers(o: PageOptions): Promise<void> {
  const sources = textureSources(o.mode, exemplars);
  const what = o.mode === "fill" && exemplars.length > 1
    ? "images after the one to fill"
    : "exemplars";
  if (o.mode === "fill" && exemplars.length === 0) {
    throw new TexSynthError("fill mode needs the image to fill: give it as exemplar=…");
  }
  if (o.mode === "fill" && exemplars.length === 1 && o.exemplarMasks.length > 0) {
    throw new TexSynthError(
      "exemplar-mask goes with images after the one to fill (its hole is mask): add them as exemplar=…",
    );
  }
  for (const [name, given] of [["exemplar-mask", o.exemplarMasks], ["guide", o.guides]] as const) {
    if (given.length > 0 && given.length !== sources.length) {
      throw new TexSynthError(
        `${given.length} ${name} in the address for ${sources.length} ${what}: give one per ${
          what.replace(/s( after|$)/, "$1")
        }, in order`,
      );
    }
  }
  const load = async (url: string, kind: LayerKind, size: { width: number; height: number }) => {
    const words = { hole: "mask", mask: "exemplar mask", guide: "guide", target: "target guide" };
    const layer = layerFromImage(
      await fetchImage(url, words[kind]),
      kind,
      size,
      exemplarPath(url),
      url,
    );
    addColours(layer, kind);
    return layer;
  };
  if (o.mask) exemplars[0].hole = await load(o.mask, "hole", exemplars[0].image);
  for (const [i, s] of sources.entries()) {
    if (o.exemplarMasks[i]) s.mask = await load(o.exemplarMasks[i], "mask", s.image);
    if (o.guides[i]) s.guide = await load(o.guides[i], "guide", s.image);
  }
  if (o.targetGuide) target = await load(o.targetGuide, "target", plannedOutput()!);
  steeringChanged();
}

/** The kind of image the output canvas shows a result of, for the current mode. */
function shownKind(): string {
  return mode() === "fill" ? `fill:${exemplars[0]?.id}` : "texture";
}

/**
 * Between runs the output area is what Start would make: the result shown
 * while it still is, otherwise the image to fill, or a blank canvas of the
 * output's shape to paint a target guide on.
 */
function showBackdrop(): void {
  if (state === "running") return;
  const size = plannedOutput();
  if (!size) return;
  const fits = shown && shownFor === shownKind() && shown.width === size.width &&
    shown.height === size.height;
  ui.outputFrame.classList.toggle("result", !!fits);
  if (fits) return;
  if (shown) {
    shown = null;
    setState(state);
  }
  ui.tiledFigure.hidden = true;
  if (mode() === "fill") {
    drawImage(ui.output, exemplars[0].image);
    return;
  }
  // Only the shape matters: a blank at most 256 px a side.
  const f = Math.min(1, 256 / Math.max(size.width, size.height));
  ui.output.width = Math.max(1, Math.round(size.width * f));
  ui.output.height = Math.max(1, Math.round(size.height * f));
  ui.output.classList.remove("pixelated");
}

const MODE_NOTES: Record<Mode, string> = {
  texture: "New images of the texture in the exemplars.",
  fill:
    "The first image keeps every pixel but its hole, which is synthesized from the rest of it (or from the images after it). Paint the hole over it on the right.",
};

function toolNote(): string {
  if (labelsTool()) {
    return "Paint regions in label colours over an exemplar and over the output: each colour of the output takes the texture of that colour in the exemplars. Unpainted is black.";
  }
  return mode() === "fill"
    ? "Over the output, paint the hole to fill. Over an exemplar after the first, paint what to leave out of its texture."
    : "Over an exemplar, paint what to leave out of its texture (a logo, a stain).";
}

function slotText(s: Slot): string {
  if (s.blocked) return s.blocked;
  const file = s.path.split(/[\\/]/).pop();
  const l = s.layer;
  const pixels = l ? l.map.width * l.map.height : 1;
  const percent = (n: number) => `${Math.round((100 * n) / pixels)}%`;
  switch (s.kind) {
    case "hole":
      return l ? `Hole ${l.name}: ${percent(countColour(l.map, WHITE))} to fill.` : "No hole yet.";
    case "mask":
      return l
        ? `Mask ${l.name}: ${percent(countColour(l.map, BLACK))} of ${file} left out.`
        : `No mask: all of ${file} is used.`;
    case "guide":
      return l ? `Guide ${l.name} of ${file}.` : `No guide for ${file} (all black).`;
    case "target":
      return l ? `Target guide ${l.name} of the output.` : "No target guide (all black).";
  }
}

let viewing = -1;

/** Brings the brush's views, notes, palette and the output area up to date. */
function refreshPaint(): void {
  const m = mode();
  const fill = m === "fill";
  ui.modeNote.textContent = MODE_NOTES[m];
  ui.exemplarsHeading.textContent = fill ? "Image to fill (first), exemplars" : "Exemplars";
  for (const name of ["width", "height", "loss"]) field(name).disabled = fill;
  ui.paint.hidden = exemplars.length === 0;
  ui.palette.hidden = !labelsTool();
  renderPalette();
  ui.toolNote.textContent = toolNote();
  selected = Math.max(0, Math.min(selected, exemplars.length - 1));
  [...ui.exemplars.children].forEach((li, i) => li.classList.toggle("selected", i === selected));
  const e = exemplars[selected];
  if (e && viewing !== e.id) {
    drawImage(ui.exemplarView, e.image);
    ui.exemplarFrame.style.setProperty("--aspect", String(e.image.width / e.image.height));
    viewing = e.id;
  }
  const ex = slot("exemplar");
  if (ex) {
    surfaces.exemplar.show(
      !ex.blocked && ex.layer ? fitLayer(ex.layer, ex.kind, ex.size).map : null,
      STYLE[ex.kind],
    );
    ui.exemplarFrame.hidden = !!ex.blocked;
    ui.exemplarLayer.textContent = slotText(ex);
    ui.exemplarLoad.disabled = !!ex.blocked;
    ui.exemplarClear.disabled = !!ex.blocked || !ex.layer;
  }
  showBackdrop();
  if (state === "idle") {
    ui.status.textContent = exemplars.length === 0
      ? "Add an exemplar, then press Start."
      : fill && !exemplars[0].hole
      ? "Paint the hole over the image, then press Start."
      : "Press Start.";
  }
  const out = slot("output");
  const paintable = !!out && !out.blocked;
  ui.outputPaint.hidden = !paintable;
  ui.outputBar.hidden = !paintable;
  if (out && paintable) {
    surfaces.output.show(
      out.layer ? fitLayer(out.layer, out.kind, out.size).map : null,
      STYLE[out.kind],
    );
    ui.outputLayer.textContent = slotText(out);
    ui.outputClear.disabled = !out.layer;
  }
}

function renderPalette(): void {
  if (ui.palette.childElementCount === palette.length) {
    for (const b of ui.palette.children) {
      b.setAttribute("aria-checked", String(b.getAttribute("data-colour") === String(colour)));
    }
    return;
  }
  ui.palette.replaceChildren(...palette.map((c) => {
    const b = document.createElement("button");
    b.type = "button";
    b.role = "radio";
    b.className = "swatch";
    b.dataset.colour = String(c);
    b.title = colourName(c) + (c === BACKGROUND ? " (unpainted)" : "");
    b.setAttribute("aria-label", b.title);
    b.setAttribute("aria-checked", String(c === colour));
    b.style.background = colourName(c);
    b.addEventListener("click", () => {
      colour = c;
      checked("brush", "paint");
      renderPalette();
    });
    return b;
  }));
}

/** Download buttons for the mask and guide files the command reads. */
function renderFiles(plan: SteeringPlan | null): void {
  const downloads = plan?.downloads ?? [];
  ui.files.hidden = downloads.length === 0;
  ui.fileButtons.replaceChildren(...downloads.map(({ name, map }) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = `Download ${name}`;
    b.dataset.file = name;
    b.addEventListener("click", async () => {
      const png = await encodePng(mapImage(map));
      downloadBlob(new Blob([png as Uint8Array<ArrayBuffer>], { type: "image/png" }), name);
    });
    return b;
  }));
}

// ---- weights -------------------------------------------------------------

async function weightsFor(o: PageOptions): Promise<VggWeights | "random"> {
  if (o.weights === "random") return "random";
  const upTo = Math.max(...presetNamed(o.preset).layers);
  let blob: Blob;
  let name: string;
  let key: string;
  if (o.weights === "file") {
    const file = ui.weightsFile.files?.[0];
    if (!file) throw new TexSynthError("no weights file picked: pick a .pth or .safetensors file");
    [blob, name, key] = [file, file.name, `file:${file.name}:${file.size}:${file.lastModified}`];
  } else {
    const url = o.weights === "cached" ? CACHED_WEIGHTS : o.weights;
    key = `url:${url}`;
    name = url;
    if (weightsMemo?.key === `${key}:${upTo}`) return weightsMemo.weights;
    ui.status.textContent = "Downloading the weights…";
    const response = await fetch(url);
    if (!response.ok) {
      throw new TexSynthError(
        o.weights === "cached"
          ? "this server has no cached weights: run `tex-synth weights fetch` and reload, or choose random weights or a file"
          : `cannot load the weights ${url}: the server answered ${response.status} (check the address)`,
      );
    }
    blob = await response.blob();
  }
  if (weightsMemo?.key === `${key}:${upTo}`) return weightsMemo.weights;
  ui.status.textContent = `Reading the weights from ${name}…`;
  const weights = await loadWeightsBlob(blob, name, upTo);
  weightsMemo = { key: `${key}:${upTo}`, weights };
  return weights;
}

// ---- runs ----------------------------------------------------------------

function keyOf(o: PageOptions): string {
  const { iterations: _i, autostart: _a, exemplars: _e, ...shape } = o;
  const file = ui.weightsFile.files?.[0];
  return JSON.stringify([
    shape,
    exemplars.map((e) => e.id),
    file?.name,
    file?.lastModified,
    steeringVersion,
  ]);
}

function lost(message: string): void {
  gpu = null;
  synth = null;
  synthKey = "";
  showError(message);
}

async function prepare(o: PageOptions): Promise<Synthesizer> {
  if (exemplars.length === 0) {
    throw new TexSynthError(
      "no exemplar yet: drop, paste or pick an image, or take one of the examples",
    );
  }
  if (gpu && gpuPrecision !== o.precision) {
    synth?.dispose();
    synth = null;
    gpu.close();
    gpu = null;
  }
  if (!gpu) {
    ui.status.textContent = "Opening the GPU…";
    gpu = await openGpu(o.precision, lost);
    gpuPrecision = o.precision;
  }
  const plan = steeringPlan(o)!;
  if (o.mode === "fill" && !plan.maps.mask) throw new TexSynthError(NO_HOLE);
  document.body.dataset.steering = JSON.stringify(describeSteering(o.mode, plan));
  const weights = await weightsFor(o);
  ui.status.textContent = "Preparing the network and the exemplars' statistics…";
  synth?.dispose();
  synth = null;
  synthKey = "";
  synth = await Synthesizer.create(plan.exemplars, {
    preset: o.preset,
    weights,
    seed: o.seed,
    width: plan.width,
    height: plan.height,
    exemplarSize: o.exemplarSize,
    tile: o.tile,
    scales: o.scales,
    // fill takes no --loss: masked statistics are Gram matrices.
    loss: o.mode === "fill" ? "gram" : o.loss,
    checkpointing: o.checkpointing === "auto" ? undefined : o.checkpointing === "on",
    gpu: gpu.context,
    ...steeringOptions(plan),
  });
  synthKey = keyOf(o);
  synthOptions = o;
  variation = -1;
  shown = null;
  return synth;
}

async function redraw(s: Synthesizer): Promise<void> {
  const image = await s.image();
  drawImage(ui.output, image);
  const tiled = synthOptions?.tile ?? false;
  ui.tiledFigure.hidden = !tiled;
  if (tiled) drawImage(ui.tiled, image, 2);
  shown = image;
  shownFor = synthOptions?.mode === "fill" ? `fill:${exemplars[0]?.id}` : "texture";
  ui.outputFrame.classList.add("result");
  ui.curve.innerHTML = lossPlotSvg([...s.history], { width: 480, height: 220 });
}

/**
 * Runs `body` with progress shown: stats on every record, the image and the
 * curve as often as the redraw clock allows, always at the end.
 */
async function run(
  mode: "start" | "variation" | "continue",
  body: (s: Synthesizer, o: RunOptions) => Promise<RunResult>,
): Promise<void> {
  if (state === "running") return;
  clearError();
  let o: PageOptions;
  try {
    o = readForm();
  } catch (e) {
    showError(messageOf(e));
    return;
  }
  setState("running");
  abort = new AbortController();
  try {
    const fresh = mode === "start" || !synth || (mode === "variation" && keyOf(o) !== synthKey);
    const s = fresh ? await prepare(o) : synth!;
    const target = { from: 0, planned: 0 };
    const clock = new RedrawClock();
    ui.status.textContent = mode === "continue"
      ? "Continuing…"
      : `Synthesizing${variation >= 0 ? " a new variation" : ""}…`;
    const result = await body(s, {
      signal: abort.signal,
      onProgress: async (r: LossRecord) => {
        if (target.planned === 0) {
          target.from = r.iteration;
          target.planned = mode === "continue" ? o.iterations : o.iterations * s.scales;
        }
        if (clock.due()) {
          const started = performance.now();
          await redraw(s);
          clock.drew(performance.now() - started);
        }
        showRecord(r, s.history, target.from + target.planned);
      },
    });
    await redraw(s);
    iterationsDone = mode === "continue" ? iterationsDone + o.iterations : o.iterations;
    const last = result.last;
    ui.status.textContent = `${
      result.stop === "aborted" ? "Stopped" : "Done"
    } at iteration ${last.iteration}, loss ${last.loss.toExponential(4)} (${
      STOP_WORDS[result.stop] ?? result.stop
    }), ${s.width}×${s.height} px.`;
    ui.eta.textContent = "–";
    setState("done");
  } catch (e) {
    showError(messageOf(e));
  } finally {
    abort = null;
    refreshCommand();
    setState(state);
  }
}

const STOP_WORDS: Record<string, string> = {
  iterations: "all iterations run",
  evaluations: "evaluation budget spent",
  aborted: "stopped by you",
  "tolerance-grad": "converged: the gradient vanished",
  "tolerance-change": "converged: the loss no longer changes",
};

function showRecord(r: LossRecord, records: readonly LossRecord[], target: number): void {
  document.body.dataset.iteration = String(r.iteration);
  document.body.dataset.loss = String(r.loss);
  ui.iteration.textContent = `${r.iteration} / ${target}${
    r.scale > 0 ? ` (1/${2 ** r.scale} size)` : ""
  }`;
  ui.loss.textContent = r.loss.toExponential(4);
  const left = eta(records, target);
  ui.speed.textContent = left ? `${left.perSecond.toFixed(2)} it/s` : "–";
  ui.eta.textContent = left ? `about ${left.words}` : "–";
}

function downloadBlob(blob: Blob, name: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---- wiring --------------------------------------------------------------

function wire(): void {
  ui.start.addEventListener("click", () => {
    run("start", (s, o) => {
      variation = 0;
      return s.synthesize(readForm().iterations, o);
    });
  });
  ui.variation.addEventListener("click", () => {
    run("variation", (s, o) => {
      variation++;
      return s.synthesize(readForm().iterations, o);
    });
  });
  ui.continue.addEventListener("click", () => {
    run("continue", (s, o) => s.optimize(readForm().iterations, o));
  });
  ui.stop.addEventListener("click", () => {
    abort?.abort();
    ui.status.textContent = "Stopping after this evaluation…";
  });
  ui.download.addEventListener("click", async () => {
    if (!shown) return;
    const png = await encodePng(shown);
    downloadBlob(
      new Blob([png as Uint8Array<ArrayBuffer>], { type: "image/png" }),
      outputName(exemplars[0]?.path ?? "exemplar.png", variation, synthOptions?.mode),
    );
  });
  ui.downloadLog.addEventListener("click", () => {
    if (!synth) return;
    const lines = synth.history.map((r) => JSON.stringify(r) + "\n");
    const name = outputName(exemplars[0]?.path ?? "exemplar.png", variation, synthOptions?.mode)
      .replace(/\.png$/, ".jsonl");
    downloadBlob(new Blob(lines, { type: "application/jsonl" }), name);
  });
  ui.copy.addEventListener("click", async () => {
    const text = ui.command.textContent ?? "";
    try {
      await navigator.clipboard.writeText(text);
      ui.copy.textContent = "Copied";
    } catch {
      getSelection()?.selectAllChildren(ui.command);
      ui.copy.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => (ui.copy.textContent = "Copy command"), 2000);
  });
  ui.form.addEventListener("input", () => {
    showWeightsChoice();
    refreshPaint();
    refreshCommand();
  });
  for (const input of document.querySelectorAll("input[name=mode]")) {
    input.addEventListener("change", () => {
      renderExemplars();
      setState(state);
    });
  }
  for (const input of document.querySelectorAll("input[name=tool]")) {
    input.addEventListener("change", refreshPaint);
  }
  for (
    const [view, load, clear] of [
      ["exemplar", ui.exemplarLoad, ui.exemplarClear],
      ["output", ui.outputLoad, ui.outputClear],
    ] as const
  ) {
    load.addEventListener("change", async () => {
      const file = load.files?.[0];
      load.value = "";
      if (!file) return;
      try {
        await loadFile(view, file);
      } catch (e) {
        showError(messageOf(e));
      }
    });
    clear.addEventListener("click", () => {
      slot(view)?.set(null);
      steeringChanged();
    });
  }
  ui.weightsFile.addEventListener("change", refreshCommand);
  ui.pick.addEventListener("change", async () => {
    await addFiles(imageFiles(ui.pick.files));
    ui.pick.value = "";
  });
  // A file dropped anywhere is an exemplar, not a page to navigate to.
  addEventListener("dragover", (e) => {
    e.preventDefault();
    ui.drop.classList.add("over");
  });
  addEventListener("dragleave", () => ui.drop.classList.remove("over"));
  addEventListener("drop", (e) => {
    e.preventDefault();
    ui.drop.classList.remove("over");
    addFiles(imageFiles(e.dataTransfer?.items));
  });
  addEventListener("paste", (e) => {
    const files = imageFiles(e.clipboardData?.items);
    if (files.length > 0) {
      e.preventDefault();
      addFiles(files);
    }
  });
  for (const name of EXAMPLES) {
    const button = document.createElement("button");
    button.type = "button";
    button.title = `Add examples/${name}.png`;
    const img = document.createElement("img");
    img.src = `examples/${name}.png`;
    img.alt = name;
    button.append(img);
    button.addEventListener("click", () => {
      addUrl(`examples/${name}.png`).catch((e) => showError(messageOf(e)));
    });
    ui.examples.append(button);
  }
  addEventListener("unhandledrejection", (e) => showError(messageOf(e.reason)));
  addEventListener("error", (e) => showError(messageOf(e.error ?? e.message)));
}

async function init(): Promise<void> {
  wire();
  const { options, problems } = parseQuery(new URLSearchParams(location.search));
  try {
    const status = await fetch(WEIGHTS_STATUS);
    cachedWeightsAvailable = status.ok && (await status.json()).cached === true;
  } catch {
    cachedWeightsAvailable = false;
  }
  const cachedOption = (field("weights") as HTMLSelectElement).querySelector(
    "option[value=cached]",
  ) as HTMLOptionElement;
  cachedOption.textContent = cachedWeightsAvailable
    ? "trained VGG19 (cached)"
    : "trained VGG19 (cached: none here)";
  if (!cachedWeightsAvailable && !new URLSearchParams(location.search).has("weights")) {
    options.weights = "random";
  }
  fillForm(options);
  refreshPaint();
  setState("idle");
  if (!hasWebGpu()) {
    showError(NO_WEBGPU);
    ui.start.disabled = true;
    return;
  }
  if (problems.length > 0) {
    showError(problems.join("; "));
    return;
  }
  try {
    for (const url of options.exemplars) await addUrl(url);
    await loadQueryLayers(options);
  } catch (e) {
    showError(messageOf(e));
    return;
  }
  refreshCommand();
  if (options.autostart) ui.start.click();
}

init();
