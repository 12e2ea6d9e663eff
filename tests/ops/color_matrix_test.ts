import { assertEquals, assertThrows } from "@std/assert";
import {
  colorMatrix,
  composed,
  LUMA,
  RGB_TO_YIQ,
  transposed,
  YIQ_TO_RGB,
} from "../../src/ops/color_matrix.ts";
import { colorMatrixRef } from "../reference/color_matrix.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

// A chain of at most four fused multiply-adds per output against float64,
// inputs of order 1: rtol 1e-6, atol 1e-6.

Deno.test("colorMatrix maps 1 to 4 channels onto 1 to 4, odd pixel counts (rtol 1e-6, atol 1e-6)", async () => {
  const ctx = await gpu();
  for (const [cin, cout, n] of [[3, 3, 1], [1, 3, 257], [3, 1, 1000], [4, 2, 70_001], [2, 4, 37]]) {
    const x = randomArray(cin * n, cin * 100 + cout, -1, 2);
    const m = Array.from({ length: cout }, (_, o) => Array.from(randomArray(cin, 7 * o + cin)));
    const shift = Array.from(randomArray(cout, 99 + cout));
    const prog = await program();
    const out = ctx.createBuffer("out", cout * n * 4);
    colorMatrix(prog, ctx.upload("x", x), out, n, { matrix: m, shift });
    const got = await runAndRead(prog, out, cout * n);
    assertClose(got, colorMatrixRef(x, n, m, shift), 1e-6, 1e-6, `${cin}→${cout}, n=${n}`);
  }
});

Deno.test("RGB → YIQ → RGB returns the image (atol 2e-6), Y is the BT.601 luma", async () => {
  const ctx = await gpu();
  const n = 513;
  const rgb = randomArray(3 * n, 5, 0, 1);
  const prog = await program();
  const yiq = ctx.createBuffer("yiq", 3 * n * 4);
  const back = ctx.createBuffer("back", 3 * n * 4);
  colorMatrix(prog, ctx.upload("rgb", rgb), yiq, n, { matrix: RGB_TO_YIQ });
  colorMatrix(prog, yiq, back, n, { matrix: YIQ_TO_RGB });
  assertClose(await runAndRead(prog, back, 3 * n), rgb, 0, 2e-6, "round trip");
  const y = await ctx.read(yiq, 0, n);
  assertClose(y, colorMatrixRef(rgb, n, [LUMA]), 1e-6, 1e-6, "luma");
  // Gray is (Y, 0, 0) in YIQ: the first column of the inverse is ones.
  assertClose(YIQ_TO_RGB.map((r) => r[0]), [1, 1, 1], 0, 1e-5, "first column");
});

Deno.test("composed and transposed maps agree with applying the steps (rtol 1e-6, atol 1e-6)", async () => {
  const ctx = await gpu();
  const n = 300;
  const x = randomArray(n, 8);
  const gray = { matrix: [[1], [1], [1]] };
  const norm = { matrix: [[2, 0, 0], [0, 3, 0], [0, 0, 4]], shift: [-1, -2, -3] };
  const both = composed(gray, norm);
  assertEquals(both.matrix, [[2], [3], [4]]);
  assertEquals(both.shift, [-1, -2, -3]);
  const back = transposed(both);
  assertEquals(back.matrix, [[2, 3, 4]]);
  const prog = await program();
  const out = ctx.createBuffer("out", 3 * n * 4);
  const grad = ctx.createBuffer("grad", n * 4);
  colorMatrix(prog, ctx.upload("x", x), out, n, both);
  colorMatrix(prog, out, grad, n, back);
  const y = colorMatrixRef(x, n, both.matrix, both.shift);
  assertClose(await runAndRead(prog, out, 3 * n), y, 1e-6, 1e-6, "composed");
  assertClose(
    await ctx.read(grad, 0, n),
    colorMatrixRef(y, n, back.matrix),
    1e-6,
    1e-6,
    "transposed",
  );
});

Deno.test("colorMatrix is bit-identical on repeats and rejects bad shapes", async () => {
  const ctx = await gpu();
  const n = 4099;
  const x = ctx.upload("x", randomArray(3 * n, 3));
  const runs = [];
  for (let k = 0; k < 2; k++) {
    const prog = await program();
    const out = ctx.createBuffer("out", 3 * n * 4);
    colorMatrix(prog, x, out, n, { matrix: RGB_TO_YIQ, shift: [0.1, 0.2, 0.3] });
    runs.push(await runAndRead(prog, out, 3 * n));
  }
  assertEquals(runs[1], runs[0]);
  const prog = await program();
  const out = ctx.createBuffer("out", 3 * n * 4);
  assertThrows(() => colorMatrix(prog, x, out, n, { matrix: [[1, 2, 3, 4, 5]] }), RangeError);
  assertThrows(() => colorMatrix(prog, x, out, n, { matrix: [[1, 2], [1]] }), RangeError);
  assertThrows(() => colorMatrix(prog, x, x, n, { matrix: RGB_TO_YIQ }), RangeError);
  assertThrows(() => colorMatrix(prog, x, out, 2 * n, { matrix: RGB_TO_YIQ }), RangeError);
});
