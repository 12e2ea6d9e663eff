import { assert, assertEquals, assertThrows } from "@std/assert";
import { Conv3x3, type Conv3x3Options, type Padding } from "../../src/ops/conv3x3.ts";
import { isSoftwareAdapter, kernelFamilyFor } from "../../src/gpu/kernel_family.ts";
import { conv3x3BackwardRef, conv3x3Ref } from "../reference/conv.ts";
import { rms } from "../reference/winograd.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

// [cin, cout, height, width]. The direct kernel picks a tile of 32, 64, 128
// or 256 output channels (× 8192/that many pixels) per layer; the comments
// name the forward's and the input gradient's choice, so every tile shape
// runs, with partial tiles and several tiles along each axis. For the
// Winograd passes they give partial 4×4 tiles, quads of tiles that wrap
// rows, one-row and one-column images and channel counts that are not
// multiples of 4; ALIGNED adds widths that are multiples of 4.
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
const ALIGNED: [number, number, number, number][] = [
  [6, 10, 5, 4],
  [3, 7, 1, 4],
  [9, 20, 7, 12],
  [16, 16, 12, 16],
  [70, 3, 6, 8],
];
const PADDINGS: Padding[] = ["zero", "circular"];

// f32 sums of up to 9·300 products of values in [−1, 1] against float64
// references: rtol 1e-4, atol 1e-4.
const RTOL = 1e-4;
const ATOL = 1e-4;

// The Winograd passes sum transformed operands larger than the pixels, so
// their f32 error follows the output's scale: atol = 1e-4 · rms(reference)
// (errors stay under 2e-5 · rms on these shapes, about 3× the direct
// kernel's).
const VARIANTS: { name: string; options: Conv3x3Options; tol: (want: Float32Array) => number }[] = [
  { name: "direct", options: { algorithm: "direct" }, tol: () => ATOL },
  {
    name: "winograd, software kernels",
    options: { algorithm: "winograd", kernels: "software" },
    tol: (want) => ATOL * rms(want),
  },
  {
    name: "winograd, tiled kernels",
    options: { algorithm: "winograd", kernels: "tiled" },
    tol: (want) => ATOL * rms(want),
  },
  // The tiled kernels expand the weights on the GPU for the direct kernel too.
  {
    name: "direct, tiled kernels",
    options: { algorithm: "direct", kernels: "tiled" },
    tol: () => ATOL,
  },
];

Deno.test("Conv3x3.forward matches the reference: direct and Winograd, both paddings, relu on/off (rtol 1e-4, atol 1e-4 or 1e-4·rms)", async () => {
  const ctx = await gpu();
  for (const variant of VARIANTS) {
    for (const [cin, cout, h, w] of [...SHAPES, ...ALIGNED]) {
      const seed = cin * 1000 + cout * 100 + h * 10 + w;
      const weight = randomArray(cout * cin * 9, seed);
      const bias = randomArray(cout, seed + 1);
      const x = randomArray(cin * h * w, seed + 2);
      const conv = new Conv3x3(ctx, cin, cout, weight, bias, "test conv", variant.options);
      const input = ctx.upload("x", x);
      for (const padding of PADDINGS) {
        for (const relu of [false, true]) {
          const prog = await program();
          const out = ctx.createBuffer("out", cout * h * w * 4);
          conv.forward(prog, input, out, h, w, { relu, padding });
          const got = await runAndRead(prog, out, cout * h * w);
          const want = conv3x3Ref(x, weight, bias, cin, cout, h, w, { relu, padding });
          assertClose(
            got,
            want,
            RTOL,
            variant.tol(want),
            `${variant.name} ${cin}→${cout} ${h}×${w} ${padding} relu=${relu}`,
          );
          ctx.destroyBuffer(out);
          prog.destroy();
        }
      }
      ctx.destroyBuffer(input);
      conv.destroy();
    }
  }
});

