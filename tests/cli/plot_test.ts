// lossPlotSvg: structure, log-scale geometry and gaps. Coordinates are
// written rounded to 0.01 px, so geometry checks allow 0.011 px.
import { assert, assertEquals, assertMatch, assertNotMatch } from "@std/assert";
import { lossPlotSvg } from "../../src/cli/plot.ts";
import type { LossRecord } from "../../src/synth/synthesizer.ts";

const PX = 0.011;

function record(iteration: number, loss: number, gram: number, spectrum: number): LossRecord {
  return { iteration, evaluations: iteration + 1, loss, gram, spectrum, ms: 10, scale: 0 };
}

/** Each `<polyline class="KEY" points="…">` as a list of [x, y]. */
function polylines(svg: string, key: string): number[][][] {
  const re = new RegExp(`<polyline class="${key}" points="([^"]*)"`, "g");
  return [...svg.matchAll(re)].map((m) => m[1].split(" ").map((p) => p.split(",").map(Number)));
}

/** Tags open and close in order, and every element is closed or self-closed. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)\b[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) assertEquals(stack.pop(), name, `unbalanced </${name}>`);
    else stack.push(name);
  }
  assertEquals(stack, [], "unclosed elements");
  assertNotMatch(svg.replace(/&(amp|lt|gt|quot);/g, ""), /&/, "unescaped &");
}

const DECAYING = Array.from(
  { length: 21 },
  (_, i) => record(i, 1e6 * 10 ** (-i / 5), 8e5 * 10 ** (-i / 5), 2 * 10 ** (-i / 10)),
);

Deno.test("lossPlotSvg: a well-formed SVG with axis labels, three series and a legend", () => {
  const svg = lossPlotSvg(DECAYING);
  assert(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"'));
  assertWellFormed(svg);
  assertMatch(svg, />iteration</);
  assertMatch(svg, />loss \(log scale\)</);
  for (const key of ["loss", "gram", "spectrum"]) {
    const lines = polylines(svg, key);
    assertEquals(lines.length, 1, key);
    assertEquals(lines[0].length, DECAYING.length, key);
  }
  for (const label of ["total", "gram", "spectrum (unweighted)"]) {
    assertMatch(svg, new RegExp(`>${label.replace(/[()]/g, "\\$&")}<`));
  }
});

Deno.test("lossPlotSvg: y is log10 of the loss (one decade = equal steps, ±0.011 px), x is linear in the iteration", () => {
  const svg = lossPlotSvg(DECAYING);
  const [total] = polylines(svg, "loss");
  // loss falls a decade every 5 iterations: equal y steps per decade, equal x per iteration.
  const decade = total[5][1] - total[0][1];
  const unitX = total[1][0] - total[0][0];
  assert(decade > 0, "smaller losses are drawn lower (larger y)");
  for (let i = 0; i < total.length; i++) {
    assert(Math.abs(total[i][0] - (total[0][0] + unitX * i)) <= 2 * PX, `x of point ${i}`);
    assert(Math.abs(total[i][1] - (total[0][1] + (decade * i) / 5)) <= 2 * PX, `y of point ${i}`);
  }
  // The gram series sits log10(1e6 / 8e5) decades below the total at every iteration.
  const [gram] = polylines(svg, "gram");
  const offset = Math.log10(1e6 / 8e5) * decade;
  for (let i = 0; i < gram.length; i++) {
    assert(Math.abs(gram[i][1] - total[i][1] - offset) <= 2 * PX, `gram offset at ${i}`);
  }
});

Deno.test("lossPlotSvg: the y axis spans whole decades and labels them; x spans the iterations", () => {
  const svg = lossPlotSvg(DECAYING);
  // Values run from 2e-2 (spectrum at i = 20) to 1e6 (total at i = 0): decades 1e-2 … 1e6.
  for (const label of ["0.01", "0.1", "1", "10", "100", "1000", "1e4", "1e5", "1e6"]) {
    assertMatch(svg, new RegExp(`class="ytick"[^>]*>${label.replace(".", "\\.")}<`));
  }
  assertNotMatch(svg, />1e7</);
  assertNotMatch(svg, />0\.001</);
  const [total] = polylines(svg, "loss");
  assertEquals(total[0][0], 64, "iteration 0 at the left edge of the plot");
  assertEquals(total[total.length - 1][0], 624, "the last iteration at the right edge");
  for (const tick of [0, 5, 10, 15, 20]) assertMatch(svg, new RegExp(`>${tick}</text>`));
});

Deno.test("lossPlotSvg: zero, negative and non-finite values leave gaps; a new variation starts a new line", () => {
  const records = [
    record(0, 100, 50, 1),
    record(1, 50, 25, 0),
    record(2, 40, 20, 0.5),
    record(3, 30, 15, 0.4),
    record(4, Number.NaN, 10, -1),
    record(5, 20, 8, 0.3),
    record(0, 90, 45, 0.9),
    record(1, 60, 30, 0.8),
  ];
  const svg = lossPlotSvg(records);
  assertWellFormed(svg);
  assertEquals(polylines(svg, "loss").map((l) => l.length), [4, 2]);
  assertEquals(polylines(svg, "gram").map((l) => l.length), [6, 2]);
  // spectrum: [1] alone (a dot), [0.5, 0.4], [0.3] alone (a dot), then the second variation.
  assertEquals(polylines(svg, "spectrum").map((l) => l.length), [2, 2]);
  assertEquals([...svg.matchAll(/<circle class="spectrum"/g)].length, 2);
  assertEquals([...svg.matchAll(/<circle class="loss"/g)].length, 1, "iteration 5's total alone");
});

Deno.test("lossPlotSvg: no plottable value gives the frame with 'no data'; a series with none is marked", () => {
  for (const records of [[], [record(0, 0, 0, 0)], [record(0, Number.NaN, -1, Infinity)]]) {
    const svg = lossPlotSvg(records);
    assertWellFormed(svg);
    assertMatch(svg, />no data</);
    assertNotMatch(svg, /<polyline|<circle/);
  }
  const svg = lossPlotSvg([record(0, 10, 10, 0), record(1, 5, 5, 0)]);
  assertMatch(svg, /spectrum \(unweighted\) \(none &gt; 0\)/);
  assertEquals(polylines(svg, "spectrum").length, 0);
});

Deno.test("lossPlotSvg: one record and a flat series still draw inside the plot", () => {
  const svg = lossPlotSvg([record(7, 1000, 1000, 1000)]);
  assertWellFormed(svg);
  const dots = [...svg.matchAll(/<circle class="loss" cx="([\d.]+)" cy="([\d.]+)"/g)];
  assertEquals(dots.length, 1);
  const [cx, cy] = [Number(dots[0][1]), Number(dots[0][2])];
  assert(Math.abs(cx - (64 + 560 / 2)) <= PX, `centred in x: ${cx}`);
  assert(Math.abs(cy - (16 + 340 / 2)) <= PX, `centred in y: ${cy}`);
});

Deno.test("lossPlotSvg: options set the size and an escaped title; output is deterministic", () => {
  const svg = lossPlotSvg(DECAYING, { width: 300, height: 200, title: `a&b <"c">` });
  assertWellFormed(svg);
  assertMatch(svg, /width="300" height="200" viewBox="0 0 300 200"/);
  assertMatch(svg, />a&amp;b &lt;&quot;c&quot;&gt;</);
  const [total] = polylines(svg, "loss");
  assertEquals(total[total.length - 1][0], 300 - 16);
  assert(total.every(([, y]) => y >= 16 + 22 && y <= 200 - 44), "points inside the plot area");
  assertEquals(lossPlotSvg(DECAYING, { title: "t" }), lossPlotSvg(DECAYING, { title: "t" }));
});

Deno.test("lossPlotSvg: a run spanning 30 decades labels at most 10, covering the data", () => {
  const svg = lossPlotSvg([record(0, 1e20, 1e20, 1e-10), record(1, 1e10, 1e10, 1e-9)]);
  const labels = [...svg.matchAll(/class="ytick"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert(labels.length <= 10 && labels.length >= 4, `labels: ${labels}`);
  const exponents = labels.map((l) => Math.log10(Number(l)));
  assert(Math.min(...exponents) <= -10 && Math.max(...exponents) >= 20, `labels: ${labels}`);
  const steps = new Set(exponents.slice(1).map((e, i) => Math.round(exponents[i] - e)));
  assertEquals(steps.size, 1, `evenly spaced decades: ${labels}`);
});
