import { assert, assertEquals, assertThrows } from "@std/assert";
import { Gram } from "../../src/ops/gram.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";
import { gram, gramDiff, gramLoss, matmul } from "../reference/gram.ts";

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

const FAMILIES = ["software", "tiled"] as const;

// Every |G_ij| and every partial sum is bounded by max_i G_ii (Cauchy–Schwarz),
// so f32 accumulation error is measured against that: rtol 1e-4, atol 1e-5·max|G|.
// Pixel counts that are multiples of 4 take the software kernel with software
// kernels (8×8 channel blocks: N = 3, 70 and 130 leave partial blocks), the
// others the tiled one.
Deno.test("Gram forward matches float64 F·Fᵀ/(4NM), exactly symmetric, both kernel families (rtol 1e-4, atol 1e-5·max|G|)", async () => {
  const ctx = await gpu();
  for (const kernels of FAMILIES) {
    const cases: [number, number, number][] = [
      [3, 1, -1],
      [3, 4099, -1],
      [8, 17, 0],
      [64, 64, -1],
      [64, 1000, 0],
      [70, 17, -1],
      [70, 4099, 0],
      [130, 300, -1],
      [512, 64, 0],
      [16, 36, -1],
    ];
    for (const [n, m, lo] of cases) {
      const f = randomArray(n * m, n * 7919 + m, lo, 1);
      const op = new Gram(ctx, n, m, kernels);
      const prog = await program();
      const fb = ctx.upload("f", f);
      const out = ctx.createBuffer("g", n * n * 4);
      op.forward(prog, fb, out);
      const g = await runAndRead(prog, out, n * n);
      const ref = gram(f, n, m);
      assertClose(g, ref, 1e-4, 1e-5 * maxAbs(ref), `${kernels} gram n=${n} m=${m}`);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) {
          if (g[i * n + j] !== g[j * n + i]) throw new Error(`gram n=${n} m=${m} not symmetric`);
        }
      }
      if (m === 4099 || m === 1000) assert(op.chunks > 1, `m=${m} should split into K-chunks`);
      op.destroy();
      ctx.destroyBuffer(fb);
      ctx.destroyBuffer(out);
    }
  }
});

Deno.test("Gram forward is deterministic: bit-identical G on repeated runs, both kernel families", async () => {
  const ctx = await gpu();
  for (const kernels of FAMILIES) {
    for (const [n, m] of [[70, 4099], [70, 4100]]) {
      const op = new Gram(ctx, n, m, kernels);
      assert(op.chunks > 1);
      const fb = ctx.upload("f", randomArray(n * m, 11));
      const runs: Float32Array[] = [];
      for (let k = 0; k < 3; k++) {
        const prog = await program();
        const out = ctx.createBuffer("g", n * n * 4);
        op.forward(prog, fb, out);
        runs.push(await runAndRead(prog, out, n * n));
      }
      assertEquals(runs[1], runs[0]);
      assertEquals(runs[2], runs[0]);
      op.destroy();
    }
  }
});

Deno.test("Gram scratch stays bounded: ≤ 256 K-chunks and ≤ 16 MiB of partials", async () => {
  const ctx = await gpu();
  for (const [n, m] of [[64, 2048 * 2048], [512, 2048 * 2048], [3, 1], [256, 1024]]) {
    const before = ctx.liveBytes;
    const op = new Gram(ctx, n, m);
    assert(op.chunks >= 1 && op.chunks <= 256, `n=${n} m=${m}: ${op.chunks} chunks`);
    assert(op.chunks * n * n * 4 <= 16 << 20, `n=${n} m=${m}: partials over 16 MiB`);
    assert(ctx.liveBytes - before <= (16 << 20) + n * n * 4 + 32, `n=${n} m=${m}: scratch`);
    op.destroy();
    assertEquals(ctx.liveBytes, before);
  }
  assertThrows(() => new Gram(ctx, 0, 10), RangeError);
  const op = new Gram(ctx, 8, 100);
  const prog = await program();
  const small = ctx.createBuffer("small", 16);
  assertThrows(() => op.forward(prog, small, small), RangeError, "needs");
  op.destroy();
  ctx.destroyBuffer(small);
});

// loss and diff are one subtraction and one product per element, then a
// deterministic f32 sum: rtol 1e-5.
Deno.test("Gram loss: w·Σ(G−Ĝ)² into the target slot, diff = w/(NM)·(G−Ĝ) (rtol 1e-5)", async () => {
  const ctx = await gpu();
  const n = 70, m = 1000, w = 1e3;
  const g = randomArray(n * n, 1, 0, 0.1);
  const t = randomArray(n * n, 2, 0, 0.1);
  const op = new Gram(ctx, n, m);
  const prog = await program();
  const gb = ctx.upload("g", g);
  const tb = ctx.upload("t", t);
  const diff = ctx.createBuffer("diff", n * n * 4);
  const scalars = ctx.upload("scalars", new Float32Array([9, 5, 0, 0]));
  op.loss(prog, gb, tb, diff, w, { scalars, slot: 0 });
  op.loss(prog, gb, tb, diff, w, { scalars, slot: 1, accumulate: true, scale: 2 });
  prog.run();
  const s = await ctx.read(scalars, 0, 2);
  const d = await ctx.read(diff, 0, n * n);
  let sq = 0;
  for (let i = 0; i < n * n; i++) sq += (g[i] - t[i]) ** 2;
  assertClose([s[0]], [w * sq], 1e-5, 0, "loss, overwrite");
  assertClose([s[1]], [5 + 2 * w * sq], 1e-5, 0, "loss, accumulate with scale 2");
  const dref = gramDiff(g, t, n, m, w);
  assertClose(d, dref, 1e-5, 1e-7 * maxAbs(dref), "diff");
  op.destroy();
});

