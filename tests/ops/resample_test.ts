import { assertEquals, assertThrows } from "@std/assert";
import { type ResampleFilter, Resampler } from "../../src/ops/resample.ts";
import { TexSynthError } from "../../src/errors.ts";
import { resampleReference } from "../reference/resample.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

async function resample(
  x: Float32Array,
  c: number,
  h: number,
  w: number,
  h2: number,
  w2: number,
  filter: ResampleFilter,
  wrap = false,
): Promise<Float32Array> {
  const ctx = await gpu();
  const prog = await program();
  const input = ctx.upload("input", x);
  const output = ctx.createBuffer("output", c * h2 * w2 * 4);
  const r = new Resampler(ctx, c, h, w, h2, w2, filter, { wrap });
  r.record(prog, input, output);
  const out = await runAndRead(prog, output, c * h2 * w2);
  r.destroy();
  ctx.destroyBuffer(input);
  ctx.destroyBuffer(output);
  return out;
}

const FILTERS: ResampleFilter[] = ["area", "lanczos3", "bicubic"];

// f32 weights and f32 accumulation over ≤ ~40 taps of values in [0, 1): 2e-6 absolute.
Deno.test("Resampler matches the float64 reference for every filter, edge mode and size (atol 2e-6)", async () => {
  const cases: [number, number, number, number, number][] = [
    [3, 17, 13, 8, 6], // downscale ~2×, odd ratios
    [3, 17, 13, 40, 30], // upscale ~2.3×
    [3, 17, 13, 5, 29], // down in H, up in W
    [2, 9, 11, 9, 4], // only W changes
    [2, 9, 11, 20, 11], // only H changes
    [1, 64, 48, 7, 5], // strong downscale: many taps per output
    [1, 6, 7, 1, 1], // to a single pixel
  ];
  for (const [c, h, w, h2, w2] of cases) {
    const x = randomArray(c * h * w, h * 100 + w, 0, 1);
    for (const filter of FILTERS) {
      for (const wrap of [false, true]) {
        const got = await resample(x, c, h, w, h2, w2, filter, wrap);
        const want = resampleReference(x, c, h, w, h2, w2, filter, wrap);
        assertClose(
          got,
          want,
          0,
          2e-6,
          `${filter}${wrap ? " wrap" : ""} ${c}×${h}×${w}→${h2}×${w2}`,
        );
      }
    }
  }
});

Deno.test("Resampler is the exact identity when sizes are equal", async () => {
  const x = randomArray(3 * 10 * 7, 5, 0, 1);
  for (const filter of FILTERS) {
    assertEquals(await resample(x, 3, 10, 7, 10, 7, filter), x, filter);
  }
});

// Weights are normalized in float64, then rounded to f32: sums are 1 within ~1e-6.
Deno.test("Resampler keeps a constant image constant (atol 2e-6)", async () => {
  const x = new Float32Array(2 * 15 * 12).fill(0.7);
  for (const filter of FILTERS) {
    for (const [h2, w2] of [[4, 5], [31, 26]]) {
      const got = await resample(x, 2, 15, 12, h2, w2, filter);
      assertClose(got, new Float32Array(got.length).fill(0.7), 0, 2e-6, `${filter} →${h2}×${w2}`);
    }
  }
});

// Area weights at an integer factor are exactly 1/2 per axis: only f32 rounding of the sums remains.
Deno.test("area downscale by 2 equals 2×2 block averaging (atol 1e-7)", async () => {
  const [c, h, w] = [2, 12, 10];
  const x = randomArray(c * h * w, 9, 0, 1);
  const want = new Float32Array(c * (h / 2) * (w / 2));
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < h / 2; y++) {
      for (let v = 0; v < w / 2; v++) {
        const at = (dy: number, dx: number) => x[(k * h + 2 * y + dy) * w + 2 * v + dx];
        want[(k * (h / 2) + y) * (w / 2) + v] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4;
      }
    }
  }
  assertClose(await resample(x, c, h, w, h / 2, w / 2, "area"), want, 0, 1e-7, "area ½");
});

// Keys' cubic reproduces linear functions, so away from the clamped edges a ramp
// upsampled by 2 is the ramp sampled at the new pixel centres.
Deno.test("bicubic upscale of a linear ramp is exact in the interior (atol 1e-5)", async () => {
  const [h, w] = [1, 12];
  const x = Float32Array.from({ length: w }, (_, i) => 0.05 * i + 0.1);
  const got = await resample(x, 1, h, w, 1, 2 * w, "bicubic");
  for (let o = 4; o < 2 * w - 4; o++) {
    const at = (o + 0.5) / 2 - 0.5;
    assertClose([got[o]], [0.05 * at + 0.1], 0, 1e-5, `ramp at ${o}`);
  }
});

Deno.test("Resampler rejects sizes below 1 px with a TexSynthError", async () => {
  const ctx = await gpu();
  assertThrows(() => new Resampler(ctx, 3, 8, 8, 0, 4, "area"), TexSynthError, "at least 1 px");
  assertThrows(() => new Resampler(ctx, 3, 8, 8, 4, 2.5, "bicubic"), TexSynthError);
});

Deno.test("Resampler.destroy returns its buffers to the allocator", async () => {
  const ctx = await gpu();
  const before = ctx.liveBytes;
  const r = new Resampler(ctx, 3, 20, 18, 9, 7, "lanczos3");
  const during = ctx.liveBytes;
  r.destroy();
  assertEquals(ctx.liveBytes, before);
  if (!(during > before)) throw new Error("the resampler allocated nothing");
});
