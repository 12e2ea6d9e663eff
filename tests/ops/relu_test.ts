import { assertEquals } from "@std/assert";
import { relu, reluBackwardInPlace } from "../../src/ops/relu.ts";
import { reluBackwardRef, reluRef } from "../reference/conv.ts";
import { gpu, program, randomArray, runAndRead } from "../_helpers.ts";

// Both kernels only select or copy values, so results must be bit-exact.

Deno.test("relu matches max(x, 0) exactly, including partial workgroups", async () => {
  const ctx = await gpu();
  for (const n of [1, 255, 257, 3 * 13 * 9]) {
    const x = randomArray(n, n);
    const prog = await program();
    const out = ctx.createBuffer("out", n * 4);
    relu(prog, ctx.upload("x", x), out, n);
    assertEquals(await runAndRead(prog, out, n), reluRef(x));
  }
});

Deno.test("reluBackwardInPlace keeps the gradient where the activation is positive, exactly", async () => {
  const ctx = await gpu();
  for (const n of [1, 255, 257, 5 * 7 * 5]) {
    const g = randomArray(n, 2 * n);
    const a = randomArray(n, 2 * n + 1);
    a[0] = 0; // the boundary: ReLU's gradient at 0 is taken as 0, as torch does
    const prog = await program();
    const grad = ctx.upload("grad", g);
    reluBackwardInPlace(prog, grad, ctx.upload("activation", a), n);
    assertEquals(await runAndRead(prog, grad, n), reluBackwardRef(g, a));
  }
});

Deno.test("relu and its backward cover a grid folded past 65535 workgroups, exactly", async () => {
  const ctx = await gpu();
  const n = 65536 * 256 + 300; // 65538 workgroups: the grid folds into y
  const x = randomArray(n, 5);
  const prog = await program();
  const input = ctx.upload("x", x);
  const out = ctx.createBuffer("out", n * 4);
  const grad = ctx.upload("grad", x);
  relu(prog, input, out, n);
  reluBackwardInPlace(prog, grad, input, n);
  assertEquals(await runAndRead(prog, out, n), reluRef(x));
  assertEquals(await ctx.read(grad, 0, n), reluBackwardRef(x, x));
  ctx.destroyBuffer(input);
  ctx.destroyBuffer(out);
  ctx.destroyBuffer(grad);
});