// A GEMM with K = N: each output sums N products of magnitude ≤ 1, so
// rtol 1e-4 and atol 2e-6·N (diff's entries reach 2). diff is symmetric, as Gram.loss makes it (the
// software kernel reads its rows as columns). N = 16 and 64 with M a
// multiple of 4 take the software kernel with software kernels (M = 36:
// a partial block of 32 pixels), the rest the tiled one.
Deno.test("Gram backward: grad = diff·F and grad += diff·F, both kernel families (rtol 1e-4, atol 2e-6·N)", async () => {
  const ctx = await gpu();
  const shapes = [[3, 17], [3, 1000], [70, 17], [70, 1000], [130, 65], [16, 36], [64, 1000]];
  for (const kernels of FAMILIES) {
    for (const [n, m] of shapes) {
      const d = randomArray(n * n, n + 100 * m);
      const diff = d.map((_, i) => d[i] + d[(i % n) * n + Math.floor(i / n)]);
      const f = randomArray(n * m, n + 100 * m + 1);
      const grad0 = randomArray(n * m, n + 100 * m + 2);
      const op = new Gram(ctx, n, m, kernels);
      const db = ctx.upload("diff", diff);
      const fb = ctx.upload("f", f);
      const expected = matmul(diff, f, n, m);
      for (const accumulate of [false, true]) {
        const prog = await program();
        const gb = ctx.upload("grad", grad0);
        op.backward(prog, db, fb, gb, accumulate);
        const out = await runAndRead(prog, gb, n * m);
        const ref = accumulate ? expected.map((v, i) => v + grad0[i]) : expected;
        assertClose(
          out,
          ref,
          1e-4,
          2e-6 * n,
          `${kernels} backward n=${n} m=${m} accumulate=${accumulate}`,
        );
        ctx.destroyBuffer(gb);
      }
      op.destroy();
      ctx.destroyBuffer(db);
      ctx.destroyBuffer(fb);
    }
  }
});

// The float64 central differences are exact to ~1e-9 here; the GPU path is
// f32 throughout, so rtol 1e-4 and atol 1e-5·max|∂E/∂F|.
Deno.test("Gram forward+loss+backward gradient matches central differences of float64 E(F) (rtol 1e-4)", async () => {
  const ctx = await gpu();
  const n = 5, m = 12, w = 1e4;
  const f = randomArray(n * m, 21, -1, 1);
  const that = Float32Array.from(gram(randomArray(n * m, 22, 0, 1), n, m));
  const op = new Gram(ctx, n, m);
  const prog = await program();
  const fb = ctx.upload("f", f);
  const tb = ctx.upload("target", that);
  const g = ctx.createBuffer("g", n * n * 4);
  const diff = ctx.createBuffer("diff", n * n * 4);
  const grad = ctx.createBuffer("grad", n * m * 4);
  const scalars = ctx.createBuffer("scalars", 16);
  op.forward(prog, fb, g);
  op.loss(prog, g, tb, diff, w, { scalars, slot: 0 });
  op.backward(prog, diff, fb, grad, false);
  prog.run();
  const loss = (await ctx.read(scalars, 0, 1))[0];
  const analytic = await ctx.read(grad, 0, n * m);

  const x = Float64Array.from(f);
  const h = 1e-4;
  const numeric = new Float64Array(n * m);
  for (let i = 0; i < n * m; i++) {
    const x0 = x[i];
    x[i] = x0 + h;
    const ep = gramLoss(x, n, m, that, w);
    x[i] = x0 - h;
    const em = gramLoss(x, n, m, that, w);
    x[i] = x0;
    numeric[i] = (ep - em) / (2 * h);
  }
  assertClose([loss], [gramLoss(x, n, m, that, w)], 1e-4, 0, "loss");
  assert(maxAbs(numeric) > 1e-2, "the case must have a non-trivial gradient");
  assertClose(analytic, numeric, 1e-4, 1e-5 * maxAbs(numeric), "∂E/∂F");
  op.destroy();
});

Deno.test("Gram of a map in parts: the parts' products, each divided by the whole M, add up to G (rtol 1e-4, atol 1e-5·max|G|)", async () => {
  const ctx = await gpu();
  const [n, m] = [70, 4099];
  const f = randomArray(n * m, 5);
  const op = new Gram(ctx, n, m);
  const out = ctx.createBuffer("g", n * n * 4);
  const prog = await program();
  // Parts as tiles hold them: each a contiguous [N, part] matrix of columns.
  let start = 0;
  for (const part of [1000, 3000, 99]) {
    const columns = new Float32Array(n * part);
    for (let c = 0; c < n; c++) {
      columns.set(f.subarray(c * m + start, c * m + start + part), c * part);
    }
    op.forward(prog, ctx.upload("part", columns), out, { pixels: part, accumulate: start > 0 });
    start += part;
  }
  const g = await runAndRead(prog, out, n * n);
  const ref = gram(f, n, m);
  assertClose(g, ref, 1e-4, 1e-5 * maxAbs(ref));
  assertThrows(() => op.forward(prog, ctx.upload("f", f), out, { pixels: m + 1 }), RangeError);
});
