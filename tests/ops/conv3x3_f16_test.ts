// Winograd weights stored as f16 (shader-f16) against the f32 path: the
// same kernels with the weights rounded to f16, every GEMM block, forward and
// input gradient.
import { assert } from "@std/assert";
import { Conv3x3, type Conv3x3Options } from "../../src/ops/conv3x3.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

const ctx = await gpu();
const F16 = ctx.info.shaderF16;
if (!F16) {
  console.warn("conv3x3_f16_test: this adapter has no shader-f16, the f16 tests are skipped");
}

// [cin, cout, height, width] and the GEMM block each picks with software
// kernels, forward / transposed; the tiled kernel has one block.
const SHAPES: [number, number, number, number][] = [
  [6, 20, 40, 16], // gemm16x32 / gemm16x32
  [36, 40, 16, 16], // gemm32x16 / gemm32x16
  [20, 33, 8, 8], // gemm32x4 / gemm32x4
  [3, 9, 20, 20], // gemm16x32 / gemm4x32
  [64, 64, 24, 24], // deep sums: 64 products per output and point
];

// f16 keeps 11 significant bits (unit roundoff 2^-11 ≈ 4.9e-4) and the sums
// stay f32, but the output transform of F(4×4, 3×3) amplifies the weights'
// rounding about fivefold: measured, the error's rms is 2.3e-3 times the
// output's rms and its worst element 2.8e-2 times, whatever the depth.
const RMS_TOL = 4e-3;
const MAX_TOL = 5e-2;

function rms(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s / values.length);
}

async function outputs(
  options: Conv3x3Options,
  [cin, cout, h, w]: [number, number, number, number],
): Promise<Float32Array[]> {
  const seed = cin * 1000 + cout * 100 + h + w;
  const conv = new Conv3x3(
    ctx,
    cin,
    cout,
    randomArray(cout * cin * 9, seed),
    randomArray(cout, seed + 1),
    "f16 conv",
    { algorithm: "winograd", ...options },
  );
  const prog = await program();
  const out = ctx.createBuffer("out", cout * h * w * 4);
  const gradIn = ctx.createBuffer("gradIn", cin * h * w * 4);
  conv.forward(prog, ctx.upload("x", randomArray(cin * h * w, seed + 2)), out, h, w, {
    relu: false,
    padding: "zero",
  });
  conv.backwardInput(prog, ctx.upload("g", randomArray(cout * h * w, seed + 3)), gradIn, h, w, {
    padding: "circular",
  });
  const y = await runAndRead(prog, out, cout * h * w);
  const gx = await ctx.read(gradIn, 0, cin * h * w);
  prog.destroy();
  conv.destroy();
  return [y, gx];
}

Deno.test({
  name:
    `f16 Winograd weights match the f32 path, every GEMM block, forward and input gradient (error rms ≤ ${RMS_TOL}·rms, max ≤ ${MAX_TOL}·rms)`,
  ignore: !F16,
  fn: async () => {
    for (const kernels of ["software", "tiled"] as const) {
      for (const shape of SHAPES) {
        const want = await outputs({ kernels, precision: "f32" }, shape);
        const got = await outputs({ kernels, precision: "f16" }, shape);
        for (const [i, pass] of ["forward", "input gradient"].entries()) {
          assert(got[i].some((v, j) => v !== want[i][j]), `${pass}: the f16 path runs`);
          const what = `${kernels} ${shape} ${pass}`;
          const scale = rms(want[i]);
          const error = rms(got[i].map((v, j) => v - want[i][j]));
          assert(error <= RMS_TOL * scale, `${what}: error rms ${error / scale} × rms`);
          assertClose(got[i], want[i], 0, MAX_TOL * scale, what);
        }
      }
    }
  },
});

Deno.test({
  name: "f16 Winograd weights take half the bytes of f32 ones",
  ignore: !F16,
  fn: async () => {
    const [cin, cout, size] = [64, 64, 16];
    const weight = randomArray(cout * cin * 9, 9);
    const x = ctx.createBuffer("x", cin * size * size * 4);
    const y = ctx.createBuffer("y", cout * size * size * 4);
    const bytes: number[] = [];
    for (const precision of ["f32", "f16"] as const) {
      const conv = new Conv3x3(ctx, cin, cout, weight, new Float32Array(cout), "bytes", {
        algorithm: "winograd",
        precision,
      });
      const before = conv.bytes;
      conv.forward(await program(), x, y, size, size, { relu: false, padding: "zero" });
      bytes.push(conv.bytes - before);
      conv.destroy();
    }
    assert(bytes[1] * 2 === bytes[0], `f32 ${bytes[0]} bytes, f16 ${bytes[1]}`);
  },
});
