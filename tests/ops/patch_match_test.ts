import { assert, assertEquals, assertThrows } from "@std/assert";
import { PatchMatch } from "../../src/ops/patch_match.ts";
import { patchDistanceRef, patchMatchPassRef, type PatchPair } from "../reference/patch_match.ts";
import { assertClose, gpu, program, randomArray } from "../_helpers.ts";

// The field is integer work (hash, candidates, comparisons) and must match
// the reference exactly wherever the float64 costs of two candidates are
// not within f32 rounding of each other; on random images such near-ties
// are rare, so at most 0.2% of pixels may differ, each by a cost within
// 1e-5 of the reference's choice. Patch distances (a mean of up to 75
// squares in f32): rtol 1e-5.

function pair(
  width: number,
  height: number,
  sw: number,
  sh: number,
  wrap: boolean,
  seed: number,
): PatchPair {
  return {
    image: randomArray(3 * width * height, seed, 0, 1),
    width,
    height,
    source: randomArray(3 * sw * sh, seed + 1, 0, 1),
    sourceWidth: sw,
    sourceHeight: sh,
    radius: 2,
    wrap,
  };
}

async function upload(p: PatchPair) {
  const ctx = await gpu();
  return {
    image: ctx.upload("image", Float32Array.from(p.image)),
    source: ctx.upload("source", Float32Array.from(p.source)),
  };
}

Deno.test("PatchMatch: random init and one pass match the float64 reference (odd sizes, wrap or not)", async () => {
  const ctx = await gpu();
  for (const wrap of [false, true]) {
    const p = pair(37, 23, 29, 31, wrap, wrap ? 5 : 6);
    const { image, source } = await upload(p);
    const pm = new PatchMatch(ctx, { ...p, sourceWidth: 29, sourceHeight: 31 });
    const prog = await program();
    pm.recordInit(prog, image, source, 7);
    prog.run();
    const n = p.width * p.height;
    const field0 = new Uint32Array((await ctx.read(pm.field, 0, n)).buffer);
    const dist0 = await ctx.read(pm.distances, 0, n);
    const init = patchMatchPassRef(p, new Uint32Array(n), new Float64Array(n), {
      jump: 0,
      searchRadius: 0,
      coherence: 0,
      seed: 7,
      step: 0,
    }, 0);
    assertEquals(field0, init.field, `init field, wrap ${wrap}`);
    assertClose(dist0, init.dist, 1e-5, 1e-7, `init distances, wrap ${wrap}`);
    const steps = [
      { jump: 1, coherence: 0 },
      { jump: 4, coherence: 0.05 },
      { jump: 1, coherence: 0.05, parity: 1 as const },
    ];
    for (const step of steps) {
      const s = { ...step, searchRadius: 16, seed: 7, step: 3 };
      const before = new Uint32Array((await ctx.read(pm.field, 0, n)).buffer);
      const beforeDist = await ctx.read(pm.distances, 0, n);
      const next = await program();
      pm.recordStep(next, image, source, s);
      next.run();
      const field = new Uint32Array((await ctx.read(pm.field, 0, n)).buffer);
      const dist = await ctx.read(pm.distances, 0, n);
      const ref = patchMatchPassRef(p, before, beforeDist, s, 1);
      let differ = 0;
      for (let i = 0; i < n; i++) {
        if (field[i] === ref.field[i]) continue;
        differ++;
        const d = patchDistanceRef(
          p,
          i % p.width,
          Math.floor(i / p.width),
          field[i] & 0xffff,
          field[i] >>> 16,
        );
        assert(Math.abs(d - ref.dist[i]) <= 1e-5, `pixel ${i}: ${d} vs ${ref.dist[i]}`);
      }
      assert(differ <= 0.002 * n, `${differ} of ${n} pixels differ (jump ${s.jump}, wrap ${wrap})`);
      for (let i = 0; i < n; i++) {
        if (field[i] === ref.field[i]) {
          assertClose([dist[i]], [ref.dist[i]], 1e-5, 1e-7, `distance ${i}`);
        }
      }
      // A pass never makes a pixel's cost worse; pixels of the other parity hold still.
      if (s.coherence === 0) {
        for (let i = 0; i < n; i++) assert(dist[i] <= beforeDist[i], `pixel ${i} got worse`);
      }
      if (s.parity !== undefined) {
        for (let i = 0; i < n; i++) {
          if (((i % p.width) + Math.floor(i / p.width)) % 2 !== s.parity) {
            assertEquals(field[i], before[i]);
          }
        }
      }
    }
    pm.destroy();
  }
});

