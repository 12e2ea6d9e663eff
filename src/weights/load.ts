// The file edge of the weights readers: the only weights module that calls Deno.*.
import { TexSynthError } from "../errors.ts";
import { type ByteSource, inRange } from "./byte_source.ts";
import { readVggWeights } from "./read_vgg.ts";
import type { VggWeights } from "./vgg19_weights.ts";

/** A {@link ByteSource} over an open file, plus `close`. */
export interface FileSource extends ByteSource {
  /** Releases the file handle. */
  close(): void;
}

/**
 * Opens `path` for random access. Reads seek and fill exactly the asked
 * range, so parsers see the file in pieces and never whole. Only regular
 * files are opened: a folder is refused, and so are devices and pipes,
 * whose open or reads could block forever or never end.
 */
export async function openFileSource(path: string): Promise<FileSource> {
  let file: Deno.FsFile;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw new TexSynthError(
        `weights path ${path} is ${
          info.isDirectory ? "a folder" : "not a regular file (a device or pipe?)"
        }: give a .pth or .safetensors file`,
      );
    }
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof TexSynthError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      throw new TexSynthError(
        `weights file not found: ${path} (check the path, or use --weights random)`,
      );
    }
    throw new TexSynthError(
      `cannot open weights file ${path}: ${
        (e as Error).message
      } (check the path and its permissions)`,
    );
  }
  return fileSource(file, (await file.stat()).size, path);
}

/**
 * A {@link FileSource} over a file already open (`size` bytes, `path` for
 * errors); closing the source closes the file.
 */
export function fileSource(file: Deno.FsFile, size: number, path: string): FileSource {
  return {
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (!inRange(offset, length, size)) {
        throw new TexSynthError(
          `${path} is truncated or corrupt: a read of ${length} bytes at ${offset} passes its end (${size} bytes); re-download it`,
        );
      }
      const out = new Uint8Array(length);
      await file.seek(offset, Deno.SeekMode.Start);
      let filled = 0;
      while (filled < length) {
        const n = await file.read(out.subarray(filled));
        if (n === null) {
          throw new TexSynthError(`${path} ended early while reading; re-download it`);
        }
        filled += n;
      }
      return out;
    },
    close(): void {
      file.close();
    },
  };
}

/**
 * Loads VGG19 conv weights from a file: safetensors, or a torch.save
 * checkpoint in either format. Reads only the `features.*` conv tensors it
 * needs, piece by piece. A missing, unknown or corrupt file, a layer VGG19
 * lacks, or a missing or misshapen one, is a TexSynthError naming the file.
 *
 * @param upTo when given, only layers with `index <= upTo` are read
 *
 * @example
 * ```ts
 * import { loadWeightsFile } from "@tex/synth";
 *
 * const weights = await loadWeightsFile("vgg19-dcbb9e9d.pth");
 * console.log(weights.layers.map((l) => l.name).join(" "));
 * ```
 */
export async function loadWeightsFile(path: string, upTo?: number): Promise<VggWeights> {
  const source = await openFileSource(path);
  try {
    return await readVggWeights(source, path, upTo);
  } finally {
    source.close();
  }
}
