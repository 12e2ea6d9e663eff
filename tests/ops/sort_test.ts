import { assertEquals, assertThrows } from "@std/assert";
import { RowSort } from "../../src/ops/sort.ts";
import { gpu, program, rng } from "../_helpers.ts";

/** The f32 bit pattern mapped so unsigned order is IEEE total order (−0 < +0). */
function totalKey(bits: number): number {
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/** Rows with ties, negatives, ±0 and infinities: drawn from a small value set or uniform. */
function testRows(rows: number, length: number, seed: number, tied: boolean): Float32Array {
  const r = rng(seed);
  const special = [0, -0, 1, -1, 0.5, -2.25, Infinity, -Infinity, 3, -0];
  const out = new Float32Array(rows * length);
  for (let i = 0; i < out.length; i++) {
    out[i] = tied ? special[Math.floor(r() * special.length)] : (r() - 0.5) * 200;
  }
  return out;
}

const bits = (x: Float32Array): Uint32Array => new Uint32Array(x.buffer, x.byteOffset, x.length);

async function sortOnGpu(
  rows: number,
  length: number,
  data: Float32Array,
  payload?: Uint32Array,
  fill = false,
): Promise<{ values: Uint32Array; indices?: Uint32Array }> {
  const ctx = await gpu();
  const prog = await program();
  const vb = ctx.upload("values", data);
  const ib = payload ? ctx.upload("indices", payload) : undefined;
  const sort = new RowSort(ctx, rows, length, payload !== undefined);
  sort.record(prog, vb, ib, fill);
  prog.run();
  const values = bits(await ctx.read(vb, 0, rows * length));
  const indices = ib ? bits(await ctx.read(ib, 0, rows * length)) : undefined;
  prog.destroy();
  sort.destroy();
  ctx.destroyBuffer(vb);
  if (ib) ctx.destroyBuffer(ib);
  return { values, indices };
}

// Cases span one tile (≤ 2048), a tile boundary, several global merge stages
// (10000 → 16384, 70001 → 131072), a power of two and non-powers of two.
const CASES: [number, number][] = [[1, 1], [3, 2], [4, 17], [5, 2048], [2, 2049], [3, 4096], [
  2,
  10000,
], [1, 70001]];

Deno.test("RowSort keys match Float32Array.prototype.sort bit for bit (ties, ±0, ±∞; exact)", async () => {
  for (const [rows, length] of CASES) {
    for (const tied of [false, true]) {
      const data = testRows(rows, length, rows * 7 + length, tied);
      const { values } = await sortOnGpu(rows, length, data);
      const expected = new Float32Array(rows * length);
      for (let r = 0; r < rows; r++) {
        expected.set(data.slice(r * length, (r + 1) * length).sort(), r * length);
      }
      assertEquals(values, bits(expected), `rows=${rows} length=${length} tied=${tied}`);
    }
  }
});

Deno.test("RowSort with indices is a stable argsort: equal keys keep their original order (exact)", async () => {
  for (const [rows, length] of CASES) {
    const data = testRows(rows, length, length * 3 + rows, true);
    const stale = new Uint32Array(rows * length).fill(0xdeadbeef);
    const { values, indices } = await sortOnGpu(rows, length, data, stale, true);
    const dataBits = bits(data);
    for (let r = 0; r < rows; r++) {
      const o = r * length;
      const order = Array.from({ length }, (_, i) => i).sort((a, b) =>
        totalKey(dataBits[o + a]) - totalKey(dataBits[o + b]) || a - b
      );
      assertEquals(indices!.slice(o, o + length), Uint32Array.from(order), `row ${r} of ${length}`);
      assertEquals(
        values.slice(o, o + length),
        Uint32Array.from(order, (i) => dataBits[o + i]),
        `row ${r} values of ${length}`,
      );
    }
  }
});

Deno.test("RowSort carries an arbitrary payload and orders key ties by it (exact)", async () => {
  const rows = 3, length = 5000;
  const data = testRows(rows, length, 99, true);
  const r = rng(5);
  const payload = Uint32Array.from({ length: rows * length }, () => Math.floor(r() * 2 ** 32));
  const { values, indices } = await sortOnGpu(rows, length, data, payload);
  const dataBits = bits(data);
  for (let row = 0; row < rows; row++) {
    const o = row * length;
    const order = Array.from({ length }, (_, i) => o + i).sort((a, b) =>
      totalKey(dataBits[a]) - totalKey(dataBits[b]) || payload[a] - payload[b]
    );
    assertEquals(indices!.slice(o, o + length), Uint32Array.from(order, (i) => payload[i]));
    assertEquals(values.slice(o, o + length), Uint32Array.from(order, (i) => dataBits[i]));
  }
});

Deno.test("RowSort rejects bad shapes and mismatched buffers at record time", async () => {
  const ctx = await gpu();
  assertThrows(() => new RowSort(ctx, 0, 4, false), RangeError);
  assertThrows(() => new RowSort(ctx, 2, 1.5, false), RangeError);
  assertThrows(() => new RowSort(ctx, 2 ** 16, 2 ** 17, false), RangeError);
  const prog = await program();
  const small = ctx.createBuffer("small", 16);
  const big = ctx.createBuffer("big", 4 * 64);
  assertThrows(() => new RowSort(ctx, 2, 32, false).record(prog, small), RangeError);
  assertThrows(() => new RowSort(ctx, 2, 32, true).record(prog, big), Error);
  assertThrows(() => new RowSort(ctx, 2, 32, false).record(prog, big, big), Error);
  assertThrows(() => new RowSort(ctx, 2, 32, true).record(prog, big, small), RangeError);
  ctx.destroyBuffer(small);
  ctx.destroyBuffer(big);
  prog.destroy();
});
