// The download edge: fetch into a resumable `.part` file, hashing as bytes arrive.
import { createHash, type Hash } from "node:crypto";
import { TexSynthError } from "../errors.ts";

/** Options for {@link downloadFile}. */
export interface DownloadOptions {
  /** Expected size in bytes, when known; a different size is an error. */
  bytes?: number;
  /** Called as bytes arrive (`bytes` counts the resumed part too). */
  onProgress?(bytes: number, total?: number): void;
  /** Cancels the transfer; the `.part` file stays for a later resume. */
  signal?: AbortSignal;
  /** Attempts when the connection drops after making progress; default 4. */
  attempts?: number;
  /** Text appended to every error: where to put the file by hand, the alternatives. */
  hint?: string;
  /**
   * Milliseconds to wait for the response headers or for the next bytes of
   * the body before the attempt counts as stalled (and is retried if it made
   * progress); default 30 000.
   */
  idleTimeoutMs?: number;
  /** The most bytes accepted when the size is not known in advance; default 2 GiB. */
  maxBytes?: number;
}

/** Default of {@link DownloadOptions.idleTimeoutMs}. */
export const DOWNLOAD_IDLE_TIMEOUT_MS = 30_000;

/** Default of {@link DownloadOptions.maxBytes}: four times torchvision's VGG19 checkpoint. */
export const DOWNLOAD_MAX_BYTES = 2 ** 31;

/** The reason an attempt is aborted when the server goes quiet. */
class _Stalled extends Error {
  constructor(ms: number) {
    super(`the server sent nothing for ${ms / 1000} s`);
  }
}

/** What a finished download produced. */
export interface DownloadResult {
  /** Total bytes in the file. */
  bytes: number;
  /** Lower-case hex SHA-256 of the whole file. */
  sha256: string;
}

/**
 * Downloads `url` into `partPath`, resuming from what an earlier attempt left
 * there with an HTTP Range request, and hashes the file as it streams (the
 * resumed prefix is hashed from disk first), so 550 MB never sit in memory.
 * A dropped or stalled connection (no bytes for `idleTimeoutMs`) is retried
 * from where it stopped while retries make progress; when they stop, the
 * `.part` stays and the error says to run again to resume. HTTP errors, an
 * HTML page in place of the file, redirect loops, and a size that disagrees
 * with `bytes` or passes `maxBytes` are one-line TexSynthErrors; a body that
 * overruns its size is deleted. The caller checks the digest and renames.
 */
export async function downloadFile(
  url: string,
  partPath: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const hint = options.hint ? `; ${options.hint}` : "";
  const attempts = options.attempts ?? 4;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    options.signal?.throwIfAborted();
    const before = await _size(partPath);
    try {
      return await _attempt(url, partPath, options, hint);
    } catch (e) {
      if (e instanceof TexSynthError || options.signal?.aborted) throw e;
      lastError = e;
      // Retry only a transfer that got somewhere: a dead host fails fast.
      if ((await _size(partPath)) <= before) break;
    }
  }
  const have = await _size(partPath);
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new TexSynthError(
    have > 0
      ? `download of ${url} was interrupted at ${have} bytes (${
        _oneLine(reason)
      }); run again to resume${hint}`
      : `cannot download ${url}: ${_oneLine(reason)}${hint}`,
  );
}

