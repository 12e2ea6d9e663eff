/**
 * Procedural inputs for style transfer and material map demos and tests,
 * the same on every machine: a content image of a few large shapes, a
 * colourful style image (a stained-glass mosaic), and an albedo with
 * companion maps that are known functions of it.
 *
 * @module
 */
import type { PlanarImage } from "../src/io/image.ts";
import { Random } from "../src/random.ts";

type Rgb = readonly [number, number, number];

function _paint(width: number, height: number, shade: (x: number, y: number) => Rgb): PlanarImage {
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = shade(x, y);
      const i = y * width + x;
      data[i] = r;
      data[plane + i] = g;
      data[2 * plane + i] = b;
    }
  }
  return { width, height, data };
}

/**
 * A content image with large shapes: a pale vertical gradient, a dark disk,
 * an orange bar and a blue triangle, each covering about a tenth of the
 * frame or more, with sharp edges.
 */
export function shapesImage(width: number, height: number): PlanarImage {
  const s = Math.min(width, height);
  return _paint(width, height, (x, y) => {
    const u = (x + 0.5) / width;
    const v = (y + 0.5) / height;
    const dx = (x - 0.32 * width) / s;
    const dy = (y - 0.38 * height) / s;
    if (dx * dx + dy * dy < 0.22 * 0.22) return [0.12, 0.14, 0.2];
    if (u > 0.62 && u < 0.84 && v > 0.12 && v < 0.88) return [0.92, 0.55, 0.18];
    // Triangle: apex at (0.4, 0.6), base along v = 0.95 from u = 0.1 to 0.7.
    const t = (v - 0.6) / 0.35;
    if (t > 0 && t < 1 && Math.abs(u - 0.4) < 0.3 * t) return [0.2, 0.35, 0.85];
    return [0.85 - 0.25 * v, 0.88 - 0.2 * v, 0.9 - 0.05 * v];
  });
}

/**
 * A colourful style image: a stained-glass mosaic of Voronoi cells, each a
 * saturated hue with a brighter centre, between dark leads. Wraps around
 * its edges.
 */
export function mosaicImage(size: number, seed = 5): PlanarImage {
  const r = new Random(seed);
  const cells = Array.from({ length: Math.max(4, Math.round((size * size) / 160)) }, () => {
    const hue = r.uniform();
    return { x: r.uniform() * size, y: r.uniform() * size, rgb: _hue(hue) };
  });
  return _paint(size, size, (x, y) => {
    let best = Infinity;
    let second = Infinity;
    let cell = cells[0];
    for (const c of cells) {
      let dx = Math.abs(x - c.x);
      let dy = Math.abs(y - c.y);
      dx = Math.min(dx, size - dx);
      dy = Math.min(dy, size - dy);
      const d = Math.sqrt(dx * dx + dy * dy);
      if (d < best) {
        second = best;
        best = d;
        cell = c;
      } else if (d < second) second = d;
    }
    if (second - best < 1.2) return [0.08, 0.07, 0.06];
    const glow = Math.max(0, 1 - best / 10);
    return [0, 1, 2].map((k) =>
      Math.min(1, 0.15 + 0.75 * cell.rgb[k] + 0.2 * glow)
    ) as unknown as Rgb;
  });
}

function _hue(h: number): Rgb {
  const k = (n: number) => (n + h * 6) % 6;
  const f = (n: number) => 1 - Math.max(0, Math.min(k(n), 4 - k(n), 1));
  return [f(5), f(3), f(1)];
}
