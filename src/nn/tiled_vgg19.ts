import type { GpuContext } from "../gpu/context.ts";
import type { Program } from "../gpu/program.ts";
import { BufferPool } from "../gpu/buffer_pool.ts";
import type { Padding } from "../ops/conv3x3.ts";
import { copyWindow } from "../ops/window_copy.ts";
import { TexSynthError } from "../errors.ts";
import { POOL_INDICES, type Reach, type Tap, Vgg19 } from "./vgg19.ts";
import type { VggConvs } from "./vgg19_convs.ts";

/** A rectangle of an image, in pixels; it may reach outside when coordinates wrap. */
export interface Rect {
  y: number;
  x: number;
  height: number;
  width: number;
}

/**
 * One tile: the core whose loss-layer pixels it owns (the cores partition
 * the image) and the crop the network runs on, the core plus a margin of
 * the network's reach on every side that has image (or, periodic, always).
 */
export interface Tile {
  core: Rect;
  crop: Rect;
}

/** Where a tile's window lies in the whole image's activation at a loss layer. */
export interface TapWindow {
  y: number;
  x: number;
  height: number;
  width: number;
}

/**
 * Receives a loss layer's pixels of one tile, a contiguous [C, h, w] window
 * of `pixels` = h·w; `first` for the first tile of an image; `at`, where the
 * window lies in the whole image's activation (for per-pixel terms).
 */
export type TileTapForward = (
  prog: Program,
  tap: number,
  window: GPUBuffer,
  pixels: number,
  first: boolean,
  at: TapWindow,
) => void;

/** Records the loss layer's gradient for one tile's window into `windowGrad` (written over). */
export type TileTapBackward = (
  prog: Program,
  tap: number,
  window: GPUBuffer,
  pixels: number,
  windowGrad: GPUBuffer,
  at: TapWindow,
) => void;

/** Options for {@link TiledVgg19}. */
export interface TiledVgg19Options {
  /** How the image's border pads: "circular" makes crops wrap around the image. */
  padding: Padding;
  checkpointing: boolean;
  /** Largest crop side in pixels; the cores are as large as that allows. */
  maxCrop: number;
}

/** Splits [0, length) into `n` cores of whole strides, as even as that allows. */
function spans(length: number, core: number, stride: number): [number, number][] {
  const n = Math.ceil(length / core);
  const size = Math.ceil(length / n / stride) * stride;
  const out: [number, number][] = [];
  for (let start = 0; start < length; start += size) {
    out.push([start, Math.min(length, start + size)]);
  }
  return out;
}

/**
 * Cuts a height × width image into tiles whose crops are at most `maxCrop`
 * pixels on a side. Core corners fall on multiples of the reach's stride, so
 * every crop pools on the whole image's grid, and the margin covers the
 * reach, so a loss layer's pixels inside a core are exactly those of the
 * whole image. With `wrap` the image is periodic: crops reach across its
 * edges (and may be larger than it); otherwise they stop at the edges, where
 * the network's zero padding is the image's own.
 *
 * @example
 * ```ts
 * import { planTiles } from "./tiled_vgg19.ts";
 *
 * const tiles = planTiles(2048, 2048, { stride: 16, before: 60, after: 60 }, 720, false);
 * console.log(tiles.length, tiles[0].crop); // 16 { y: 0, x: 0, height: 576, width: 576 }
 * ```
 */
export function planTiles(
  height: number,
  width: number,
  reach: Reach,
  maxCrop: number,
  wrap: boolean,
): Tile[] {
  const margin = Math.ceil(Math.max(reach.before, reach.after) / reach.stride) * reach.stride;
  const core = Math.floor((maxCrop - 2 * margin) / reach.stride) * reach.stride;
  if (core < reach.stride) {
    throw new TexSynthError(
      `the network's receptive field (${margin} px on each side) leaves no room in a ${maxCrop} px crop: this GPU's storage bindings are too small for tiling`,
    );
  }
  const crop = (start: number, end: number, length: number): [number, number] =>
    wrap
      ? [start - margin, end + margin]
      : [Math.max(0, start - margin), Math.min(length, end + margin)];
  const tiles: Tile[] = [];
  for (const [y0, y1] of spans(height, core, reach.stride)) {
    for (const [x0, x1] of spans(width, core, reach.stride)) {
      const [cy0, cy1] = crop(y0, y1, height);
      const [cx0, cx1] = crop(x0, x1, width);
      tiles.push({
        core: { y: y0, x: x0, height: y1 - y0, width: x1 - x0 },
        crop: { y: cy0, x: cx0, height: cy1 - cy0, width: cx1 - cx0 },
      });
    }
  }
  return tiles;
}

