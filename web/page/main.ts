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
import { mapImage } from "./paint_map.ts";
import { checkRadio, PaintPanel, type PanelImage, radioValue } from "./paint_panel.ts";
import { drawImage } from "./render.ts";
import {
  describeSteering,
  type Mode,
  NO_HOLE,
  planSteering,
  steeringOptions,
  type SteeringPlan,
} from "./steering.ts";
import { eta, RedrawClock } from "./timing.ts";

type State = "idle" | "running" | "done" | "error";

interface Exemplar extends PanelImage {
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
  outputFrame: $<HTMLDivElement>("output-frame"),
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
/** The precision and kernels `gpu` was opened with; others need a new one. */
let gpuSettings = "";
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
/** Counts changes to masks and guides, for telling when a run must start anew. */
let steeringVersion = 0;

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
    ...panel.urls(mode()),
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
    kernels: field("kernels").value as PageOptions["kernels"],
    autostart: false,
  };
}

function fillForm(o: PageOptions): void {
  checkRadio("mode", o.mode);
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
  field("kernels").value = o.kernels;
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
      panel.removed(i);
      steeringVersion++;
      renderExemplars();
    });
    const choose = () => {
      panel.select(i);
      refreshSteering();
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
  refreshSteering();
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

function mode(): Mode {
  return radioValue("mode") === "fill" ? "fill" : "texture";
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

const panel = new PaintPanel({
  images: () => exemplars,
  mode,
  output: plannedOutput,
  changed: () => {
    steeringVersion++;
    refreshSteering();
    refreshCommand();
  },
}, (e) => showError(messageOf(e)));

/** What a run of `o` makes of the masks and guides; null without exemplars. */
function steeringPlan(o: PageOptions): SteeringPlan | null {
  if (exemplars.length === 0) return null;
  return planSteering(
    o.mode,
    exemplars,
    panel.target,
    outputSize(o, exemplars[0].image),
    outputName(exemplars[0].path, 0, o.mode),
  );
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

/** Brings the mode's notes and fields, the brush and the output area up to date. */
function refreshSteering(): void {
  const fill = mode() === "fill";
  ui.modeNote.textContent = MODE_NOTES[mode()];
  ui.exemplarsHeading.textContent = fill ? "Image to fill (first), exemplars" : "Exemplars";
  // fill takes neither a size (the image's) nor a loss (Gram).
  for (const name of ["width", "height", "loss"]) field(name).disabled = fill;
  [...ui.exemplars.children].forEach((li, i) =>
    li.classList.toggle("selected", i === panel.selected)
  );
  panel.refresh();
  showBackdrop();
  if (state === "idle") {
    ui.status.textContent = exemplars.length === 0
      ? "Add an exemplar, then press Start."
      : fill && !exemplars[0].hole
      ? "Paint the hole over the image, then press Start."
      : "Press Start.";
  }
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
  const settings = `${o.precision} ${o.kernels}`;
  if (gpu && gpuSettings !== settings) {
    synth?.dispose();
    synth = null;
    gpu.close();
    gpu = null;
  }
  if (!gpu) {
    ui.status.textContent = "Opening the GPU…";
    gpu = await openGpu({
      precision: o.precision === "auto" ? undefined : o.precision,
      kernels: o.kernels,
    }, lost);
    gpuSettings = settings;
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
    refreshSteering();
    refreshCommand();
  });
  for (const input of document.querySelectorAll("input[name=mode]")) {
    input.addEventListener("change", () => {
      renderExemplars();
      setState(state);
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
  refreshSteering();
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
    await panel.loadQuery(options, fetchImage);
  } catch (e) {
    showError(messageOf(e));
    return;
  }
  refreshCommand();
  if (options.autostart) ui.start.click();
}

init();
