// The file-writing edge: the one place image bytes reach the disk.
import { TexSynthError } from "../errors.ts";
import { writeProblem, writeTarget } from "./file_kind.ts";

/** Splits `path` after its last separator; the directory part keeps its trailing separator. */
function _split(path: string): [string, string] {
  const cut = Math.max(
    path.lastIndexOf("/"),
    Deno.build.os === "windows" ? path.lastIndexOf("\\") : -1,
  );
  return [path.slice(0, cut + 1), path.slice(cut + 1)];
}

async function _removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // Already gone, or never created: nothing left to clean up.
  }
}

async function _isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function _reason(e: unknown, path: string, dir: string): Promise<string> {
  if (e instanceof Deno.errors.NotFound && !(await _isDirectory(dir || "."))) {
    return `directory ${dir || "."} does not exist (create it first)`;
  }
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return `permission denied (check the directory's permissions, or run with --allow-write)`;
  }
  if (e instanceof Deno.errors.IsADirectory) return `${path} is a directory (give a file name)`;
  const message = e instanceof Error ? e.message : String(e);
  return `${message.replace(/\s+/g, " ").trim()} (check the path and free disk space)`;
}

/**
 * Writes bytes to `path` via a temporary file in the same directory and a
 * rename, so readers never see a torn file: they find either the old content
 * or the new, never a partial write. The data is flushed to disk before the
 * rename. Refuses to replace anything but a regular file. On failure the
 * temporary file is removed and a {@link TexSynthError} names the path and
 * the fix.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const [, given] = _split(path);
  if (given === "" || given === "." || given === "..") {
    throw new TexSynthError(
      `cannot write ${path}: it names a directory, not a file (give a file name)`,
    );
  }
  // Only a regular file (or nothing) is ever replaced; through a symbolic
  // link, the link's target is, and the link stays.
  const problem = await writeProblem(path);
  if (problem) throw new TexSynthError(`will not write ${path}: it ${problem}`);
  const target = await writeTarget(path);
  const [dir, base] = _split(target);
  const temp = `${dir}.${base}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  let created = false;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true });
    created = true;
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(temp, target);
  } catch (e) {
    if (created) await _removeQuietly(temp);
    throw new TexSynthError(`cannot write ${path}: ${await _reason(e, path, dir)}`);
  }
}
