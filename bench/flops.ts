/**
 * The arithmetic of one objective evaluation, counted from VGG19's layer
 * shapes: what `deno task bench` divides by the measured time to report
 * FLOP/s. Convolutions count as the direct algorithm's 2·cin·cout·9·H·W
 * (the Winograd passes do about a quarter of those multiplies, so the rate
 * is an effective one, comparable with PyTorch's); pooling, ReLU, the FFT
 * and the optimizer are left out (well under 1% of the total).
 */
import { POOL_INDICES } from "../src/nn/vgg19.ts";
import { VGG19_LAYERS } from "../src/weights/vgg19_weights.ts";

/** FLOPs of one evaluation, by part. */
export interface EvaluationFlops {
  /** Convolutions forward, to the deepest loss layer. */
  convForward: number;
  /** Input gradients of the same convolutions (the transposed convolutions). */
  convInputGradient: number;
  /** The forward convolutions run again in backward by gradient checkpointing. */
  convRecompute: number;
  /** Gram matrices (G = F·Fᵀ, 2·N²·M each) and their gradients (G·F, as many). */
  gram: number;
  total: number;
}

/**
 * Counts the FLOPs of one evaluation at height × width with loss layers
 * `taps` (torchvision `features` indices). With `checkpointing`, every block
 * (the layers up to and including a pool) but the last is recomputed.
 */
export function evaluationFlops(
  height: number,
  width: number,
  taps: readonly number[],
  checkpointing: boolean,
): EvaluationFlops {
  const deepest = Math.max(...taps);
  const convAt = new Map(VGG19_LAYERS.map((l) => [l.index, l]));
  let h = height;
  let w = width;
  let channels = 3;
  let block = 0;
  const perBlock: number[] = [0];
  let gram = 0;
  for (let index = 0; index <= deepest; index++) {
    const conv = convAt.get(index);
    if (conv) {
      perBlock[block] += 2 * conv.cin * conv.cout * 9 * h * w;
      channels = conv.cout;
    } else if (POOL_INDICES.includes(index)) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
      block++;
      perBlock.push(0);
    }
    if (taps.includes(index)) gram += 2 * (2 * channels * channels * h * w);
  }
  const convForward = perBlock.reduce((s, f) => s + f, 0);
  // The block the deepest tap closes is kept, not recomputed; a pool as the
  // deepest tap starts an empty block after it.
  const last = perBlock[perBlock.length - 1] === 0 ? perBlock.length - 2 : perBlock.length - 1;
  const convRecompute = checkpointing ? perBlock.slice(0, last).reduce((s, f) => s + f, 0) : 0;
  return {
    convForward,
    convInputGradient: convForward,
    convRecompute,
    gram,
    total: 2 * convForward + convRecompute + gram,
  };
}
