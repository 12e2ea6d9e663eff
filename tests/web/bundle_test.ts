// The committed browser bundles are what `deno task bundle` makes from the
// sources now (rebuilt to a temporary folder and compared byte for byte: a
// stale bundle fails here), they hold no Deno.* call, and the engine bundle
// works on web APIs alone: imported as it is, it decodes PNG as the engine
// does and reads weights files through a Blob as the file reader does.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { buildWeb } from "../../tools/build_web.ts";
import { readImageFile } from "../../src/io/image_file.ts";
import { loadWeightsFile } from "../../src/weights/load.ts";
import { encodeSafetensors } from "../../src/weights/safetensors.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import { blobSource } from "../../src/weights/blob.ts";
import { memorySource } from "../../src/weights/byte_source.ts";
import { readWeightTensors } from "../../src/weights/formats.ts";
import { assertMatchesTiny, expectedTiny, fixture } from "../weights/_fixtures.ts";
import type * as Browser from "../../browser.ts";
import { startPageServer } from "../../src/server/server.ts";
import { writeCacheRecord } from "../../src/weights/cache_record.ts";

const ROOT = new URL("../../", import.meta.url);
const BUILD = new URL("web/build/", ROOT);
const FILES = ["tex-synth.js", "page.js", "examples.json"];

Deno.test("bundle: web/build/ is what `deno task bundle` makes from the sources now", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-bundle-" });
  try {
    await buildWeb(dir);
    for (const name of FILES) {
      const fresh = await Deno.readFile(`${dir}/${name}`);
      const committed = await Deno.readFile(new URL(name, BUILD));
      assert(
        fresh.length === committed.length && fresh.every((b, i) => b === committed[i]),
        `web/build/${name} is stale: run \`deno task bundle\` and commit the result`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bundle: no Deno.* in the browser bundles; the page imports the engine bundle beside it", async () => {
  for (const name of ["tex-synth.js", "page.js"]) {
    const code = (await Deno.readTextFile(new URL(name, BUILD)))
      .replace(/^\s*(\/\/|\*).*$/gm, "");
    assert(!/\bDeno\./.test(code), `${name} calls Deno.*`);
    assert(!/from\s+"(npm:|jsr:|https?:|node:)/.test(code), `${name} imports a remote module`);
  }
  const page = await Deno.readTextFile(new URL("page.js", BUILD));
  assertStringIncludes(page, `from "./tex-synth.js"`);
  assert(!page.includes("class Synthesizer"), "page.js carries its own copy of the engine");
  const examples = JSON.parse(await Deno.readTextFile(new URL("examples.json", BUILD)));
  for (const [name, base64] of Object.entries(examples)) {
    assertEquals(
      Uint8Array.fromBase64(base64 as string),
      await Deno.readFile(new URL(`examples/${name}`, ROOT)),
      `examples.json's ${name}`,
    );
  }
});

Deno.test("bundle: the engine bundle decodes PNG as the engine does and reads weights from a Blob", async () => {
  const engine: typeof Browser = await import(new URL("tex-synth.js", BUILD).href);
  for (const name of ["Synthesizer", "GpuContext", "loadWeightsBlob", "encodePng"] as const) {
    assert(typeof engine[name] === "function", `the bundle does not export ${name}`);
  }
  const path = new URL("examples/dots.png", ROOT).pathname;
  const png = await engine.decodePngImage(await Deno.readFile(path), "dots.png");
  assertEquals(png, await readImageFile(path));
  const again = await engine.decodePngImage(await engine.encodePng(png), "again.png");
  assertEquals(again.data, png.data);
  for (const name of ["palette2.png", "gray16.png", "rgba8.png"]) {
    const file = new URL(`tests/fixtures/${name}`, ROOT).pathname;
    assertEquals(
      await engine.decodePngImage(await Deno.readFile(file), name),
      await readImageFile(file),
    );
  }
  const jpeg = await assertRejects(
    async () =>
      engine.decodePngImage(
        await Deno.readFile(new URL("tests/fixtures/gradient.jpg", ROOT)),
        "gradient.jpg",
      ),
    engine.TexSynthError,
  );
  assertStringIncludes(jpeg.message, "gradient.jpg is a JPEG file, not a PNG");

  const weights = randomVggWeights(5, 4);
  const tensors = new Map(
    weights.layers.flatMap((l) => [
      [`features.${l.index}.weight`, { shape: [l.cout, l.cin, 3, 3], data: l.weight }],
      [`features.${l.index}.bias`, { shape: [l.cout], data: l.bias }],
    ]),
  );
  const file = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    const bytes = encodeSafetensors(tensors);
    await Deno.writeFile(file, bytes);
    const fromBlob = await engine.loadWeightsBlob(
      new Blob([bytes as Uint8Array<ArrayBuffer>]),
      "picked.safetensors",
      4,
    );
    const fromFile = await loadWeightsFile(file, 4);
    assertEquals(fromBlob.layers, fromFile.layers);
    assertEquals(fromBlob.source, "picked.safetensors");
  } finally {
    await Deno.remove(file);
  }
  const bad = await assertRejects(
    () =>
      engine.loadWeightsBlob(new Blob([new TextEncoder().encode("not weights at all")]), "x.pth"),
    engine.TexSynthError,
  );
  assertStringIncludes(bad.message, "x.pth is not a weights file");
  const empty = await assertRejects(
    () => engine.loadWeightsBlob(new Blob([]), "empty.pth"),
    engine.TexSynthError,
  );
  assertStringIncludes(empty.message, "empty.pth is empty");
});

Deno.test("bundle: a Blob source reads the shared .pth and .safetensors fixtures as memory does", async () => {
  const names = Object.keys(expectedTiny());
  for (const name of ["tiny.safetensors", "tiny-zip.pth", "tiny-legacy.pth"]) {
    const bytes = await Deno.readFile(fixture(name));
    const keep = () => true;
    const viaBlob = await readWeightTensors(blobSource(new Blob([bytes]), name), keep, name);
    assertMatchesTiny(viaBlob, names);
    assertEquals(viaBlob, await readWeightTensors(memorySource(bytes, name), keep, name));
  }
  const truncated = blobSource(new Blob([new Uint8Array(10)]), "short.pth");
  const error = await assertRejects(() => truncated.read(8, 4));
  assertStringIncludes((error as Error).message, "short.pth is truncated");
});

Deno.test("bundle: the page's path to the cached weights: served by the server, fetched as a Blob, read by the bundle", async () => {
  const engine: typeof Browser = await import(new URL("tex-synth.js", BUILD).href);
  const weights = randomVggWeights(9, 4);
  const bytes = encodeSafetensors(
    new Map(
      weights.layers.flatMap((l) => [
        [`features.${l.index}.weight`, { shape: [l.cout, l.cin, 3, 3], data: l.weight }],
        [`features.${l.index}.bias`, { shape: [l.cout], data: l.bias }],
      ]),
    ),
  );
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-bundle-" });
  const server = startPageServer({ weightsFile: `${dir}/weights.safetensors` });
  try {
    await Deno.writeFile(`${dir}/weights.safetensors`, bytes);
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
    );
    await writeCacheRecord(dir, {
      format: "test",
      bytes: bytes.length,
      sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
      sourceSha256: "0".repeat(64),
    });
    const response = await fetch(new URL("weights/vgg19.safetensors", server.url));
    assertEquals(response.status, 200);
    const loaded = await engine.loadWeightsBlob(await response.blob(), "cached", 4);
    assertEquals(loaded.layers, weights.layers);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
