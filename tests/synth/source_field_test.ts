// Material maps through a source field: a companion map that is a known
// per-pixel function of the albedo (its inverse) comes out matching that
// function of the output, exactly when the albedo goes through the field
// too; the field wraps for tiled outputs, survives its 16-bit PNG exactly,
// and carries maps of other depths and scales.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { mosaicImage } from "../../examples/transfer_inputs.ts";
import type { PlanarImage } from "../../src/io/image.ts";
import { encodePngSamples, type PngSamples } from "../../src/io/png.ts";
import {
  decodeSourceField,
  encodeSourceField,
  findSourceField,
  remapImage,
  remapSamples,
  type SourceField,
} from "../../src/synth/source_field.ts";
import { Synthesizer } from "../../src/synth/synthesizer.ts";
import { TexSynthError } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import { gpu } from "../_helpers.ts";

const inverted = (image: PlanarImage): PlanarImage => ({
  ...image,
  data: image.data.map((v) => 1 - v),
});

function meanAbs(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

const clamp01 = (image: PlanarImage): PlanarImage => ({
  ...image,
  data: image.data.map((v) => Math.min(1, Math.max(0, v))),
});

Deno.test("an inverted-albedo map follows the synthesized albedo (mean error well under a random field's), exactly with the albedo remapped", async () => {
  const ctx = await gpu();
  const exemplar = mosaicImage(48, 3);
  const synth = await Synthesizer.create(exemplar, { weights: "random", gpu: ctx, seed: 4 });
  await synth.synthesize(10);
  const output = clamp01(await synth.image());
  synth.dispose();
  const field = await findSourceField(output, exemplar, { gpu: ctx });
  const map = remapImage(field, inverted(exemplar));
  const want = inverted(output).data;
  const error = meanAbs(map.data, want);
  // A field that matches nothing: sources drawn at random.
  const r = new Random(9);
  const random: SourceField = {
    ...field,
    x: field.x.map(() => Math.floor(r.uniform() * 48)),
    y: field.y.map(() => Math.floor(r.uniform() * 48)),
  };
  const chance = meanAbs(remapImage(random, inverted(exemplar)).data, want);
  assert(error < 0.7 * chance, `mean error ${error} against ${chance} for a random field`);
  // With the albedo through the same field the set agrees exactly.
  const albedo = remapImage(field, exemplar);
  assertEquals(map.data, inverted(albedo).data);
  // Neighbours mostly come from neighbouring sources.
  let coherent = 0;
  for (let i = 0; i + 1 < field.x.length; i++) {
    if (
      (i + 1) % field.width && field.x[i + 1] === field.x[i] + 1 && field.y[i + 1] === field.y[i]
    ) {
      coherent++;
    }
  }
  assert(coherent > 0.3 * field.width * (field.width - 1), `${coherent} coherent pairs in rows`);
});

Deno.test("a tiled output's field wraps: a periodic shift of the exemplar is found at the output's edges too", async () => {
  const ctx = await gpu();
  // Noise: every patch is unique, so a right match is the true source.
  const size = 40;
  const noise = new Random(8);
  const exemplar = {
    width: size,
    height: size,
    data: Float32Array.from({ length: 3 * size * size }, () => noise.uniform()),
  };
  const [dx, dy] = [13, 22];
  const plane = size * size;
  const output = { width: size, height: size, data: new Float32Array(3 * plane) };
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        output.data[c * plane + y * size + x] =
          exemplar.data[c * plane + ((y + dy) % size) * size + ((x + dx) % size)];
      }
    }
  }
  const found = async (tile: boolean) => {
    const field = await findSourceField(output, exemplar, { gpu: ctx, tile, coherence: 0 });
    let edge = 0;
    let right = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const [sx, sy] = [(x + dx) % size, (y + dy) % size];
        // Source patches that cross the exemplar's edge have no exact match.
        if (sx < 2 || sy < 2 || sx >= size - 2 || sy >= size - 2) continue;
        if (x >= 2 && y >= 2 && x < size - 2 && y < size - 2) continue;
        edge++;
        if (field.x[y * size + x] === sx && field.y[y * size + x] === sy) right++;
      }
    }
    return right / edge;
  };
  const wrapped = await found(true);
  assert(wrapped >= 0.99, `with tile: ${wrapped} of the output's edge pixels found`);
  const clamped = await found(false);
  assert(clamped < wrapped, `without tile: ${clamped}`);
});

Deno.test("the field survives its 16-bit PNG exactly; maps of any depth and scale go through it; bad files are refused", async () => {
  const r = new Random(2);
  const field: SourceField = {
    width: 7,
    height: 5,
    sourceWidth: 300,
    sourceHeight: 200,
    x: Uint16Array.from({ length: 35 }, () => Math.floor(r.uniform() * 300)),
    y: Uint16Array.from({ length: 35 }, () => Math.floor(r.uniform() * 200)),
  };
  const png = await encodeSourceField(field);
  assertEquals(await decodeSourceField(png, "uv.png"), field);
  // A 16-bit gray height map at the exemplar's size, and an RGBA map at twice it.
  const height: PngSamples = {
    width: 300,
    height: 200,
    channels: 1,
    depth: 16,
    samples: Uint16Array.from({ length: 300 * 200 }, (_, i) => (i * 7919) & 0xffff),
  };
  const out = remapSamples(field, height);
  assertEquals([out.width, out.height, out.channels, out.depth], [7, 5, 1, 16]);
  for (let i = 0; i < 35; i++) {
    assertEquals(out.samples[i], height.samples[field.y[i] * 300 + field.x[i]]);
  }
  const big: PngSamples = {
    width: 600,
    height: 400,
    channels: 4,
    depth: 8,
    samples: Uint8Array.from({ length: 600 * 400 * 4 }, (_, i) => i & 0xff),
  };
  const scaled = remapSamples(field, big);
  for (let i = 0; i < 35; i++) {
    const at = (2 * field.y[i] + 1) * 600 + 2 * field.x[i] + 1;
    assertEquals([...scaled.samples.subarray(4 * i, 4 * i + 4)], [
      ...big.samples.subarray(4 * at, 4 * at + 4),
    ]);
  }
  assertThrows(
    () => remapSamples(field, { ...height, width: 200, height: 300 }, "rot.png"),
    TexSynthError,
    "rot.png is 200×300 px, not the exemplar's 300×200",
  );
  const eight = await encodePngSamples({
    width: 2,
    height: 1,
    channels: 3,
    depth: 8,
    samples: new Uint8Array(6),
  });
  await assertRejects(() => decodeSourceField(eight, "a.png"), TexSynthError, "not a source field");
  const bare = await encodePngSamples({
    width: 1,
    height: 1,
    channels: 3,
    depth: 16,
    samples: new Uint16Array(3),
  });
  await assertRejects(
    () => decodeSourceField(bare, "b.png"),
    TexSynthError,
    "does not say which exemplar size",
  );
  const outside = await encodePngSamples(
    { width: 1, height: 1, channels: 3, depth: 16, samples: Uint16Array.of(300, 0, 0) },
    { "tex-synth:source": "300x200" },
  );
  await assertRejects(
    () => decodeSourceField(outside, "c.png"),
    TexSynthError,
    "outside its 300×200 exemplar",
  );
});
