import { assertEquals } from "@std/assert";
import { axpy, type Coefficient, reduceMaxAbs, reduceSumAbs, scale } from "../../src/ops/vector.ts";
import { axpyInPlace, maxAbs, sumAbs } from "../reference/lbfgs.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

const SCALARS = new Float32Array([0.5, -3, 1.25, 7]);

/** k · s[a] · (s[b] − s[c]) in float64, slots left out standing for 1, 1, 0. */
function coefficient(c: Omit<Coefficient, "scalars">): number {
  const at = (i: number | undefined, otherwise: number) => i === undefined ? otherwise : SCALARS[i];
  return (c.k ?? 1) * at(c.a, 1) * (at(c.b, 1) - at(c.c, 0));
}

const COEFFICIENTS: Omit<Coefficient, "scalars">[] = [
  { k: 2.5 },
  { a: 1 },
  { k: -1, a: 0, b: 2 },
  { a: 0, b: 2, c: 3 },
];

Deno.test("axpy and scale with constant and GPU-read coefficients match float64 (rtol 1e-6)", async () => {
  const ctx = await gpu();
  const scalars = ctx.upload("scalars", SCALARS);
  for (const n of [1, 257, 70_001]) {
    for (const [ci, c] of COEFFICIENTS.entries()) {
      const x = randomArray(n, 10 * n + ci);
      const y = randomArray(n, 10 * n + ci + 1);
      const coef = coefficient(c);

      const yBuf = ctx.upload("y", y);
      const prog = await program();
      axpy(prog, yBuf, ctx.upload("x", x), n, { scalars, ...c });
      const expectY = Float64Array.from(y);
      axpyInPlace(expectY, coef, x);
      assertClose(await runAndRead(prog, yBuf, n), expectY, 1e-6, 1e-6, `axpy n=${n} c=${ci}`);

      const xBuf = ctx.upload("x", x);
      const prog2 = await program();
      scale(prog2, xBuf, n, { scalars, ...c });
      const expectX = Array.from(x, (v) => v * coef);
      assertClose(await runAndRead(prog2, xBuf, n), expectX, 1e-6, 1e-6, `scale n=${n} c=${ci}`);
    }
  }
});

Deno.test("axpy and scale touch only the first n floats", async () => {
  const ctx = await gpu();
  const scalars = ctx.upload("scalars", SCALARS);
  const y = ctx.upload("y", new Float32Array(300).fill(1));
  const prog = await program();
  axpy(prog, y, ctx.upload("x", new Float32Array(300).fill(1)), 257, { scalars, k: 2 });
  scale(prog, y, 100, { scalars, k: 10 });
  const out = await runAndRead(prog, y, 300);
  assertEquals([out[0], out[99], out[100], out[256], out[257], out[299]], [30, 30, 3, 3, 1, 1]);
});

Deno.test("reduceMaxAbs and reduceSumAbs match float64, with scale and accumulate (rtol 1e-5)", async () => {
  const ctx = await gpu();
  for (const n of [1, 255, 4097, 300_000]) {
    const x = randomArray(n, n, -2, 1);
    // Plant the extreme value at a position only the last workgroup sees.
    x[n - 1] = -3.5;
    const xBuf = ctx.upload("x", x);
    const scalars = ctx.upload("scalars", new Float32Array([0, 0, 9, 1]));
    const prog = await program();
    reduceMaxAbs(prog, xBuf, n, { scalars, slot: 0 });
    reduceSumAbs(prog, xBuf, n, { scalars, slot: 1, scale: 0.5 });
    reduceMaxAbs(prog, xBuf, n, { scalars, slot: 2, accumulate: true });
    reduceSumAbs(prog, xBuf, n, { scalars, slot: 3, accumulate: true });
    const out = await runAndRead(prog, scalars, 4);
    const tol = 1e-5 * Math.sqrt(n);
    assertEquals(out[0], maxAbs(x), `max|x| n=${n}`);
    assertClose([out[1]], [0.5 * sumAbs(x)], 1e-5, tol, `Σ|x| n=${n}`);
    assertEquals(out[2], Math.max(9, maxAbs(x)), `accumulated max n=${n}`);
    assertClose([out[3]], [1 + sumAbs(x)], 1e-5, tol, `accumulated Σ|x| n=${n}`);
  }
});
