// The cache-directory edge: where converted weights live and the lock that keeps two
// processes from downloading or converting at once. Deno.* is allowed here.
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

/** How long a lock may go without its holder's heartbeat before others take it over. */
const STALE_MS = 60_000;
const HEARTBEAT_MS = 10_000;
const POLL_MS = 200;

/** Options for {@link withCacheLock}. */
export interface LockOptions {
  /** Gives up waiting (and lets the holder's work stop) when aborted. */
  signal?: AbortSignal;
  /** Called once when the lock is held by another process and this one waits. */
  onWait?(): void;
  /** Age after which an un-refreshed lock counts as abandoned (ms); default 60 s. */
  staleMs?: number;
}

/**
 * Runs `fn` holding an exclusive lock file `path` (created with create-new,
 * i.e. O_EXCL, so exactly one process wins). Others wait and poll. The holder
 * refreshes the file's mtime every 10 s; a lock older than `staleMs` is taken
 * to be left by a crashed process and removed. Should that guess ever be
 * wrong (a holder frozen for a minute), the cache still cannot be corrupted:
 * every cache file is written under a unique temp name and renamed into
 * place, and a download garbled by two writers fails its digest check.
 */
export async function withCacheLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const staleMs = options.staleMs ?? STALE_MS;
  const token = `${Deno.pid}-${crypto.randomUUID()}`;
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      try {
        await file.write(new TextEncoder().encode(`${token}\n`));
      } finally {
        file.close();
      }
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) {
        throw new TexSynthError(
          `cannot create the lock ${path}: ${
            (e as Error).message
          } (check the cache folder's permissions or set TEX_SYNTH_CACHE)`,
        );
      }
    }
    if (await _removeIfStale(path, staleMs)) continue;
    if (!waited) {
      waited = true;
      options.onWait?.();
    }
    await _sleep(POLL_MS, options.signal);
  }
  const beat = setInterval(() => {
    const now = new Date();
    Deno.utime(path, now, now).catch(() => {});
  }, HEARTBEAT_MS);
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    await _removeIfOurs(path, token);
  }
}

async function _removeIfStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    if (Date.now() - (info.mtime?.getTime() ?? 0) < staleMs) return false;
    await Deno.remove(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true;
    throw e;
  }
}

async function _removeIfOurs(path: string, token: string): Promise<void> {
  try {
    if ((await Deno.readTextFile(path)).trim() === token) await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

function _sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(id);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
