import { assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import manifest from "../../weights/vgg19.json" with { type: "json" };
import { TexSynthError } from "../../src/errors.ts";
import { loadWeightsFile } from "../../src/weights/load.ts";
import { encodeSafetensors, parseSafetensors } from "../../src/weights/safetensors.ts";
import type { TensorData } from "../../src/weights/tensor.ts";
import {
  randomVggWeights,
  VGG19_LAYERS,
  vggTensorNames,
  vggWeightsFromTensors,
} from "../../src/weights/vgg19_weights.ts";
import { expectedTiny, fixture } from "./_fixtures.ts";

Deno.test("VGG19_LAYERS is torchvision's features: 16 convs, chained channels, manifest order", () => {
  assertEquals(VGG19_LAYERS.map((l) => l.index), [
    0,
    2,
    5,
    7,
    10,
    12,
    14,
    16,
    19,
    21,
    23,
    25,
    28,
    30,
    32,
    34,
  ]);
  assertEquals(VGG19_LAYERS[0], { index: 0, name: "conv1_1", cin: 3, cout: 64 });
  for (let i = 1; i < VGG19_LAYERS.length; i++) {
    assertEquals(VGG19_LAYERS[i].cin, VGG19_LAYERS[i - 1].cout, VGG19_LAYERS[i].name);
  }
  assertEquals(VGG19_LAYERS.at(-1)!.cout, 512);
  const params = VGG19_LAYERS.reduce((n, l) => n + l.cout * (l.cin * 9 + 1), 0);
  assertEquals(params, 20_024_384); // torchvision: 143,667,240 in all minus 123,642,856 classifier
  assertEquals(manifest.sha256.slice(0, 8), "dcbb9e9d");
  assertEquals(manifest.url.includes("vgg19-dcbb9e9d.pth"), true);
});

Deno.test("randomVggWeights: deterministic golden values, He std within 2%, zero bias, upTo prefix", () => {
  const a = randomVggWeights(0, 7);
  assertEquals(a.source, "random(seed 0)");
  assertEquals(a.layers.map((l) => l.name), ["conv1_1", "conv1_2", "conv2_1", "conv2_2"]);
  // Pinned f32 values: a change of generator or platform shows up here.
  assertEquals(Array.from(a.layers[0].weight.subarray(0, 4)), [
    -0.027699679136276245,
    0.08700864762067795,
    0.04705064371228218,
    -0.055206649005413055,
  ]);
  const b = randomVggWeights(0, 5);
  assertEquals(b.layers.length, 3);
  for (let i = 0; i < 3; i++) assertEquals(b.layers[i].weight, a.layers[i].weight);
  assertNotEquals(randomVggWeights(1, 0).layers[0].weight, a.layers[0].weight);
  for (const l of a.layers) {
    assertEquals(l.weight.length, l.cout * l.cin * 9);
    assertEquals(l.bias, new Float32Array(l.cout));
    let sum = 0;
    let sumsq = 0;
    for (const v of l.weight) {
      sum += v;
      sumsq += v * v;
    }
    const n = l.weight.length;
    const std = Math.sqrt(2 / (l.cout * 9));
    const rel = Math.sqrt(sumsq / n) / std;
    // 1728 samples for conv1_1: the std's own sampling error is ~1.7%, so allow 5% there.
    const tol = n < 10_000 ? 0.05 : 0.02;
    if (Math.abs(rel - 1) > tol) throw new Error(`${l.name} std ratio ${rel}`);
    if (Math.abs(sum / n) > 5 * std / Math.sqrt(n)) throw new Error(`${l.name} mean ${sum / n}`);
  }
});

Deno.test("randomVggWeights without upTo makes all 16 layers with real shapes", () => {
  const w = randomVggWeights(3);
  assertEquals(w.layers.length, 16);
  for (const [i, l] of w.layers.entries()) {
    assertEquals({ index: l.index, name: l.name, cin: l.cin, cout: l.cout }, VGG19_LAYERS[i]);
    assertEquals(l.weight.length, l.cout * l.cin * 9);
  }
});

Deno.test("vggWeightsFromTensors takes the convs, ignores classifier.*, names missing/misshapen keys", () => {
  const tensors = parseSafetensors(Deno.readFileSync(fixture("tiny.safetensors")));
  const w = vggWeightsFromTensors(tensors, "tiny", 4);
  assertEquals(w.layers.map((l) => l.index), [0, 2]);
  assertEquals(w.layers[1].weight, tensors.get("features.2.weight")!.data);
  assertEquals(w.layers[0].bias, tensors.get("features.0.bias")!.data);
  const missing = assertThrows(() => vggWeightsFromTensors(tensors, "tiny"), TexSynthError);
  assertEquals(missing.message.includes("features.5.weight"), true, missing.message);
  const bad = new Map<string, TensorData>(tensors);
  bad.set("features.2.bias", { shape: [63], data: new Float32Array(63) });
  const shape = assertThrows(() => vggWeightsFromTensors(bad, "tiny", 2), TexSynthError);
  assertEquals(shape.message.includes("features.2.bias has shape [63]"), true, shape.message);
  assertEquals(vggTensorNames(2), [
    "features.0.weight",
    "features.0.bias",
    "features.2.weight",
    "features.2.bias",
  ]);
});

Deno.test("loadWeightsFile reads safetensors (exact first values), refuses missing and foreign files", async () => {
  const w = await loadWeightsFile(fixture("tiny.safetensors"), 2);
  assertEquals(w.layers.length, 2);
  const expected = expectedTiny();
  assertEquals(Array.from(w.layers[1].weight.subarray(0, 4)), expected["features.2.weight"].first);
  await assertRejects(
    () => loadWeightsFile("/nonexistent/vgg.safetensors"),
    TexSynthError,
    "not found",
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/page.html`, "<!doctype html><html>404</html>");
    await assertRejects(
      () => loadWeightsFile(`${dir}/page.html`),
      TexSynthError,
      "not a weights file",
    );
    const full = randomVggWeights(5, 2);
    const t = new Map<string, TensorData>();
    for (const l of full.layers) {
      t.set(`features.${l.index}.weight`, { shape: [l.cout, l.cin, 3, 3], data: l.weight });
      t.set(`features.${l.index}.bias`, { shape: [l.cout], data: l.bias });
    }
    const bytes = encodeSafetensors(t);
    await Deno.writeFile(`${dir}/cut.safetensors`, bytes.subarray(0, bytes.length - 10));
    await assertRejects(() => loadWeightsFile(`${dir}/cut.safetensors`, 2), TexSynthError);
    await Deno.writeFile(`${dir}/ok.safetensors`, bytes);
    const back = await loadWeightsFile(`${dir}/ok.safetensors`, 2);
    assertEquals(back.layers[1].weight, full.layers[1].weight);
    assertEquals(back.source, `${dir}/ok.safetensors`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
