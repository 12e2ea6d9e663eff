// VGG19 weights from any ByteSource: web APIs only, so a file on disk (load.ts)
// and a file picked in a browser (blob.ts) go through the same readers.
import type { ByteSource } from "./byte_source.ts";
import { readWeightTensors } from "./formats.ts";
import {
  checkVggKeyNames,
  vggTensorNames,
  type VggWeights,
  vggWeightsFromTensors,
} from "./vgg19_weights.ts";

/**
 * Reads the VGG19 conv tensors (those with `index <= upTo` when given) from a
 * safetensors or torch.save source, piece by piece. A file of another format,
 * a layer VGG19 lacks, or a missing or misshapen one is a TexSynthError naming
 * `what`.
 */
export async function readVggWeights(
  source: ByteSource,
  what: string,
  upTo?: number,
): Promise<VggWeights> {
  const wanted = new Set(vggTensorNames(upTo));
  const names: string[] = [];
  const tensors = await readWeightTensors(source, (name) => {
    names.push(name);
    return wanted.has(name);
  }, what);
  checkVggKeyNames(names, what);
  return vggWeightsFromTensors(tensors, what, upTo);
}
