// The record of a converted weights file: its size and SHA-256, written when
// it is converted and checked each time it is used, so a file damaged on disk
// (a flipped bit, a truncated copy, an edited header) is caught before any of
// it reaches the GPU. A Deno edge (the cache folder).
import { createHash } from "node:crypto";
import { joinPath } from "./cache.ts";

/** The record file beside the converted weights. */
export const RECORD_FILE = "vgg19-features-f32.check.json";

/** What was converted, and how to recognize it unchanged. */
export interface CacheRecord {
  /** Layout version of the converted file (`CACHE_FORMAT` in ensure.ts). */
  format: string;
  /** Size of the converted file in bytes. */
  bytes: number;
  /** SHA-256 of the whole converted file, lower-case hex. */
  sha256: string;
  /** SHA-256 of the checkpoint it was converted from. */
  sourceSha256: string;
}

/** Path of the record in the cache folder `dir`. */
export function recordPath(dir: string): string {
  return joinPath(dir, RECORD_FILE);
}

/** The record in `dir`, or null when it is missing or not a record (then the file is unchecked). */
export async function readCacheRecord(dir: string): Promise<CacheRecord | null> {
  let text: string;
  try {
    const info = await Deno.stat(recordPath(dir));
    if (!info.isFile || info.size > 4096) return null;
    text = await Deno.readTextFile(recordPath(dir));
  } catch {
    return null;
  }
  try {
    const r = JSON.parse(text);
    const hex = (v: unknown, n: number): boolean =>
      typeof v === "string" && new RegExp(`^[0-9a-f]{${n}}$`).test(v);
    if (
      typeof r?.format === "string" && Number.isSafeInteger(r.bytes) && r.bytes > 0 &&
      hex(r.sha256, 64) && hex(r.sourceSha256, 64)
    ) {
      return { format: r.format, bytes: r.bytes, sha256: r.sha256, sourceSha256: r.sourceSha256 };
    }
  } catch {
    // Not JSON: treated as missing.
  }
  return null;
}

/** Writes the record under a temporary name and renames it into place. */
export async function writeCacheRecord(dir: string, record: CacheRecord): Promise<void> {
  const path = recordPath(dir);
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify(record) + "\n", { createNew: true });
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Whether the file at `path` is exactly what `record` describes: its size
 * first (free), then its SHA-256, hashed as it streams.
 */
export async function fileMatchesRecord(path: string, record: CacheRecord): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return false;
  }
  try {
    return await openFileMatchesRecord(file, record);
  } finally {
    file.close();
  }
}

/**
 * Whether the open `file` is exactly what `record` describes (size, then
 * SHA-256 from its first byte). The caller keeps the handle, so it can go on
 * to read the very bytes that were checked.
 */
export async function openFileMatchesRecord(
  file: Deno.FsFile,
  record: CacheRecord,
): Promise<boolean> {
  const info = await file.stat();
  if (!info.isFile || info.size !== record.bytes) return false;
  await file.seek(0, Deno.SeekMode.Start);
  const hash = createHash("sha256");
  const buffer = new Uint8Array(8 << 20);
  let total = 0;
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
    total += n;
  }
  return total === record.bytes && hash.digest("hex") === record.sha256;
}
