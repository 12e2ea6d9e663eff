/**
 * Procedural exemplars for demos, benchmarks and tests: five 256×256 textures
 * (checker, bricks, dots, cracks, noise) made from a fixed seed, so the
 * project ships exemplars it owns outright and any machine can remake them
 * byte for byte. Every pattern wraps around at the edges (tileable), as a
 * texture exemplar should. Each generator uses only integer-seeded
 * {@link Random} streams and exactly rounded arithmetic, so the pixels, and
 * with {@link encodePng} the PNG bytes, are the same everywhere.
 *
 * Regenerate the committed files with:
 *
 * ```sh
 * deno run -A examples/make_examples.ts
 * ```
 *
 * @module
 */
import { fromFileUrl } from "@std/path";
import { encodePng, type PlanarImage } from "../src/io/image.ts";
import { writeFileAtomic } from "../src/io/atomic_write.ts";
import { Random } from "../src/random.ts";

/** Side of every example image, in pixels. */
export const EXAMPLE_SIZE = 256;

/** The seed every example derives its random streams from. */
export const EXAMPLE_SEED = 20160101;

/** The example names, in the order they are written; each is written as `examples/NAME.png`. */
export const EXAMPLE_NAMES: readonly ExampleName[] = [
  "checker",
  "bricks",
  "dots",
  "cracks",
  "noise",
];

/** The name of one procedural exemplar. */
export type ExampleName = "checker" | "bricks" | "dots" | "cracks" | "noise";

type Rgb = readonly [number, number, number];

const S = EXAMPLE_SIZE;

/** Builds a planar image from a per-pixel colour function (values in [0, 1]). */
function _paint(shade: (x: number, y: number) => Rgb): PlanarImage {
  const plane = S * S;
  const data = new Float32Array(3 * plane);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const [r, g, b] = shade(x, y);
      const i = y * S + x;
      data[i] = r;
      data[plane + i] = g;
      data[2 * plane + i] = b;
    }
  }
  return { width: S, height: S, data };
}

function _mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function _scale(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k];
}

function _clamp01(v: number): number {
  return Math.min(Math.max(v, 0), 1);
}

function _smoothstep(t: number): number {
  const u = _clamp01(t);
  return u * u * (3 - 2 * u);
}

/** Signed offset from `a` to `b` on a ring of length S (shortest way round). */
function _wrap(d: number): number {
  return d - S * Math.round(d / S);
}

/**
 * A per-pixel grain of a few grey levels: real exemplars have fine texture,
 * and so few levels keep the unfiltered PNG small.
 */
function _grain(random: Random, levels: number, amplitude: number): Float32Array {
  const grain = new Float32Array(S * S);
  for (let i = 0; i < grain.length; i++) {
    grain[i] = amplitude * ((random.nextU32() % levels) / (levels - 1) - 0.5);
  }
  return grain;
}

/** 32-px squares in two glazes, each square's tone a little off, like a tiled floor. */
function _checker(random: Random): PlanarImage {
  const cells = S / 32;
  const light: Rgb = [0.86, 0.82, 0.72];
  const dark: Rgb = [0.2, 0.23, 0.3];
  const tone = Array.from({ length: cells * cells }, () => 0.92 + 0.16 * random.uniform());
  return _paint((x, y) => {
    const cx = Math.floor(x / 32);
    const cy = Math.floor(y / 32);
    const base = (cx + cy) % 2 === 0 ? light : dark;
    return _scale(base, tone[cy * cells + cx]);
  });
}

/** Running-bond brickwork: 64×32 bricks, 4-px mortar, per-brick colour and a fine grain. */
function _bricks(random: Random): PlanarImage {
  const [bw, bh, mortar] = [64, 32, 4];
  const rows = S / bh;
  const perRow = S / bw;
  const brick: Rgb = [0.6, 0.27, 0.17];
  const brickColour = Array.from({ length: rows * perRow }, (): Rgb => {
    const k = 0.8 + 0.35 * random.uniform();
    const warm = 0.06 * (random.uniform() - 0.5);
    return [brick[0] * k + warm, brick[1] * k, brick[2] * k - warm];
  });
  const mortarColour: Rgb = [0.74, 0.71, 0.65];
  const grain = _grain(random, 5, 0.08);
  return _paint((x, y) => {
    const row = Math.floor(y / bh);
    const shifted = x + (row % 2) * (bw / 2);
    const col = Math.floor(shifted / bw) % perRow;
    const u = shifted % bw;
    const v = y % bh;
    const edge = Math.min(u, bw - 1 - u, v, bh - 1 - v);
    const g = grain[y * S + x];
    if (edge < mortar / 2) return _scale(mortarColour, 1 + g);
    const bevel = edge < mortar / 2 + 2 ? 0.86 : 1;
    return _scale(brickColour[row * perRow + col], bevel * (1 + g));
  });
}

/** Scattered anti-aliased discs of a few sizes and colours on cream paper. */
function _dots(random: Random): PlanarImage {
  const palette: Rgb[] = [[0.8, 0.25, 0.2], [0.2, 0.45, 0.7], [0.95, 0.7, 0.2], [0.25, 0.55, 0.35]];
  const paper: Rgb = [0.95, 0.92, 0.84];
  const discs = Array.from({ length: 70 }, () => ({
    x: S * random.uniform(),
    y: S * random.uniform(),
    r: 5 + 11 * random.uniform(),
    colour: palette[random.nextU32() % palette.length],
  }));
  return _paint((x, y) => {
    let colour = paper;
    for (const d of discs) {
      const dx = _wrap(x + 0.5 - d.x);
      const dy = _wrap(y + 0.5 - d.y);
      const coverage = _clamp01(d.r - Math.sqrt(dx * dx + dy * dy) + 0.5);
      if (coverage > 0) colour = _mix(colour, d.colour, coverage);
    }
    return colour;
  });
}

