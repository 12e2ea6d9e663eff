import { TexSynthError } from "../errors.ts";
import { decodeImage, type PlanarImage } from "./image.ts";

/** Reads and decodes a PNG or JPEG file; a missing or unreadable file is a {@link TexSynthError}. */
export async function readImageFile(path: string): Promise<PlanarImage> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new TexSynthError(`image not found: ${path} (check the path)`);
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new TexSynthError(`${path} is a folder, not an image file`);
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new TexSynthError(
        `cannot read ${path}: permission denied (check the file's permissions)`,
      );
    }
    throw new TexSynthError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return await decodeImage(bytes, path);
}
