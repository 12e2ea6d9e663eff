import { TexSynthError } from "../errors.ts";
import { decodeImage, type PlanarImage } from "./image.ts";

/** Files larger than this are not images anyone means to use as exemplars. */
const MAX_FILE_BYTES = 1 << 30;

/**
 * Reads and decodes a PNG or JPEG file into planar RGB floats; a missing,
 * unreadable or corrupt file is a {@link TexSynthError}.
 *
 * @example
 * ```ts
 * import { readImageFile } from "@tex/synth";
 *
 * const image = await readImageFile("bricks.png");
 * console.log(image.width, image.height, image.data.length); // data is [3, H, W] in [0, 1]
 * ```
 */
export async function readImageFile(path: string): Promise<PlanarImage> {
  return await decodeImage(await readFileBytes(path), path);
}

/**
 * The bytes of an image file (a regular file of at most 1 GiB); a missing
 * or unreadable file is a {@link TexSynthError} that names it.
 */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    // Devices and pipes (/dev/zero, a FIFO) would read forever: regular files only.
    const info = await Deno.stat(path);
    if (!info.isFile) throw new TexSynthError(`${path} is not a regular file: give an image file`);
    if (info.size > MAX_FILE_BYTES) {
      throw new TexSynthError(
        `${path} is ${
          (info.size / 2 ** 30).toFixed(1)
        } GiB, too large for an exemplar: use a smaller image`,
      );
    }
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof TexSynthError) throw e;
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
}
