// First-run weights: download torchvision's VGG19 checkpoint, verify it, convert its 16 convs
// into one F32 safetensors file in the cache. A Deno edge (files, cache directory, fetch).
import { createHash } from "node:crypto";
import manifest from "../../weights/vgg19.json" with { type: "json" };
import { TexSynthError } from "../errors.ts";
import { statOrNull } from "../io/file_kind.ts";
import { cacheDir, cacheDirExists, cacheFilePath, joinPath, prepareCacheDir } from "./cache.ts";
import { ifLockFree, withCacheLock } from "./cache_lock.ts";
import {
  type CacheRecord,
  fileMatchesRecord,
  openFileMatchesRecord,
  readCacheRecord,
  RECORD_FILE,
  recordPath,
  writeCacheRecord,
} from "./cache_record.ts";
import { downloadFile, hashFile } from "./download.ts";
import { readWeightTensors } from "./formats.ts";
import { fileSource, openFileSource } from "./load.ts";
import { f32Bytes, readSafetensorsHeader, safetensorsHeader } from "./safetensors.ts";
import type { TensorData } from "./tensor.ts";
import {
  checkVggKeyNames,
  VGG19_LAYERS,
  vggTensorNames,
  type VggWeights,
  vggWeightsFromTensors,
} from "./vgg19_weights.ts";

/** Marks a cache file as ours, and its layout version. */
const CACHE_FORMAT = "tex-synth/vgg19-features/1";

/** The lock file in the cache folder (see cache_lock.ts). */
const LOCK_FILE = "vgg19.lock";

/** How the command line's messages name the other ways to get weights. */
const CLI_ALTERNATIVES = "--weights FILE or --weights random";

/** One progress report of {@link ensureWeights}, {@link loadCachedWeights} or {@link verifyCachedWeights}. */
export interface WeightsProgress {
  /**
   * What is happening: fetching, converting, hashing a file already on disk,
   * or waiting while another process fetches or converts into the same cache
   * (reported once, when the wait starts).
   */
  phase: "download" | "convert" | "verify" | "wait";
  /** Bytes done in this phase (0 while waiting). */
  bytes: number;
  /** Bytes in all, when known. */
  total?: number;
  /** With phase "wait": the process that holds the cache, as it describes itself ("pid 4242"), when known. */
  holder?: string | null;
}

/** Options for {@link ensureWeights}. */
export interface EnsureWeightsOptions {
  /** Progress callback (the engine never prints; front ends render this). */
  onProgress?(p: WeightsProgress): void;
  /** Keep the 548 MB checkpoint in the cache after converting (default: delete it). */
  keepDownload?: boolean;
  /** Stops waiting or downloading; a partial download stays resumable. */
  signal?: AbortSignal;
  /** Source URL; default `$TEX_SYNTH_WEIGHTS_URL`, else the manifest's torchvision URL. */
  url?: string;
  /** Expected SHA-256 of the source (full hex digest or a prefix of at least 8 digits); default `$TEX_SYNTH_WEIGHTS_SHA256`, else the manifest's. */
  sha256?: string;
  /** Cache directory; default {@link cacheDir} (`$TEX_SYNTH_CACHE`, XDG, `~/.cache/tex-synth`). */
  cacheDir?: string;
  /** Milliseconds without a byte from the server before a download attempt counts as stalled; default 30 000. */
  idleTimeoutMs?: number;
  /** How error messages name the other ways to get weights; default the command line's "--weights FILE or --weights random". */
  alternatives?: string;
}

/** Path of the converted VGG19 weights in the cache (it may not exist yet). */
export function weightsPath(dir?: string): string {
  return cacheFilePath(dir ?? cacheDir());
}

/**
 * Makes sure converted VGG19 weights are in the cache and returns their path,
 * checked: the file's size and SHA-256 must match the record written when it
 * was converted (about 0.1–0.2 s for the 80 MB file). A file that fails the
 * check is deleted and rebuilt, never handed out.
 * When missing: downloads the checkpoint (resuming a `.part` left by an
 * interrupted run), checks its SHA-256, converts the 16 convs of `features`
 * into one F32 safetensors file (~80 MB) under a temp name and renames it
 * into place, records its size and digest, then deletes the download unless
 * `keepDownload`. A checkpoint already in the cache folder (put there by
 * hand, or kept) is verified and used. A lock makes a second process wait
 * (reported as a "wait" progress event) instead of downloading again; temp
 * files of a run that was killed are removed.
 * Failures are one-line TexSynthErrors saying what failed, where to put the
 * file by hand, and the alternatives.
 */
