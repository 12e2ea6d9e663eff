import { assert } from "@std/assert";
import { Fft2d } from "../../src/ops/fft2d.ts";
import { dft2d } from "../reference/fft.ts";
import { gpu, program, randomArray, runAndRead } from "../_helpers.ts";

/** Largest |actual − expected| over the largest |expected|: FFT error scales with the peak magnitude. */
function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0;
  let peak = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    peak = Math.max(peak, Math.abs(expected[i]));
  }
  return err / peak;
}

// Tolerance 1e-6·max(1, log2(H·W)) of the peak magnitude (f32 twiddles and sums);
// a direct-DFT stage of prime length p adds error ~√p·eps, well inside it at these sizes.
function tolerance(h: number, w: number): number {
  return 1e-6 * Math.max(1, Math.log2(h * w));
}

const SIZES: [number, number][] = [
  [1, 1],
  [3, 5],
  [6, 10],
  [7, 7],
  [16, 16],
  [32, 32],
  [12, 20],
  [64, 48],
  [1, 13],
  [11, 1],
];

async function check(
  h: number,
  w: number,
  batch: number,
  inverse: boolean,
  maxSharedLine?: number,
): Promise<void> {
  const ctx = await gpu();
  const input = randomArray(2 * batch * h * w, h * 1000 + w * 10 + batch);
  const buffer = ctx.upload("fft in", input);
  const output = ctx.createBuffer("fft out", input.byteLength);
  const fft = new Fft2d(ctx, h, w, batch, { maxSharedLine });
  const prog = await program();
  fft.record(prog, buffer, output, inverse);
  const got = await runAndRead(prog, output, input.length);
  const want = dft2d(input, batch, h, w, inverse);
  const err = relError(got, want);
  const what = `${inverse ? "inverse" : "forward"} ${h}×${w}×${batch} shared≤${
    maxSharedLine ?? "default"
  }`;
  assert(err <= tolerance(h, w), `${what}: relative error ${err}`);
  // The input is left as it was.
  const kept = await ctx.read(buffer, 0, input.length);
  assert(kept.every((v, i) => v === input[i]), `${what}: input changed`);
  fft.destroy();
  ctx.destroyBuffer(buffer);
  ctx.destroyBuffer(output);
}

Deno.test("Fft2d forward matches a float64 DFT, batch 1 and 3 (rel. 1e-6·log2 N)", async () => {
  for (const [h, w] of SIZES) {
    await check(h, w, 1, false);
    await check(h, w, 3, false);
  }
});

Deno.test("Fft2d inverse (with 1/(H·W)) matches a float64 inverse DFT (rel. 1e-6·log2 N)", async () => {
  for (const [h, w] of SIZES) await check(h, w, 3, true);
});

Deno.test("Fft2d long-line path (one dispatch per stage) matches the DFT (rel. 1e-6·log2 N)", async () => {
  for (const [h, w] of [[64, 48], [7, 7], [12, 20], [3, 5]] as const) {
    await check(h, w, 3, false, 4);
    await check(h, w, 1, true, 4);
  }
  // Only one axis past the limit: the rows stay in workgroup memory.
  await check(30, 16, 2, false, 16);
});

Deno.test("Fft2d long lines: 2048 (full workgroup memory), prime 2039, 2500 and prime 2053 past it (rel. 1e-6·log2 N)", async () => {
  await check(2, 2048, 1, false);
  await check(2039, 1, 1, true);
  await check(1, 2500, 2, false);
  await check(2053, 1, 1, false);
});

Deno.test("Fft2d in place: forward then inverse round-trips to the input (rel. 1e-6·log2 N)", async () => {
  const ctx = await gpu();
  for (const [h, w, shared] of [[64, 48, undefined], [7, 7, undefined], [12, 20, 4]] as const) {
    const input = randomArray(2 * 3 * h * w, 77 + h);
    const buffer = ctx.upload("fft data", input);
    const fft = new Fft2d(ctx, h, w, 3, { maxSharedLine: shared });
    const prog = await program();
    fft.record(prog, buffer, buffer, false);
    fft.record(prog, buffer, buffer, true);
    const got = await runAndRead(prog, buffer, input.length);
    const err = relError(got, input);
    assert(err <= tolerance(h, w), `round trip ${h}×${w}: error ${err}`);
    fft.destroy();
    ctx.destroyBuffer(buffer);
  }
});
