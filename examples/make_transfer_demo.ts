/**
 * Makes docs/style_transfer.png and docs/material_maps.png, the README's
 * before/after pictures of style transfer and of material map sets, and
 * prints the figures the README quotes.
 *
 *   deno run -A examples/make_transfer_demo.ts [--weights FILE|random] [--size 96] [--iterations 60]
 *
 * Style: a content of large shapes (examples/transfer_inputs.ts) in the
 * style of a stained-glass mosaic, from the content, in colour and with
 * --original-colors. Maps: a 96 px crop of examples/bricks.png whose
 * companion map is its inverse (255 − v, a known function of the albedo),
 * synthesized with --tile, the map carried through the source field, and
 * the albedo through the same field (--remap-albedo).
 */
import { parseArgs } from "@std/cli/parse-args";
import { mosaicImage, shapesImage } from "./transfer_inputs.ts";
import { readImageFile } from "../src/io/image_file.ts";
import { writeFileAtomic } from "../src/io/atomic_write.ts";
import { encodePng, type PlanarImage } from "../src/io/image.ts";
import { GpuContext } from "../src/gpu/context.ts";
import { StyleTransfer } from "../src/synth/style_transfer.ts";
import { Synthesizer } from "../src/synth/synthesizer.ts";
import { findSourceField, remapImage } from "../src/synth/source_field.ts";
import { loadWeightsFile } from "../src/weights/load.ts";
import { edgeCorrelation, yiqChannel } from "../tests/synth/_image_measures.ts";

const args = parseArgs(Deno.args, { string: ["weights", "size", "iterations"] });
const size = Number(args.size ?? 96);
const iterations = Number(args.iterations ?? 60);
const root = new URL("../", import.meta.url);
const weights = !args.weights || args.weights === "random"
  ? "random"
  : await loadWeightsFile(args.weights);
const gpu = await GpuContext.create();

/** Images side by side, each scaled up by `k` (nearest), on a white ground with 4 px gaps. */
function row(images: PlanarImage[], k: number): PlanarImage {
  const height = Math.max(...images.map((i) => i.height * k));
  const width = images.reduce((s, i) => s + i.width * k, 0) + 4 * (images.length - 1);
  const data = new Float32Array(3 * width * height).fill(1);
  let left = 0;
  for (const im of images) {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < im.height * k; y++) {
        for (let x = 0; x < im.width * k; x++) {
          data[(c * height + y) * width + left + x] = Math.min(
            1,
            Math.max(
              0,
              im.data[(c * im.height + Math.floor(y / k)) * im.width + Math.floor(x / k)],
            ),
          );
        }
      }
    }
    left += im.width * k + 4;
  }
  return { width, height, data };
}

/** Two copies of a tiled image side by side, to show that it repeats without a seam. */
function twice(image: PlanarImage): PlanarImage {
  const { width, height } = image;
  const data = new Float32Array(3 * 2 * width * height);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < 2 * width; x++) {
        data[(c * height + y) * 2 * width + x] = image.data[(c * height + y) * width + (x % width)];
      }
    }
  }
  return { width: 2 * width, height, data };
}

const quantized = (image: PlanarImage): PlanarImage => ({
  ...image,
  data: image.data.map((v) => Math.floor(Math.min(1, Math.max(0, v)) * 255 + 0.5) / 255),
});

// Style transfer.
const content = shapesImage(size, size);
const style = mosaicImage(2 * size);
const styled: PlanarImage[] = [];
for (const originalColors of [false, true]) {
  const transfer = await StyleTransfer.create(content, style, { weights, gpu, originalColors });
  await transfer.transfer(iterations);
  const h = transfer.history;
  const [first, last] = [h[0], h[h.length - 1]];
  const peak = Math.max(...h.map((r) => r.content));
  const image = quantized(await transfer.image());
  styled.push(image);
  let chroma = 0;
  for (const k of [1, 2]) {
    const a = yiqChannel(image, k);
    const b = yiqChannel(content, k);
    for (let i = 0; i < a.length; i++) chroma += Math.abs(a[i] - b[i]) / (2 * a.length);
  }
  console.log(
    `style${originalColors ? " --original-colors" : ""}: ${h.length - 1} iterations; style term ${
      first.gram.toExponential(3)
    } → ${last.gram.toExponential(3)}; content term 0 → ${peak.toExponential(3)} (peak) → ${
      last.content.toExponential(3)
    }; edge correlation with the content ${edgeCorrelation(image, content).toFixed(3)}` +
      ` (the style image's: ${edgeCorrelation(mosaicImage(size), content).toFixed(3)});` +
      ` mean |Δ chroma| of the 8-bit output ${chroma.toFixed(4)}`,
  );
  transfer.dispose();
}
const fromNoise = await StyleTransfer.create(content, style, { weights, gpu, init: "noise" });
await fromNoise.transfer(iterations);
const nh = fromNoise.history;
console.log(
  `style --init noise: style term ${nh[0].gram.toExponential(3)} → ${
    nh[nh.length - 1].gram.toExponential(3)
  }; content term ${nh[0].content.toExponential(3)} → ${
    nh[nh.length - 1].content.toExponential(3)
  }`,
);
fromNoise.dispose();
const styleOut = new URL("docs/style_transfer.png", root).pathname;
await writeFileAtomic(
  styleOut,
  await encodePng(row([content, mosaicImage(size), ...styled], 2)),
);
console.log(`wrote ${styleOut}`);

// Material maps.
const bricks = await readImageFile(new URL("examples/bricks.png", root).pathname);
const crop = (image: PlanarImage, side: number): PlanarImage => {
  const data = new Float32Array(3 * side * side);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        data[(c * side + y) * side + x] = image.data[(c * image.height + y) * image.width + x];
      }
    }
  }
  return { width: side, height: side, data };
};
const albedo = crop(bricks, size);
const map = { ...albedo, data: albedo.data.map((v) => 1 - v) };
const synth = await Synthesizer.create(albedo, { weights, gpu, tile: true, seed: 1 });
await synth.synthesize(2 * iterations);
const output = quantized(await synth.image());
synth.dispose();
const field = await findSourceField(output, albedo, { gpu, tile: true });
const outMap = remapImage(field, map);
const outAlbedo = remapImage(field, albedo);
const error = (a: PlanarImage, b: PlanarImage) =>
  a.data.reduce((s, v, i) => s + Math.abs(v - (1 - b.data[i])), 0) / a.data.length;
let coherent = 0;
for (let i = 0; i < field.x.length; i++) {
  const right = i - (i % size) + ((i + 1) % size);
  if (field.x[right] === field.x[i] + 1 && field.y[right] === field.y[i]) coherent++;
}
console.log(
  `maps: mean |map − (1 − albedo)| ${error(outMap, output).toFixed(4)} (×255: ${
    (255 * error(outMap, output)).toFixed(1)
  }) against the synthesized albedo, ${error(outMap, outAlbedo).toFixed(4)} with --remap-albedo; ${
    (100 * coherent / field.x.length).toFixed(1)
  }% of horizontal neighbours come from horizontal neighbours`,
);
const mapsOut = new URL("docs/material_maps.png", root).pathname;
await writeFileAtomic(
  mapsOut,
  await encodePng(row([albedo, map, twice(output), twice(outMap), twice(outAlbedo)], 2)),
);
console.log(`wrote ${mapsOut}`);
gpu.destroy();
