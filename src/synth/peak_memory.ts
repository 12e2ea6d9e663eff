import type { GpuContext } from "../gpu/context.ts";
import { VggConvs } from "../nn/vgg19_convs.ts";
import { Random } from "../random.ts";
import { VGG19_LAYERS, type VggWeights } from "../weights/vgg19_weights.ts";
import { TextureObjective } from "./objective.ts";
import { preset as presetNamed, type PresetName } from "./presets.ts";
import { defaultCheckpointing } from "./synthesizer.ts";

/** Side of the exemplar {@link measurePeakBytes} builds targets from: small, so setup is quick. */
const EXEMPLAR_SIDE = 32;

/**
 * GPU bytes one evaluation of an output of each of `sizes` (square) needs
 * on `ctx` at most, measured by the context's allocator: the weights in the layouts
 * the context's kernels keep, the activations and their gradients, the
 * objective's buffers and the evaluation program's scratch, allocated as a
 * run allocates them (checkpointing by default from 512 px, as the
 * synthesizer does) without running the evaluation. The exemplar is a small
 * noise image, since an exemplar's network is freed before the output's
 * runs; L-BFGS adds 2·historySize·3·size²·4 bytes of history on top.
 */
export async function measurePeakBytes(
  ctx: GpuContext,
  sizes: number[],
  presetName: PresetName = "liu",
): Promise<number[]> {
  const spec = presetNamed(presetName);
  const rng = new Random(0);
  const side = EXEMPLAR_SIDE;
  const exemplar = ctx.upload(
    "exemplar",
    Float32Array.from({ length: 3 * side * side }, () => rng.uniform()),
  );
  const before = ctx.liveBytes;
  const deepest = Math.max(...spec.layers);
  // Memory depends on the shapes only: zero weights spare drawing 20 M random numbers.
  const weights: VggWeights = {
    layers: VGG19_LAYERS.filter((l) => l.index <= deepest).map((l) => ({
      ...l,
      weight: new Float32Array(l.cout * l.cin * 9),
      bias: new Float32Array(l.cout),
    })),
    source: "zeros",
  };
  const convs = new VggConvs(ctx, weights);
  const peaks: number[] = [];
  try {
    for (const size of sizes) {
      // The weights layouts made for an earlier size count as they would in a run.
      ctx.resetPeak();
      const objective = await TextureObjective.create(
        ctx,
        convs,
        [{ buffer: exemplar, height: side, width: side }],
        size,
        size,
        spec,
        { padding: "zero", checkpointing: defaultCheckpointing(size, size) },
      );
      // Encoding allocates the scratch buffers; nothing is submitted.
      objective.evaluation.encode(ctx.device.createCommandEncoder());
      peaks.push(ctx.peakBytes - before);
      objective.destroy();
    }
    return peaks;
  } finally {
    convs.destroy();
    ctx.destroyBuffer(exemplar);
  }
}