export async function ensureWeights(options: EnsureWeightsOptions = {}): Promise<string> {
  return await _useCache(
    options,
    async (path, record) => (await fileMatchesRecord(path, record)) ? path : null,
  );
}

/**
 * The cached VGG19 weights, loaded (fetched and converted first when
 * missing, as {@link ensureWeights} does). The open file is hashed and
 * checked against its record before any of it is parsed; a file that fails is
 * rebuilt and read again. `upTo` keeps only layers up to that `features`
 * index.
 */
export async function loadCachedWeights(
  options: EnsureWeightsOptions & { upTo?: number } = {},
): Promise<VggWeights> {
  return await _useCache(options, async (path, record) => {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch {
      return null;
    }
    const source = fileSource(file, record.bytes, path);
    try {
      // The bytes parsed are the bytes checked: one open file, whatever is renamed meanwhile.
      if (!(await openFileMatchesRecord(file, record))) return null;
      const wanted = new Set(vggTensorNames(options.upTo));
      const names: string[] = [];
      const tensors = await readWeightTensors(source, (name) => {
        names.push(name);
        return wanted.has(name);
      }, path);
      checkVggKeyNames(names, path);
      return vggWeightsFromTensors(tensors, path, options.upTo);
    } finally {
      source.close();
    }
  });
}

/**
 * Runs `use` on the cached file when its record says it is our conversion of
 * the wanted source; `use` checks the bytes and returns null when they fail.
 * Otherwise (or then), under the lock: removes temp files of killed runs,
 * deletes what failed, rebuilds, and uses the new file.
 */
async function _useCache<T>(
  options: EnsureWeightsOptions,
  use: (path: string, record: CacheRecord) => Promise<T | null>,
): Promise<T> {
  const alternatives = options.alternatives ?? CLI_ALTERNATIVES;
  const dir = options.cacheDir ?? cacheDir();
  const path = weightsPath(dir);
  const source = _source(options);
  const lock = joinPath(dir, LOCK_FILE);
  const attempt = async (): Promise<T | null> => {
    const record = await readCacheRecord(dir);
    if (record?.format !== CACHE_FORMAT || !record.sourceSha256.startsWith(source.sha256)) {
      return null;
    }
    return await use(path, record);
  };
  if (await cacheDirExists(dir, alternatives)) {
    const value = await attempt();
    if (value !== null) {
      // A partial download is of no use once the cache is good.
      await ifLockFree(lock, () => _sweep(dir, `${_fileName(source.url)}.part`));
      return value;
    }
  }
  await prepareCacheDir(dir, alternatives);
  return await withCacheLock(lock, async () => {
    const download = _fileName(source.url);
    await _sweep(dir, null);
    const again = await attempt();
    if (again !== null) return again;
    // Whatever is there failed its check (or is missing): it is never used.
    await _remove(path);
    await _remove(recordPath(dir));
    await _build(dir, download, source, options, alternatives);
    const built = await attempt();
    if (built !== null) return built;
    throw new TexSynthError(
      `the weights just written to ${path} read back different from what was written (a failing disk?): check the disk, or set TEX_SYNTH_CACHE to another folder, or use ${alternatives}`,
    );
  }, {
    signal: options.signal,
    onWait: (holder) => options.onProgress?.({ phase: "wait", bytes: 0, holder }),
    hint: `use ${alternatives}`,
  });
}

