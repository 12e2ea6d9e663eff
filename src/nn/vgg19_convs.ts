import type { GpuContext } from "../gpu/context.ts";
import { Conv3x3 } from "../ops/conv3x3.ts";
import type { VggWeights } from "../weights/vgg19_weights.ts";

/**
 * VGG19's convolutions on the GPU, uploaded once and shared by every
 * {@link Vgg19} built on them: the exemplar's and the output's networks, and
 * every scale of a multi-scale run.
 */
export class VggConvs {
  /** The convolutions by `features` index. */
  readonly byIndex: ReadonlyMap<number, Conv3x3>;
  constructor(ctx: GpuContext, weights: VggWeights) {
    this.byIndex = new Map(
      weights.layers.map((
        l,
      ) => [l.index, new Conv3x3(ctx, l.cin, l.cout, l.weight, l.bias, l.name)]),
    );
  }

  /**
   * GPU bytes the weights take now, in every layout the kernels keep (each
   * layout is made when a recorded pass first needs it).
   */
  get bytes(): number {
    let total = 0;
    for (const conv of this.byIndex.values()) total += conv.bytes;
    return total;
  }

  /** Frees the weights. */
  destroy(): void {
    for (const conv of this.byIndex.values()) conv.destroy();
  }
}
