import { assert } from "@std/assert";
import { SpectrumLoss, type SpectrumMode } from "../../src/ops/spectrum.ts";
import { spectrumReference } from "../reference/spectrum.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

const MODES: SpectrumMode[] = ["gray", "color"];

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

interface GpuResult {
  loss: number;
  grad: Float32Array;
}

/** Runs SpectrumLoss once on the GPU with `grad` pre-filled and the loss stored at slot 1. */
async function runGpu(
  x: Float32Array,
  exemplar: Float32Array,
  h: number,
  w: number,
  mode: SpectrumMode,
  gradInit: Float32Array,
  weight: number,
): Promise<GpuResult> {
  const ctx = await gpu();
  const loss = new SpectrumLoss(ctx, h, w, mode);
  const xBuf = ctx.upload("x", x);
  const exBuf = ctx.upload("exemplar", exemplar);
  const grad = ctx.upload("grad", gradInit);
  const scalars = ctx.upload("scalars", new Float32Array([-1, -1, -1, -1]));
  const setup = await program();
  loss.setExemplar(setup, exBuf);
  setup.run();
  const prog = await program();
  loss.record(prog, xBuf, grad, weight, { scalars, slot: 1 });
  const out = await runAndRead(prog, scalars, 4);
  const result = { loss: out[1], grad: await ctx.read(grad, 0, 3 * h * w) };
  assert(out[0] === -1 && out[2] === -1, "only the target slot is written");
  loss.destroy();
  for (const b of [xBuf, exBuf, grad, scalars]) ctx.destroyBuffer(b);
  return result;
}

Deno.test("reference gradient (projection held fixed) matches central differences of E (float64, rel. 1e-6)", () => {
  const [h, w] = [5, 6];
  for (const mode of MODES) {
    const x = Float64Array.from(randomArray(3 * h * w, 11, 0, 1));
    const exemplar = randomArray(3 * h * w, 12, 0, 1);
    const { grad } = spectrumReference(x, exemplar, h, w, mode);
    const step = 1e-6;
    const fd = new Float64Array(grad.length);
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + step;
      const up = spectrumReference(x, exemplar, h, w, mode).loss;
      x[i] = keep - step;
      const down = spectrumReference(x, exemplar, h, w, mode).loss;
      x[i] = keep;
      fd[i] = (up - down) / (2 * step);
    }
    assertClose(fd, grad, 0, 1e-6 * maxAbs(grad), `${mode} finite differences`);
  }
});

Deno.test("SpectrumLoss E and accumulated gradient match the float64 reference (E rel. 1e-5; grad abs. 2e-6·max|∂E|·log2 N)", async () => {
  const sizes: [number, number][] = [[1, 1], [3, 5], [7, 7], [6, 10], [12, 20], [16, 16], [64, 48]];
  for (const mode of MODES) {
    for (const [h, w] of sizes) {
      const seed = 100 * h + w;
      const x = randomArray(3 * h * w, seed, 0, 1);
      const exemplar = randomArray(3 * h * w, seed + 1, 0, 1);
      const gradInit = randomArray(3 * h * w, seed + 2);
      const weight = 2.5;
      const got = await runGpu(x, exemplar, h, w, mode, gradInit, weight);
      const ref = spectrumReference(x, exemplar, h, w, mode);
      const what = `${mode} ${h}×${w}`;
      assertClose([got.loss], [ref.loss], 1e-5, 1e-9, `${what} E`);
      const want = ref.grad.map((g, i) => gradInit[i] + weight * g);
      const tol = 2e-6 * weight * Math.max(maxAbs(ref.grad), 1e-3) * Math.max(1, Math.log2(h * w));
      assertClose(got.grad, want, 0, tol, `${what} grad`);
      assert(ref.loss > 1e-3, `${what}: the test needs a non-trivial loss`);
    }
  }
});

Deno.test("SpectrumLoss is ~0 for a circular shift of the exemplar (same modulus; abs. 1e-4)", async () => {
  const [h, w] = [12, 20];
  const exemplar = randomArray(3 * h * w, 5, 0, 1);
  const shifted = new Float32Array(exemplar.length);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        shifted[c * h * w + ((y + 5) % h) * w + ((x + 3) % w)] = exemplar[c * h * w + y * w + x];
      }
    }
  }
  for (const mode of MODES) {
    const got = await runGpu(shifted, exemplar, h, w, mode, new Float32Array(3 * h * w), 1);
    assertClose([got.loss], [0], 0, 1e-8, `${mode} E`);
    assertClose(got.grad, new Float32Array(got.grad.length), 0, 1e-4, `${mode} grad`);
  }
});

Deno.test("SpectrumLoss honours target scale and accumulate, and replays identically", async () => {
  const ctx = await gpu();
  const [h, w] = [7, 7];
  const x = randomArray(3 * h * w, 21, 0, 1);
  const exemplar = randomArray(3 * h * w, 22, 0, 1);
  const ref = spectrumReference(x, exemplar, h, w, "color");
  const loss = new SpectrumLoss(ctx, h, w, "color");
  const xBuf = ctx.upload("x", x);
  const exBuf = ctx.upload("exemplar", exemplar);
  const grad = ctx.createBuffer("grad", 3 * h * w * 4);
  const scalars = ctx.upload("scalars", new Float32Array([3, 0, 0, 0]));
  const prog = await program();
  loss.setExemplar(prog, exBuf);
  loss.record(prog, xBuf, grad, 1, { scalars, slot: 0, scale: 10, accumulate: true });
  const first = await runAndRead(prog, scalars, 1);
  assertClose(first, [3 + 10 * ref.loss], 1e-4, 0, "accumulated, scaled E");
  ctx.write(scalars, new Float32Array([3]));
  ctx.write(grad, new Float32Array(3 * h * w));
  const second = await runAndRead(prog, scalars, 1);
  assert(second[0] === first[0], `replay gave ${second[0]}, first run ${first[0]}`);
  loss.destroy();
  for (const b of [xBuf, exBuf, grad, scalars]) ctx.destroyBuffer(b);
});