/** One request, aborted when the caller aborts or when nothing arrives for the idle timeout. */
async function _attempt(
  url: string,
  partPath: string,
  options: DownloadOptions,
  hint: string,
): Promise<DownloadResult> {
  const idleMs = options.idleTimeoutMs ?? DOWNLOAD_IDLE_TIMEOUT_MS;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const alive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new _Stalled(idleMs)), idleMs);
  };
  alive();
  try {
    return await _transfer(url, partPath, options, hint, controller.signal, alive);
  } catch (e) {
    // Aborting makes fetch and the body reject with the abort's reason (or a generic AbortError).
    throw controller.signal.aborted && !options.signal?.aborted ? controller.signal.reason : e;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

async function _transfer(
  url: string,
  partPath: string,
  options: DownloadOptions,
  hint: string,
  signal: AbortSignal,
  alive: () => void,
): Promise<DownloadResult> {
  let have = await _size(partPath);
  if (options.bytes !== undefined && have > options.bytes) {
    await Deno.remove(partPath);
    have = 0;
  }
  if (options.bytes !== undefined && have === options.bytes) {
    return { bytes: have, sha256: await _hashFile(partPath, createHash("sha256")) };
  }
  const headers: HeadersInit = have > 0 ? { Range: `bytes=${have}-` } : {};
  const response = await fetch(url, { headers, signal });
  alive();
  if (response.status === 416 && have > 0) {
    // The server says the range starts past the end: the part is already whole (or bigger).
    await response.body?.cancel();
    return { bytes: have, sha256: await _hashFile(partPath, createHash("sha256")) };
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new TexSynthError(
      `cannot download ${url}: HTTP ${response.status} ${response.statusText}${hint}`,
    );
  }
  const type = response.headers.get("content-type") ?? "";
  if (/text\/html/i.test(type)) {
    await response.body?.cancel();
    throw new TexSynthError(
      `${url} answered with a web page (${type}), not the weights file (a proxy or login page?)${hint}`,
    );
  }
  const resumed = response.status === 206 && have > 0;
  const hash = createHash("sha256");
  if (resumed) {
    const start = /bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1];
    if (Number(start) !== have) {
      await response.body?.cancel();
      throw new TexSynthError(
        `${url} resumed at the wrong offset (${start}, wanted ${have})${hint}`,
      );
    }
    await _hashFile(partPath, hash);
    alive();
  } else {
    have = 0;
  }
  const total = _total(response, have, resumed) ?? options.bytes;
  if (options.bytes !== undefined && total !== undefined && total !== options.bytes) {
    await response.body?.cancel();
    throw new TexSynthError(
      `${url} is ${total} bytes, expected ${options.bytes} (wrong or changed file)${hint}`,
    );
  }
  const limit = total ?? options.maxBytes ?? DOWNLOAD_MAX_BYTES;
  if (limit > (options.maxBytes ?? DOWNLOAD_MAX_BYTES)) {
    await response.body?.cancel();
    throw new TexSynthError(
      `${url} is ${limit} bytes, more than the ${
        options.maxBytes ?? DOWNLOAD_MAX_BYTES
      } a weights file can be (wrong URL?)${hint}`,
    );
  }
  if (!response.body) throw new Error("empty response");
  const reader = response.body.getReader();
  // Look at the first bytes before touching the .part file: an HTML page must leave no trace.
  const first = await reader.read();
  alive();
  if (!first.done && !resumed && _looksLikeHtml(first.value)) {
    await reader.cancel();
    throw new TexSynthError(`${url} answered with a web page, not the weights file${hint}`);
  }
  const file = await Deno.open(partPath, {
    write: true,
    create: true,
    truncate: !resumed,
    append: resumed,
  });
  let received = have;
  let overrun = false;
  try {
    for (let chunk = first; !chunk.done; chunk = await reader.read()) {
      alive();
      if (received + chunk.value.length > limit) {
        overrun = true;
        await reader.cancel().catch(() => {});
        break;
      }
      await _writeAll(file, chunk.value);
      hash.update(chunk.value);
      received += chunk.value.length;
      options.onProgress?.(received, total);
    }
  } finally {
    file.close();
  }
  if (overrun) {
    await Deno.remove(partPath);
    throw new TexSynthError(
      `${url} sent more than ${
        total === undefined ? "the most" : "the announced"
      } ${limit} bytes (a wrong or changing file; deleted what arrived)${hint}`,
    );
  }
  if (total !== undefined && received !== total) {
    throw new Error(`connection closed after ${received} of ${total} bytes`);
  }
  return { bytes: received, sha256: hash.digest("hex") };
}

/** Streams an existing file through `hash` and returns the digest. */
export async function hashFile(
  path: string,
  onProgress?: (bytes: number) => void,
): Promise<string> {
  return await _hashFile(path, createHash("sha256"), onProgress);
}

/** Feeds a file through `hash`; returns the digest of what it holds so far, leaving `hash` open. */
async function _hashFile(
  path: string,
  hash: Hash,
  onProgress?: (bytes: number) => void,
): Promise<string> {
  const file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 20);
  let n = 0;
  try {
    for (;;) {
      const got = await file.read(buffer);
      if (got === null) break;
      hash.update(buffer.subarray(0, got));
      n += got;
      onProgress?.(n);
    }
  } finally {
    file.close();
  }
  return hash.copy().digest("hex");
}

function _total(response: Response, have: number, resumed: boolean): number | undefined {
  if (resumed) {
    const total = /\/(\d+)$/.exec(response.headers.get("content-range") ?? "")?.[1];
    if (total !== undefined) return Number(total);
  }
  const length = response.headers.get("content-length");
  if (length === null || !/^\d+$/.test(length)) return undefined;
  return Number(length) + (resumed ? have : 0);
}

function _looksLikeHtml(chunk: Uint8Array): boolean {
  const head = new TextDecoder().decode(chunk.subarray(0, 64)).trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html") || head.startsWith("<head");
}

async function _writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let at = 0;
  while (at < chunk.length) at += await file.write(chunk.subarray(at));
}

async function _size(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

function _oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