/**
 * VGG19 over an image too large for one pass, tile by tile: each tile's crop
 * goes through a network of its own size, and only the loss layers' pixels
 * inside the tile's core count. Statistics that are sums over pixels (Gram
 * matrices) add up over the tiles in a first pass; a second pass runs each
 * crop forward and backward with the gradients of those statistics and adds
 * the crops' input gradients into the image's. Per tile this needs GPU
 * memory for one crop, whatever the image size.
 */
export class TiledVgg19 {
  /** Loss layers, with the shapes of the whole image's activations. */
  readonly taps: Tap[];
  readonly tiles: Tile[];
  readonly input: { channels: 3; height: number; width: number };
  #ctx: GpuContext;
  #pool: BufferPool;
  #nets = new Map<string, Vgg19>();
  #strides: number[];
  #crop: GPUBuffer;
  #cropGrad: GPUBuffer;
  #window: GPUBuffer;
  #windowGrad: GPUBuffer;

  constructor(
    ctx: GpuContext,
    convs: VggConvs,
    tapIndices: number[],
    height: number,
    width: number,
    options: TiledVgg19Options,
  ) {
    this.#ctx = ctx;
    this.input = { channels: 3, height, width };
    this.#pool = new BufferPool(ctx);
    const whole = new Vgg19(ctx, convs, tapIndices, height, width, {
      padding: options.padding,
      checkpointing: options.checkpointing,
      pool: this.#pool,
    });
    this.taps = whole.taps;
    this.#strides = this.taps.map((t) => 2 ** POOL_INDICES.filter((p) => p <= t.index).length);
    this.tiles = planTiles(
      height,
      width,
      whole.reach,
      options.maxCrop,
      options.padding === "circular",
    );
    let cropFloats = 0;
    let windowFloats = 0;
    for (const { crop, core } of this.tiles) {
      const key = `${crop.height}×${crop.width}`;
      if (!this.#nets.has(key)) {
        this.#nets.set(
          key,
          new Vgg19(ctx, convs, tapIndices, crop.height, crop.width, {
            // Margins, not padding, make the crop's border right.
            padding: "zero",
            checkpointing: options.checkpointing,
            pool: this.#pool,
          }),
        );
      }
      cropFloats = Math.max(cropFloats, 3 * crop.height * crop.width);
      this.taps.forEach((t, tap) => {
        const w = this.#windowOf(tap, crop, core);
        windowFloats = Math.max(windowFloats, t.channels * w.height * w.width);
      });
    }
    this.#crop = ctx.createBuffer("tile crop", cropFloats * 4);
    this.#cropGrad = ctx.createBuffer("tile crop gradient", cropFloats * 4);
    this.#window = ctx.createBuffer("tile loss-layer window", windowFloats * 4);
    this.#windowGrad = ctx.createBuffer("tile loss-layer window gradient", windowFloats * 4);
  }

  /** The core's pixels in the whole image's activation at loss layer `tap`. */
  #placeOf(tap: number, tile: Tile): TapWindow {
    const s = this.#strides[tap];
    const w = this.#windowOf(tap, tile.crop, tile.core);
    return { ...w, y: tile.core.y / s, x: tile.core.x / s };
  }

  /** The core's pixels in the crop's activation at loss layer `tap`. */
  #windowOf(tap: number, crop: Rect, core: Rect): TapWindow {
    const s = this.#strides[tap];
    const y0 = core.y / s;
    const x0 = core.x / s;
    return {
      y: y0 - crop.y / s,
      x: x0 - crop.x / s,
      height: Math.floor((core.y + core.height) / s) - y0,
      width: Math.floor((core.x + core.width) / s) - x0,
    };
  }

  /**
   * Whether a tile's core holds no pixel of loss layer `tap`: a last core
   * narrower than the layer's stride, past the whole pixels the layer has.
   */
  #empty(tap: number, tile: Tile): boolean {
    const w = this.#windowOf(tap, tile.crop, tile.core);
    return w.height <= 0 || w.width <= 0;
  }

  #net(tile: Tile): Vgg19 {
    return this.#nets.get(`${tile.crop.height}×${tile.crop.width}`)!;
  }

  #gather(prog: Program, input: GPUBuffer, { crop }: Tile): void {
    const { height, width } = this.input;
    copyWindow(
      prog,
      3,
      { buffer: input, height, width, y: crop.y, x: crop.x },
      { buffer: this.#crop, height: crop.height, width: crop.width, y: 0, x: 0 },
      crop,
      false,
    );
  }

  /** Copies the core's pixels of a loss layer's activation into the window buffer; returns the window. */
  #extract(prog: Program, tile: Tile, tap: number, features: GPUBuffer): TapWindow {
    const t = this.#net(tile).taps[tap];
    const w = this.#windowOf(tap, tile.crop, tile.core);
    copyWindow(
      prog,
      t.channels,
      { buffer: features, height: t.height, width: t.width, y: w.y, x: w.x },
      { buffer: this.#window, height: w.height, width: w.width, y: 0, x: 0 },
      w,
      false,
    );
    return w;
  }

  /**
   * Records the first pass: every tile forward, `onTap` seeing each loss
   * layer's core window while it is live.
   */
  recordForward(prog: Program, input: GPUBuffer, onTap: TileTapForward): void {
    this.tiles.forEach((tile, i) => {
      this.#gather(prog, input, tile);
      this.#net(tile).recordForward(prog, this.#crop, (prog, tap, features) => {
        // The first tile always has pixels at every layer: its core starts at the origin.
        if (this.#empty(tap, tile)) return;
        const w = this.#extract(prog, tile, tap, features);
        onTap(prog, tap, this.#window, w.height * w.width, i === 0, this.#placeOf(tap, tile));
      });
    });
  }

  /**
   * Records the second pass: every tile forward and backward, with
   * `onTapBackward` giving each loss layer's gradient on the core window;
   * `gradInput` is written (the tiles' gradients summed), not added to.
   */
  recordBackward(
    prog: Program,
    input: GPUBuffer,
    gradInput: GPUBuffer,
    onTapBackward: TileTapBackward,
  ): void {
    const { height, width } = this.input;
    prog.clear(gradInput, 0, 3 * height * width * 4);
    for (const tile of this.tiles) {
      const net = this.#net(tile);
      this.#gather(prog, input, tile);
      net.recordForwardBackward(
        prog,
        this.#crop,
        this.#cropGrad,
        () => {},
        (prog, tap, features, g, accumulate) => {
          const t = net.taps[tap];
          if (!accumulate) prog.clear(g, 0, t.channels * t.height * t.width * 4);
          if (this.#empty(tap, tile)) return;
          const w = this.#extract(prog, tile, tap, features);
          onTapBackward(
            prog,
            tap,
            this.#window,
            w.height * w.width,
            this.#windowGrad,
            this.#placeOf(tap, tile),
          );
          copyWindow(
            prog,
            t.channels,
            { buffer: this.#windowGrad, height: w.height, width: w.width, y: 0, x: 0 },
            { buffer: g, height: t.height, width: t.width, y: w.y, x: w.x },
            w,
            true,
          );
        },
      );
      const { crop } = tile;
      copyWindow(
        prog,
        3,
        { buffer: this.#cropGrad, height: crop.height, width: crop.width, y: 0, x: 0 },
        { buffer: gradInput, height, width, y: crop.y, x: crop.x },
        crop,
        true,
      );
    }
  }

  /** GPU bytes of the crops' activations and gradients (shared by all tiles) and the tile buffers. */
  get activationBytes(): number {
    return this.#pool.bytes +
      [this.#crop, this.#cropGrad, this.#window, this.#windowGrad].reduce((s, b) => s + b.size, 0);
  }

  /** Frees the tiles' scratch (the weights belong to the {@link VggConvs}). */
  destroy(): void {
    this.#pool.destroy();
    for (const b of [this.#crop, this.#cropGrad, this.#window, this.#windowGrad]) {
      this.#ctx.destroyBuffer(b);
    }
  }
}
