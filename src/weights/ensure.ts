// First-run weights: download torchvision's VGG19 checkpoint, verify it, convert its 16 convs
// into one F32 safetensors file in the cache. A Deno edge (files, cache directory, fetch).
import { createHash } from "node:crypto";
import manifest from "../../weights/vgg19.json" with { type: "json" };
import { TexSynthError } from "../errors.ts";
import { cacheDir, cacheFilePath, joinPath, withCacheLock } from "./cache.ts";
import { downloadFile, hashFile } from "./download.ts";
import { readWeightTensors } from "./formats.ts";
import { openFileSource } from "./load.ts";
import { f32Bytes, readSafetensorsHeader, safetensorsHeader } from "./safetensors.ts";
import type { TensorData } from "./tensor.ts";
import {
  checkVggKeyNames,
  VGG19_LAYERS,
  vggTensorNames,
  vggWeightsFromTensors,
} from "./vgg19_weights.ts";

/** Marks a cache file as ours, and its layout version. */
const CACHE_FORMAT = "tex-synth/vgg19-features/1";

/** One progress report of {@link ensureWeights} or {@link verifyCachedWeights}. */
export interface WeightsProgress {
  /** What is happening: fetching, converting, or hashing a file already on disk. */
  phase: "download" | "convert" | "verify";
  /** Bytes done in this phase. */
  bytes: number;
  /** Bytes in all, when known. */
  total?: number;
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
}

/** Path of the converted VGG19 weights in the cache (it may not exist yet). */
export function weightsPath(dir?: string): string {
  return cacheFilePath(dir ?? cacheDir());
}

/**
 * Makes sure converted VGG19 weights are in the cache and returns their path.
 * When missing: downloads the checkpoint (resuming a `.part` left by an
 * interrupted run), checks its SHA-256, converts the 16 convs of `features`
 * into one F32 safetensors file (~80 MB) under a temp name and renames it
 * into place, then deletes the download unless `keepDownload`. A checkpoint
 * already in the cache folder (put there by hand) is verified and used.
 * A lock file makes a second process wait instead of downloading again.
 * Failures are one-line TexSynthErrors saying what failed, where to put the
 * file by hand, and the `--weights FILE` / `--weights random` alternatives.
 */
export async function ensureWeights(options: EnsureWeightsOptions = {}): Promise<string> {
  const dir = options.cacheDir ?? cacheDir();
  const path = weightsPath(dir);
  const source = _source(options);
  if (await _cacheMatches(path, source.sha256)) return path;
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new TexSynthError(
      `cannot create the cache folder ${dir}: ${
        (e as Error).message
      } (set TEX_SYNTH_CACHE to a writable folder, or use --weights FILE / --weights random)`,
    );
  }
  return await withCacheLock(joinPath(dir, "vgg19.lock"), async () => {
    if (await _cacheMatches(path, source.sha256)) return path;
    const name = _fileName(source.url);
    const download = joinPath(dir, name);
    const hint =
      `or download ${source.url} by hand into ${dir}/${name} (it is verified and converted on the next run), or use --weights FILE or --weights random`;
    const progress = options.onProgress;
    let digest: string | null = null;
    if (await _exists(download)) {
      const total = (await Deno.stat(download)).size;
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
    await convertWeightsFile(
      download,
      path,
      { source_url: source.url, source_sha256: digest },
      progress,
    );
    if (!options.keepDownload) await Deno.remove(download);
    return path;
  }, { signal: options.signal });
}

/**
 * Converts a VGG19 checkpoint (.pth in either torch.save format, or
 * safetensors) into the cache layout: the 16 convs of `features` as one F32
 * safetensors file with the digest of its data in the metadata. Reads the
 * source piece by piece and writes under a temp name, renamed into place only
 * when complete, so `dest` is never half-written.
 */
export async function convertWeightsFile(
  src: string,
  dest: string,
  metadata: Record<string, string> = {},
  onProgress?: (p: WeightsProgress) => void,
): Promise<void> {
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
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let written = 0;
      for (const part of [header, ...[...ordered.values()].map((t) => f32Bytes(t.data))]) {
        for (let at = 0; at < part.length;) at += await file.write(part.subarray(at));
        written += part.length;
        onProgress?.({ phase: "convert", bytes: written, total });
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, dest);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    if (e instanceof TexSynthError) throw e;
    throw new TexSynthError(
      `cannot write ${dest}: ${(e as Error).message} (check free space and permissions)`,
    );
  }
}

/**
 * Checks the cached weights in full: the safetensors header, all 16 conv
 * layers with VGG19's shapes, and the SHA-256 of the data against the digest
 * recorded when it was converted. Returns the path; a TexSynthError says
 * what is wrong and how to rebuild it.
 */
export async function verifyCachedWeights(
  options: { cacheDir?: string; onProgress?(p: WeightsProgress): void } = {},
): Promise<string> {
  const path = weightsPath(options.cacheDir);
  const redo =
    `delete it and run \`tex-synth weights fetch\`, or use --weights FILE / --weights random`;
  if (!(await _exists(path))) {
    throw new TexSynthError(
      `no cached weights at ${path}: run \`tex-synth weights fetch\`, or use --weights FILE / --weights random`,
    );
  }
  const source = await openFileSource(path);
  try {
    let header;
    try {
      header = await readSafetensorsHeader(source, path);
    } catch (e) {
      if (!(e instanceof TexSynthError)) throw e;
      throw new TexSynthError(`cached weights ${path} are not a valid safetensors file: ${redo}`);
    }
    const problem = _layoutProblem(header.entries, header.metadata);
    if (problem) throw new TexSynthError(`cached weights ${path} ${problem}: ${redo}`);
    const start = header.entries[0].begin;
    const end = header.entries[header.entries.length - 1].end;
    const hash = createHash("sha256");
    const step = 8 << 20;
    for (let at = start; at < end; at += step) {
      hash.update(await source.read(at, Math.min(step, end - at)));
      options.onProgress?.({
        phase: "verify",
        bytes: Math.min(at + step, end) - start,
        total: end - start,
      });
    }
    if (hash.digest("hex") !== header.metadata.data_sha256) {
      throw new TexSynthError(
        `cached weights ${path} fail their SHA-256 check (corrupt file): ${redo}`,
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

/** Quick check (no hashing) that `path` is our conversion of a source with this digest. */
async function _cacheMatches(path: string, sha256: string): Promise<boolean> {
  if (!(await _exists(path))) return false;
  const source = await openFileSource(path);
  try {
    const header = await readSafetensorsHeader(source, path);
    return _layoutProblem(header.entries, header.metadata) === null &&
      (header.metadata.source_sha256 ?? "").startsWith(sha256);
  } catch (e) {
    if (e instanceof TexSynthError) return false;
    throw e;
  } finally {
    source.close();
  }
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
  return safe && safe !== manifest.cacheFile ? safe : "vgg19-download.pth";
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
