import type { GpuContext } from "../gpu/context.ts";
import type { Program } from "../gpu/program.ts";
import { Vgg19 } from "../nn/vgg19.ts";
import { TiledVgg19, type TileTapForward } from "../nn/tiled_vgg19.ts";
import type { VggConvs } from "../nn/vgg19_convs.ts";
import type { Padding } from "../ops/conv3x3.ts";
import { largestNetworkSide, networkFits } from "./fits.ts";

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

/**
 * Records a forward pass that hands each loss layer's pixels to `onTap`,
 * whole (one window, the whole activation) or tile by tile.
 */
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
      const { height, width } = net.taps[tap];
      onTap(p, tap, features, height * width, true, { y: 0, x: 0, height, width });
    });
  }
}

/** Floats of the largest loss-layer activation (or tile window of one) the network hands out. */
export function largestTapFloats(net: Vgg19 | TiledVgg19): number {
  return net instanceof TiledVgg19
    ? net.largestWindow
    : Math.max(...net.taps.map((t) => t.channels * t.height * t.width));
}
