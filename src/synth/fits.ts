import { formatBytes, type GpuContext } from "../gpu/context.ts";
import { TexSynthError } from "../errors.ts";
import { POOL_INDICES } from "../nn/vgg19.ts";

/** Channels of VGG19's widest full-resolution activation (conv1_1, conv1_2). */
const FIRST_BLOCK_CHANNELS = 64;

/** The largest tensor one storage binding of the adapter holds, in bytes. */
function bindingLimit(ctx: GpuContext): number {
  return Math.min(ctx.info.maxStorageBufferBindingSize, ctx.info.maxBufferSize);
}

/** Whether VGG19 runs on a height × width image in one pass (its widest activation fits one binding). */
export function networkFits(ctx: GpuContext, height: number, width: number): boolean {
  return FIRST_BLOCK_CHANNELS * height * width * 4 <= bindingLimit(ctx);
}

/** The side of the largest square image VGG19 runs on in one pass: the crop size of tiled evaluation. */
export function largestNetworkSide(ctx: GpuContext): number {
  return Math.floor(Math.sqrt(bindingLimit(ctx) / (FIRST_BLOCK_CHANNELS * 4)));
}

/**
 * Fails before any work when an image of this size needs a whole-image
 * tensor of more than `bytesPerPixel` × pixels past one storage binding
 * (the network itself runs tile by tile, so the largest whole-image tensor
 * is the spectrum's complex planes), naming the limit and the largest size
 * that fits.
 */
export function checkFits(
  ctx: GpuContext,
  width: number,
  height: number,
  bytesPerPixel: number,
  what: string,
  option: string,
): void {
  const limit = bindingLimit(ctx);
  const bytes = bytesPerPixel * width * height;
  if (bytes <= limit) return;
  const side = Math.floor(Math.sqrt(limit / bytesPerPixel));
  throw new TexSynthError(
    `a ${width}×${height} ${what} needs ${
      formatBytes(bytes)
    } for one whole-image tensor, more than this GPU's ${
      formatBytes(limit)
    } storage binding limit: use a smaller ${option} (up to about ${side}×${side} px here)`,
  );
}

/** The sliced Wasserstein loss sorts each layer's pixels at once, so it needs the whole network in one pass. */
export function slicedWassersteinTooLarge(width: number, height: number): TexSynthError {
  return new TexSynthError(
    `--loss sw sorts every pixel of a layer at once, which a ${width}×${height} output does not fit on this GPU: use --loss gram or a smaller --size`,
  );
}

/**
 * The smallest side, in pixels, that VGG19 accepts up to `deepest`: each 2×2
 * pooling layer on the way halves the image and needs at least 2 pixels.
 */
export function minimumSide(deepest: number): number {
  return 2 ** POOL_INDICES.filter((p) => p <= deepest).length;
}

/** One image the network will see, named for the error message. */
export interface SizedImage {
  /** What it is, e.g. "output", "exemplar 2", "output at scale 3 of 4". */
  what: string;
  width: number;
  height: number;
  /** The fix to suggest, e.g. "use fewer --scales or a larger --size". */
  fix: string;
}

/**
 * Fails before any work when an image is smaller than the preset's deepest
 * layer needs, naming the image, the real minimum and the fix.
 */
export function checkLargeEnough(
  images: readonly SizedImage[],
  presetName: string,
  deepest: number,
): void {
  const min = minimumSide(deepest);
  const small = images.find((i) => Math.min(i.width, i.height) < min);
  if (!small) return;
  const layer = POOL_NAMES[POOL_INDICES.indexOf(deepest)] ?? `features.${deepest}`;
  throw new TexSynthError(
    `the ${small.what} is ${small.width}×${small.height} px, smaller than the ${min} px per side that preset ${presetName}'s deepest layer (${layer}) needs: ${small.fix}`,
  );
}

const POOL_NAMES = ["pool1", "pool2", "pool3", "pool4", "pool5"];
