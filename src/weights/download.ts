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
 * A dropped connection is retried from where it stopped. HTTP errors, an HTML
 * page in place of the file, and a size that disagrees with `bytes` are
 * one-line TexSynthErrors; the caller checks the digest and renames.
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

async function _attempt(
  url: string,
  partPath: string,
  options: DownloadOptions,
  hint: string,
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
  const response = await fetch(url, { headers, signal: options.signal });
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
  if (!response.body) throw new Error("empty response");
  const reader = response.body.getReader();
  // Look at the first bytes before touching the .part file: an HTML page must leave no trace.
  const first = await reader.read();
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
  try {
    for (let chunk = first; !chunk.done; chunk = await reader.read()) {
      await _writeAll(file, chunk.value);
      hash.update(chunk.value);
      received += chunk.value.length;
      options.onProgress?.(received, total);
    }
  } finally {
    file.close();
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
