// The three Winograd kernels one at a time against tests/reference/winograd.ts,
// the matrices against the convolution they stand for, and the planner.
import { assert, assertEquals } from "@std/assert";
import {
  operandRows,
  planWinograd,
  productRows,
  recordGemm,
  recordInputTransform,
  recordOutputTransform,
  recordWinograd,
  WINOGRAD_G,
  type WinogradPlan,
  winogradWeights,
} from "../../src/ops/winograd.ts";
import {
  AT,
  BT,
  gemmRef,
  inputTransformRef,
  outputTransformRef,
  rms,
  sandwich,
  weightAt,
} from "../reference/winograd.ts";
import { conv3x3BackwardRef, conv3x3Ref } from "../reference/conv.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";
import type { KernelFamily } from "../../src/gpu/kernel_family.ts";

const LIMIT = 1 << 27;

function plan(
  h: number,
  w: number,
  cin: number,
  cout: number,
  transposed: boolean,
  kernels: KernelFamily = "software",
): WinogradPlan {
  const p = planWinograd(h, w, cin, cout, transposed, LIMIT, kernels);
  if (!p) throw new Error("no plan");
  return p;
}

Deno.test("Bᵀ, G and Aᵀ compute the 3×3 correlation of a 6×6 window exactly (float64, 1e-12)", () => {
  const d = Array.from({ length: 6 }, (_, i) => Array.from(randomArray(6, 10 + i)));
  const g = Array.from({ length: 3 }, (_, i) => Array.from(randomArray(3, 20 + i)));
  const u = sandwich(WINOGRAD_G, g, WINOGRAD_G);
  const v = sandwich(BT, d, BT);
  const y = sandwich(AT, u.map((row, i) => row.map((x, j) => x * v[i][j])), AT);
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 4; b++) {
      let want = 0;
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) want += g[ky][kx] * d[a + ky][b + kx];
      }
      assertClose([y[a][b]], [want], 0, 1e-12, `y[${a}][${b}]`);
    }
  }
});

Deno.test("winogradWeights stores G·g·Gᵀ in each layout, zero-padded (1e-6)", () => {
  const [cin, cout] = [5, 38];
  const weight = randomArray(cout * cin * 9, 3);
  const sizes = { slabs: 36 * 64 * 8, "slabs transposed": 36 * 32 * 40 };
  for (const layout of ["slabs", "slabs transposed"] as const) {
    const u = winogradWeights(weight, cin, cout, layout);
    assertEquals(u.length, sizes[layout], layout);
    for (const [ci, co] of [[0, 0], [4, 37], [2, 33]]) {
      const g = [0, 1, 2].map((ky) =>
        [0, 1, 2].map((kx) => weight[((co * cin + ci) * 3 + ky) * 3 + kx])
      );
      const want = sandwich(WINOGRAD_G, g, WINOGRAD_G);
      for (let xi = 0; xi < 36; xi++) {
        const got = weightAt(u, cin, cout, layout, xi, ci, co);
        assertClose(
          [got],
          [want[Math.floor(xi / 6)][xi % 6]],
          1e-6,
          1e-6,
          `${layout} U(${xi}, ${ci}, ${co})`,
        );
      }
    }
    const nonzero = u.filter((x) => x !== 0).length;
    assert(nonzero <= 36 * cin * cout, `${layout}: padding is zero`);
  }
});

// [channels k, height, width]: unaligned and aligned widths (the `aligned`
// entry point), widths of 16k (quads within tile rows: `rows`), a partial
// last tile row and column, one pixel, a channel count that is not a
// multiple of 4 (zero rows).
const TRANSFORM_SHAPES: [number, number, number][] = [
  [3, 7, 5],
  [2, 9, 8],
  [5, 4, 12],
  [1, 1, 1],
  [6, 13, 4],
  [3, 6, 16],
  [2, 9, 32],
];

/** Chunk starts to test: the whole image, and chunks from tile 1 and tile 4 when there are tiles to spare. */
function firsts(tiles: number): number[] {
  return [0, 1, 4].filter((f) => f === 0 || f < tiles);
}

