// Format dispatch for weight files: web APIs only, so it runs wherever the engine does.
import { TexSynthError } from "../errors.ts";
import type { ByteSource } from "./byte_source.ts";
import { readPthLegacy } from "./pth_legacy.ts";
import { readPthZip } from "./pth_zip.ts";
import { readSafetensors } from "./safetensors.ts";
import type { TensorData } from "./tensor.ts";

/** How protocols 0 and 1 write torch.save's legacy magic number (0x1950a86a20f9469cfc6c): its first 16 bytes. */
const LEGACY_TEXT_MAGIC = "L119547037146038";

/** The on-disk weight formats the readers recognize, by their first bytes. */
export type WeightsFormat = "safetensors" | "pth-zip" | "pth-legacy";

/** Recognizes a weights format from the first bytes of a file, or null. */
export function sniffWeightsFormat(head: Uint8Array): WeightsFormat | null {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) {
    return "pth-zip";
  }
  // A legacy stream opens with its magic number: PROTO n (protocols 2 and up; the
  // reader names a protocol newer than it knows), or a text LONG (protocols 0 and 1).
  if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2) return "pth-legacy";
  if (new TextDecoder().decode(head.subarray(0, 16)) === LEGACY_TEXT_MAGIC) return "pth-legacy";
  if (head.length >= 9 && head[6] === 0 && head[7] === 0 && head[8] === 0x7b) return "safetensors";
  return null;
}

/**
 * Reads the tensors `keep` accepts from a weights file of any supported
 * format (sniffed from its first bytes), as f32. `what` names it in errors.
 */
export async function readWeightTensors(
  source: ByteSource,
  keep: (name: string) => boolean,
  what: string,
): Promise<Map<string, TensorData>> {
  const format = sniffWeightsFormat(await source.read(0, Math.min(16, source.size)));
  switch (format) {
    case "safetensors":
      return await readSafetensors(source, keep, what);
    case "pth-zip":
      return await readPthZip(source, keep, what);
    case "pth-legacy":
      return await readPthLegacy(source, keep, what);
    default:
      throw new TexSynthError(
        `${what} is not a weights file this tool reads (expected .safetensors or a torch.save .pth)`,
      );
  }
}
