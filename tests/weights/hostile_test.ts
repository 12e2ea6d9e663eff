// Forged and damaged weight files: every one ends in a one-line TexSynthError
// that names the problem, never another exception, code execution, a stack
// overflow or an allocation sized by a number the file made up.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { memorySource } from "../../src/weights/byte_source.ts";
import { readWeightTensors } from "../../src/weights/formats.ts";
import { loadWeightsFile } from "../../src/weights/load.ts";
import { unpickleTorch } from "../../src/weights/pickle.ts";
import { encodeSafetensors, parseSafetensors } from "../../src/weights/safetensors.ts";
import type { TensorData } from "../../src/weights/tensor.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import {
  f32Storage,
  legacyPth,
  rowMajorStride,
  stateDictPickle,
  type TensorSpec,
  zipArchive,
  zipPth,
} from "./_torch_writer.ts";

/** conv1_1 at its real shapes (seeded), the smallest valid VGG19 prefix (`upTo` 0). */
function conv11(): Map<string, TensorData> {
  const [l] = randomVggWeights(7, 0).layers;
  return new Map([
    ["features.0.weight", { shape: [64, 3, 3, 3], data: l.weight }],
    ["features.0.bias", { shape: [64], data: Float32Array.from({ length: 64 }, (_, i) => i / 64) }],
  ]);
}

function specsOf(tensors: Map<string, TensorData>): TensorSpec[] {
  return [...tensors].map(([name, t], i) => ({
    name,
    storage: f32Storage(String(i), t.data),
    shape: t.shape,
    stride: rowMajorStride(t.shape),
    offset: 0,
  }));
}

function assertOneLine(message: string, ...phrases: string[]): void {
  assert(!message.includes("\n"), `multi-line message: ${message}`);
  assert(message.length < 400, `message of ${message.length} chars: ${message.slice(0, 200)}…`);
  for (const p of phrases) assert(message.includes(p), `message lacks "${p}": ${message}`);
}

async function refused(bytes: Uint8Array, ...phrases: string[]): Promise<void> {
  const e = await assertRejects(
    () => readWeightTensors(memorySource(bytes, "w.pth"), () => true, "w.pth"),
    TexSynthError,
  );
  assertOneLine(e.message, ...phrases);
}

