// The fuzz loop, run in a worker so the test can terminate it if a case hangs.
// The allocation guard is imported first so it wraps the constructors before
// any parser module (or imagescript, loaded later) can capture them.
import { armGuard, takeTrips } from "./_alloc_guard.ts";
import { TexSynthError } from "../../src/errors.ts";
import { decodeImage, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from "../../src/io/image.ts";
import { memorySource } from "../../src/weights/byte_source.ts";
import { readWeightTensors } from "../../src/weights/formats.ts";
import { checkVggKeyNames, vggWeightsFromTensors } from "../../src/weights/vgg19_weights.ts";
import { mutate, type Seed, seeded } from "./_mutate.ts";
import { type Kind, KINDS } from "./_kinds.ts";
import { makeSeeds } from "./_seeds.ts";

/** What the test sends: the seed, the time budget and the most cases per kind. */
export interface FuzzRequest {
  /** Seed of the case sequence. */
  seed: number;
  /** Seconds for all kinds together, shared equally. */
  seconds: number;
  /** Cases per kind at most. */
  maxCases: number;
  /** Heartbeat: [kind index, case index], written before each case. */
  heartbeat: SharedArrayBuffer;
}

/** Per-kind tallies the worker sends back. */
export interface KindReport {
  /** Cases run. */
  cases: number;
  /** Cases that ended in a valid result. */
  valid: number;
  /** Cases refused with a TexSynthError. */
  refused: number;
  /** Slowest case, ms. */
  slowestMs: number;
  /** Failures: seed, mutations and what went wrong (first 20). */
  failures: string[];
  /** Number of failures. */
  failed: number;
}

/** A case slower than this is a failure: a hang in the making. */
const CASE_LIMIT_MS = 2000;

async function _run(kind: Kind, bytes: Uint8Array, name: string): Promise<void> {
  if (kind === "png" || kind === "jpeg" || kind === "gif") {
    const image = await decodeImage(bytes, name);
    const { width, height, data } = image;
    if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
      throw new Error(`decoded to ${width}×${height}`);
    }
    if (width * height > MAX_IMAGE_PIXELS || data.length !== 3 * width * height) {
      throw new Error(`decoded ${data.length} floats for ${width}×${height}`);
    }
    if (!data.every((v) => v >= 0 && v <= 1)) throw new Error("decoded values outside [0, 1]");
    return;
  }
  const names: string[] = [];
  const tensors = await readWeightTensors(memorySource(bytes, name), (n) => {
    names.push(n);
    return true;
  }, name);
  for (const [k, t] of tensors) {
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`${k}: ${t.data.length} values for shape [${t.shape}]`);
    }
  }
  if (tensors.has("features.0.weight")) {
    checkVggKeyNames(names, name);
    vggWeightsFromTensors(tensors, name, 0);
  }
}

async function _fuzz(request: FuzzRequest): Promise<Record<Kind, KindReport>> {
  const seeds = await makeSeeds();
  const beat = new Int32Array(request.heartbeat);
  const reports = {} as Record<Kind, KindReport>;
  const perKindMs = (request.seconds * 1000) / KINDS.length;
  for (const [k, kind] of KINDS.entries()) {
    const list: Seed[] = seeds[kind];
    const report: KindReport = {
      cases: 0,
      valid: 0,
      refused: 0,
      slowestMs: 0,
      failures: [],
      failed: 0,
    };
    reports[kind] = report;
    const random = seeded(request.seed * 31 + k);
    const start = performance.now();
    for (let i = 0; i < request.maxCases && performance.now() - start < perKindMs; i++) {
      Atomics.store(beat, 0, k);
      Atomics.store(beat, 1, i);
      const seed = list[Math.floor(random() * list.length)];
      const other = list[Math.floor(random() * list.length)];
      const { bytes, applied } = mutate(seed, other, random);
      const label = `${kind} case ${i} (${seed.name}: ${applied.join("+")})`;
      let problem: string | null = null;
      const t0 = performance.now();
      armGuard(true);
      try {
        await _run(kind, bytes, seed.name);
        report.valid++;
      } catch (e) {
        if (!(e instanceof TexSynthError)) {
          problem = `${e instanceof Error ? e.constructor.name : typeof e}: ${
            String(e).slice(0, 200)
          }`;
        } else if (e.message.includes("\n") || e.message.length > 500) {
          problem = `message not one short line: ${e.message.slice(0, 200)}`;
        } else {
          report.refused++;
        }
      } finally {
        armGuard(false);
      }
      const ms = performance.now() - t0;
      report.slowestMs = Math.max(report.slowestMs, Math.round(ms));
      const trips = takeTrips();
      if (trips.length) problem = `allocated ${trips.join(", ")} from ${bytes.length} input bytes`;
      if (ms > CASE_LIMIT_MS) problem ??= `took ${Math.round(ms)} ms`;
      report.cases++;
      if (problem) {
        report.failed++;
        if (report.failures.length < 20) report.failures.push(`${label}: ${problem}`);
      }
    }
  }
  return reports;
}

/** The worker's global scope, typed for the two members used here. */
const scope = self as unknown as {
  onmessage: (event: MessageEvent<FuzzRequest>) => void;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  try {
    scope.postMessage({ reports: await _fuzz(event.data) });
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
};
