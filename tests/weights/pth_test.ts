import { assert, assertEquals, assertRejects } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { type ByteSource, memorySource } from "../../src/weights/byte_source.ts";
import { readWeightTensors } from "../../src/weights/formats.ts";
import { loadWeightsFile } from "../../src/weights/load.ts";
import { unpickleTorch } from "../../src/weights/pickle.ts";
import { readPthLegacy } from "../../src/weights/pth_legacy.ts";
import { crc32, readPthZip } from "../../src/weights/pth_zip.ts";
import type { TensorData } from "../../src/weights/tensor.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import { randomArray } from "../_helpers.ts";
import { assertMatchesTiny, expectedTiny, fixture } from "./_fixtures.ts";
import {
  contiguousSpecs,
  f32Storage,
  legacyPth,
  PickleWriter,
  rowMajorStride,
  type StorageSpec,
  type TensorSpec,
  zipPth,
} from "./_torch_writer.ts";

/** Counts the bytes a reader asks for, to prove skipped tensors are never read. */
function counting(bytes: Uint8Array): ByteSource & { bytesRead: number } {
  const inner = memorySource(bytes);
  const s = {
    size: inner.size,
    bytesRead: 0,
    read(offset: number, length: number): Promise<Uint8Array> {
      s.bytesRead += length;
      return inner.read(offset, length);
    },
  };
  return s;
}

/** VGG19's first four convs (real shapes, seeded) plus a 4 MB classifier tensor. */
function vggLikeTensors(): Map<string, TensorData> {
  const t = new Map<string, TensorData>();
  for (const l of randomVggWeights(11, 7).layers) {
    t.set(`features.${l.index}.weight`, { shape: [l.cout, l.cin, 3, 3], data: l.weight });
    t.set(`features.${l.index}.bias`, { shape: [l.cout], data: randomArray(l.cout, l.index) });
  }
  t.set("classifier.0.weight", { shape: [1000, 1024], data: randomArray(1024_000, 99) });
  return t;
}

const features = (name: string): boolean => name.startsWith("features.");

Deno.test("the three torch fixtures (py2 legacy, legacy, zip) read to exactly tiny.expected.json", async () => {
  const names = Object.keys(expectedTiny());
  for (const f of ["tiny-legacy-py2.pth", "tiny-legacy.pth", "tiny-zip.pth"]) {
    const bytes = Deno.readFileSync(fixture(f));
    const all = await readWeightTensors(memorySource(bytes), () => true, f);
    assertEquals([...all.keys()].sort(), [...names].sort(), f);
    assertMatchesTiny(all, names);
    const w = await loadWeightsFile(fixture(f), 2);
    assertEquals(w.layers.map((l) => l.name), ["conv1_1", "conv1_2"]);
    assertEquals(w.layers[1].bias, all.get("features.2.bias")!.data, f);
  }
});

Deno.test("VGG-shaped legacy (py2, py3) and zip files round-trip exactly; the classifier is never read", async () => {
  const tensors = vggLikeTensors();
  const specs = contiguousSpecs(tensors);
  const files: [string, Uint8Array][] = [
    ["legacy-py2", legacyPth(specs, { py2: true })],
    ["legacy", legacyPth(specs)],
    ["zip", zipPth(specs)],
  ];
  for (const [what, bytes] of files) {
    const source = counting(bytes);
    const got = await readWeightTensors(source, features, what);
    assertEquals([...got.keys()], [...tensors.keys()].filter(features), what);
    for (const [k, v] of got) {
      assertEquals(v.shape, tensors.get(k)!.shape, `${what} ${k}`);
      assertEquals(v.data, tensors.get(k)!.data, `${what} ${k}`);
    }
    // ~1.1 MB of convs plus pickle windows and headers; the 4.1 MB classifier would push it past 5 MB.
    assert(
      source.bytesRead < 2_000_000,
      `${what} read ${source.bytesRead} of ${bytes.length}`,
    );
  }
});

