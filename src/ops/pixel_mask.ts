import source from "../../kernels/pixel_mask.wgsl" with { type: "text" };
import { grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** Invocations per workgroup of pixel_mask.wgsl. */
const WG = 256;

/** Where a tensor's pixels lie in a larger per-pixel map: the map's width and the window's corner. */
export interface MapWindow {
  /** Width of the whole map in pixels. */
  mapWidth: number;
  /** Row of the tensor's first pixel in the map. */
  y: number;
  /** Column of the tensor's first pixel in the map. */
  x: number;
}

/** A planar [channels, height, width] tensor's shape. */
export interface PlanarShape {
  channels: number;
  height: number;
  width: number;
}

function _check(buffer: GPUBuffer, floats: number, what: string): void {
  if (buffer.size < floats * 4) {
    throw new RangeError(`${what} buffer holds ${buffer.size} bytes, needs ${floats * 4}`);
  }
}

/**
 * Records output[c, y, x] = input[c, y, x] · v(y, x) for a planar
 * [C, H, W] `input`, v = w or, with `root`, √w, where w is read from
 * `weights` at (window.y + y, window.x + x) of a map `window.mapWidth` wide
 * (default: the tensor's own H × W). The window lets a tile's features read
 * its part of a whole layer's mask. Exact: one product (and one square root)
 * per element, so equal inputs give equal outputs.
 */
export function weightPixels(
  prog: Program,
  input: GPUBuffer,
  weights: GPUBuffer,
  output: GPUBuffer,
  shape: PlanarShape,
  options: { root?: boolean; window?: MapWindow } = {},
): void {
  const { channels, height, width } = shape;
  const window = options.window ?? { mapWidth: width, y: 0, x: 0 };
  if (input === output) throw new RangeError("weightPixels: input and output must differ");
  _check(input, channels * height * width, "input");
  _check(output, channels * height * width, "output");
  _check(weights, (window.y + height - 1) * window.mapWidth + window.x + width, "weights");
  prog.dispatch(
    prog.ctx.pipeline(source, "weight", { ROOT: options.root ? 1 : 0 }),
    [output, weights, input],
    grid(Math.ceil((channels * height * width) / WG)),
    pack(channels, height, width, window.mapWidth, window.y, window.x),
  );
}

/** Records data[c, i] *= weights[i] in place for a planar [C, H, W] `data` (one weight per pixel). */
export function scalePixels(
  prog: Program,
  data: GPUBuffer,
  weights: GPUBuffer,
  shape: PlanarShape,
): void {
  const { channels, height, width } = shape;
  _check(data, channels * height * width, "data");
  _check(weights, height * width, "weights");
  prog.dispatch(
    prog.ctx.pipeline(source, "scale"),
    [data, weights],
    grid(Math.ceil((channels * height * width) / WG)),
    pack(channels, height, width, width, 0, 0),
  );
}

/**
 * Records data[c, i] = base[c, i] wherever free[i] < 0.5, leaving the other
 * pixels as they are: the kept pixels of an inpainting take the image's
 * values bit for bit.
 */
export function keepPixels(
  prog: Program,
  data: GPUBuffer,
  free: GPUBuffer,
  base: GPUBuffer,
  shape: PlanarShape,
): void {
  const { channels, height, width } = shape;
  if (data === base) throw new RangeError("keepPixels: data and base must differ");
  _check(data, channels * height * width, "data");
  _check(base, channels * height * width, "base");
  _check(free, height * width, "mask");
  prog.dispatch(
    prog.ctx.pipeline(source, "keep"),
    [data, free, base],
    grid(Math.ceil((channels * height * width) / WG)),
    pack(channels, height, width, width, 0, 0),
  );
}