/** Downloads (or finds) the checkpoint, converts it into the cache and records the result. */
async function _build(
  dir: string,
  name: string,
  source: { url: string; sha256: string; bytes?: number },
  options: EnsureWeightsOptions,
  alternatives: string,
): Promise<void> {
  const download = joinPath(dir, name);
  const hint =
    `or download ${source.url} by hand into ${dir}/${name} (it is verified and converted on the next run), or use ${alternatives}`;
  const progress = options.onProgress;
  let digest: string | null = null;
  const downloaded = await statOrNull(download);
  if (downloaded) {
    const total = downloaded.size;
    digest = await hashFile(download, (bytes) => progress?.({ phase: "verify", bytes, total }));
    if (!digest.startsWith(source.sha256)) {
      await Deno.remove(download);
      digest = null;
    }
  }
  if (digest === null) {
    const part = `${download}.part`;
    const result = await downloadFile(source.url, part, {
      bytes: source.bytes,
      signal: options.signal,
      idleTimeoutMs: options.idleTimeoutMs,
      hint,
      onProgress: (bytes, total) => progress?.({ phase: "download", bytes, total }),
    });
    if (!result.sha256.startsWith(source.sha256)) {
      await Deno.remove(part);
      throw new TexSynthError(
        `the file from ${source.url} has SHA-256 ${result.sha256}, expected ${source.sha256}… (corrupt or changed download; deleted it); run again to retry, ${hint}`,
      );
    }
    await Deno.rename(part, download);
    digest = result.sha256;
  }
  const path = weightsPath(dir);
  const written = await convertWeightsFile(
    download,
    path,
    { source_url: source.url, source_sha256: digest },
    progress,
  );
  try {
    await writeCacheRecord(dir, {
      format: CACHE_FORMAT,
      bytes: written.bytes,
      sha256: written.sha256,
      sourceSha256: digest,
    });
  } catch (e) {
    throw new TexSynthError(
      `cannot write ${recordPath(dir)}: ${(e as Error).message} (check free space and permissions)`,
    );
  }
  if (!options.keepDownload) await Deno.remove(download);
}

/**
 * Removes what a killed run left in the cache folder: conversions and records
 * under temp names, and `part` (a partial download no longer needed), when
 * given. A partial download that may still be resumed is kept. Runs under
 * the lock, so no live run's files are touched; files tex-synth does not
 * make are left alone.
 */
async function _sweep(dir: string, part: string | null): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return;
  }
  for (const e of entries) {
    const n = e.name;
    const leftover = n.startsWith(`${manifest.cacheFile}.tmp-`) ||
      n.startsWith(`${RECORD_FILE}.tmp-`) ||
      n === part;
    if (leftover && !e.isDirectory) await _remove(joinPath(dir, n));
  }
}

/**
 * Converts a VGG19 checkpoint (.pth in either torch.save format, or
 * safetensors) into the cache layout: the 16 convs of `features` as one F32
 * safetensors file with the digest of its data in the metadata. Reads the
 * source piece by piece and writes under a temp name, renamed into place only
 * when complete, so `dest` is never half-written. Returns the size and the
 * SHA-256 of the whole file written.
 */
