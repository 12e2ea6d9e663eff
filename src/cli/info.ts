// `tex-synth --info`: the adapter, its limits and kernels, peak GPU memory
// per output size, the cache and the weights.
import denoJson from "../../deno.json" with { type: "json" };
import { GpuContext } from "../gpu/context.ts";
import { measurePeakBytes } from "../synth/peak_memory.ts";
import { cacheDir } from "../weights/cache.ts";
import { weightsPath } from "../weights/ensure.ts";
import { EXIT } from "./run.ts";

/** Prints what tex-synth runs on, as text or one JSON object. */
export async function info(json: boolean): Promise<number> {
  const path = weightsPath();
  let weights = "not downloaded (run `tex-synth weights fetch`)";
  try {
    weights = `cached, ${((await Deno.stat(path)).size / 1048576).toFixed(1)} MiB`;
  } catch {
    // The cache file is simply absent.
  }
  const ctx = await GpuContext.create();
  const sizes = [256, 512, 1024];
  let peaks: number[];
  try {
    peaks = await measurePeakBytes(ctx, sizes);
  } finally {
    ctx.destroy();
  }
  const report = {
    version: denoJson.version,
    adapter: ctx.info.description,
    limits: {
      maxBufferSize: ctx.info.maxBufferSize,
      maxStorageBufferBindingSize: ctx.info.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: ctx.info.maxComputeWorkgroupStorageSize,
    },
    shaderF16: ctx.info.shaderF16,
    kernels: ctx.kernels,
    precision: ctx.precision,
    /** GPU bytes one evaluation of preset liu needs at most, by output side in pixels. */
    peakGpuBytes: Object.fromEntries(sizes.map((s, i) => [s, peaks[i]])),
    cache: cacheDir(),
    weightsPath: path,
    weights,
  };
  if (json) {
    console.log(JSON.stringify(report));
    return EXIT.ok;
  }
  const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
  console.log([
    `tex-synth ${report.version}`,
    `adapter:  ${report.adapter}`,
    `limits:   buffer ${mib(report.limits.maxBufferSize)}, storage binding ${
      mib(report.limits.maxStorageBufferBindingSize)
    }, workgroup memory ${report.limits.maxComputeWorkgroupStorageSize / 1024} KiB, shader-f16 ${
      report.shaderF16 ? "yes" : "no"
    }`,
    `kernels:  ${report.kernels} (${
      report.kernels === "tiled"
        ? "workgroup-memory GEMMs, one copy of the weights"
        : "register-block GEMMs, a weight copy per pass direction"
    }), weights stored as ${report.precision}`,
    `memory:   ${
      sizes.map((s, i) => `${s} px ${(peaks[i] / 1e6).toFixed(0)} MB`).join(", ")
    } (peak GPU memory of one evaluation, preset liu)`,
    `cache:    ${report.cache}`,
    `weights:  ${report.weightsPath} (${report.weights})`,
  ].join("\n"));
  return EXIT.ok;
}