/** Writes `bytes` to a temp file and loads VGG19 up to conv1_1 from it. */
async function loadBytes(bytes: Uint8Array, name: string): Promise<unknown> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/${name}`, bytes);
    return await loadWeightsFile(`${dir}/${name}`, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function loadRefused(bytes: Uint8Array, name: string, ...phrases: string[]): Promise<void> {
  const e = await assertRejects(() => loadBytes(bytes, name), TexSynthError);
  assertOneLine(e.message, name, ...phrases);
}

Deno.test("missing, extra, foreign, misshapen and non-finite layers: one-line errors naming the key", async () => {
  const ok = conv11();
  await loadBytes(encodeSafetensors(ok), "ok.safetensors");
  const withClassifier = new Map(ok).set("classifier.0.weight", {
    shape: [2],
    data: new Float32Array(2),
  });
  await loadBytes(encodeSafetensors(withClassifier), "classifier.safetensors");
  const variants: [string, (t: Map<string, TensorData>) => void, string[]][] = [
    ["missing", (t) => t.delete("features.0.bias"), ["has no tensor features.0.bias"]],
    ["bn", (t) => t.set("features.1.weight", { shape: [64], data: new Float32Array(64) }), [
      "features.1.weight",
      "VGG16 or vgg19_bn",
    ]],
    // Refused even though upTo 0 would never read it: a VGG16 file is the wrong network.
    ["vgg16", (t) => t.set("features.17.bias", { shape: [1], data: new Float32Array(1) }), [
      "features.17.bias",
    ]],
    ["shape", (t) => t.set("features.0.bias", { shape: [8, 8], data: new Float32Array(64) }), [
      "features.0.bias has shape [8, 8], VGG19 needs [64]",
    ]],
    ["nan", (t) => t.get("features.0.weight")!.data[5] = NaN, ["non-finite", "element 5"]],
    ["inf", (t) => t.get("features.0.bias")!.data[63] = -Infinity, ["non-finite", "element 63"]],
  ];
  for (const [what, change, says] of variants) {
    const t = new Map([...conv11()].map(([k, v]) => [k, { ...v, data: v.data.slice() }]));
    change(t);
    await loadRefused(encodeSafetensors(t), `${what}.safetensors`, ...says);
    await loadRefused(zipPth(specsOf(t)), `${what}.pth`, ...says);
  }
  const wrapped = new Map([...ok].map(([k, v]) => [`module.${k}`, v]));
  await loadRefused(encodeSafetensors(wrapped), "dp.safetensors", "DataParallel", "module.");
});

/** A safetensors file from a raw JSON header text and data bytes. */
function rawSafetensors(json: string, data = new Uint8Array(0), length?: number): Uint8Array {
  const header = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + header.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, length ?? header.length, true);
  view.setUint32(4, Math.floor((length ?? header.length) / 2 ** 32), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

Deno.test("safetensors headers with hostile names and values stay one short line, no stack overflow", () => {
  const deep = "[".repeat(200_000) + "]".repeat(200_000);
  const longName = `evil\nname${"x".repeat(10_000)}`;
  const cases: [Uint8Array, string][] = [
    [rawSafetensors(`{"x":{"dtype":${deep},"shape":[],"data_offsets":[0,0]}}`), "an array of 1"],
    [rawSafetensors(`{"x":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`), "bad shape"],
    [rawSafetensors(`{"x":{"dtype":"F32","shape":[1],"data_offsets":"0-4"}}`), "bad data_offsets"],
    [
      rawSafetensors(JSON.stringify({ [longName]: { dtype: "I64", shape: [], data_offsets: [] } })),
      "evil?namexxx",
    ],
    [rawSafetensors(`{"x":[1,2]}`), "entry x is not an object"],
    [rawSafetensors(`{"x":{"dtype":"F32","shape":[1e300],"data_offsets":[0,4]}}`), "bad shape"],
    [
      rawSafetensors(`{"x":{"dtype":"F32","shape":[9007199254740991,9],"data_offsets":[0,4]}}`),
      "too large",
    ],
    [rawSafetensors("{}", new Uint8Array(0), 2 ** 62), "passes the end"],
    [rawSafetensors("{}", new Uint8Array(3)), "3 bytes after the last tensor"],
    [rawSafetensors(`{"__metadata__":{"k":1}}`), "__metadata__.k is not a string"],
  ];
  for (const [bytes, says] of cases) {
    const e = assertThrows(() => parseSafetensors(bytes), TexSynthError);
    assertOneLine(e.message, says);
  }
});

Deno.test("a read past the end of an in-memory source is a TexSynthError naming it", async () => {
  const e = await assertRejects(
    () => memorySource(new Uint8Array(10), "w.bin").read(8, 4),
    TexSynthError,
  );
  assertOneLine(e.message, "w.bin", "passes its end (10 bytes)");
  await assertRejects(() => memorySource(new Uint8Array(10)).read(-1, 2), TexSynthError);
  await assertRejects(() => memorySource(new Uint8Array(10)).read(0.5, 2), TexSynthError);
});

/** Bytes of a protocol-2 pickle: PROTO 2, `body`, STOP. */
function pickle(...body: (number[] | Uint8Array)[]): Uint8Array {
  const parts = [
    Uint8Array.of(0x80, 2),
    ...body.map((b) => Uint8Array.from(b)),
    Uint8Array.of(0x2e),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("forged pickles: a million nested tuples, a 300k-item APPENDS, huge memo keys", async () => {
  // 1,000,000 TUPLE1s around an int: nothing recurses into it, so no stack
  // overflow; a reader quadratic in the depth would take hours here, not
  // seconds (a wall-clock bound would only measure the machine's load).
  const nested = pickle([0x4b, 1], new Uint8Array(1_000_000).fill(0x85));
  assert(Array.isArray(unpickleTorch(nested, 0, "n").value));
  const legacy = legacyPth([], {}, nested);
  await refused(legacy, "does not hold a state dict");
  const zip = zipPth([], nested);
  await refused(zip, "does not hold a state dict");
  // As the protocol number of a legacy file, it is described, not stringified.
  const bytes = legacyPth([]);
  const magicEnd = unpickleTorch(bytes, 0, "m").end;
  const protoEnd = unpickleTorch(bytes, magicEnd, "p").end;
  const swapped = new Uint8Array([
    ...bytes.subarray(0, magicEnd),
    ...nested,
    ...bytes.subarray(protoEnd),
  ]);
  await refused(swapped, "protocol an array of 1, not 1001");

  const many = new Uint8Array(300_000 * 2).fill(0x4b);
  for (let i = 1; i < many.length; i += 2) many[i] = i & 0xff;
  const list = unpickleTorch(pickle([0x5d, 0x28], many, [0x65]), 0, "appends").value;
  assertEquals((list as unknown[]).length, 300_000);

  const far = unpickleTorch(
    pickle([0x4b, 9, 0x72, 0xff, 0xff, 0xff, 0xff, 0x30, 0x6a, 0xff, 0xff, 0xff, 0xff]),
    0,
    "memo",
  );
  assertEquals(far.value, 9);
  const puts = new Uint8Array(1_000_001 * 5);
  for (let i = 0; i <= 1_000_000; i++) {
    puts[5 * i] = 0x72;
    new DataView(puts.buffer).setUint32(5 * i + 1, i, true);
  }
  const e = assertThrows(() => unpickleTorch(pickle([0x4b, 1], puts), 0, "puts"), TexSynthError);
  assertOneLine(e.message, "memo too large");
  const text = assertThrows(
    () => unpickleTorch(new TextEncoder().encode(`I1\np${"9".repeat(2000)}\n.`), 0, "t"),
    TexSynthError,
  );
  assertOneLine(text.message, "bad");
});

Deno.test("huge declared sizes are checked against the file before anything is allocated", async () => {
  const data = new Float32Array([1, 2, 3, 4]);
  const storage = f32Storage("0", data);
  const tensor = (shape: number[], stride: number[], numel = 4): TensorSpec => ({
    name: "features.0.bias",
    storage: { ...storage, numel },
    shape,
    stride,
    offset: 0,
  });
  const broadcast = tensor([2 ** 20, 2 ** 20], [0, 0]);
  await refused(zipPth([broadcast]), "overlapping strides");
  await refused(legacyPth([broadcast]), "overlapping strides");
  const wide = tensor([1e6, 1e6], [1e6, 1]);
  await refused(zipPth([wide]), "needs 1000000000000 elements of a 4-element storage");
  // The pickle claims 2^40 elements; the file holds 4.
  const claim = tensor([4], [1], 2 ** 40);
  const z = zipArchive([
    { name: "a/data.pkl", data: stateDictPickle([claim], false) },
    { name: "a/data/0", data: new Uint8Array(data.buffer) },
  ]);
  await refused(z, "storage data/0 is 16 bytes, its pickle says 4398046511104");
  // The legacy writer records the claimed count too, so the storage section runs past the end.
  await refused(legacyPth([claim]), "truncated (4398046511088 bytes missing)");
  const big = pickle([0x8d, 0, 0, 0, 0, 0, 1, 0, 0]);
  assertOneLine(
    assertThrows(() => unpickleTorch(big, 0, "s"), TexSynthError).message,
    "string of 1099511627776 bytes",
  );
  const long = pickle([0x8b, 0xff, 0xff, 0xff, 0x7f]);
  assertOneLine(
    assertThrows(() => unpickleTorch(long, 0, "l"), TexSynthError).message,
    "integer too long",
  );
});

async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream("deflate-raw"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("zip: deflated members read exactly; bombs and impossible ratios are refused", async () => {
  const t = conv11();
  const specs = specsOf(t);
  const members = [
    { name: "a/data.pkl", data: stateDictPickle(specs, false) },
    ...specs.map((s) => ({
      name: `a/data/${s.storage.key}`,
      data: new Uint8Array(t.get(s.name)!.data.buffer),
    })),
  ];
  const deflated = await Promise.all(
    members.map(async (m) => ({ ...m, deflated: await deflateRaw(m.data) })),
  );
  const back = await readWeightTensors(memorySource(zipArchive(deflated)), () => true, "d");
  for (const [k, v] of t) assertEquals(back.get(k)!.data, v.data, k);

  const zeros = new Uint8Array(8 * 2 ** 20);
  const bomb = await deflateRaw(zeros);
  // Declared 1000 bytes, inflates to 8 MiB: stopped at the first slice past 1000.
  await refused(
    zipArchive([{ name: "a/data.pkl", data: zeros, deflated: bomb, size: 1000 }]),
    "inflates past its declared 1000 bytes",
  );
  // Declared 200 MB from a few kilobytes: more than deflate can expand, refused before inflating.
  await refused(
    zipArchive([{ name: "a/data.pkl", data: zeros, deflated: bomb, size: 200_000_000 }]),
    "more than deflate can",
  );
  await refused(
    zipArchive([{ name: "a/data.pkl", data: zeros, deflated: bomb, size: 2 ** 32 - 2 }]),
    "larger than 268435456",
  );
  await refused(
    zipArchive([{
      name: "a/data.pkl",
      data: new Uint8Array(100),
      deflated: Uint8Array.of(0xff, 0xff, 0xff),
    }]),
    "does not inflate",
  );
});

Deno.test("zip structure: zip64 fields, directory bounds, missing end record", async () => {
  const good = zipPth(specsOf(conv11()));
  const short64 = zipArchive([{
    name: "a/data.pkl",
    data: new Uint8Array(4),
    size: 0xffffffff,
    extra: Uint8Array.of(0x01, 0x00, 0x04, 0x00, 1, 2, 3, 4),
  }]);
  await refused(short64, "corrupt zip64 extra field");
  const overrun = zipArchive([{
    name: "a/data.pkl",
    data: new Uint8Array(4),
    extra: Uint8Array.of(0x01, 0x00, 0x40, 0x00, 1, 2, 3, 4),
  }]);
  await refused(overrun, "corrupt zip64 extra field");
  const moved = good.slice();
  const view = new DataView(moved.buffer);
  view.setUint32(moved.length - 6, moved.length, true);
  await refused(moved, "central directory passes the end");
  await refused(good.subarray(0, good.length - 22), "no end-of-central-directory");
  const locator = good.slice();
  new DataView(locator.buffer).setUint16(locator.length - 12, 0xffff, true);
  await refused(locator, "zip64 locator missing");
});

Deno.test("every truncation of small safetensors, zip and legacy files is a TexSynthError", async () => {
  const t = conv11();
  const files: [string, Uint8Array][] = [
    ["safetensors", encodeSafetensors(t)],
    ["zip", zipPth(specsOf(t))],
    ["legacy", legacyPth(specsOf(t), { py2: true })],
  ];
  for (const [what, bytes] of files) {
    // Every cut in the structural head and tail, and every 97th byte in between.
    const cuts = new Set<number>();
    for (let n = 0; n < bytes.length; n++) {
      if (n < 600 || n > bytes.length - 400 || n % 97 === 0) cuts.add(n);
    }
    for (const n of cuts) {
      try {
        await readWeightTensors(memorySource(bytes.subarray(0, n)), () => true, what);
        throw new Error(`${what} cut at ${n} of ${bytes.length} was accepted`);
      } catch (e) {
        if (!(e instanceof TexSynthError)) throw new Error(`${what} cut at ${n}: ${e}`);
        assertOneLine(e.message);
      }
    }
  }
});

Deno.test("a weights path that is a folder, a pipe or a device is refused without opening it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const e = await assertRejects(() => loadWeightsFile(dir), TexSynthError);
    assertOneLine(e.message, dir, "is a folder");
    if (Deno.build.os !== "windows") {
      const zero = await assertRejects(() => loadWeightsFile("/dev/zero"), TexSynthError);
      assertOneLine(zero.message, "/dev/zero", "not a regular file");
    }
    // Opening a FIFO for reading blocks until a writer appears: it must not be opened at all.
    const fifo = `${dir}/pipe.pth`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output().catch(() => null);
    if (made?.success) {
      const p = await assertRejects(() => loadWeightsFile(fifo), TexSynthError);
      assertOneLine(p.message, fifo, "not a regular file");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
