import type { GpuContext } from "../gpu/context.ts";
import type { Program } from "../gpu/program.ts";
import { Vgg19 } from "../nn/vgg19.ts";
import { type TapWindow, TiledVgg19, type TileTapForward } from "../nn/tiled_vgg19.ts";
import type { VggConvs } from "../nn/vgg19_convs.ts";
import type { Padding } from "../ops/conv3x3.ts";
import { channelAffine } from "../ops/channel_affine.ts";
import { largestNetworkSide, networkFits } from "./fits.ts";
import type { Preset } from "./presets.ts";

/** The network for an image: whole, or tile by tile when it is too large for one pass. */
export function network(
  ctx: GpuContext,
  convs: VggConvs,
  layers: number[],
  height: number,
  width: number,
  options: { padding: Padding; checkpointing: boolean; maxCrop?: number },
): Vgg19 | TiledVgg19 {
  const maxCrop = options.maxCrop ??
    (networkFits(ctx, height, width) ? undefined : largestNetworkSide(ctx));
  return maxCrop === undefined
    ? new Vgg19(ctx, convs, layers, height, width, options)
    : new TiledVgg19(ctx, convs, layers, height, width, { ...options, maxCrop });
}

/** The whole activation of a loss layer, as the window a whole-image pass sees. */
function wholeWindow(net: Vgg19, tap: number): TapWindow {
  const t = net.taps[tap];
  return { y: 0, x: 0, height: t.height, width: t.width };
}

/** Records a forward pass that hands each loss layer's pixels to `onTap`, whole or tile by tile. */
export function recordTaps(
  prog: Program,
  net: Vgg19 | TiledVgg19,
  input: GPUBuffer,
  onTap: TileTapForward,
): void {
  if (net instanceof TiledVgg19) {
    net.recordForward(prog, input, onTap);
  } else {
    net.recordForward(prog, input, (p, tap, features) => {
      const t = net.taps[tap];
      onTap(p, tap, features, t.height * t.width, true, wholeWindow(net, tap));
    });
  }
}

/**
 * What one evaluation does at the loss layers, whether the network runs
 * whole or tile by tile (see {@link recordEvaluation}). `at` is where the
 * features handed over lie in the whole image's activation: all of it, or
 * one tile's window.
 */
export interface TapTerms {
  /**
   * Sees a loss layer's features in the forward pass. `complete`: they are
   * the whole image's, so statistics over all pixels can be finished at once;
   * otherwise they are one tile's (`first` for the first tile) and
   * {@link afterForward} follows the last tile.
   */
  forward(
    prog: Program,
    tap: number,
    features: GPUBuffer,
    part: { pixels: number; first: boolean; complete: boolean; at: TapWindow },
  ): void;
  /** Runs after every tile's forward pass, before any backward (tiled networks only). */
  afterForward(prog: Program): void;
  /**
   * Records the loss layer's gradient into `grad`, added to what is there
   * when `accumulate`, written over it otherwise.
   */
  backward(
    prog: Program,
    tap: number,
    features: GPUBuffer,
    grad: GPUBuffer,
    part: { pixels: number; accumulate: boolean; at: TapWindow },
  ): void;
}

/**
 * Records one evaluation of the loss layers' terms: the forward pass, the
 * terms, and the backward pass to `gradInput` (written over). A tiled
 * network runs two passes: every tile forward (statistics add up over the
 * tiles), then every tile forward and backward with the finished terms.
 */
export function recordEvaluation(
  prog: Program,
  net: Vgg19 | TiledVgg19,
  input: GPUBuffer,
  gradInput: GPUBuffer,
  terms: TapTerms,
): void {
  if (net instanceof TiledVgg19) {
    net.recordForward(prog, input, (p, tap, window, pixels, first, at) => {
      terms.forward(p, tap, window, { pixels, first, complete: false, at });
    });
    terms.afterForward(prog);
    net.recordBackward(prog, input, gradInput, (p, tap, window, pixels, windowGrad, at) => {
      terms.backward(p, tap, window, windowGrad, { pixels, accumulate: false, at });
    });
    return;
  }
  const pixels = (tap: number) => net.taps[tap].height * net.taps[tap].width;
  net.recordForwardBackward(
    prog,
    input,
    gradInput,
    (p, tap, features) => {
      const at = wholeWindow(net, tap);
      terms.forward(p, tap, features, { pixels: pixels(tap), first: true, complete: true, at });
    },
    (p, tap, features, grad, accumulate) => {
      const at = wholeWindow(net, tap);
      terms.backward(p, tap, features, grad, { pixels: pixels(tap), accumulate, at });
    },
  );
}

/**
 * Records the preset's input normalization of a planar [3, pixels] image
 * into `out` and returns it; without normalization, returns `image` as it is.
 */
export function normalizeInput(
  prog: Program,
  preset: Preset,
  image: GPUBuffer,
  out: GPUBuffer,
  pixels: number,
): GPUBuffer {
  const norm = preset.normalize;
  if (!norm) return image;
  channelAffine(
    prog,
    image,
    out,
    3,
    pixels,
    norm.std.map((s) => 1 / s),
    norm.mean.map((m, c) => -m / norm.std[c]),
  );
  return out;
}

/** Records the backward of {@link normalizeInput}: the gradient at the normalized input, scaled to the image's. */
export function normalizeGradient(
  prog: Program,
  preset: Preset,
  gradNormalized: GPUBuffer,
  grad: GPUBuffer,
  pixels: number,
): void {
  const norm = preset.normalize;
  if (!norm) return;
  channelAffine(prog, gradNormalized, grad, 3, pixels, norm.std.map((s) => 1 / s), [0, 0, 0]);
}
