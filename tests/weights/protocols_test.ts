// Every pickle protocol torch.save writes reads, in both container formats,
// from files real torch.save made (tests/fixtures/torch_protocols/make.py);
// what cannot be read gets a message that names the protocol.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { memorySource } from "../../src/weights/byte_source.ts";
import { readWeightTensors } from "../../src/weights/formats.ts";
import { loadWeightsFile } from "../../src/weights/load.ts";
import { unpickleTorch } from "../../src/weights/pickle.ts";

const dir = new URL("../fixtures/torch_protocols/", import.meta.url).pathname;

/** What make.py saved: every value exact in f32. */
const weight = Float32Array.from({ length: 1728 }, (_, i) => i / 1024);
const bias = Float32Array.from({ length: 64 }, (_, i) => i - 32);

for (const protocol of [1, 2, 3, 4, 5]) {
  for (const container of ["zip", "legacy"]) {
    const name = `p${protocol}-${container}.pth`;
    Deno.test(`pickle protocol ${protocol}, ${container} container: every tensor reads exactly`, async () => {
      const bytes = await Deno.readFile(`${dir}${name}`);
      const tensors = await readWeightTensors(memorySource(bytes), () => true, name);
      assertEquals([...tensors.keys()], [
        "features.0.weight",
        "features.0.bias",
        "extra.transposed",
      ]);
      assertEquals(tensors.get("features.0.weight"), { shape: [64, 3, 3, 3], data: weight });
      assertEquals(tensors.get("features.0.bias"), { shape: [64], data: bias });
      // A transposed view: strides (1, 3) over the storage 0..5.
      assertEquals(tensors.get("extra.transposed"), {
        shape: [3, 2],
        data: new Float32Array([0, 3, 1, 4, 2, 5]),
      });
      const vgg = await loadWeightsFile(`${dir}${name}`, 0);
      assertEquals(vgg.layers.map((l) => l.name), ["conv1_1"]);
      assertEquals(vgg.layers[0].weight, weight);
      assertEquals(vgg.layers[0].bias, bias);
    });
  }
}

Deno.test("pickle protocol 0 (torch.save writes it, nothing reads it back) is named as such", async () => {
  for (const container of ["zip", "legacy"]) {
    const e = await assertRejects(
      () => loadWeightsFile(`${dir}p0-${container}.pth`),
      TexSynthError,
      "pickle protocol 0",
    );
    assert(!e.message.includes("\n") && e.message.includes("pickle_protocol=2"), e.message);
  }
});

Deno.test("a protocol newer than 5, and protocol 5's out-of-band buffers, are named", async () => {
  const bytes = await Deno.readFile(`${dir}p5-legacy.pth`);
  assertEquals([bytes[0], bytes[1]], [0x80, 5]);
  const future = bytes.slice();
  future[1] = 6;
  const e = await assertRejects(
    () => readWeightTensors(memorySource(future), () => true, "future.pth"),
    TexSynthError,
    "pickle protocol 6",
  );
  assert(!e.message.includes("\n") && e.message.includes("pickle_protocol=5"), e.message);
  // PROTO 5, BININT1 0, NEXT_BUFFER, STOP.
  assertThrows(
    () => unpickleTorch(new Uint8Array([0x80, 5, 0x97, 0x2e]), 0, "oob.pkl"),
    TexSynthError,
    "out-of-band buffers",
  );
});

Deno.test("BYTEARRAY8 (protocol 5) reads as bytes", () => {
  // PROTO 5, BYTEARRAY8 len 3 "abc", STOP.
  const pickle = new Uint8Array([0x80, 5, 0x96, 3, 0, 0, 0, 0, 0, 0, 0, 97, 98, 99, 0x2e]);
  assertEquals(unpickleTorch(pickle, 0, "b.pkl").value, new Uint8Array([97, 98, 99]));
});
