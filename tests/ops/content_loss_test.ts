import { assert, assertEquals, assertThrows } from "@std/assert";
import { ContentLoss } from "../../src/ops/content_loss.ts";
import { contentLossRef } from "../reference/content_loss.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

// The gradient is one subtraction and one multiply per element (rtol 1e-6);
// the loss is a sum of n squares, whose f32 rounding grows like √n (rtol 1e-5).

Deno.test("ContentLoss: loss and gradient match float64, written or added (odd and large sizes)", async () => {
  const ctx = await gpu();
  for (const n of [1, 255, 4097, 512 * 33 * 17]) {
    const f = randomArray(n, n, -1, 3);
    const t = randomArray(n, n + 1, 0, 2);
    const g0 = randomArray(n, n + 2);
    const w = 1 / n;
    const ref = contentLossRef(f, t, w);
    const op = new ContentLoss(ctx, n);
    for (const accumulate of [false, true]) {
      const prog = await program();
      const scalars = ctx.upload("scalars", new Float32Array([5, 0, 0, 0]));
      const grad = ctx.upload("grad", g0);
      op.record(prog, ctx.upload("f", f), ctx.upload("t", t), grad, w, {
        scalars,
        slot: 0,
        accumulate,
      }, { accumulate });
      const got = await runAndRead(prog, grad, n);
      const expected = ref.grad.map((g, i) => g + (accumulate ? g0[i] : 0));
      assertClose(got, expected, 1e-6, 1e-7, `gradient n=${n} accumulate=${accumulate}`);
      const loss = (await ctx.read(scalars, 0, 1))[0];
      assertClose([loss], [ref.loss + (accumulate ? 5 : 0)], 1e-5, 0, `loss n=${n}`);
    }
    op.destroy();
  }
});

Deno.test("ContentLoss: the reference gradient is the central difference of the loss (rtol 1e-7)", () => {
  const n = 50;
  const f = Float64Array.from(randomArray(n, 1));
  const t = randomArray(n, 2);
  const { grad } = contentLossRef(f, t, 0.3);
  const h = 1e-3;
  for (let i = 0; i < n; i++) {
    const keep = f[i];
    f[i] = keep + h;
    const plus = contentLossRef(f, t, 0.3).loss;
    f[i] = keep - h;
    const minus = contentLossRef(f, t, 0.3).loss;
    f[i] = keep;
    assertClose([(plus - minus) / (2 * h)], [grad[i]], 1e-7, 1e-10, `element ${i}`);
  }
});

Deno.test("ContentLoss: parts of a map add up to the whole (tiles); repeats are bit-identical", async () => {
  const ctx = await gpu();
  const n = 10_000;
  const f = randomArray(n, 3);
  const t = randomArray(n, 4);
  const op = new ContentLoss(ctx, n);
  const scalars = ctx.upload("scalars", new Float32Array(4));
  const grad = ctx.createBuffer("grad", n * 4);
  const losses = [];
  for (let k = 0; k < 2; k++) {
    const prog = await program();
    op.record(prog, ctx.upload("f", f), ctx.upload("t", t), grad, 0.5, { scalars, slot: k });
    losses.push((await runAndRead(prog, scalars, 2))[k]);
  }
  assertEquals(losses[1], losses[0]);
  // Two halves, each through its own buffers, accumulated into slot 2.
  const prog = await program();
  for (const [start, end] of [[0, 4321], [4321, n]]) {
    op.record(
      prog,
      ctx.upload("f part", f.slice(start, end)),
      ctx.upload("t part", t.slice(start, end)),
      ctx.createBuffer("g part", (end - start) * 4),
      0.5,
      { scalars, slot: 2, accumulate: true },
      { count: end - start },
    );
  }
  const parts = (await runAndRead(prog, scalars, 3))[2];
  assertClose([parts], [losses[0]], 1e-5, 0, "halves");
  assert(parts > 0);
  assertThrows(() => op.record(prog, grad, grad, grad, 1, { scalars, slot: 0 }, { count: n + 1 }));
  op.destroy();
});