Deno.test("Conv3x3.backwardInput matches the scatter reference: direct and Winograd, overwrite and accumulate (rtol 1e-4, atol 1e-4 or 1e-4·rms)", async () => {
  const ctx = await gpu();
  for (const variant of VARIANTS) {
    for (const [cin, cout, h, w] of [...SHAPES, ...ALIGNED]) {
      const seed = cin * 1000 + cout * 100 + h * 10 + w + 7;
      const weight = randomArray(cout * cin * 9, seed);
      const g = randomArray(cout * h * w, seed + 1);
      const prior = randomArray(cin * h * w, seed + 2);
      const conv = new Conv3x3(
        ctx,
        cin,
        cout,
        weight,
        randomArray(cout, seed + 3),
        "test conv",
        variant.options,
      );
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
            variant.tol(want),
            `${variant.name} ${cout}→${cin} ${h}×${w} ${padding} accumulate=${accumulate}`,
          );
          ctx.destroyBuffer(gradIn);
          prog.destroy();
        }
      }
      ctx.destroyBuffer(gradOut);
      conv.destroy();
    }
  }
});

Deno.test("forward and backwardInput are adjoint: <g, conv(x)> = <convᵀ(g), x>, direct and Winograd (rel 1e-5)", async () => {
  const ctx = await gpu();
  const [cin, cout, h, w] = [24, 40, 11, 14];
  const weight = randomArray(cout * cin * 9, 91);
  const x = randomArray(cin * h * w, 92);
  const g = randomArray(cout * h * w, 93);
  for (const algorithm of ["direct", "winograd"] as const) {
    const conv = new Conv3x3(ctx, cin, cout, weight, new Float32Array(cout), "adjoint conv", {
      algorithm,
    });
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
      assertClose([lhs], [rhs], 0, 1e-5 * scale, `adjoint ${algorithm} ${padding}`);
      prog.destroy();
    }
    conv.destroy();
  }
});

Deno.test("auto runs Winograd unless the image is smaller than about one tile; software kernels keep each layout made, tiled ones only the 3×3 weights", async () => {
  const ctx = await gpu();
  const [cin, cout] = [8, 8];
  const weight = randomArray(cout * cin * 9, 5);
  // Software: the direct layout, then two slab layouts [36][32][8]. Tiled:
  // the torch layout, whatever the passes.
  const kept = {
    software: [9 * cin * cout, 9 * cin * cout + 2 * 36 * 32 * 8],
    tiled: [9 * cin * cout, 9 * cin * cout],
  };
  for (const kernels of ["software", "tiled"] as const) {
    const conv = new Conv3x3(ctx, cin, cout, weight, new Float32Array(cout), "auto conv", {
      kernels,
    });
    const layouts = () => conv.bytes / 4 - (cout + cin);
    const buffer = ctx.createBuffer("buffer", 8 * 16 * 16 * 4);
    const prog = await program();
    const before = prog.dispatches;
    conv.forward(prog, buffer, ctx.createBuffer("out", 8 * 16 * 16 * 4), 2, 2, {
      relu: false,
      padding: "zero",
    });
    // The direct kernel: one dispatch, after the weights' expansion when tiled.
    assertEquals(prog.dispatches - before, kernels === "tiled" ? 2 : 1, `${kernels}, 2×2`);
    assertEquals(layouts(), kept[kernels][0], `${kernels}, 2×2`);
    for (let twice = 0; twice < 2; twice++) {
      conv.forward(prog, buffer, ctx.createBuffer("out", 8 * 16 * 16 * 4), 16, 16, {
        relu: false,
        padding: "zero",
      });
      conv.backwardInput(prog, buffer, ctx.createBuffer("out", 8 * 16 * 16 * 4), 16, 16, {
        padding: "zero",
      });
    }
    assertEquals(layouts(), kept[kernels][1], `${kernels}, 16×16`);
    conv.destroy();
    prog.destroy();
  }
});

Deno.test("isSoftwareAdapter knows llvmpipe, lavapipe, SwiftShader and WARP, not GPUs; auto kernels follow it", () => {
  for (
    const d of [
      "llvmpipe (LLVM 15.0.6, 256 bits)",
      "SwiftShader Device",
      "Microsoft Basic Render Driver (WARP)",
    ]
  ) {
    assert(isSoftwareAdapter(d), d);
  }
  for (const d of ["NVIDIA GeForce RTX 4090", "AMD Radeon RX 7900 XTX (RADV NAVI31)", "Apple M2"]) {
    assert(!isSoftwareAdapter(d), d);
    assertEquals(kernelFamilyFor("auto", d), "tiled", d);
    assertEquals(kernelFamilyFor("software", d), "software", d);
  }
  assertEquals(kernelFamilyFor("auto", "SwiftShader Device (Subzero)"), "software");
  assertEquals(kernelFamilyFor("tiled", "llvmpipe (LLVM 15.0.6, 256 bits)"), "tiled");
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
