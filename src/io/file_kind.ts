// What is at a path, as far as writing there is concerned: the one place that
// decides whether tex-synth may replace it (a regular file, or nothing) or
// must refuse (a folder, a device, a FIFO, a socket, a link to nothing).

/** `Deno.lstat`, or null when nothing is there. */
export async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
}

/** `Deno.stat` (links followed), or null when nothing is there. */
export async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
}

/** "a FIFO (named pipe)", "a socket", "a device": what a special file is. */
export function describeKind(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a folder";
  if (info.isFile) return "a file";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  return "not a regular file";
}

/**
 * Why a file may not be written at `path`, as the end of a sentence that
 * starts with the path ("is a folder (give a file name in it)"), or null when
 * nothing is there or a regular file is (through a symbolic link too).
 */
export async function writeProblem(path: string): Promise<string | null> {
  const link = await lstatOrNull(path);
  if (!link) return null;
  const info = link.isSymlink ? await statOrNull(path) : link;
  if (!info) return "is a symbolic link to nothing (remove it or choose another path)";
  if (info.isDirectory) return "is a folder (give a file name in it)";
  if (!info.isFile) return `is ${describeKind(info)}, not a regular file (choose another path)`;
  return null;
}

/**
 * The path a write to `path` should replace: the target of a symbolic link
 * (so the link stays a link), else `path` itself.
 */
export async function writeTarget(path: string): Promise<string> {
  const link = await lstatOrNull(path);
  return link?.isSymlink ? await Deno.realPath(path) : path;
}
