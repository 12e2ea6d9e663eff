// The GPU expansion of 3×3 weights (the tiled kernels' only copy) against the
// layouts made on the CPU: Winograd slabs in f64 (tests use winogradWeights
// as the reference) and the direct kernel's matrices.
import { assertEquals } from "@std/assert";
import { convWeightBytes, directWeights, recordConvWeights } from "../../src/ops/conv_weights.ts";
import { winogradWeights } from "../../src/ops/winograd.ts";
import { assertClose, gpu, program, randomArray } from "../_helpers.ts";

// [cin, cout]: VGG's first layer, channel counts past one 32-row slab and
// not multiples of 4, a single channel each way.
const SHAPES: [number, number][] = [[3, 64], [37, 70], [64, 5], [1, 1]];

// U = G·g·Gᵀ sums 9 products with |G| ≤ 8/3 per element: in f32 against the
// f64 reference, rtol 1e-6 and atol 1e-6·max|g|·(8/3)² (|g| ≤ 1 here).
Deno.test("recordConvWeights: Winograd slabs (both passes) and direct layouts match the CPU layouts, zero padding over stale scratch (rtol 1e-6, atol 1e-5)", async () => {
  const ctx = await gpu();
  for (const [cin, cout] of SHAPES) {
    const weight = randomArray(cout * cin * 9, cin * 100 + cout);
    const raw = ctx.upload("weight", weight);
    for (const layout of ["slabs", "slabs transposed", "direct", "direct transposed"] as const) {
      const bytes = convWeightBytes(cin, cout, layout, "f32");
      // Stale values from "another layer": every padding slot must be overwritten.
      const out = ctx.upload("out", new Float32Array(bytes / 4).fill(7));
      const prog = await program();
      recordConvWeights(prog, raw, out, cin, cout, layout, "f32");
      prog.run();
      const got = await ctx.read(out, 0, bytes / 4);
      const want = layout.startsWith("direct")
        ? directWeights(weight, cin, cout, layout as "direct" | "direct transposed")
        : winogradWeights(weight, cin, cout, layout as "slabs" | "slabs transposed");
      assertEquals(want.length, bytes / 4, `${cin}→${cout} ${layout}: size`);
      assertClose(got, want, 1e-6, 1e-5, `${cin}→${cout} ${layout}`);
      prog.destroy();
      ctx.destroyBuffer(out);
    }
    ctx.destroyBuffer(raw);
  }
});

// f16 keeps 11 significant bits: rtol 2^-11, and values under f16's normal
// range (6e-5) round to its subnormal grid.
Deno.test("recordConvWeights stores Winograd slabs as f16 where shader-f16 exists (rtol 5e-4, atol 1e-7)", async () => {
  const ctx = await gpu();
  if (!ctx.info.shaderF16) {
    console.warn("conv_weights_test: this adapter has no shader-f16, the f16 test is skipped");
    return;
  }
  const [cin, cout] = [37, 70];
  const weight = randomArray(cout * cin * 9, 11);
  const raw = ctx.upload("weight", weight);
  for (const layout of ["slabs", "slabs transposed"] as const) {
    const bytes = convWeightBytes(cin, cout, layout, "f16");
    const out = ctx.createBuffer("out", bytes);
    const prog = await program();
    recordConvWeights(prog, raw, out, cin, cout, layout, "f16");
    prog.run();
    const words = await ctx.read(out, 0, bytes / 4);
    const got = new Float16Array(words.buffer, 0, bytes / 2);
    assertClose(got, winogradWeights(weight, cin, cout, layout), 5e-4, 1e-7, `f16 ${layout}`);
    prog.destroy();
  }
});
