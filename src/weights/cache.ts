// The cache-directory edge: where converted weights live, and whether that
// folder can hold them. The lock that keeps two processes from downloading or
// converting at once is in cache_lock.ts. Deno.* is allowed here.
import manifest from "../../weights/vgg19.json" with { type: "json" };
import { TexSynthError } from "../errors.ts";

/**
 * The cache directory: `$TEX_SYNTH_CACHE`, else `$XDG_CACHE_HOME/tex-synth`,
 * else `~/.cache/tex-synth` (`%LOCALAPPDATA%\tex-synth` on Windows).
 */
export function cacheDir(): string {
  const env = (name: string): string | undefined => Deno.env.get(name) || undefined;
  const explicit = env("TEX_SYNTH_CACHE");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return joinPath(xdg, "tex-synth");
  if (Deno.build.os === "windows" && env("LOCALAPPDATA")) {
    return joinPath(env("LOCALAPPDATA")!, "tex-synth");
  }
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) {
    throw new TexSynthError(
      "no cache directory: set TEX_SYNTH_CACHE (or HOME), or pass --weights FILE / --weights random",
    );
  }
  return joinPath(home, ".cache", "tex-synth");
}

/** Path of the converted weights (`vgg19-features-f32.safetensors`) in `dir`. */
export function cacheFilePath(dir: string = cacheDir()): string {
  return joinPath(dir, manifest.cacheFile);
}

/** Joins path parts with the platform separator, without doubling one already there. */
export function joinPath(...parts: string[]): string {
  const sep = Deno.build.os === "windows" ? "\\" : "/";
  return parts.map((p, i) => (i < parts.length - 1 ? p.replace(/[\\/]+$/, "") : p)).join(sep);
}

/**
 * Makes sure `dir` is a folder, creating it (and its parents) when missing.
 * A path naming a file, or one that cannot be created, is a one-line
 * TexSynthError that says where the path came from (`TEX_SYNTH_CACHE` or the
 * default) and the fix; `alternatives` names other ways to get weights.
 */
export async function prepareCacheDir(dir: string, alternatives: string): Promise<void> {
  if (await cacheDirExists(dir, alternatives)) return;
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    const why = e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable
      ? "permission denied"
      : e instanceof Deno.errors.NotADirectory
      ? "part of that path is a file"
      : e instanceof Deno.errors.AlreadyExists
      ? "something that is not a folder is there (a broken symlink?)"
      : e instanceof Deno.errors.NotFound
      ? "that place does not exist and cannot be made"
      : _reason(e);
    throw new TexSynthError(
      `cannot create the cache folder ${dir}${_origin(dir)}: ${why} (${
        _fix(dir)
      }, or use ${alternatives})`,
    );
  }
}

/**
 * Whether `dir` exists as a folder (false when it does not exist at all).
 * Something else there — a file, or a path through a file — is a one-line
 * TexSynthError with the fix.
 */
export async function cacheDirExists(dir: string, alternatives: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    const why = e instanceof Deno.errors.NotADirectory
      ? "part of that path is a file"
      : e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable
      ? "permission denied"
      : _reason(e);
    throw new TexSynthError(
      `cannot use the cache folder ${dir}${_origin(dir)}: ${why} (${
        _fix(dir)
      }, or use ${alternatives})`,
    );
  }
  if (info.isDirectory) return true;
  throw new TexSynthError(
    `the cache folder ${dir}${_origin(dir)} is not a folder (${_fix(dir)}, or use ${alternatives})`,
  );
}

/** An OS error's own words, less the call and path Deno appends ("…: mkdir '/x'"). */
function _reason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/:\s*\w+ '.*'$/s, "").replace(/\s+/g, " ").trim();
}

/** " (TEX_SYNTH_CACHE)" when the folder came from that variable, so the user knows what to change. */
function _origin(dir: string): string {
  return Deno.env.get("TEX_SYNTH_CACHE") === dir ? " (TEX_SYNTH_CACHE)" : "";
}

function _fix(dir: string): string {
  return Deno.env.get("TEX_SYNTH_CACHE") === dir
    ? "point TEX_SYNTH_CACHE at a writable folder"
    : "set TEX_SYNTH_CACHE to a writable folder";
}
