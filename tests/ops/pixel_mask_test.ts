import { assertEquals, assertThrows } from "@std/assert";
import { keepPixels, scalePixels, weightPixels } from "../../src/ops/pixel_mask.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";
import * as ref from "../reference/pixel_mask.ts";

// One product (and a square root) per element: f32 against float64 within
// rtol 1e-6 (a few ulps).
Deno.test("weightPixels: input times the window's weight or its root, odd and large shapes (rtol 1e-6)", async () => {
  const ctx = await gpu();
  const cases = [
    { channels: 1, height: 1, width: 1, map: [1, 1], at: [0, 0] },
    { channels: 3, height: 7, width: 5, map: [7, 5], at: [0, 0] },
    { channels: 64, height: 13, width: 9, map: [40, 31], at: [17, 20] },
    { channels: 5, height: 300, width: 257, map: [300, 257], at: [0, 0] },
  ];
  for (const { channels, height, width, map, at } of cases) {
    const input = randomArray(channels * height * width, channels + height, -2, 2);
    const weights = randomArray(map[0] * map[1], width, 0, 3);
    const window = { mapWidth: map[1], y: at[0], x: at[1] };
    for (const root of [false, true]) {
      const prog = await program();
      const ib = ctx.upload("input", input);
      const wb = ctx.upload("weights", weights);
      const out = ctx.createBuffer("out", input.length * 4);
      weightPixels(prog, ib, wb, out, { channels, height, width }, { root, window });
      const got = await runAndRead(prog, out, input.length);
      const expected = ref.weightPixels(input, weights, { channels, height, width }, window, root);
      assertClose(got, expected, 1e-6, 1e-30, `${channels}×${height}×${width} root=${root}`);
      [ib, wb, out].forEach((b) => ctx.destroyBuffer(b));
    }
  }
});

Deno.test("scalePixels multiplies in place; keepPixels copies kept pixels bit for bit", async () => {
  const ctx = await gpu();
  const [channels, height, width] = [3, 19, 23];
  const plane = height * width;
  const data = randomArray(channels * plane, 1);
  const base = randomArray(channels * plane, 2);
  const free = Float32Array.from(randomArray(plane, 3, 0, 1), (v) => v < 0.4 ? 0 : 1);
  const db = ctx.upload("data", data);
  const fb = ctx.upload("free", free);
  const bb = ctx.upload("base", base);
  const prog = await program();
  scalePixels(prog, db, fb, { channels, height, width });
  const scaled = await runAndRead(prog, db, data.length);
  assertEquals(scaled, Float32Array.from(data, (v, i) => v * free[i % plane]));
  ctx.write(db, data);
  const keep = await program();
  keepPixels(keep, db, fb, bb, { channels, height, width });
  const kept = await runAndRead(keep, db, data.length);
  assertEquals(kept, Float32Array.from(ref.keepPixels(data, free, base, channels)));
  assertThrows(() => keepPixels(keep, db, fb, db, { channels, height, width }), RangeError);
  assertThrows(
    () => weightPixels(keep, db, fb, bb, { channels, height, width: width + 1 }),
    RangeError,
  );
  [db, fb, bb].forEach((b) => ctx.destroyBuffer(b));
});
