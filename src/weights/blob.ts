// The browser's edge of the weights readers: a picked File (or a fetched Blob)
// read in slices, so a 548 MB checkpoint is never copied whole into memory.
import { TexSynthError } from "../errors.ts";
import { type ByteSource, inRange } from "./byte_source.ts";
import { readVggWeights } from "./read_vgg.ts";
import type { VggWeights } from "./vgg19_weights.ts";

/** A {@link ByteSource} over a Blob: each read slices it and reads only that range. */
export function blobSource(blob: Blob, what: string): ByteSource {
  return {
    size: blob.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (!inRange(offset, length, blob.size)) {
        throw new TexSynthError(
          `${what} is truncated or corrupt: a read of ${length} bytes at ${offset} passes its end (${blob.size} bytes); get the file again`,
        );
      }
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/**
 * Loads VGG19 conv weights from a Blob or File (a `.safetensors` file or a
 * torch.save `.pth` in either format), with the same readers as
 * `loadWeightsFile`: only the `features.*` tensors it needs are read. A file
 * of another kind, or one with missing or misshapen layers, is a
 * {@link TexSynthError} naming `name` (default: the File's name).
 *
 * @param upTo when given, only layers with `index <= upTo` are read
 *
 * @example
 * ```ts
 * import { loadWeightsBlob } from "@tex/synth/browser";
 *
 * const input = document.querySelector("input[type=file]") as HTMLInputElement;
 * const weights = await loadWeightsBlob(input.files![0]);
 * console.log(weights.layers.length);
 * ```
 */
export async function loadWeightsBlob(
  blob: Blob,
  name?: string,
  upTo?: number,
): Promise<VggWeights> {
  const what = name ?? ((blob as File).name || "the weights file");
  if (blob.size === 0) {
    throw new TexSynthError(`${what} is empty (0 bytes): pick a .safetensors or .pth file`);
  }
  return await readVggWeights(blobSource(blob, what), what, upTo);
}
