/**
 * What checking the cached weights costs on each use: builds a real cache
 * (a VGG19-shaped checkpoint served from 127.0.0.1, downloaded and converted
 * into the 80 MB F32 file), then times, as medians over `--runs`:
 * hashing the file's bytes, the check alone (`ensureWeights` on a good cache:
 * read and hash), loading with the check (`loadCachedWeights`) and loading
 * the same file unchecked (`loadWeightsFile`). Prints one JSON object.
 *
 *   deno run -A bench/weights_check.ts [--runs 7]
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";
import { createHash } from "node:crypto";
import { serve, vggCheckpoint } from "../tests/weights/_checkpoint_server.ts";
import { ensureWeights, loadCachedWeights } from "../src/weights/ensure.ts";
import { loadWeightsFile } from "../src/weights/load.ts";

const args = parseArgs(Deno.args, { string: ["runs"] });
const runs = Number(args.runs ?? 7);

const checkpoint = vggCheckpoint();
const server = serve(() => checkpoint.bytes);
const dir = await Deno.makeTempDir({ prefix: "tex-synth-bench-" });

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[times.length >> 1]);
}

try {
  const opts = { url: `${server.url}/w.pth`, sha256: checkpoint.sha256, cacheDir: dir };
  const path = await ensureWeights(opts);
  const bytes = await Deno.readFile(path);
  console.log(JSON.stringify({
    fileBytes: bytes.length,
    runs,
    msHashInMemory: await median(() =>
      Promise.resolve(createHash("sha256").update(bytes).digest("hex"))
    ),
    msCheckOnly: await median(() => ensureWeights(opts)),
    msLoadChecked: await median(() => loadCachedWeights(opts)),
    msLoadUnchecked: await median(() => loadWeightsFile(path)),
    cpus: navigator.hardwareConcurrency,
    loadAverage: Deno.loadavg(),
  }));
} finally {
  await server.close();
  await Deno.remove(dir, { recursive: true });
}
