/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * The page's brush: the exemplar being painted, what the brush paints
 * (masks or guide labels), its palette, size and paint/erase, the surfaces
 * over the exemplar and the output where strokes paint, and their Load…
 * and Clear buttons. The maps live on the images (hole, mask, guide) and
 * here (the output's target guide); the page hears of every change.
 *
 * @module
 */
import { type PlanarImage, TexSynthError } from "@tex/synth/browser";
import { colourName } from "../../src/synth/guides.ts";
import { PaintSurface, type StrokeHandlers } from "./brush.ts";
import { decodeExemplar } from "./decode.ts";
import { exemplarPath, type PageOptions } from "./options.ts";
import { BLACK, coloursOf, countColour, type Point, stroke, WHITE } from "./paint_map.ts";
import { drawImage } from "./render.ts";
import {
  BACKGROUND,
  blankColour,
  blankLayer,
  fitLayer,
  type Layer,
  layerFromImage,
  type LayerKind,
  layerName,
  type Mode,
  paintBlocked,
  type SteeredImage,
  textureSources,
} from "./steering.ts";

/** An image of the page, as the brush sees it. */
export interface PanelImage extends SteeredImage {
  /** Tells images apart when their names are the same. */
  id: number;
}

/** What the brush needs to know of the page. */
export interface PanelHost {
  images(): readonly PanelImage[];
  mode(): Mode;
  /** The output's size as Start would make it, or null. */
  output(): { width: number; height: number } | null;
  /** A map was painted, loaded or cleared. */
  changed(): void;
}

/** The value of the checked radio button named `name`, or "". */
export function radioValue(name: string): string {
  return (document.querySelector(`input[name=${name}]:checked`) as HTMLInputElement | null)
    ?.value ?? "";
}

/** Checks the radio button named `name` with `value`. */
export function checkRadio(name: string, value: string): void {
  const input = document.querySelector(`input[name=${name}][value=${value}]`);
  if (input) (input as HTMLInputElement).checked = true;
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

const STYLE = { hole: "hole", mask: "mask", guide: "labels", target: "labels" } as const;

/** The guide colours offered first: black (unpainted) and a few distinct ones. */
const PALETTE = [BLACK, WHITE, 0xff0000, 0x00c000, 0x0000ff, 0xffff00];
/** At most this many colours: those of guides loaded from files join the first ones. */
const MAX_PALETTE = 24;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** The brush and the maps it paints. */
export class PaintPanel {
  /** The output's guide. */
  target: Layer | null = null;
  readonly #host: PanelHost;
  readonly #ui = {
    section: $<HTMLElement>("paint"),
    palette: $<HTMLDivElement>("palette"),
    size: $<HTMLInputElement>("brush-size"),
    note: $<HTMLParagraphElement>("tool-note"),
    exemplarFrame: $<HTMLDivElement>("exemplar-frame"),
    exemplarView: $<HTMLCanvasElement>("exemplar-view"),
    exemplarLayer: $<HTMLSpanElement>("exemplar-layer"),
    outputPaint: $<HTMLCanvasElement>("output-paint"),
    outputBar: $<HTMLParagraphElement>("output-bar"),
    outputLayer: $<HTMLSpanElement>("output-layer"),
    load: {
      exemplar: $<HTMLInputElement>("exemplar-load"),
      output: $<HTMLInputElement>("output-load"),
    },
    clear: {
      exemplar: $<HTMLButtonElement>("exemplar-clear"),
      output: $<HTMLButtonElement>("output-clear"),
    },
  };
  readonly #surfaces: Record<View, PaintSurface>;
  readonly #palette = [...PALETTE];
  #colour = WHITE;
  #selected = 0;
  /** The id of the image the exemplar view shows. */
  #viewing = -1;
  #stroking: { slot: Slot; layer: Layer; created: boolean; changed: boolean } | null = null;

  constructor(host: PanelHost, onError: (e: unknown) => void) {
    this.#host = host;
    this.#surfaces = {
      exemplar: new PaintSurface($("exemplar-paint"), this.#strokes("exemplar")),
      output: new PaintSurface(this.#ui.outputPaint, this.#strokes("output")),
    };
    for (const input of document.querySelectorAll("input[name=tool]")) {
      input.addEventListener("change", () => this.refresh());
    }
    for (const view of ["exemplar", "output"] as const) {
      const load = this.#ui.load[view];
      load.addEventListener("change", async () => {
        const file = load.files?.[0];
        load.value = "";
        if (!file) return;
        try {
          await this.#loadFile(view, file);
        } catch (e) {
          onError(e);
        }
      });
      this.#ui.clear[view].addEventListener("click", () => {
        this.#slot(view)?.set(null);
        this.#changed();
      });
    }
  }

  /** The image shown for painting, an index into the page's images. */
  get selected(): number {
    return this.#selected;
  }

  /** Shows image `index` for painting. */
  select(index: number): void {
    this.#selected = index;
    this.refresh();
  }

  /** Image `index` is gone: the selection keeps to the image it was on, or the one before. */
  removed(index: number): void {
    if (this.#selected >= index && this.#selected > 0) this.#selected--;
  }

  /**
   * The addresses of the masks and guides in use, for the query: those of a
   * kind are written only when every map of that kind came unchanged from an
   * address (a painted one cannot be named in a URL).
   */
  urls(mode: Mode): Pick<PageOptions, "mask" | "exemplarMasks" | "guides" | "targetGuide"> {
    const images = this.#host.images();
    const sources = textureSources(mode, images);
    const urls = (layers: (Layer | null)[]) =>
      layers.every((l) => l?.url) ? layers.map((l) => l!.url!) : [];
    const masked = !(mode === "fill" && images.length === 1) && sources.some((s) => s.mask);
    const guided = this.target !== null || sources.some((s) => s.guide);
    const guides = guided ? urls([...sources.map((s) => s.guide), this.target]) : [];
    return {
      mask: mode === "fill" ? images[0]?.hole?.url : undefined,
      exemplarMasks: masked ? urls(sources.map((s) => s.mask)) : [],
      guides: guides.slice(0, -1),
      targetGuide: guides.at(-1),
    };
  }

  /**
   * Loads the masks and guides an address names onto the images, as the
   * command line would take them; `fetchImage` reads an address.
   */
  async loadQuery(
    o: PageOptions,
    fetchImage: (url: string, what: string) => Promise<PlanarImage>,
  ): Promise<void> {
    const images = this.#host.images();
    const named = o.mask || o.exemplarMasks.length || o.guides.length || o.targetGuide;
    if (!named) return;
    if (images.length === 0) {
      throw new TexSynthError(
        o.mode === "fill"
          ? "a fill needs the image to fill: give it as exemplar=…"
          : "masks and guides in the address need exemplars: give them as exemplar=…",
      );
    }
    if (o.mode === "fill" && images.length === 1 && o.exemplarMasks.length > 0) {
      throw new TexSynthError(
        "exemplar-mask goes with images after the one to fill (its hole is mask): add them as exemplar=…",
      );
    }
    const sources = textureSources(o.mode, images);
    const [what, one] = o.mode === "fill" && images.length > 1
      ? ["images after the one to fill", "image after it"]
      : ["exemplars", "exemplar"];
    for (const [name, given] of [["exemplar-mask", o.exemplarMasks], ["guide", o.guides]]) {
      if (given.length > 0 && given.length !== sources.length) {
        throw new TexSynthError(
          `${given.length} ${name} in the address for ${sources.length} ${what}: give one per ${one}, in order`,
        );
      }
    }
    const words = { hole: "mask", mask: "exemplar mask", guide: "guide", target: "target guide" };
    const load = async (url: string, kind: LayerKind, size: { width: number; height: number }) => {
      const source = await fetchImage(url, words[kind]);
      const layer = layerFromImage(source, kind, size, exemplarPath(url), url);
      this.#addColours(layer, kind);
      return layer;
    };
    if (o.mask) images[0].hole = await load(o.mask, "hole", images[0].image);
    for (const [i, s] of sources.entries()) {
      if (o.exemplarMasks[i]) s.mask = await load(o.exemplarMasks[i], "mask", s.image);
      if (o.guides[i]) s.guide = await load(o.guides[i], "guide", s.image);
    }
    const output = this.#host.output();
    if (o.targetGuide && output) this.target = await load(o.targetGuide, "target", output);
    this.#changed();
  }

  /** Brings the views, notes, palette and overlays up to date. */
  refresh(): void {
    const images = this.#host.images();
    const labels = radioValue("tool") === "labels";
    this.#ui.section.hidden = images.length === 0;
    this.#ui.palette.hidden = !labels;
    this.#renderPalette();
    this.#ui.note.textContent = this.#note(labels);
    this.#selected = Math.max(0, Math.min(this.#selected, images.length - 1));
    const e = images[this.#selected];
    if (e && this.#viewing !== e.id) {
      drawImage(this.#ui.exemplarView, e.image);
      this.#ui.exemplarFrame.style.setProperty("--aspect", String(e.image.width / e.image.height));
      this.#viewing = e.id;
    }
    const ex = this.#slot("exemplar");
    if (ex) {
      this.#surfaces.exemplar.show(
        !ex.blocked && ex.layer ? fitLayer(ex.layer, ex.kind, ex.size).map : null,
        STYLE[ex.kind],
      );
      this.#ui.exemplarFrame.hidden = !!ex.blocked;
      this.#ui.exemplarLayer.textContent = _slotText(ex);
      this.#ui.load.exemplar.disabled = !!ex.blocked;
      this.#ui.clear.exemplar.disabled = !!ex.blocked || !ex.layer;
    }
    const out = this.#slot("output");
    const paintable = !!out && !out.blocked;
    this.#ui.outputPaint.hidden = !paintable;
    this.#ui.outputBar.hidden = !paintable;
    if (out && paintable) {
      this.#surfaces.output.show(
        out.layer ? fitLayer(out.layer, out.kind, out.size).map : null,
        STYLE[out.kind],
      );
      this.#ui.outputLayer.textContent = _slotText(out);
      this.#ui.clear.output.disabled = !out.layer;
    }
  }

  #note(labels: boolean): string {
    if (labels) {
      return "Paint regions in label colours over an exemplar and over the output: each colour of the output takes the texture of that colour in the exemplars. Unpainted is black.";
    }
    return this.#host.mode() === "fill"
      ? "Over the output, paint the hole to fill. Over an exemplar after the first, paint what to leave out of its texture."
      : "Over an exemplar, paint what to leave out of its texture (a logo, a stain).";
  }

  #slot(view: View): Slot | null {
    const images = this.#host.images();
    if (images.length === 0) return null;
    const mode = this.#host.mode();
    const labels = radioValue("tool") === "labels";
    if (view === "exemplar") {
      const e = images[this.#selected];
      const kind = labels ? "guide" : "mask";
      return {
        kind,
        layer: e[kind],
        size: e.image,
        path: e.path,
        blocked: paintBlocked(mode, images.length, this.#selected, kind),
        set: (l) => (e[kind] = l),
      };
    }
    if (!labels) {
      const e = images[0];
      return {
        kind: "hole",
        layer: e.hole,
        size: e.image,
        path: e.path,
        blocked: mode === "fill" ? null : "Holes are painted in Fill a hole mode.",
        set: (l) => (e.hole = l),
      };
    }
    const size = this.#host.output();
    if (!size) return null;
    return {
      kind: "target",
      layer: this.target,
      size,
      path: images[0].path,
      blocked: null,
      set: (l) => (this.target = l),
    };
  }

  #paintColour(kind: LayerKind): number {
    if (radioValue("brush") === "erase") return blankColour(kind);
    return kind === "hole" ? WHITE : kind === "mask" ? BLACK : this.#colour;
  }

  #strokes(view: View): StrokeHandlers {
    return {
      begin: () => {
        const s = this.#slot(view);
        if (!s || s.blocked) return false;
        const created = !s.layer;
        const layer = s.layer
          ? fitLayer(s.layer, s.kind, s.size)
          : blankLayer(s.kind, s.size, layerName(s.kind, s.path));
        s.set(layer);
        this.#stroking = { slot: s, layer, created, changed: false };
        this.#surfaces[view].show(layer.map, STYLE[s.kind]);
        return true;
      },
      segment: (from: Point, to: Point, scale: number) => {
        const stroking = this.#stroking;
        if (!stroking) return;
        const { slot: s } = stroking;
        // The brush's size is a diameter on screen, the same over every image.
        const radius = ((Number(this.#ui.size.value) || 24) / 2) * scale;
        if (!stroke(stroking.layer.map, from, to, radius, this.#paintColour(s.kind))) return;
        if (!stroking.changed && (stroking.layer.url || stroking.layer.source)) {
          // Painted over, a loaded map is no longer its file.
          stroking.layer = { map: stroking.layer.map, name: layerName(s.kind, s.path) };
          s.set(stroking.layer);
        }
        stroking.changed = true;
        this.#surfaces[view].show(stroking.layer.map, STYLE[s.kind]);
      },
      end: () => {
        const done = this.#stroking;
        this.#stroking = null;
        if (!done) return;
        if (done.created && !done.changed) done.slot.set(null);
        if (done.changed) this.#changed();
      },
    };
  }

  #changed(): void {
    this.refresh();
    this.#host.changed();
  }

  #addColours(layer: Layer, kind: LayerKind): void {
    if (kind !== "guide" && kind !== "target") return;
    for (const c of coloursOf(layer.map)) {
      if (this.#palette.length >= MAX_PALETTE) break;
      if (!this.#palette.includes(c)) this.#palette.push(c);
    }
  }

  async #loadFile(view: View, file: File): Promise<void> {
    const s = this.#slot(view);
    if (!s || s.blocked) return;
    const image = await decodeExemplar(file, file.name);
    const layer = layerFromImage(image, s.kind, s.size, file.name || layerName(s.kind, s.path));
    s.set(layer);
    this.#addColours(layer, s.kind);
    this.#changed();
  }

  #renderPalette(): void {
    const palette = this.#ui.palette;
    if (palette.childElementCount !== this.#palette.length) {
      palette.replaceChildren(...this.#palette.map((c) => {
        const b = document.createElement("button");
        b.type = "button";
        b.role = "radio";
        b.className = "swatch";
        b.dataset.colour = String(c);
        b.title = colourName(c) + (c === BACKGROUND ? " (unpainted)" : "");
        b.setAttribute("aria-label", b.title);
        b.style.background = colourName(c);
        b.addEventListener("click", () => {
          this.#colour = c;
          checkRadio("brush", "paint");
          this.#renderPalette();
        });
        return b;
      }));
    }
    for (const b of palette.children) {
      b.setAttribute(
        "aria-checked",
        String((b as HTMLElement).dataset.colour === String(this.#colour)),
      );
    }
  }
}

function _slotText(s: Slot): string {
  if (s.blocked) return s.blocked;
  const file = s.path.split(/[\\/]/).pop();
  const l = s.layer;
  const percent = (n: number) => `${Math.round((100 * n) / (l!.map.width * l!.map.height))}%`;
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
