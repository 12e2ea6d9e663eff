// Every path a run will write, checked before any work: a 20-minute synthesis
// must not end in "cannot write", and must never replace a folder, a device,
// a FIFO, or one of its own inputs.
import { basename, dirname, resolve } from "@std/path";
import { TexSynthError } from "../errors.ts";
import {
  describeKind,
  lstatOrNull,
  statOrNull,
  writeProblem,
  writeTarget,
} from "../io/file_kind.ts";
import { UsageError } from "./options.ts";

/** A path a run will write: a file, or a folder it writes files into. */
export interface PlannedOutput {
  /** As the user gave it (or as derived from what they gave). */
  path: string;
  /** The option that names it, for messages: "-o", "--log", "--results". */
  what: string;
  /** "file" (written atomically) or "folder" (created if missing). */
  kind: "file" | "folder";
  /** Extensions accepted for a file, lower case with the dot; any when absent. */
  extensions?: readonly string[];
  /**
   * Further files this output stands for, as `stem-1.ext … stem-N.ext`
   * (variations): checked against inputs without listing every name.
   */
  numbered?: number;
}

/** A file a run reads, which no output may name. */
export interface RunInput {
  path: string;
  /** For messages: "the exemplar", "--init", "--weights". */
  what: string;
}

/** The image formats an output path may name, by extension. */
export const IMAGE_EXTENSIONS: readonly string[] = [".png", ".jpg", ".jpeg"];

function _endsWithSeparator(path: string): boolean {
  return path.endsWith("/") || (Deno.build.os === "windows" && path.endsWith("\\"));
}

function _extension(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot).toLowerCase() : "";
}

/**
 * The file a write to `path` lands on, for comparing paths: symbolic links
 * followed, `.` and `..` resolved. For a missing file, its folder's real path
 * plus its name.
 */
async function _identity(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    const dir = dirname(resolve(path));
    try {
      return `${await Deno.realPath(dir)}/${basename(path)}`;
    } catch {
      return resolve(path);
    }
  }
}

async function _probeFolder(dir: string, what: string, path: string): Promise<void> {
  const probe = `${dir}/.tex-synth-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(probe, new Uint8Array(), { createNew: true });
    await Deno.remove(probe);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? `the folder ${dir} does not exist (create it first)`
      : e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable
      ? `permission denied in ${dir}`
      : (e as Error).message.replace(/\s+/g, " ");
    throw new TexSynthError(`cannot write ${what} ${path}: ${reason} (choose another path)`);
  }
}

async function _checkFile(o: PlannedOutput, folders: ReadonlySet<string>): Promise<void> {
  if (_endsWithSeparator(o.path)) {
    throw new UsageError(`${o.what} ${o.path} names a folder: give a file name`);
  }
  const problem = await writeProblem(o.path);
  if (problem) throw new UsageError(`${o.what} ${o.path} ${problem}`);
  if (o.extensions && !o.extensions.includes(_extension(o.path))) {
    throw new UsageError(
      `${o.what} ${o.path}: the file name must end in ${o.extensions.join(", ")}`,
    );
  }
  const dir = dirname(await writeTarget(o.path)) || ".";
  // A file in a folder the run creates is checked where that folder will be.
  const probe = folders.has(resolve(dir)) && !(await statOrNull(dir))
    ? _existingAncestor(dir)
    : dir;
  await _probeFolder(probe, o.what, o.path);
}

async function _checkFolder(o: PlannedOutput): Promise<void> {
  const info = await statOrNull(o.path);
  if (info && !info.isDirectory) {
    throw new UsageError(`${o.what} ${o.path} is ${describeKind(info)}, not a folder`);
  }
  if (!info && (await lstatOrNull(o.path))?.isSymlink) {
    throw new UsageError(`${o.what} ${o.path} is a symbolic link to nothing`);
  }
  await _probeFolder(info ? o.path : _existingAncestor(o.path), o.what, o.path);
}

/** The nearest folder above `path` that exists, where the missing ones will be created. */
function _existingAncestor(path: string): string {
  let dir = dirname(resolve(path));
  for (;;) {
    try {
      if (Deno.statSync(dir).isDirectory) return dir;
    } catch {
      // Missing: look one level up.
    }
    const up = dirname(dir);
    if (up === dir) return dir;
    dir = up;
  }
}

/** `stem-N.ext` for variation N of `path`; `path` itself when there is one output. */
export function numberedPath(path: string, n: number, count: number): string {
  if (count === 1) return path;
  const dot = path.lastIndexOf(".");
  const cut = dot > path.lastIndexOf("/") ? dot : path.length;
  return `${path.slice(0, cut)}-${n}${path.slice(cut)}`;
}

/** Whether `name` is one of `stem-1.ext … stem-count.ext` of `path`. */
function _isNumbered(path: string, count: number, name: string): boolean {
  const dot = path.lastIndexOf(".");
  const cut = dot > path.lastIndexOf("/") ? dot : path.length;
  const head = path.slice(0, cut) + "-";
  const tail = path.slice(cut);
  if (!name.startsWith(head) || !name.endsWith(tail)) return false;
  const digits = name.slice(head.length, name.length - tail.length);
  return /^[1-9]\d*$/.test(digits) && Number(digits) <= count;
}

/**
 * Checks every output before any work: folders, separators, non-regular
 * files, symbolic links to nothing, extensions, writable folders; then that
 * no two outputs name the same file and no output names an input. Throws a
 * {@link UsageError} for a path that cannot be right, a
 * {@link TexSynthError} for one the system refuses.
 */
export async function checkOutputs(
  outputs: readonly PlannedOutput[],
  inputs: readonly RunInput[],
): Promise<void> {
  const seen: { id: string; o: PlannedOutput }[] = [];
  const folders = new Set(outputs.filter((o) => o.kind === "folder").map((o) => resolve(o.path)));
  const inputIds = await Promise.all(
    inputs.map(async (i) => ({ id: await _identity(i.path), i, info: await statOrNull(i.path) })),
  );
  for (const o of outputs) {
    if (o.kind === "folder") {
      await _checkFolder(o);
      continue;
    }
    const names = o.numbered && o.numbered > 1 ? [numberedPath(o.path, 1, o.numbered)] : [o.path];
    await _checkFile({ ...o, path: names[0] }, folders);
    const id = await _identity(names[0]);
    const clash = seen.find((s) => s.id === id);
    if (clash) {
      throw new UsageError(
        `${clash.o.what} and ${o.what} both name ${o.path}: give each its own file`,
      );
    }
    seen.push({ id, o });
    const info = await statOrNull(names[0]);
    for (const { id: inputId, i, info: inputInfo } of inputIds) {
      const sameFile = inputId === id ||
        (info && inputInfo && info.ino !== null && info.dev === inputInfo.dev &&
          info.ino === inputInfo.ino) ||
        (o.numbered !== undefined && o.numbered > 1 &&
          _isNumbered(await _identity(o.path), o.numbered, inputId));
      if (sameFile) {
        throw new UsageError(
          `${o.what} ${o.path} would overwrite ${i.what} ${i.path}: choose another output`,
        );
      }
    }
  }
}