export async function convertWeightsFile(
  src: string,
  dest: string,
  metadata: Record<string, string> = {},
  onProgress?: (p: WeightsProgress) => void,
): Promise<{ bytes: number; sha256: string }> {
  const wanted = new Set(vggTensorNames());
  const source = await openFileSource(src);
  let tensors: Map<string, TensorData>;
  const names: string[] = [];
  try {
    tensors = await readWeightTensors(source, (n) => {
      names.push(n);
      return wanted.has(n);
    }, src);
  } finally {
    source.close();
  }
  checkVggKeyNames(names, src);
  const weights = vggWeightsFromTensors(tensors, src);
  const ordered = new Map<string, TensorData>();
  for (const l of weights.layers) {
    ordered.set(`features.${l.index}.weight`, { shape: [l.cout, l.cin, 3, 3], data: l.weight });
    ordered.set(`features.${l.index}.bias`, { shape: [l.cout], data: l.bias });
  }
  const hash = createHash("sha256");
  for (const t of ordered.values()) hash.update(f32Bytes(t.data));
  const header = safetensorsHeader(ordered, {
    ...metadata,
    format: CACHE_FORMAT,
    data_sha256: hash.digest("hex"),
  });
  const total = header.length + [...ordered.values()].reduce((n, t) => n + t.data.byteLength, 0);
  const tmp = `${dest}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const fileHash = createHash("sha256");
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let written = 0;
      for (const part of [header, ...[...ordered.values()].map((t) => f32Bytes(t.data))]) {
        for (let at = 0; at < part.length;) at += await file.write(part.subarray(at));
        fileHash.update(part);
        written += part.length;
        onProgress?.({ phase: "convert", bytes: written, total });
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, dest);
    return { bytes: total, sha256: fileHash.digest("hex") };
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    if (e instanceof TexSynthError) throw e;
    throw new TexSynthError(
      `cannot write ${dest}: ${(e as Error).message} (check free space and permissions)`,
    );
  }
}

/**
 * Checks the cached weights in full and says what is wrong: the safetensors
 * header, all 16 conv layers with VGG19's shapes, and the whole file's size
 * and SHA-256 against the record written when it was converted (progress is
 * reported as "verify"). Returns the path; a TexSynthError names the problem
 * (the next use, or `tex-synth weights fetch`, rebuilds a file that fails).
 */
export async function verifyCachedWeights(
  options: { cacheDir?: string; onProgress?(p: WeightsProgress): void } = {},
): Promise<string> {
  const dir = options.cacheDir ?? cacheDir();
  const path = weightsPath(dir);
  const redo = `run \`tex-synth weights fetch\` to rebuild it, or use ${CLI_ALTERNATIVES}`;
  if (!(await cacheDirExists(dir, CLI_ALTERNATIVES)) || (await statOrNull(path)) === null) {
    throw new TexSynthError(
      `no cached weights at ${path}: run \`tex-synth weights fetch\`, or use ${CLI_ALTERNATIVES}`,
    );
  }
  const source = await openFileSource(path);
  try {
    const record = await readCacheRecord(dir);
    if (record === null) {
      throw new TexSynthError(
        `cached weights ${path} have no readable record of their size and digest (${RECORD_FILE}): ${redo}`,
      );
    }
    if (source.size !== record.bytes) {
      throw new TexSynthError(
        `cached weights ${path} are ${source.size} bytes, their record says ${record.bytes} (damaged file): ${redo}`,
      );
    }
    let header;
    try {
      header = await readSafetensorsHeader(source, path);
    } catch (e) {
      if (!(e instanceof TexSynthError)) throw e;
      throw new TexSynthError(`cached weights ${path} are not a valid safetensors file: ${redo}`);
    }
    const problem = _layoutProblem(header.entries, header.metadata);
    if (problem) throw new TexSynthError(`cached weights ${path} ${problem}: ${redo}`);
    const hash = createHash("sha256");
    const step = 8 << 20;
    for (let at = 0; at < source.size; at += step) {
      hash.update(await source.read(at, Math.min(step, source.size - at)));
      options.onProgress?.({
        phase: "verify",
        bytes: Math.min(at + step, source.size),
        total: source.size,
      });
    }
    if (hash.digest("hex") !== record.sha256) {
      throw new TexSynthError(
        `cached weights ${path} fail their SHA-256 check (damaged file): ${redo}`,
      );
    }
    return path;
  } finally {
    source.close();
  }
}

function _source(options: EnsureWeightsOptions): { url: string; sha256: string; bytes?: number } {
  const url = options.url ?? (Deno.env.get("TEX_SYNTH_WEIGHTS_URL") || manifest.url);
  const sha256 = (options.sha256 ?? (Deno.env.get("TEX_SYNTH_WEIGHTS_SHA256") || manifest.sha256))
    .trim().toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(sha256)) {
    throw new TexSynthError(
      `weights SHA-256 "${sha256}" is not 8 to 64 hex digits (fix TEX_SYNTH_WEIGHTS_SHA256)`,
    );
  }
  return { url, sha256, bytes: url === manifest.url ? manifest.bytes : undefined };
}

function _layoutProblem(
  entries: { name: string; dtype: string; shape: number[] }[],
  metadata: Record<string, string>,
): string | null {
  if (metadata.format !== CACHE_FORMAT) return "were not written by this version of tex-synth";
  const want = VGG19_LAYERS.flatMap((l) =>
    [
      [`features.${l.index}.weight`, [l.cout, l.cin, 3, 3]],
      [`features.${l.index}.bias`, [l.cout]],
    ] as [string, number[]][]
  );
  if (entries.length !== want.length) return `hold ${entries.length} tensors, not ${want.length}`;
  for (const [i, [name, shape]] of want.entries()) {
    const e = entries[i];
    if (e.name !== name || e.dtype !== "F32" || e.shape.join() !== shape.join()) {
      return `have ${e.name} where ${name} [${shape.join(", ")}] belongs`;
    }
  }
  return null;
}

function _fileName(url: string): string {
  let last = "";
  try {
    last = decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "");
  } catch {
    throw new TexSynthError(`weights URL "${url}" is not a URL (fix TEX_SYNTH_WEIGHTS_URL)`);
  }
  const safe = last.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "");
  const ours = [manifest.cacheFile, RECORD_FILE, LOCK_FILE];
  return safe && !ours.includes(safe) && !safe.endsWith(".part") ? safe : "vgg19-download.pth";
}

async function _remove(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new TexSynthError(
        `cannot remove ${path}: ${(e as Error).message} (check the cache folder's permissions)`,
      );
    }
  }
}
