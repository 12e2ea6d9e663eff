/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * The brush's surfaces: a canvas laid over an image that shows a painted
 * map at the map's own resolution and turns pointer strokes (mouse, pen,
 * touch) into segments in the map's pixels.
 *
 * @module
 */
import { BLACK, type PaintMap, type Point, WHITE } from "./paint_map.ts";

/**
 * How a map is shown: the hole (white) in magenta, an exemplar mask's
 * left-out part (black) in sky blue (colours few textures have), or every
 * label in its own colour.
 */
export type OverlayStyle = "hole" | "mask" | "labels";

/** Overlay opacity of a tinted pixel (of 255): the image stays visible below. */
const ALPHA = 150;

/** What a surface asks of the page while the user paints on it. */
export interface StrokeHandlers {
  /** A stroke begins: make ready the map it paints, or say no (false) when nothing may be painted. */
  begin(): boolean;
  /** A segment of the stroke in the map's pixels; `scale` is map pixels per CSS pixel. */
  segment(from: Point, to: Point, scale: number): void;
  /** The stroke is over. */
  end(): void;
}

/** A canvas over an image: shows a map and reports strokes painted on it. */
export class PaintSurface {
  readonly canvas: HTMLCanvasElement;
  #handlers: StrokeHandlers;
  #last: Point | null = null;
  #pending: { map: PaintMap; style: OverlayStyle } | null = null;

  constructor(canvas: HTMLCanvasElement, handlers: StrokeHandlers) {
    this.canvas = canvas;
    this.#handlers = handlers;
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", (e) => this.#up(e));
    canvas.addEventListener("pointercancel", (e) => this.#up(e));
  }

  /** Shows `map` (none: nothing) over the image, at the map's resolution. */
  show(map: PaintMap | null, style: OverlayStyle): void {
    if (!map) {
      this.#pending = null;
      this.canvas.getContext("2d")!.clearRect(0, 0, this.canvas.width, this.canvas.height);
      return;
    }
    // Strokes arrive faster than frames: draw once per frame.
    const scheduled = this.#pending !== null;
    this.#pending = { map, style };
    if (this.#last === null) this.#draw();
    else if (!scheduled) requestAnimationFrame(() => this.#draw());
  }

  #draw(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = null;
    const { map, style } = pending;
    if (this.canvas.width !== map.width || this.canvas.height !== map.height) {
      this.canvas.width = map.width;
      this.canvas.height = map.height;
    }
    const rgba = new Uint8ClampedArray(4 * map.colours.length);
    map.colours.forEach((c, i) => {
      if (style === "hole" ? c !== WHITE : style === "mask" ? c !== BLACK : false) return;
      const [r, g, b] = style === "hole"
        ? [255, 0, 255]
        : style === "mask"
        ? [0, 170, 255]
        : [(c >>> 16) & 255, (c >>> 8) & 255, c & 255];
      rgba.set([r, g, b, ALPHA], 4 * i);
    });
    this.canvas.getContext("2d")!.putImageData(new ImageData(rgba, map.width, map.height), 0, 0);
  }

  #point(e: PointerEvent): { point: Point; scale: number } {
    const rect = this.canvas.getBoundingClientRect();
    const scale = this.canvas.width / rect.width;
    return {
      point: {
        x: (e.clientX - rect.left) * scale,
        y: (e.clientY - rect.top) * (this.canvas.height / rect.height),
      },
      scale,
    };
  }

  #down(e: PointerEvent): void {
    if (e.button !== 0 || !this.#handlers.begin()) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    const { point, scale } = this.#point(e);
    this.#last = point;
    this.#handlers.segment(point, point, scale);
  }

  #move(e: PointerEvent): void {
    if (this.#last === null) return;
    const { point, scale } = this.#point(e);
    this.#handlers.segment(this.#last, point, scale);
    this.#last = point;
  }

  #up(e: PointerEvent): void {
    if (this.#last === null) return;
    this.#last = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) {
      this.canvas.releasePointerCapture(e.pointerId);
    }
    this.#draw();
    this.#handlers.end();
  }
}
