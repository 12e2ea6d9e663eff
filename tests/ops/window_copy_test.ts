import { assertThrows } from "@std/assert";
import { copyWindow, type PlaneAt } from "../../src/ops/window_copy.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

interface Plane {
  data: Float32Array;
  height: number;
  width: number;
  y: number;
  x: number;
}

const mod = (v: number, n: number) => ((v % n) + n) % n;

/** Every source pixel of the rectangle, added onto (or, first, written over) its wrapped destination. */
function copyWindowRef(
  channels: number,
  src: Plane,
  dst: Plane,
  eh: number,
  ew: number,
  accumulate: boolean,
): Float32Array {
  const out = Float64Array.from(dst.data);
  const seen = new Set<number>();
  for (let c = 0; c < channels; c++) {
    for (let a = 0; a < eh; a++) {
      for (let b = 0; b < ew; b++) {
        const s = src.data[
          (c * src.height + mod(src.y + a, src.height)) * src.width + mod(src.x + b, src.width)
        ];
        const o = (c * dst.height + mod(dst.y + a, dst.height)) * dst.width +
          mod(dst.x + b, dst.width);
        if (!accumulate && !seen.has(o)) out[o] = 0;
        seen.add(o);
        out[o] += s;
      }
    }
  }
  return Float32Array.from(out);
}

const CASES: { name: string; channels: number; src: number[]; dst: number[]; extent: number[] }[] =
  [
    // [height, width, y, x] of source and destination; extent [height, width].
    { name: "crop inside", channels: 3, src: [20, 17, 4, 5], dst: [9, 8, 0, 0], extent: [9, 8] },
    {
      name: "crop wrapping on every side",
      channels: 2,
      src: [11, 13, -3, -4],
      dst: [17, 21, 0, 0],
      extent: [17, 21],
    },
    {
      name: "window into a larger tensor",
      channels: 5,
      src: [6, 7, 0, 0],
      dst: [15, 16, 4, 8],
      extent: [6, 7],
    },
    {
      name: "fold of a crop larger than its image",
      channels: 3,
      src: [19, 23, 0, 0],
      dst: [7, 9, -5, -6],
      extent: [19, 23],
    },
    {
      name: "partial rectangle of both",
      channels: 4,
      src: [12, 12, 3, 2],
      dst: [10, 11, 5, 6],
      extent: [6, 8],
    },
  ];

for (const { name, channels, src, dst, extent } of CASES) {
  for (const accumulate of [false, true]) {
    Deno.test(`copyWindow: ${name}, ${accumulate ? "added" : "written"} (rtol 1e-6, atol 1e-6)`, async () => {
      const ctx = await gpu();
      const s: Plane = {
        data: randomArray(channels * src[0] * src[1], 7 + src[0]),
        height: src[0],
        width: src[1],
        y: src[2],
        x: src[3],
      };
      const d: Plane = {
        data: randomArray(channels * dst[0] * dst[1], 11 + dst[1]),
        height: dst[0],
        width: dst[1],
        y: dst[2],
        x: dst[3],
      };
      const on = (p: Plane, label: string): PlaneAt => ({
        buffer: ctx.upload(label, p.data),
        height: p.height,
        width: p.width,
        y: p.y,
        x: p.x,
      });
      const out = on(d, "destination");
      const prog = await program();
      copyWindow(
        prog,
        channels,
        on(s, "source"),
        out,
        { height: extent[0], width: extent[1] },
        accumulate,
      );
      const got = await runAndRead(prog, out.buffer, d.data.length);
      assertClose(got, copyWindowRef(channels, s, d, extent[0], extent[1], accumulate), 1e-6, 1e-6);
    });
  }
}

Deno.test("copyWindow refuses a buffer smaller than its shape and a copy onto itself", async () => {
  const ctx = await gpu();
  const prog = await program();
  const small = ctx.createBuffer("small", 4 * 10);
  const big = ctx.createBuffer("big", 4 * 100);
  const at = (buffer: GPUBuffer, h: number, w: number): PlaneAt => ({
    buffer,
    height: h,
    width: w,
    y: 0,
    x: 0,
  });
  assertThrows(
    () => copyWindow(prog, 1, at(small, 5, 5), at(big, 5, 5), { height: 5, width: 5 }, false),
    RangeError,
  );
  assertThrows(
    () => copyWindow(prog, 1, at(big, 5, 5), at(big, 5, 5), { height: 5, width: 5 }, false),
    RangeError,
  );
});
