/**
 * `deno task gallery`: regenerates every picture of the README's gallery and
 * the captions beside them.
 *
 * - each bundled example (`examples/*.png`) beside its synthesis at 256 px,
 *   the exemplar at the output's scale (`exemplarSize`), two scales (128 px,
 *   then 256 px) of `--iterations` each;
 * - each texture of `../shared/textures` the same way, read from there and
 *   never copied: its picture shows exemplar and synthesis as half-size
 *   thumbnails;
 * - a `tile` synthesis laid 2×2 (it repeats without a seam);
 * - a 512 px multi-scale synthesis from the exemplar enlarged to 512 px (the
 *   default scales, 3 at 512 px, of half `--iterations` each);
 * - a sliced Wasserstein (`loss: "sw"`) synthesis.
 *
 * It runs the engine through the library API with one GPU context, composes
 * the side-by-side PNGs itself, writes them to `docs/gallery/` and rewrites
 * the README's gallery section (between its gallery markers) with a caption
 * per picture: the weights, the settings, the loss and the time it took.
 *
 *   deno task gallery [--weights random|FILE] [--iterations N] [--only NAME,…]
 *   deno task gallery --quick   # tiny sizes, 3 iterations, into .out/gallery; README untouched
 *
 * Settings, chosen for the random weights at hand (cracks at 128 px, 100
 * iterations a scale): preset `liu` with the exemplar at the output's scale
 * keeps cracks as thin lines, and a coarse scale first joins them into a
 * network (one scale leaves them broken; preset `seed` gives speckle). The
 * whole gallery is heavy on a software adapter (hours on a shared 2-core
 * machine); `--quick` checks the script in a few minutes.
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";
import { basename, fromFileUrl, join, relative } from "@std/path";
import {
  createSynthesizer,
  GpuContext,
  loadWeightsFile,
  type PlanarImage,
  type SynthesizerOptions,
  type VggWeights,
  writePng,
} from "../mod.ts";
import { writeFileAtomic } from "../src/io/atomic_write.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const START = "<!-- gallery: written by `deno task gallery`; edit examples/make_gallery.ts -->";
const END = "<!-- /gallery -->";
/** White space between the images of a picture, in pixels. */
const GAP = 8;

const args = parseArgs(Deno.args, {
  string: ["weights", "iterations", "only", "textures", "out"],
  boolean: ["quick"],
  default: { weights: "random", textures: join(ROOT, "../shared/textures") },
});
const quick = args.quick;
/** Output side of the exemplar pictures, of the tile and of the multi-scale picture. */
const SIZE = quick ? 48 : 256;
const LARGE = quick ? 96 : 512;
const iterations = Number(args.iterations ?? (quick ? 3 : 100));
/** Scales of the pictures at SIZE: a coarse one at half size first. */
const SCALES = 2;
const out = args.out ?? join(ROOT, quick ? ".out/gallery" : "docs/gallery");
const only = args.only ? new Set(args.only.split(",")) : null;
const writesReadme = !quick && !args.out;

const weights: VggWeights | "random" = args.weights === "random"
  ? "random"
  : await loadWeightsFile(args.weights);
const weightsCaption = args.weights === "random"
  ? "random VGG19 weights (seeded He initialization: no trained weights were at hand)"
  : `VGG19 weights from ${basename(args.weights)}`;

// ---- pictures -------------------------------------------------------------

/** A white canvas of this size. */
function canvas(width: number, height: number): PlanarImage {
  return { width, height, data: new Float32Array(3 * width * height).fill(1) };
}

/** Copies `src` into `dst` with its top-left corner at (x, y). */
function paste(dst: PlanarImage, src: PlanarImage, x: number, y: number): void {
  for (let c = 0; c < 3; c++) {
    for (let row = 0; row < src.height; row++) {
      const from = (c * src.height + row) * src.width;
      dst.data.set(
        src.data.subarray(from, from + src.width),
        (c * dst.height + y + row) * dst.width + x,
      );
    }
  }
}

/** Images left to right, top-aligned, GAP apart. */
function sideBySide(images: PlanarImage[]): PlanarImage {
  const width = images.reduce((w, i) => w + i.width, 0) + GAP * (images.length - 1);
  const out = canvas(width, Math.max(...images.map((i) => i.height)));
  let x = 0;
  for (const image of images) {
    paste(out, image, x, 0);
    x += image.width + GAP;
  }
  return out;
}

/** The image repeated 2×2, to show the seams a tile would have (none, for `tile`). */
function tile2x2(image: PlanarImage): PlanarImage {
  const out = canvas(2 * image.width, 2 * image.height);
  for (const [x, y] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    paste(out, image, x * image.width, y * image.height);
  }
  return out;
}

