// The cache lock: one process at a time downloads or converts weights. It is
// an OS advisory lock (flock) on a file in the cache folder, so the kernel
// drops it the moment its holder exits or is killed: a crashed run leaves no
// lock behind, and nothing has to guess from ages or process ids. Whatever
// sits at the lock's path does not matter either — garbage text, an
// unreadable file, a dangling symlink, a folder or a pipe is replaced at once.
// A waiter sleeps in the kernel until the lock is free (no polling).
// Deno.* is allowed here: this is the cache edge.
import { TexSynthError } from "../errors.ts";

/** Options for {@link withCacheLock}. */
export interface LockOptions {
  /** Stops waiting for the lock (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /**
   * Called once when another live process holds the lock and this one starts
   * waiting, with what that process wrote about itself (e.g. "pid 4242"), or
   * null when it cannot be read.
   */
  onWait?(holder: string | null): void;
  /** Appended to errors: how else the user can get going (e.g. "use --weights random"). */
  hint?: string;
}

/** Tries to open or clean up the lock path this many times before giving up. */
const OPEN_ATTEMPTS = 5;

/**
 * Runs `fn` holding an exclusive lock on the file `path` (created if needed,
 * removed when `fn` ends). Another process holding it makes this one wait,
 * calling `onWait` first; a holder that died has already lost the lock, so
 * it is taken over at once. `fn` may assume no other tex-synth process works
 * in the same folder while it runs.
 */
export async function withCacheLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const file = await _acquire(path, options);
  try {
    return await fn();
  } finally {
    await _release(path, file);
  }
}

/**
 * Runs `fn` holding the lock if it is free right now; returns false without
 * running it when another process holds it (or the lock cannot be made, as
 * in a read-only cache folder).
 */
export async function ifLockFree(path: string, fn: () => Promise<void>): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await _open(path, "");
  } catch (e) {
    if (e instanceof TexSynthError) return false;
    throw e;
  }
  let held = false;
  try {
    held = await file.tryLock(true) && await _stillNamed(path, file);
  } catch {
    held = false;
  }
  if (!held) {
    file.close();
    return false;
  }
  try {
    await _describeSelf(file);
    await fn();
  } finally {
    await _release(path, file);
  }
  return true;
}

async function _acquire(path: string, options: LockOptions): Promise<Deno.FsFile> {
  const hint = options.hint ? `, or ${options.hint}` : "";
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const file = await _open(path, hint);
    try {
      if (!(await _tryLock(file, path, hint))) {
        if (!waited) {
          waited = true;
          options.onWait?.(await _holder(path));
        }
        await _lock(file, path, hint, options.signal);
      }
    } catch (e) {
      file.close();
      throw e;
    }
    // The holder before us removed the file as it let go: our lock may be on
    // a name no longer in the folder, which no one else would see.
    if (await _stillNamed(path, file)) {
      await _describeSelf(file);
      return file;
    }
    file.close();
  }
}

async function _release(path: string, file: Deno.FsFile): Promise<void> {
  try {
    // Removed while still held, so a waiter that wakes finds the name gone and
    // starts over on a fresh file instead of holding an orphan. Windows cannot
    // remove an open file; the lock file simply stays there.
    if (Deno.build.os !== "windows" && await _stillNamed(path, file)) {
      await Deno.remove(path).catch(() => {});
    }
  } finally {
    file.close();
  }
}

/** Opens the lock file, replacing whatever unusable thing sits at its path. */
async function _open(path: string, hint: string): Promise<Deno.FsFile> {
  let last: unknown = null;
  for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
    try {
      // O_EXCL: never follows a symlink, so nothing outside the folder is created.
      return await Deno.open(path, { read: true, write: true, createNew: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw _cannot(path, e, hint);
    }
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw _cannot(path, e, hint);
    }
    if (!info.isFile) {
      // A symlink (dangling or not), folder, pipe or socket: no tex-synth made it.
      await _removeStray(path, info, hint);
      continue;
    }
    for (const mode of [{ read: true, write: true }, { read: true }]) {
      try {
        return await Deno.open(path, mode);
      } catch (e) {
        last = e;
        if (e instanceof Deno.errors.NotFound) break;
        if (!(e instanceof Deno.errors.PermissionDenied)) throw _cannot(path, e, hint);
      }
    }
    if (last instanceof Deno.errors.PermissionDenied) {
      // Unreadable: no process can be waiting on it through this name, so it is replaced.
      try {
        await Deno.remove(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw _cannot(path, e, hint);
      }
    }
  }
  throw _cannot(path, last ?? new Error("it keeps changing under us"), hint);
}

async function _removeStray(path: string, info: Deno.FileInfo, hint: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    if (info.isDirectory) {
      throw new TexSynthError(
        `the lock ${path} is a folder with files in it: remove it${hint}`,
      );
    }
    throw _cannot(path, e, hint);
  }
}

async function _tryLock(file: Deno.FsFile, path: string, hint: string): Promise<boolean> {
  try {
    return await file.tryLock(true);
  } catch (e) {
    throw _cannotLock(path, e, hint);
  }
}

/** Blocks until the lock is ours; an abort rejects at once (the OS call ends when the holder lets go, and the closed file then releases it). */
async function _lock(
  file: Deno.FsFile,
  path: string,
  hint: string,
  signal?: AbortSignal,
): Promise<void> {
  const locked = file.lock(true).catch((e) => {
    throw _cannotLock(path, e, hint);
  });
  if (!signal) return await locked;
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    locked.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function _stillNamed(path: string, file: Deno.FsFile): Promise<boolean> {
  try {
    const [named, held] = [await Deno.lstat(path), await file.stat()];
    if (named.ino === null || held.ino === null) return true;
    return named.isFile && named.ino === held.ino && named.dev === held.dev;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Writes "pid N" into the lock, for waiters to show; a read-only handle skips it. */
async function _describeSelf(file: Deno.FsFile): Promise<void> {
  try {
    await file.truncate(0);
    const bytes = new TextEncoder().encode(`pid ${Deno.pid}\n`);
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
  } catch {
    // Only the waiters' message loses its detail.
  }
}

async function _holder(path: string): Promise<string | null> {
  try {
    const text = (await Deno.readTextFile(path)).trim();
    return /^pid \d{1,10}$/.test(text) ? text : null;
  } catch {
    return null;
  }
}

function _cannot(path: string, e: unknown, hint: string): TexSynthError {
  const why = e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable
    ? "permission denied"
    : _oneLine(e);
  return new TexSynthError(
    `cannot create the lock ${path}: ${why} (make the cache folder writable or set TEX_SYNTH_CACHE to a writable folder${hint})`,
  );
}

function _cannotLock(path: string, e: unknown, hint: string): TexSynthError {
  return new TexSynthError(
    `cannot lock ${path}: ${
      _oneLine(e)
    } (its file system may not support locks: set TEX_SYNTH_CACHE to a local folder${hint})`,
  );
}

function _oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
}