Deno.test("winograd_input matches the reference: both paddings, flipped or not, padding rows and slots (rtol 1e-5, atol 1e-5)", async () => {
  const ctx = await gpu();
  for (const [k, h, w] of TRANSFORM_SHAPES) {
    const x = randomArray(k * h * w, k * 100 + h * 10 + w);
    const input = ctx.upload("x", x);
    for (const transposed of [false, true]) {
      // A transposed plan's GEMM depth is the layer's cout.
      const p = transposed ? plan(h, w, 4, k, true) : plan(h, w, k, 4, false);
      const rows = operandRows(p);
      for (const circular of [false, true]) {
        for (const first of firsts(p.tiles)) {
          const tiles = p.tiles - first;
          const prog = await program();
          const v = ctx.createBuffer("v", 36 * rows * p.quads * 16);
          recordInputTransform(prog, p, input, v, first, tiles, circular);
          const got = await runAndRead(prog, v, 36 * rows * p.quads * 4);
          const want = inputTransformRef(x, p, rows, first, tiles, circular);
          const pad = want.map((w, i) => (Number.isNaN(w) ? i : -1)).filter((i) => i >= 0);
          assert(pad.every((i) => Number.isFinite(got[i])), "padding slots are finite");
          pad.forEach((i) => (want[i] = got[i]));
          assertClose(
            got,
            want,
            1e-5,
            1e-5,
            `${k}×${h}×${w} transposed=${transposed} circular=${circular} from tile ${first}`,
          );
          ctx.destroyBuffer(v);
        }
      }
    }
    ctx.destroyBuffer(input);
  }
});

// [cin, cout, height, width]: every entry point of the software GEMM, and
// for the tiled one several row and tile blocks, a depth that is not a
// multiple of its 16-step stage, and a single stage.
const GEMM_SHAPES: [number, number, number, number][] = [
  [6, 20, 40, 16], // gemm16x32 (many tiles)
  [36, 40, 16, 16], // gemm32x16 (16 tiles)
  [20, 33, 8, 8], // gemm32x4 (4 tiles)
  [3, 9, 20, 20], // transposed: 3 rows, gemm4x32
  [70, 40, 28, 20], // tiled: 2 × 2 blocks of 32 × 32 forward, 3 × 2 transposed
];

Deno.test("winograd_gemm matches the reference for every block, forward and transposed, software and tiled kernels (rtol 1e-4, atol 1e-4)", async () => {
  const ctx = await gpu();
  for (const [cin, cout, h, w] of GEMM_SHAPES) {
    const weight = randomArray(cout * cin * 9, cin + cout);
    for (const transposed of [false, true]) {
      for (const kernels of ["software", "tiled"] as const) {
        const p = plan(h, w, cin, cout, transposed, kernels);
        const uData = winogradWeights(weight, cin, cout, p.weights);
        const u = ctx.upload("u", uData);
        const vRows = operandRows(p);
        const n = p.quads * 4;
        const vData = randomArray(36 * vRows * n, h + w);
        // The input transform leaves the padding rows zero.
        for (let xi = 0; xi < 36; xi++) vData.fill(0, (xi * vRows + p.k) * n, (xi + 1) * vRows * n);
        const mRows = productRows(p);
        const prog = await program();
        const m = ctx.createBuffer("m", 36 * mRows * n * 4);
        recordGemm(prog, p, u, ctx.upload("v", vData), m);
        const all = await runAndRead(prog, m, 36 * mRows * n);
        const want = gemmRef(uData, vData, p, vRows, mRows, p.weights);
        const real = (a: ArrayLike<number>) =>
          Array.from({ length: 36 * p.m * n }, (_, i) => {
            const xi = Math.floor(i / (p.m * n));
            return a[(xi * mRows) * n + (i % (p.m * n))];
          });
        assertClose(
          real(all),
          real(want),
          1e-4,
          1e-4,
          `${cin}→${cout} ${h}×${w} ${p.block.entry} ${p.weights} transposed=${transposed}`,
        );
        ctx.destroyBuffer(u);
      }
    }
  }
});