Deno.test("PatchMatch: a collage of source blocks is found again exactly; repeats are bit-identical", async () => {
  const ctx = await gpu();
  // The output is four 24×24 blocks cut from a 64×64 source at known places.
  const [sw, sh, w, h, b] = [64, 64, 48, 48, 24];
  const src = randomArray(3 * sw * sh, 11, 0, 1);
  const origins = [[3, 7], [30, 2], [11, 35], [38, 39]];
  const truth = new Uint32Array(w * h);
  const image = new Float32Array(3 * w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [ox, oy] = origins[(y >= b ? 2 : 0) + (x >= b ? 1 : 0)];
      const sx = ox + (x % b);
      const sy = oy + (y % b);
      truth[y * w + x] = sx | (sy << 16);
      for (let c = 0; c < 3; c++) image[(c * h + y) * w + x] = src[(c * sh + sy) * sw + sx];
    }
  }
  const run = async () => {
    const pm = new PatchMatch(ctx, {
      width: w,
      height: h,
      sourceWidth: sw,
      sourceHeight: sh,
      radius: 2,
      wrap: false,
    });
    const prog = await program();
    const [ib, sb] = [ctx.upload("image", image), ctx.upload("source", src)];
    pm.recordInit(prog, ib, sb, 1);
    let step = 0;
    for (let round = 0; round < 4; round++) {
      for (const jump of [8, 4, 2, 1]) {
        pm.recordStep(prog, ib, sb, {
          jump,
          searchRadius: 32,
          coherence: 0,
          seed: 1,
          step: ++step,
        });
      }
    }
    prog.run();
    const field = new Uint32Array((await ctx.read(pm.field, 0, w * h)).buffer);
    pm.destroy();
    return field;
  };
  const field = await run();
  // Pixels whose patch lies inside one block have an exact match.
  let inside = 0;
  let found = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const away = (v: number, n: number) => v % b >= 2 && v % b < b - 2 && v >= 2 && v < n - 2;
      if (!away(x, w) || !away(y, h)) continue;
      inside++;
      if (field[y * w + x] === truth[y * w + x]) found++;
    }
  }
  assert(found >= 0.99 * inside, `${found} of ${inside} block pixels found`);
  assertEquals(await run(), field);
});

Deno.test("PatchMatch rejects bad shapes and small buffers", async () => {
  const ctx = await gpu();
  assertThrows(
    () =>
      new PatchMatch(ctx, {
        width: 0,
        height: 4,
        sourceWidth: 4,
        sourceHeight: 4,
        radius: 1,
        wrap: false,
      }),
    RangeError,
  );
  assertThrows(
    () =>
      new PatchMatch(ctx, {
        width: 4,
        height: 4,
        sourceWidth: 70000,
        sourceHeight: 4,
        radius: 1,
        wrap: false,
      }),
    RangeError,
  );
  const pm = new PatchMatch(ctx, {
    width: 8,
    height: 8,
    sourceWidth: 8,
    sourceHeight: 8,
    radius: 1,
    wrap: false,
  });
  const prog = await program();
  const small = ctx.createBuffer("small", 16);
  assertThrows(() => pm.recordInit(prog, small, small, 0), RangeError);
  pm.destroy();
});
