// Shared test utilities: one GPU context per test file, seeded random data,
// and closeness checks with the tolerance stated at each call.
import { GpuContext } from "../src/gpu/context.ts";
import { Program } from "../src/gpu/program.ts";

let shared: Promise<GpuContext> | null = null;

/** The test file's GPU context (the software adapter in CI). */
export function gpu(): Promise<GpuContext> {
  shared ??= GpuContext.create();
  return shared;
}

/** A fresh program on the shared context. */
export async function program(): Promise<Program> {
  return new Program(await gpu());
}

/** Mulberry32: small, fast, seeded; good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform floats in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise and names
 * the worst element when it fails.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what = "values",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const excess = err - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: element ${worst} is ${actual[worst]}, expected ${
        expected[worst]
      } (rtol ${rtol}, atol ${atol})`,
    );
  }
}

/** Runs `prog` and reads back `count` floats of `buffer`. */
export async function runAndRead(
  prog: Program,
  buffer: GPUBuffer,
  count?: number,
): Promise<Float32Array> {
  prog.run();
  return await prog.ctx.read(buffer, 0, count);
}
