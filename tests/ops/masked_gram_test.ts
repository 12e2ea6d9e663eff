import { assert, assertEquals } from "@std/assert";
import { Gram } from "../../src/ops/gram.ts";
import { MaskedGram, meanOneWeights } from "../../src/ops/masked_gram.ts";
import { copyWindow } from "../../src/ops/window_copy.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";
import { maskedGram, maskedGramGradient, maskedGramLoss } from "../reference/masked_gram.ts";

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** Weights in [0, 1] with about a third of the pixels exactly 0 (outside the region). */
function weightsFor(m: number, seed: number): Float32Array {
  return Float32Array.from(randomArray(m, seed, -0.5, 1), (v) => Math.max(0, v));
}

// As for the plain Gram: every |G_ij| and partial sum is bounded by
// max_i G_ii, so the f32 error is measured against it (rtol 1e-4, atol
// 1e-5·max|G|); the per-pixel √ŵ adds one rounding per element.
Deno.test("MaskedGram forward matches float64 Σ w f fᵀ / (4N·Σw), odd and large shapes (rtol 1e-4, atol 1e-5·max|G|)", async () => {
  const ctx = await gpu();
  for (const [n, h, w] of [[3, 1, 1], [3, 37, 111], [64, 8, 8], [70, 1, 17], [130, 15, 20]]) {
    const m = h * w;
    const f = randomArray(n * m, n * 31 + m, -1, 1);
    const weights = weightsFor(m, m + 7);
    weights[0] = 1;
    const weighted = ctx.createBuffer("weighted", n * m * 4);
    const op = new MaskedGram(ctx, n, m, weighted);
    const prog = await program();
    const fb = ctx.upload("f", f);
    const wb = ctx.upload("w", meanOneWeights(weights)!);
    const out = ctx.createBuffer("g", n * n * 4);
    op.forward(prog, fb, wb, out, { height: h, width: w });
    const g = await runAndRead(prog, out, n * n);
    const expected = maskedGram(f, n, m, weights);
    assertClose(g, expected, 1e-4, 1e-5 * maxAbs(expected), `n=${n} ${h}×${w}`);
    op.destroy();
    [weighted, fb, wb, out].forEach((b) => ctx.destroyBuffer(b));
  }
});

Deno.test("MaskedGram with every weight 1 is the plain Gram matrix (rtol 1e-6)", async () => {
  const ctx = await gpu();
  const [n, m] = [70, 300];
  const fb = ctx.upload("f", randomArray(n * m, 4));
  const wb = ctx.upload("w", meanOneWeights(new Float32Array(m).fill(1))!);
  const weighted = ctx.createBuffer("weighted", n * m * 4);
  const masked = new MaskedGram(ctx, n, m, weighted);
  const plain = new Gram(ctx, n, m);
  const a = ctx.createBuffer("a", n * n * 4);
  const b = ctx.createBuffer("b", n * n * 4);
  const prog = await program();
  masked.forward(prog, fb, wb, a, { height: 15, width: 20 });
  plain.forward(prog, fb, b);
  prog.run();
  assertClose(await ctx.read(a, 0, n * n), await ctx.read(b, 0, n * n), 1e-6, 0, "G");
  masked.destroy();
  plain.destroy();
});

Deno.test("MaskedGram is deterministic: bit-identical G and gradient on repeats", async () => {
  const ctx = await gpu();
  const [n, h, w] = [70, 50, 82];
  const m = h * w;
  const fb = ctx.upload("f", randomArray(n * m, 8));
  const wb = ctx.upload("w", meanOneWeights(weightsFor(m, 9))!);
  const target = ctx.upload("t", randomArray(n * n, 10, 0, 0.01));
  const weighted = ctx.createBuffer("weighted", n * m * 4);
  const op = new MaskedGram(ctx, n, m, weighted);
  const runs: Float32Array[][] = [];
  for (let k = 0; k < 3; k++) {
    const g = ctx.createBuffer("g", n * n * 4);
    const diff = ctx.createBuffer("diff", n * n * 4);
    const grad = ctx.createBuffer("grad", n * m * 4);
    const scalars = ctx.createBuffer("scalars", 16);
    const prog = await program();
    op.forward(prog, fb, wb, g, { height: h, width: w });
    op.loss(prog, g, target, diff, 3, { scalars, slot: 0 });
    op.backward(prog, diff, fb, wb, grad, { height: h, width: w, accumulate: false });
    prog.run();
    runs.push([await ctx.read(g, 0, n * n), await ctx.read(grad, 0, n * m)]);
  }
  assertEquals(runs[1], runs[0]);
  assertEquals(runs[2], runs[0]);
  op.destroy();
});

