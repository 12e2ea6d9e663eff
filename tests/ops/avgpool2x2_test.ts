import { assertEquals } from "@std/assert";
import { avgPool2x2Backward, avgPool2x2Forward } from "../../src/ops/avgpool2x2.ts";
import { avgPool2x2BackwardRef, avgPool2x2Ref } from "../reference/conv.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

// [channels, height, width]: even, odd (last row/column dropped), non-square,
// and sizes whose output is empty along one axis.
const SHAPES: [number, number, number][] = [
  [3, 8, 8],
  [4, 7, 5],
  [5, 13, 9],
  [2, 1, 6],
  [2, 6, 1],
  [1, 1, 1],
  [70, 9, 10],
];

Deno.test("avgPool2x2Forward matches torch's AvgPool2d(2, 2) (rtol 1e-6, atol 1e-7)", async () => {
  const ctx = await gpu();
  for (const [c, h, w] of SHAPES) {
    const x = randomArray(c * h * w, c * 100 + h * 10 + w);
    const n = c * Math.floor(h / 2) * Math.floor(w / 2);
    const prog = await program();
    const out = ctx.createBuffer("out", Math.max(n, 1) * 4);
    avgPool2x2Forward(prog, ctx.upload("x", x), out, c, h, w);
    const got = await runAndRead(prog, out, Math.max(n, 1));
    assertClose(got.subarray(0, n), avgPool2x2Ref(x, c, h, w), 1e-6, 1e-7, `${c}×${h}×${w}`);
  }
});

Deno.test("avgPool2x2Backward spreads gradOut/4 and zeroes dropped rows and columns, exactly", async () => {
  const ctx = await gpu();
  for (const [c, h, w] of SHAPES) {
    const n = c * Math.floor(h / 2) * Math.floor(w / 2);
    const g = randomArray(Math.max(n, 1), c * 100 + h * 10 + w + 1);
    const prog = await program();
    // Filled with junk so that a value the kernel fails to write shows.
    const gradIn = ctx.upload("gradIn", randomArray(c * h * w, 9, 5, 6));
    avgPool2x2Backward(prog, ctx.upload("g", g), gradIn, c, h, w);
    assertEquals(
      await runAndRead(prog, gradIn, c * h * w),
      avgPool2x2BackwardRef(g, c, h, w),
      `${c}×${h}×${w}`,
    );
  }
});

Deno.test("avgPool2x2 forward and backward are adjoint: <g, pool(x)> = <poolᵀ(g), x> (rel 1e-6)", async () => {
  const ctx = await gpu();
  const [c, h, w] = [6, 11, 14];
  const n = c * 5 * 7;
  const x = randomArray(c * h * w, 21);
  const g = randomArray(n, 22);
  const prog = await program();
  const out = ctx.createBuffer("out", n * 4);
  const gradIn = ctx.createBuffer("gradIn", c * h * w * 4);
  avgPool2x2Forward(prog, ctx.upload("x", x), out, c, h, w);
  avgPool2x2Backward(prog, ctx.upload("g", g), gradIn, c, h, w);
  const y = await runAndRead(prog, out, n);
  const gx = await ctx.read(gradIn, 0, c * h * w);
  let lhs = 0, rhs = 0, scale = 0;
  for (let i = 0; i < n; i++) {
    lhs += g[i] * y[i];
    scale += Math.abs(g[i] * y[i]);
  }
  for (let i = 0; i < x.length; i++) rhs += gx[i] * x[i];
  assertClose([lhs], [rhs], 0, 1e-6 * scale, "adjoint");
});