Deno.test("strided, offset, shared, viewed, half and double storages materialize exactly", async () => {
  const base = randomArray(40, 5);
  const shared = f32Storage("s", base);
  const half: StorageSpec = {
    key: "h",
    type: "HalfStorage",
    numel: 3,
    chunks: () => [new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38])], // 1, -2, 0.5
  };
  const doubles = new Float64Array([0.1, -1e-3]);
  const double: StorageSpec = {
    key: "d",
    type: "DoubleStorage",
    numel: 2,
    chunks: () => [new Uint8Array(doubles.buffer)],
  };
  const specs: TensorSpec[] = [
    // A 4×5 transpose of rows 0..19: element [i][j] = base[j*4 + i].
    { name: "t", storage: shared, shape: [4, 5], stride: [1, 4], offset: 0 },
    { name: "o", storage: shared, shape: [2, 3], stride: [3, 1], offset: 30 },
    { name: "h", storage: half, shape: [3], stride: [1], offset: 0 },
    { name: "d", storage: double, shape: [2], stride: [1], offset: 0 },
  ];
  const transposed = new Float32Array(20);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) transposed[i * 5 + j] = base[j * 4 + i];
  const want = new Map<string, Float32Array>([
    ["t", transposed],
    ["o", base.slice(30, 36)],
    ["h", new Float32Array([1, -2, 0.5])],
    ["d", Float32Array.from(doubles)],
  ]);
  for (
    const [what, bytes] of [["legacy", legacyPth(specs)], ["zip", zipPth(specs)]] as const
  ) {
    const got = await readWeightTensors(memorySource(bytes), () => true, what);
    for (const [k, v] of want) assertEquals(got.get(k)!.data, v, `${what} ${k}`);
  }
  // Legacy 6-field ids with view metadata: the tensor's storage is elements [10, 20) of the root.
  const viewed = legacyPth([{
    name: "v",
    storage: shared,
    shape: [2, 5],
    stride: [5, 1],
    offset: 0,
    view: { offset: 10, numel: 10 },
  }]);
  const got = await readPthLegacy(memorySource(viewed), () => true, "view");
  assertEquals(got.get("v")!.data, base.slice(10, 20));
});

Deno.test("truncated, corrupt and forged torch files give one-line TexSynthErrors", async () => {
  const specs = contiguousSpecs(vggLikeTensors());
  const legacy = legacyPth(specs, { py2: true });
  const zip = zipPth(specs);
  const cases: [string, Uint8Array, string][] = [
    ["legacy cut", legacy.subarray(0, legacy.length - 100), "truncated"],
    ["legacy cut in pickle", legacy.subarray(0, 300), "truncated"],
    [
      "legacy cut, padded",
      Uint8Array.from([...legacy.subarray(0, 2000), ...new Uint8Array(8)]),
      "truncated",
    ],
    ["zip cut", zip.subarray(0, zip.length - 30), "zip"],
  ];
  const flipped = zip.slice();
  flipped[200] ^= 0xff; // inside data.pkl, whose CRC-32 is checked
  cases.push(["zip crc", flipped, "CRC-32"]);
  const badCount = legacy.slice();
  const keysEnd = _legacyDataStart(legacy);
  badCount[keysEnd] ^= 1;
  cases.push(["legacy count", badCount, "elements"]);
  const evil = new PickleWriter().proto().global("os", "system").stop().bytes();
  cases.push(["legacy evil", legacyPth(specs, {}, evil), "os.system"]);
  cases.push(["zip evil", zipPth(specs, evil), "os.system"]);
  for (const [what, bytes, msg] of cases) {
    const e = await assertRejects(
      () => readWeightTensors(memorySource(bytes), features, what),
      TexSynthError,
    );
    assert(e.message.includes(msg) && !e.message.includes("\n"), `${what}: ${e.message}`);
  }
  await assertRejects(() => readPthZip(memorySource(legacy), features, "x"), TexSynthError);
  await assertRejects(() => readPthLegacy(memorySource(zip), features, "x"), TexSynthError);
  assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assertEquals(rowMajorStride([2, 3, 4]), [12, 4, 1]);
});

/** Offset of the first storage's element count: after the five pickles. */
function _legacyDataStart(bytes: Uint8Array): number {
  let at = 0;
  for (let i = 0; i < 5; i++) at = unpickleTorch(bytes, at, "legacy").end;
  return at;
}