Deno.test("winograd_output matches the reference: relu, accumulate, flip, partial tiles, aligned widths (rtol 1e-5, atol 1e-5)", async () => {
  const ctx = await gpu();
  for (const [m, h, w] of TRANSFORM_SHAPES) {
    for (const transposed of [false, true]) {
      const p = transposed ? plan(h, w, m, 4, true) : plan(h, w, 4, m, false);
      const mRows = productRows(p);
      const n = p.quads * 4;
      const mData = randomArray(36 * mRows * n, m + h + w);
      const bias = randomArray(m, 7);
      const prior = randomArray(m * h * w, 8);
      const first = firsts(p.tiles).pop()!;
      const tiles = p.tiles - first;
      for (const [relu, accumulate] of [[false, false], [true, false], [false, true]]) {
        const prog = await program();
        const out = ctx.upload("out", prior);
        recordOutputTransform(
          prog,
          p,
          ctx.upload("m", mData),
          ctx.upload("bias", bias),
          out,
          first,
          tiles,
          {
            relu,
            accumulate,
          },
        );
        const got = await runAndRead(prog, out, m * h * w);
        const want = outputTransformRef(mData, bias, p, mRows, first, tiles, {
          relu,
          accumulate,
          prior,
        });
        assertClose(
          got,
          want,
          1e-5,
          1e-5,
          `${m}×${h}×${w} transposed=${transposed} relu=${relu} accumulate=${accumulate}`,
        );
        ctx.destroyBuffer(out);
      }
    }
  }
});

Deno.test("planWinograd picks blocks by shape and splits tiles into chunks that fit the binding limit", () => {
  assertEquals(plan(128, 128, 64, 64, false).block.entry, "gemm16x32");
  assertEquals(plan(16, 16, 512, 512, false).block.entry, "gemm32x16");
  assertEquals(plan(8, 8, 512, 512, true).block.entry, "gemm32x4");
  assertEquals(plan(128, 128, 3, 64, true).block.entry, "gemm4x32");
  const tiled = plan(128, 128, 64, 64, true, "tiled");
  assertEquals([tiled.block.rows, tiled.block.tiles, tiled.weights], [32, 32, "slabs transposed"]);
  const whole = plan(100, 60, 64, 64, false);
  assertEquals([whole.tiles, whole.chunkTiles, whole.quads], [25 * 15, 25 * 15, 96]);
  // 36 points × 64 channels × 4 bytes per tile: 64 tiles fit.
  const chunked = planWinograd(100, 60, 64, 64, false, 36 * 64 * 4 * 64, "software");
  assert(chunked && chunked.chunkTiles === 64 && chunked.quads === 16, JSON.stringify(chunked));
  assertEquals(planWinograd(100, 60, 64, 64, false, 1000, "software"), null);
});

Deno.test("chunked Winograd passes match the float64 convolution, forward and input gradient (rtol 1e-4, atol 1e-4·rms)", async () => {
  const ctx = await gpu();
  const [cin, cout, h, w] = [8, 12, 19, 30];
  const weight = randomArray(cout * cin * 9, 41);
  const bias = randomArray(cout, 42);
  const x = randomArray(cin * h * w, 43);
  const g = randomArray(cout * h * w, 44);
  for (const padding of ["zero", "circular"] as const) {
    const circular = padding === "circular";
    // 36 points × 32 padded rows × 4 bytes per tile: chunks of 32 of the 40 tiles.
    const fwd = planWinograd(h, w, cin, cout, false, 36 * 32 * 4 * 32, "software")!;
    const bwd = planWinograd(h, w, cin, cout, true, 36 * 32 * 4 * 32, "software")!;
    assert(fwd.chunkTiles < fwd.tiles && bwd.chunkTiles < bwd.tiles, "the plans chunk");
    const prog = await program();
    const out = ctx.createBuffer("out", cout * h * w * 4);
    const gradIn = ctx.createBuffer("gradIn", cin * h * w * 4);
    const u = (p: WinogradPlan) => ctx.upload("u", winogradWeights(weight, cin, cout, p.weights));
    recordWinograd(prog, fwd, ctx.upload("x", x), u(fwd), ctx.upload("bias", bias), out, {
      circular,
      relu: true,
      accumulate: false,
    });
    recordWinograd(
      prog,
      bwd,
      ctx.upload("g", g),
      u(bwd),
      ctx.createBuffer("zero", cin * 4),
      gradIn,
      {
        circular,
        relu: false,
        accumulate: false,
      },
    );
    prog.run();
    const want = conv3x3Ref(x, weight, bias, cin, cout, h, w, { relu: true, padding });
    const wantGrad = conv3x3BackwardRef(g, weight, cin, cout, h, w, padding);
    assertClose(
      await ctx.read(out, 0, cout * h * w),
      want,
      1e-4,
      1e-4 * rms(want),
      `forward ${padding}`,
    );
    assertClose(
      await ctx.read(gradIn, 0, cin * h * w),
      wantGrad,
      1e-4,
      1e-4 * rms(wantGrad),
      `gradient ${padding}`,
    );
  }
});