/** Half size by 2×2 averages (exact box filter), for thumbnails. */
function halve(image: PlanarImage): PlanarImage {
  const w = Math.floor(image.width / 2);
  const h = Math.floor(image.height / 2);
  const data = new Float32Array(3 * w * h);
  const at = (c: number, y: number, x: number) =>
    image.data[(c * image.height + y) * image.width + x];
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        data[(c * h + y) * w + x] = (at(c, 2 * y, 2 * x) + at(c, 2 * y, 2 * x + 1) +
          at(c, 2 * y + 1, 2 * x) + at(c, 2 * y + 1, 2 * x + 1)) / 4;
      }
    }
  }
  return { width: w, height: h, data };
}

// ---- runs -----------------------------------------------------------------

interface Job {
  /** File name (without .png) and --only key. */
  name: string;
  exemplar: string;
  /** Options beyond the shared ones (weights, seed, size). */
  options: Partial<SynthesizerOptions>;
  /** L-BFGS iterations at each scale. */
  iterations: number;
  size: number;
  /** The picture from the exemplar (as the objective saw it) and the result. */
  compose: (exemplar: PlanarImage, result: PlanarImage) => PlanarImage;
  /** What the picture shows, for the caption. */
  title: string;
  /** Alt text. */
  alt: string;
}

/** A picture's entry in the README, kept in `captions.json` beside the pictures. */
interface Caption {
  alt: string;
  /** The caption under the picture: what it shows, the settings, the loss, the time. */
  text: string;
}

const pngs = async (dir: string): Promise<string[]> => {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".png")) names.push(join(dir, e.name));
    }
    return names.sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
};

const bundled = await pngs(join(ROOT, "examples"));
const shared = await pngs(args.textures);
if (shared.length === 0) {
  console.error(`no textures in ${args.textures}: the gallery shows the bundled examples only`);
}
const stem = (path: string) => basename(path, ".png");
const example = (name: string) => join(ROOT, "examples", `${name}.png`);
const matched = { exemplarSize: SIZE, scales: SCALES };

const allJobs: Job[] = [
  ...bundled.map((path): Job => ({
    name: stem(path),
    exemplar: path,
    options: matched,
    iterations,
    size: SIZE,
    compose: (e, r) => sideBySide([e, r]),
    title: `\`examples/${stem(path)}.png\` | synthesis`,
    alt: `the bundled ${stem(path)} exemplar beside its synthesis`,
  })),
  ...shared.map((path): Job => ({
    name: `dtd_${stem(path)}`,
    exemplar: path,
    options: matched,
    iterations,
    size: SIZE,
    compose: (e, r) => sideBySide([halve(e), halve(r)]),
    title: `\`${
      stem(path)
    }.png\` (Describable Textures Dataset, in \`../shared/textures\`) | synthesis, both at half size`,
    alt: `${stem(path)} from the Describable Textures Dataset beside its synthesis`,
  })),
  ...features(),
];
const unknown = [...only ?? []].filter((name) => !allJobs.some((j) => j.name === name));
if (unknown.length > 0) {
  console.error(
    `--only names no picture: ${unknown.join(", ")}; the pictures are ${
      allJobs.map((j) => j.name).join(", ")
    }`,
  );
  Deno.exit(2);
}
const jobs = allJobs.filter((j) => !only || only.has(j.name));

/** The pictures of single features: tiling, multi-scale, sliced Wasserstein. */
function features(): Job[] {
  return [{
    name: "tile_cracks_2x2",
    exemplar: example("cracks"),
    options: { ...matched, tile: true },
    iterations,
    size: SIZE,
    compose: (_, r) => tile2x2(r),
    title: "`tile: true` (`--tile`) synthesis of `examples/cracks.png`, laid 2×2: no seams",
    alt: "a --tile synthesis of cracks repeated 2×2",
  }, {
    name: `multiscale_bricks_${LARGE}`,
    exemplar: example("bricks"),
    // The exemplar enlarged to the output's size: on another grid than the
    // output's, preset liu's spectrum target is interpolated between the
    // exemplar's frequency bins, which spreads the bricks' spectral lines
    // into streaks (seen at 512 px from the 256 px exemplar, with 2 scales
    // and 3). The quick run's 96 px would get one scale, so it asks for two.
    // Half the iterations a scale keep the 512 px scale's time (4× a 256 px
    // one's) in bounds.
    options: { exemplarSize: LARGE, scales: quick ? 2 : undefined },
    iterations: Math.ceil(iterations / 2),
    size: LARGE,
    compose: (e, r) => sideBySide([e, r]),
    title:
      `\`examples/bricks.png\` (enlarged to ${LARGE} px, \`--exemplar-size ${LARGE}\`) | ${LARGE} px multi-scale synthesis (default scales, coarse to fine)`,
    alt: `the bricks exemplar beside a ${LARGE} px multi-scale synthesis`,
  }, {
    name: "sw_cracks",
    exemplar: example("cracks"),
    options: { ...matched, loss: "sw" },
    iterations,
    size: SIZE,
    compose: (e, r) => sideBySide([e, r]),
    title: '`examples/cracks.png` | sliced Wasserstein synthesis (`loss: "sw"`, `--loss sw`)',
    alt: "the cracks exemplar beside a sliced Wasserstein synthesis",
  }];
}

