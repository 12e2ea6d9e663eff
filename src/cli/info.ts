// `tex-synth --info`: the adapter, its limits, the cache and the weights.
import denoJson from "../../deno.json" with { type: "json" };
import { GpuContext } from "../gpu/context.ts";
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
  const report = {
    version: denoJson.version,
    adapter: ctx.info.description,
    limits: {
      maxBufferSize: ctx.info.maxBufferSize,
      maxStorageBufferBindingSize: ctx.info.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: ctx.info.maxComputeWorkgroupStorageSize,
    },
    shaderF16: ctx.info.shaderF16,
    cache: cacheDir(),
    weightsPath: path,
    weights,
  };
  ctx.destroy();
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
    `cache:    ${report.cache}`,
    `weights:  ${report.weightsPath} (${report.weights})`,
  ].join("\n"));
  return EXIT.ok;
}
