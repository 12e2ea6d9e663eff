import { assertThrows } from "@std/assert";
import { Conv3x3, type Padding } from "../../src/ops/conv3x3.ts";
import { conv3x3BackwardRef, conv3x3Ref } from "../reference/conv.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

// [cin, cout, height, width]. The op picks a tile of 32, 64, 128 or 256
// output channels (× 8192/that many pixels) per layer; the comments name the
// forward's and the input gradient's choice, so every tile shape runs, with
// partial tiles and several tiles along each axis.
const SHAPES: [number, number, number, number][] = [
  [3, 4, 7, 5], // VGG's cin 3; 64 / 64
  [5, 8, 8, 8], // 64 / 64
  [20, 70, 13, 9], // several 8-deep channel slices, cout not a multiple of 4; 64 (2 tiles) / 64
  [5, 8, 13, 21], // 32 (2 pixel tiles) / 32 (2 pixel tiles)
  [4, 100, 10, 13], // 128 (3 pixel tiles) / 64
  [3, 300, 5, 6], // 256 (2 channel tiles) / 64
  [4, 130, 20, 15], // 64 (3 × 3 tiles) / 32 (2 pixel tiles)
  [100, 6, 7, 9], // 64 / 128
  [200, 3, 5, 6], // 64 / 256
  [4, 4, 1, 6], // single row: circular padding wraps onto the row itself
  [2, 3, 5, 1], // single column
  [3, 2, 1, 1], // single pixel
  [2, 5, 2, 3],
];
const PADDINGS: Padding[] = ["zero", "circular"];

// f32 sums of up to 9·300 products of values in [−1, 1] against float64
// references: rtol 1e-4, atol 1e-4.
const RTOL = 1e-4;
const ATOL = 1e-4;

Deno.test("Conv3x3.forward matches the reference, both paddings, relu on/off (rtol 1e-4, atol 1e-4)", async () => {
  const ctx = await gpu();
  for (const [cin, cout, h, w] of SHAPES) {
    const seed = cin * 1000 + cout * 100 + h * 10 + w;
    const weight = randomArray(cout * cin * 9, seed);
    const bias = randomArray(cout, seed + 1);
    const x = randomArray(cin * h * w, seed + 2);
    const conv = new Conv3x3(ctx, cin, cout, weight, bias, "test conv");
    const input = ctx.upload("x", x);
    for (const padding of PADDINGS) {
      for (const relu of [false, true]) {
        const prog = await program();
        const out = ctx.createBuffer("out", cout * h * w * 4);
        conv.forward(prog, input, out, h, w, { relu, padding });
        const got = await runAndRead(prog, out, cout * h * w);
        const want = conv3x3Ref(x, weight, bias, cin, cout, h, w, { relu, padding });
        assertClose(got, want, RTOL, ATOL, `${cin}→${cout} ${h}×${w} ${padding} relu=${relu}`);
        ctx.destroyBuffer(out);
      }
    }
    ctx.destroyBuffer(input);
    conv.destroy();
  }
});

Deno.test("Conv3x3.backwardInput matches the scatter reference, overwrite and accumulate (rtol 1e-4, atol 1e-4)", async () => {
  const ctx = await gpu();
  for (const [cin, cout, h, w] of SHAPES) {
    const seed = cin * 1000 + cout * 100 + h * 10 + w + 7;
    const weight = randomArray(cout * cin * 9, seed);
    const g = randomArray(cout * h * w, seed + 1);
    const prior = randomArray(cin * h * w, seed + 2);
    const conv = new Conv3x3(ctx, cin, cout, weight, randomArray(cout, seed + 3), "test conv");
    const gradOut = ctx.upload("gradOut", g);
    for (const padding of PADDINGS) {
      const want = conv3x3BackwardRef(g, weight, cin, cout, h, w, padding);
      for (const accumulate of [false, true]) {
        const prog = await program();
        const gradIn = ctx.upload("gradIn", prior);
        conv.backwardInput(prog, gradOut, gradIn, h, w, { padding, accumulate });
        const got = await runAndRead(prog, gradIn, cin * h * w);
        const expected = accumulate ? want.map((v, i) => v + prior[i]) : want;
        assertClose(
          got,
          expected,
          RTOL,
          ATOL,
          `${cout}→${cin} ${h}×${w} ${padding} accumulate=${accumulate}`,
        );
        ctx.destroyBuffer(gradIn);
      }
    }
    ctx.destroyBuffer(gradOut);
    conv.destroy();
  }
});

Deno.test("forward and backwardInput are adjoint: <g, conv(x)> = <convᵀ(g), x> (rel 1e-5)", async () => {
  const ctx = await gpu();
  const [cin, cout, h, w] = [24, 40, 11, 14];
  const weight = randomArray(cout * cin * 9, 91);
  const x = randomArray(cin * h * w, 92);
  const g = randomArray(cout * h * w, 93);
  const conv = new Conv3x3(ctx, cin, cout, weight, new Float32Array(cout), "adjoint conv");
  for (const padding of PADDINGS) {
    const prog = await program();
    const out = ctx.createBuffer("out", cout * h * w * 4);
    const gradIn = ctx.createBuffer("gradIn", cin * h * w * 4);
    conv.forward(prog, ctx.upload("x", x), out, h, w, { relu: false, padding });
    conv.backwardInput(prog, ctx.upload("g", g), gradIn, h, w, { padding });
    prog.run();
    const y = await ctx.read(out, 0, cout * h * w);
    const gx = await ctx.read(gradIn, 0, cin * h * w);
    let lhs = 0, rhs = 0, scale = 0;
    for (let i = 0; i < y.length; i++) {
      lhs += g[i] * y[i];
      scale += Math.abs(g[i] * y[i]);
    }
    for (let i = 0; i < gx.length; i++) rhs += gx[i] * x[i];
    assertClose([lhs], [rhs], 0, 1e-5 * scale, `adjoint ${padding}`);
  }
  conv.destroy();
});

Deno.test("Conv3x3 rejects mis-sized weights and buffers", async () => {
  const ctx = await gpu();
  assertThrows(() => new Conv3x3(ctx, 3, 4, new Float32Array(100), new Float32Array(4)));
  const conv = new Conv3x3(ctx, 3, 4, new Float32Array(108), new Float32Array(4));
  const prog = await program();
  const small = ctx.createBuffer("small", 16);
  assertThrows(() =>
    conv.forward(prog, small, ctx.createBuffer("o", 4 * 64), 4, 4, {
      relu: false,
      padding: "zero",
    })
  );
  conv.destroy();
});
