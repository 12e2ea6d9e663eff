import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { memorySource } from "../../src/weights/byte_source.ts";
import {
  encodeSafetensors,
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
} from "../../src/weights/safetensors.ts";
import type { TensorData } from "../../src/weights/tensor.ts";
import { randomArray } from "../_helpers.ts";
import { assertMatchesTiny, expectedTiny, fixture } from "./_fixtures.ts";

/** A safetensors file from a raw header object and raw data bytes, for malformed cases. */
function rawFile(header: unknown, data: Uint8Array, lengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, lengthOverride ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function assertOneLineError(fn: () => unknown, includes: string): void {
  const e = assertThrows(fn, TexSynthError);
  if (!e.message.includes(includes) || e.message.includes("\n")) {
    throw new Error(`message should be one line naming "${includes}": ${e.message}`);
  }
}

Deno.test("tiny.safetensors reads to exactly the expected values (first values bit-equal, sums rel 1e-12)", () => {
  const tensors = parseSafetensors(Deno.readFileSync(fixture("tiny.safetensors")));
  const names = Object.keys(expectedTiny());
  assertEquals([...tensors.keys()].sort(), names.sort());
  assertMatchesTiny(tensors, names);
});

Deno.test("readSafetensors keeps only the tensors asked for and matches parseSafetensors exactly", async () => {
  const bytes = Deno.readFileSync(fixture("tiny.safetensors"));
  const some = await readSafetensors(memorySource(bytes), (n) => n.startsWith("features."));
  assertEquals([...some.keys()].sort(), [
    "features.0.bias",
    "features.0.weight",
    "features.2.bias",
    "features.2.weight",
  ]);
  const all = parseSafetensors(bytes);
  for (const [k, v] of some) assertEquals(v.data, all.get(k)!.data, k);
});

Deno.test("encode → parse round-trips shapes, values (exact) and metadata; header padded to 8", async () => {
  const tensors = new Map<string, TensorData>([
    ["a", { shape: [2, 3], data: randomArray(6, 1) }],
    ["scalar", { shape: [], data: new Float32Array([Math.PI]) }],
    ["empty", { shape: [0, 4], data: new Float32Array(0) }],
    ["b.c", { shape: [5], data: randomArray(5, 2) }],
  ]);
  const bytes = encodeSafetensors(tensors, { format: "pt", note: "tex-synth" });
  const headerLength = new DataView(bytes.buffer).getUint32(0, true);
  assertEquals(headerLength % 8, 0);
  const back = parseSafetensors(bytes);
  assertEquals([...back.keys()], [...tensors.keys()]);
  for (const [k, v] of tensors) {
    assertEquals(back.get(k)!.shape, v.shape, k);
    assertEquals(back.get(k)!.data, Float32Array.from(v.data), k);
  }
  const header = await readSafetensorsHeader(memorySource(bytes));
  assertEquals(header.metadata, { format: "pt", note: "tex-synth" });
});

Deno.test("F16 and BF16 tensors widen to the exact f32 values", () => {
  // F16: 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), -0, inf.
  const f16 = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000, 0x7c00];
  const f16Want = [1, -2, 0.5, 65504, 2 ** -24, -0, Infinity];
  // BF16: 1, -3.5, 1e38-ish (0x7e96 → 1.0e38 rounded), 2^-133 (subnormal f32).
  const bf16 = [0x3f80, 0xc060, 0x7e96, 0x0001];
  const bf16Want = [1, -3.5, new Float32Array(new Uint32Array([0x7e960000]).buffer)[0], 2 ** -133];
  const data = new Uint8Array((f16.length + bf16.length) * 2);
  const view = new DataView(data.buffer);
  [...f16, ...bf16].forEach((h, i) => view.setUint16(i * 2, h, true));
  const file = rawFile({
    h: { dtype: "F16", shape: [f16.length], data_offsets: [0, f16.length * 2] },
    b: { dtype: "BF16", shape: [bf16.length], data_offsets: [f16.length * 2, data.length] },
  }, data);
  const t = parseSafetensors(file);
  assertEquals(Array.from(t.get("h")!.data), f16Want);
  assertEquals(Array.from(t.get("b")!.data), bf16Want);
});

Deno.test("malformed safetensors give one-line TexSynthErrors naming the problem", async () => {
  const data = new Uint8Array(16);
  const ok = { x: { dtype: "F32", shape: [4], data_offsets: [0, 16] } };
  parseSafetensors(rawFile(ok, data));
  assertOneLineError(() => parseSafetensors(rawFile(ok, data, 1_000_000)), "passes the end");
  assertOneLineError(() => parseSafetensors(new Uint8Array(5)), "only 5 bytes");
  assertOneLineError(
    () => parseSafetensors(rawFile({ x: { ...ok.x, data_offsets: [0, 20] } }, data)),
    "fall outside",
  );
  assertOneLineError(
    () => parseSafetensors(rawFile({ x: { ...ok.x, dtype: "I64", shape: [2] } }, data)),
    "unsupported dtype",
  );
  assertOneLineError(
    () => parseSafetensors(rawFile({ x: { ...ok.x, shape: [3] } }, data)),
    "needs 12",
  );
  assertOneLineError(
    () =>
      parseSafetensors(rawFile({
        x: { dtype: "F32", shape: [3], data_offsets: [0, 12] },
        y: { dtype: "F32", shape: [3], data_offsets: [4, 16] },
      }, data)),
    "overlaps",
  );
  assertOneLineError(
    () =>
      parseSafetensors(rawFile({ x: { dtype: "F32", shape: [3], data_offsets: [4, 16] } }, data)),
    "belong to no tensor",
  );
  assertOneLineError(
    () =>
      parseSafetensors(rawFile({ x: { dtype: "F32", shape: [3], data_offsets: [0, 12] } }, data)),
    "after the last tensor",
  );
  assertOneLineError(
    () => parseSafetensors(rawFile({ x: { ...ok.x, shape: [-4] } }, data)),
    "bad shape",
  );
  const notJson = rawFile(ok, data);
  notJson[8] = 0x5b;
  assertOneLineError(() => parseSafetensors(notJson), "not UTF-8 JSON");
  await assertRejects(
    () => readSafetensors(memorySource(rawFile(ok, data, 1_000_000))),
    TexSynthError,
    "passes the end",
  );
});
