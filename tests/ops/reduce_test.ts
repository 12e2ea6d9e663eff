import { assertEquals } from "@std/assert";
import { reduceDot, reduceSum } from "../../src/ops/reduce.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

function sum64(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v;
  return s;
}

Deno.test("reduceSum and reduceDot match float64 sums, accumulate and scale (rtol 1e-5)", async () => {
  const ctx = await gpu();
  for (const n of [1, 255, 4097, 300_000]) {
    const a = randomArray(n, n);
    const b = randomArray(n, n + 1);
    const prog = await program();
    const scalars = ctx.upload("scalars", new Float32Array([0, 0, 7, 0]));
    const ab = new Float32Array(n);
    for (let i = 0; i < n; i++) ab[i] = a[i] * b[i];
    reduceSum(prog, ctx.upload("a", a), n, { scalars, slot: 0 });
    reduceDot(prog, ctx.upload("a", a), ctx.upload("b", b), n, { scalars, slot: 1, scale: 0.5 });
    reduceSum(prog, ctx.upload("a", a), n, { scalars, slot: 2, accumulate: true });
    const out = await runAndRead(prog, scalars, 4);
    const tol = 1e-5 * Math.sqrt(n);
    assertClose([out[0]], [sum64(a)], 1e-5, tol, `sum n=${n}`);
    assertClose([out[1]], [0.5 * sum64(ab)], 1e-5, tol, `dot n=${n}`);
    assertClose([out[2]], [7 + sum64(a)], 1e-5, tol, `accumulated sum n=${n}`);
  }
});

Deno.test("reductions are deterministic: the same input gives bit-identical sums", async () => {
  const ctx = await gpu();
  const n = 1_000_003;
  const x = ctx.upload("x", randomArray(n, 3));
  const results: number[] = [];
  for (let k = 0; k < 3; k++) {
    const prog = await program();
    const scalars = ctx.createBuffer("scalars", 16);
    reduceDot(prog, x, x, n, { scalars, slot: 0 });
    results.push((await runAndRead(prog, scalars, 1))[0]);
  }
  assertEquals(results[1], results[0]);
  assertEquals(results[2], results[0]);
});