await Deno.mkdir(out, { recursive: true });
const gpu = await GpuContext.create();
const captionsPath = join(out, "captions.json");
const captions: Record<string, Caption> = writesReadme ? await readCaptions() : {};
let made = 0;
for (const [k, job] of jobs.entries()) {
  const started = performance.now();
  const synth = await createSynthesizer(job.exemplar, {
    ...job.options,
    weights,
    seed: 0,
    width: job.size,
    height: job.size,
    gpu,
  });
  try {
    const label = `[${k + 1}/${jobs.length}] ${job.name}: ${job.size} px, ${
      synth.scales > 1 ? `${synth.scales} scales × ` : ""
    }${job.iterations} iterations`;
    console.error(`${label} …`);
    const run = await synth.synthesize(job.iterations, {
      onProgress: (r) => {
        if (r.iteration > 0 && r.iteration % 25 === 0) {
          console.error(
            `  iteration ${r.iteration}${
              synth.scales > 1 ? ` (scale 1/${2 ** r.scale})` : ""
            }: loss ${r.loss.toExponential(2)}, ${
              ((performance.now() - started) / 1000).toFixed(0)
            } s`,
          );
        }
      },
    });
    const picture = job.compose((await synth.exemplars())[0], await synth.image());
    const file = join(out, `${job.name}.png`);
    await writePng(file, picture);
    const seconds = (performance.now() - started) / 1000;
    const first = synth.history[0];
    const steps = synth.scales > 1
      ? `${synth.scales} scales × ${job.iterations} iterations`
      : `${run.last.iteration} iterations`;
    captions[job.name] = {
      alt: job.alt,
      text: `${job.title}. ${job.size} px, ${steps}, loss ${first.loss.toExponential(2)} → ${
        run.last.loss.toExponential(2)
      }${run.stop === "iterations" ? "" : ` (stopped: ${run.stop})`}, ${seconds.toFixed(0)} s; ${
        args.weights === "random" ? "random weights" : weightsCaption
      }`,
    };
    made++;
    // After every picture, so an interrupted run leaves a true README.
    if (writesReadme) await writeReadme();
    console.error(
      `${label}: loss ${first.loss.toExponential(2)} → ${
        run.last.loss.toExponential(2)
      }, stopped by ${run.stop}, ${seconds.toFixed(0)} s → ${relative(Deno.cwd(), file)}`,
    );
  } finally {
    synth.dispose();
  }
}
gpu.destroy();
console.error(
  `made ${made} pictures in ${relative(Deno.cwd(), out) || "."}${
    writesReadme ? ", captions in README.md's gallery section" : ""
  }`,
);

/** The captions of earlier runs, so `--only` keeps the other pictures' entries. */
async function readCaptions(): Promise<Record<string, Caption>> {
  try {
    return JSON.parse(await Deno.readTextFile(captionsPath));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
}

/** Rewrites captions.json and the README's gallery section with every picture made so far. */
async function writeReadme(): Promise<void> {
  const encode = (text: string) => new TextEncoder().encode(text);
  await writeFileAtomic(captionsPath, encode(`${JSON.stringify(captions, null, 2)}\n`));
  const readmePath = join(ROOT, "README.md");
  const readme = await Deno.readTextFile(readmePath);
  const [before, rest] = readme.split(START);
  const after = rest?.split(END)[1];
  if (after === undefined) {
    throw new Error(`README.md lacks the gallery markers ${START} … ${END}`);
  }
  await writeFileAtomic(readmePath, encode(`${before}${START}\n${section()}${END}${after}`));
  // Both are kept as deno fmt writes them (wrapped at the project's width).
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", readmePath, captionsPath],
    cwd: ROOT,
    stdout: "null",
    stderr: "null",
  }).output();
  if (!fmt.success) throw new Error(`deno fmt ${readmePath} failed`);
}

/** The gallery section: the pictures in the order of the job list, whichever run made them. */
function section(): string {
  const adapter = gpu.info.description;
  const lines = [
    "",
    `Made by \`deno task gallery\` with ${weightsCaption}` +
    (args.weights === "random"
      ? ": the optimization at work, rougher than trained VGG19 makes textures. "
      : ". ") +
    `Every picture: preset \`liu\`, seed 0, from seeded noise, the exemplar at the output's ` +
    `scale (\`--exemplar-size ${SIZE}\`), a coarse scale at half size first ` +
    `(\`--scales ${SCALES}\`) unless the caption says otherwise; on ${adapter}.`,
    "",
  ];
  for (const job of allJobs) {
    const caption = captions[job.name];
    if (!caption) continue;
    lines.push(
      `![${caption.alt}](${relative(ROOT, join(out, `${job.name}.png`))})`,
      "",
      `_${caption.text}._`,
      "",
    );
  }
  return lines.join("\n");
}
