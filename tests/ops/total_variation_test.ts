import { assertEquals, assertThrows } from "@std/assert";
import { TotalVariation } from "../../src/ops/total_variation.ts";
import { totalVariationGradRef, totalVariationRef } from "../reference/total_variation.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

// The gradient sums at most four differences of inputs of order 1 (atol 1e-5
// times the weight); the energy sums 2·C·H·W squares (rtol 1e-5). The
// reference gradient is the central difference of the float64 energy, exact
// up to rounding as the energy is quadratic.

Deno.test("TotalVariation: energy and gradient match float64 central differences (odd shapes, edges, 1 px)", async () => {
  const ctx = await gpu();
  for (const [c, h, w] of [[3, 37, 29], [1, 1, 1], [1, 1, 40], [2, 33, 1], [3, 16, 16]]) {
    const n = c * h * w;
    const v = randomArray(n, n + h, 0, 1);
    const g0 = randomArray(n, n + 1);
    const weight = 0.7;
    const op = new TotalVariation(ctx, c, h, w);
    const prog = await program();
    const scalars = ctx.upload("scalars", new Float32Array(4));
    const grad = ctx.upload("grad", g0);
    op.record(prog, ctx.upload("v", v), grad, weight, { scalars, slot: 1 });
    const got = await runAndRead(prog, grad, n);
    const ref = totalVariationGradRef(v, c, h, w, weight);
    assertClose(got, ref.map((g, i) => g + g0[i]), 1e-5, 1e-5 * weight, `gradient ${c}×${h}×${w}`);
    const e = (await ctx.read(scalars, 1, 1))[0];
    assertClose([e], [totalVariationRef(v, c, h, w, weight)], 1e-5, 1e-12, `energy ${c}×${h}×${w}`);
    op.destroy();
  }
});

Deno.test("TotalVariation: a large image, bit-identical repeats, constant images cost nothing", async () => {
  const ctx = await gpu();
  const [c, h, w] = [3, 301, 257];
  const n = c * h * w;
  const op = new TotalVariation(ctx, c, h, w);
  const v = ctx.upload("v", randomArray(n, 9, 0, 1));
  const runs = [];
  for (let k = 0; k < 2; k++) {
    const prog = await program();
    const scalars = ctx.upload("scalars", new Float32Array(4));
    const grad = ctx.createBuffer("grad", n * 4);
    op.record(prog, v, grad, 1e-3, { scalars, slot: 0 });
    runs.push([...await runAndRead(prog, grad, n), ...await ctx.read(scalars, 0, 1)]);
  }
  assertEquals(runs[1], runs[0]);
  const prog = await program();
  const scalars = ctx.upload("scalars", new Float32Array(4));
  const grad = ctx.createBuffer("grad", n * 4);
  op.record(prog, ctx.upload("flat", new Float32Array(n).fill(0.4)), grad, 1, { scalars, slot: 0 });
  assertEquals((await runAndRead(prog, grad, n)).every((g) => g === 0), true);
  assertEquals((await ctx.read(scalars, 0, 1))[0], 0);
  assertThrows(() => op.record(prog, v, v, 1, { scalars, slot: 0 }), RangeError);
  assertThrows(() => new TotalVariation(ctx, 0, 4, 4), RangeError);
  op.destroy();
});