/** Dried mud: Voronoi cells in earthy tones, split by dark anti-aliased cracks. */
function _cracks(random: Random): PlanarImage {
  const seeds = Array.from({ length: 36 }, () => ({
    x: S * random.uniform(),
    y: S * random.uniform(),
    tone: 0.85 + 0.25 * random.uniform(),
  }));
  const mud: Rgb = [0.62, 0.5, 0.36];
  const crack: Rgb = [0.12, 0.09, 0.07];
  const grain = _grain(random, 4, 0.06);
  return _paint((x, y) => {
    const px = x + 0.5;
    const py = y + 0.5;
    let nearest = 0;
    let best = Infinity;
    const offsets = seeds.map((s) => {
      const dx = _wrap(px - s.x);
      const dy = _wrap(py - s.y);
      return [dx, dy];
    });
    offsets.forEach(([dx, dy], i) => {
      const d2 = dx * dx + dy * dy;
      if (d2 < best) [best, nearest] = [d2, i];
    });
    // Distance to the nearest cell wall: the bisector between the nearest
    // seed and each other seed, measured in the frame of the nearest seed.
    const [ax, ay] = offsets[nearest];
    let wall = Infinity;
    for (let i = 0; i < seeds.length; i++) {
      if (i === nearest) continue;
      const bx = ax - _wrap(seeds[i].x - seeds[nearest].x);
      const by = ay - _wrap(seeds[i].y - seeds[nearest].y);
      const ex = ax - bx;
      const ey = ay - by;
      const len = Math.sqrt(ex * ex + ey * ey);
      wall = Math.min(wall, (bx * bx + by * by - ax * ax - ay * ay) / (2 * len));
    }
    const curl = 0.82 + 0.18 * _smoothstep(wall / 10);
    const cell = _scale(mud, seeds[nearest].tone * curl * (1 + grain[y * S + x]));
    return _mix(crack, cell, _smoothstep((wall - 0.6) / 1.6));
  });
}

/**
 * Tileable fractal value noise (lattice periods 4 to 64 cells), coloured as
 * lichen on stone and posterized to 24 levels so the PNG stays small.
 */
function _noise(random: Random): PlanarImage {
  const octaves = [4, 8, 16, 32, 64].map((cells, k) => ({
    cells,
    amplitude: 0.5 ** k,
    lattice: Float32Array.from({ length: cells * cells }, () => random.uniform()),
  }));
  const total = octaves.reduce((sum, o) => sum + o.amplitude, 0);
  const stops: Rgb[] = [[0.16, 0.2, 0.15], [0.42, 0.5, 0.33], [0.7, 0.68, 0.52], [0.9, 0.86, 0.74]];
  return _paint((x, y) => {
    let n = 0;
    for (const { cells, amplitude, lattice } of octaves) {
      const step = S / cells;
      const gx = Math.floor(x / step);
      const gy = Math.floor(y / step);
      const tx = _smoothstep((x % step) / step);
      const ty = _smoothstep((y % step) / step);
      const at = (i: number, j: number) => lattice[(j % cells) * cells + (i % cells)];
      const top = at(gx, gy) + (at(gx + 1, gy) - at(gx, gy)) * tx;
      const bottom = at(gx, gy + 1) + (at(gx + 1, gy + 1) - at(gx, gy + 1)) * tx;
      n += amplitude * (top + (bottom - top) * ty);
    }
    const contrast = _clamp01((n / total - 0.5) * 2.2 + 0.5);
    const level = Math.round(contrast * 23) / 23;
    const scaled = level * (stops.length - 1);
    const i = Math.min(Math.floor(scaled), stops.length - 2);
    return _mix(stops[i], stops[i + 1], scaled - i);
  });
}

const GENERATORS: Record<ExampleName, (random: Random) => PlanarImage> = {
  checker: _checker,
  bricks: _bricks,
  dots: _dots,
  cracks: _cracks,
  noise: _noise,
};

/**
 * Makes one example's pixels: a 256×256 planar RGB image ([3, H, W], values
 * in [0, 1]). Each example draws from its own stream of {@link EXAMPLE_SEED},
 * so changing one generator leaves the others' bytes alone.
 */
export function makeExample(name: ExampleName): PlanarImage {
  const stream = EXAMPLE_NAMES.indexOf(name);
  return GENERATORS[name](new Random(EXAMPLE_SEED, stream));
}

/** Makes one example and encodes it as the PNG bytes committed under `examples/`. */
export async function makeExamplePng(name: ExampleName): Promise<Uint8Array> {
  return await encodePng(makeExample(name));
}

if (import.meta.main) {
  for (const name of EXAMPLE_NAMES) {
    const png = await makeExamplePng(name);
    const path = fromFileUrl(new URL(`./${name}.png`, import.meta.url));
    await writeFileAtomic(path, png);
    console.log(`wrote ${path} (${(png.length / 1024).toFixed(1)} KiB)`);
  }
}