Deno.test("MaskedGram over windows: the tiles' parts add up to the whole map's G_w (rtol 1e-4, atol 1e-5·max|G|)", async () => {
  const ctx = await gpu();
  const [n, h, w] = [13, 24, 30];
  const m = h * w;
  const f = randomArray(n * m, 12);
  const weights = weightsFor(m, 13);
  const fb = ctx.upload("f", f);
  const wb = ctx.upload("w", meanOneWeights(weights)!);
  const weighted = ctx.createBuffer("weighted", n * m * 4);
  const window = ctx.createBuffer("window", n * m * 4);
  const op = new MaskedGram(ctx, n, m, weighted);
  const out = ctx.createBuffer("g", n * n * 4);
  const prog = await program();
  // Four windows of unequal sizes, as tiles' cores are.
  const rects = [[0, 0, 10, 12], [0, 12, 10, 18], [10, 0, 14, 12], [10, 12, 14, 18]];
  rects.forEach(([y, x, rh, rw], i) => {
    copyWindow(
      prog,
      n,
      { buffer: fb, height: h, width: w, y, x },
      { buffer: window, height: rh, width: rw, y: 0, x: 0 },
      { height: rh, width: rw },
      false,
    );
    op.forward(prog, window, wb, out, {
      height: rh,
      width: rw,
      window: { mapWidth: w, y, x },
      accumulate: i > 0,
    });
  });
  const g = await runAndRead(prog, out, n * n);
  const expected = maskedGram(f, n, m, weights);
  assertClose(g, expected, 1e-4, 1e-5 * maxAbs(expected));
  op.destroy();
});

// Central differences of the float64 loss are exact to ~1e-9 here; the GPU
// path is f32, so rtol 1e-4 and atol 1e-5·max|∂E/∂F|. The closed form
// (reference) is checked against the same differences.
Deno.test("MaskedGram forward+loss+backward gradient matches central differences of float64 E(F) (rtol 1e-4)", async () => {
  const ctx = await gpu();
  const [n, h, w, weight] = [5, 3, 4, 1e4];
  const m = h * w;
  const f = randomArray(n * m, 21, -1, 1);
  const weights = weightsFor(m, 22);
  weights[3] = 0.5;
  const target = Float32Array.from(maskedGram(randomArray(n * m, 23, 0, 1), n, m, weights));
  const weighted = ctx.createBuffer("weighted", n * m * 4);
  const op = new MaskedGram(ctx, n, m, weighted);
  const fb = ctx.upload("f", f);
  const wb = ctx.upload("w", meanOneWeights(weights)!);
  const tb = ctx.upload("target", target);
  const g = ctx.createBuffer("g", n * n * 4);
  const diff = ctx.createBuffer("diff", n * n * 4);
  const grad = ctx.upload("grad", randomArray(n * m, 24));
  const scalars = ctx.createBuffer("scalars", 16);
  const prog = await program();
  op.forward(prog, fb, wb, g, { height: h, width: w });
  op.loss(prog, g, tb, diff, weight, { scalars, slot: 0 });
  op.backward(prog, diff, fb, wb, grad, { height: h, width: w, accumulate: false });
  prog.run();
  const loss = (await ctx.read(scalars, 0, 1))[0];
  const analytic = await ctx.read(grad, 0, n * m);

  const x = Float64Array.from(f);
  const step = 1e-4;
  const numeric = new Float64Array(n * m);
  for (let i = 0; i < n * m; i++) {
    const x0 = x[i];
    x[i] = x0 + step;
    const ep = maskedGramLoss(x, n, m, weights, target, weight);
    x[i] = x0 - step;
    const em = maskedGramLoss(x, n, m, weights, target, weight);
    x[i] = x0;
    numeric[i] = (ep - em) / (2 * step);
  }
  assertClose([loss], [maskedGramLoss(x, n, m, weights, target, weight)], 1e-4, 0, "loss");
  assert(maxAbs(numeric) > 1e-2, "the case must have a non-trivial gradient");
  const closed = maskedGramGradient(f, n, m, weights, target, weight);
  assertClose(closed, numeric, 1e-6, 1e-7 * maxAbs(numeric), "closed form");
  assertClose(analytic, numeric, 1e-4, 1e-5 * maxAbs(numeric), "∂E/∂F");
  // Pixels outside the region get no gradient at all.
  for (let k = 0; k < m; k++) {
    if (weights[k] === 0) {
      for (let c = 0; c < n; c++) assertEquals(analytic[c * m + k], 0);
    }
  }
  // accumulate adds onto what is there.
  const again = await program();
  const before = await ctx.read(grad, 0, n * m);
  op.backward(again, diff, fb, wb, grad, { height: h, width: w, accumulate: true });
  const doubled = await runAndRead(again, grad, n * m);
  assertClose(doubled, before.map((v) => 2 * v), 1e-6, 1e-12, "accumulate");
  op.destroy();
});

Deno.test("meanOneWeights: mean 1 over the map, null for an empty mask", () => {
  const w = meanOneWeights([0, 0.5, 1, 0.5])!;
  assertEquals(Array.from(w), [0, 1, 2, 1]);
  assertEquals(meanOneWeights([0, 0, 0]), null);
});
