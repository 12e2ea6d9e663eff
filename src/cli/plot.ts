/**
 * The loss curve of a run as a standalone SVG document: iterations on x, a
 * log-scale y (losses fall by decades), one line each for the total, the Gram
 * part and the spectrum term. Plain string building, no dependencies, so the
 * CLI can write it next to the image and a browser or an editor shows it.
 *
 * @module
 */
import type { LossRecord } from "../synth/synthesizer.ts";

/** How {@link lossPlotSvg} draws. */
export interface LossPlotOptions {
  /** Width of the SVG in pixels. Default 640. */
  width?: number;
  /** Height of the SVG in pixels. Default 400. */
  height?: number;
  /** A title drawn above the plot (escaped for XML). Default: none. */
  title?: string;
}

interface _Series {
  key: "loss" | "gram" | "spectrum";
  label: string;
  colour: string;
}

const SERIES: readonly _Series[] = [
  { key: "loss", label: "total", colour: "#1f1f1f" },
  { key: "gram", label: "gram", colour: "#1f6fb4" },
  { key: "spectrum", label: "spectrum (unweighted)", colour: "#e07b10" },
];

const MARGIN = { left: 64, right: 16, top: 16, bottom: 44 };
const TITLE_HEIGHT = 22;
const MAX_DECADE_LABELS = 10;
const MAX_X_TICKS = 8;

function _escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function _num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A decade label: plain digits near 1, `1e±k` beyond. */
function _decadeLabel(exponent: number): string {
  if (exponent >= 0 && exponent <= 3) return String(10 ** exponent);
  if (exponent < 0 && exponent >= -2) return (10 ** exponent).toFixed(-exponent);
  return `1e${exponent}`;
}

/** A 1-2-5 step that gives at most {@link MAX_X_TICKS} ticks over `span`, at least 1. */
function _niceStep(span: number): number {
  let step = 1;
  for (let k = 1; step * MAX_X_TICKS < span; k++) step = [1, 2, 5][k % 3] * 10 ** Math.floor(k / 3);
  return step;
}

/**
 * Records split where the iteration count does not increase (a new variation
 * starts again at 0), so its line is not joined to the previous one.
 */
function _runs(records: LossRecord[]): LossRecord[][] {
  const runs: LossRecord[][] = [];
  let current: LossRecord[] = [];
  for (const r of records) {
    if (current.length > 0 && !(r.iteration > current[current.length - 1].iteration)) {
      runs.push(current);
      current = [];
    }
    current.push(r);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

function _plottable(v: number): boolean {
  return Number.isFinite(v) && v > 0;
}

/**
 * Draws the loss history as an SVG document (a string starting with `<svg`).
 *
 * The x axis is the L-BFGS iteration; the y axis is log10 of the loss with a
 * gridline at each decade. The series are `loss` (total), `gram` and
 * `spectrum` of each {@link LossRecord}; zero, negative and non-finite values
 * have no logarithm and leave a gap. Records whose iteration does not exceed
 * the previous one (a new variation) start a new line. With no plottable value
 * the document holds the axes frame and the text "no data". The output is a
 * function of its arguments alone (no dates, no random ids).
 *
 * @example
 * ```ts
 * import { lossPlotSvg } from "./plot.ts";
 *
 * const svg = lossPlotSvg([
 *   { iteration: 0, evaluations: 1, loss: 1e6, gram: 9e5, spectrum: 1, ms: 0 },
 *   { iteration: 1, evaluations: 3, loss: 2e4, gram: 1e4, spectrum: 0.1, ms: 900 },
 * ], { title: "bricks.png" });
 * await Deno.writeTextFile("loss.svg", svg);
 * ```
 */
export function lossPlotSvg(records: LossRecord[], options: LossPlotOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const title = options.title;
  const top = MARGIN.top + (title ? TITLE_HEIGHT : 0);
  const plot = {
    x: MARGIN.left,
    y: top,
    w: Math.max(width - MARGIN.left - MARGIN.right, 1),
    h: Math.max(height - top - MARGIN.bottom, 1),
  };

  const values = records.flatMap((r) => SERIES.map((s) => r[s.key])).filter(_plottable);
  const iterations = records.map((r) => r.iteration).filter(Number.isFinite);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (title) {
    out.push(
      `<text x="${_num(width / 2)}" y="${MARGIN.top + 12}" text-anchor="middle" ` +
        `font-size="13">${_escape(title)}</text>`,
    );
  }
  const frame = `<rect x="${plot.x}" y="${plot.y}" width="${_num(plot.w)}" height="${
    _num(plot.h)
  }" fill="none" stroke="#888888"/>`;
  const xLabel = `<text x="${_num(plot.x + plot.w / 2)}" y="${
    _num(height - 8)
  }" text-anchor="middle">iteration</text>`;
  const yLabel = `<text transform="translate(14 ${_num(plot.y + plot.h / 2)}) rotate(-90)" ` +
    `text-anchor="middle">loss (log scale)</text>`;
  if (values.length === 0 || iterations.length === 0) {
    out.push(
      frame,
      xLabel,
      yLabel,
      `<text x="${_num(plot.x + plot.w / 2)}" y="${
        _num(plot.y + plot.h / 2)
      }" text-anchor="middle" fill="#888888">no data</text>`,
      "</svg>",
    );
    return out.join("\n") + "\n";
  }

  let lo = Math.floor(Math.log10(values.reduce((a, b) => Math.min(a, b))));
  let hi = Math.ceil(Math.log10(values.reduce((a, b) => Math.max(a, b))));
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  // Label the decades at multiples of a stride, the smallest that keeps the
  // labels within MAX_DECADE_LABELS once the range is rounded out to labelled
  // decades (so both ends carry a label).
  let every = 1;
  while (Math.ceil(hi / every) - Math.floor(lo / every) + 1 > MAX_DECADE_LABELS) every++;
  lo = Math.floor(lo / every) * every;
  hi = Math.ceil(hi / every) * every;
  let x0 = iterations.reduce((a, b) => Math.min(a, b));
  let x1 = iterations.reduce((a, b) => Math.max(a, b));
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  const px = (it: number) => plot.x + ((it - x0) / (x1 - x0)) * plot.w;
  const py = (v: number) => plot.y + ((hi - Math.log10(v)) / (hi - lo)) * plot.h;

  for (let e = lo; e <= hi; e++) {
    const y = _num(py(10 ** e));
    out.push(
      `<line x1="${plot.x}" y1="${y}" x2="${_num(plot.x + plot.w)}" y2="${y}" stroke="#e4e4e4"/>`,
    );
    if (e % every === 0) {
      out.push(
        `<text class="ytick" x="${
          plot.x - 6
        }" y="${y}" text-anchor="end" dominant-baseline="middle">${_decadeLabel(e)}</text>`,
      );
    }
  }
  const step = _niceStep(x1 - x0);
  for (let it = Math.ceil(x0 / step) * step; it <= x1; it += step) {
    const x = _num(px(it));
    const bottom = _num(plot.y + plot.h);
    out.push(
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${
        _num(plot.y + plot.h + 4)
      }" stroke="#888888"/>`,
      `<text x="${x}" y="${_num(plot.y + plot.h + 16)}" text-anchor="middle">${it}</text>`,
    );
  }
  out.push(frame, xLabel, yLabel);

  const runs = _runs(records);
  for (const s of SERIES) {
    for (const run of runs) {
      // A gap (a value with no logarithm) ends one polyline and the next
      // plottable value starts another.
      let points: string[] = [];
      const flush = () => {
        if (points.length === 1) {
          const [x, y] = points[0].split(",");
          out.push(`<circle class="${s.key}" cx="${x}" cy="${y}" r="2" fill="${s.colour}"/>`);
        } else if (points.length > 1) {
          out.push(
            `<polyline class="${s.key}" points="${points.join(" ")}" fill="none" ` +
              `stroke="${s.colour}" stroke-width="1.5" stroke-linejoin="round"/>`,
          );
        }
        points = [];
      };
      for (const r of run) {
        if (_plottable(r[s.key]) && Number.isFinite(r.iteration)) {
          points.push(`${_num(px(r.iteration))},${_num(py(r[s.key]))}`);
        } else {
          flush();
        }
      }
      flush();
    }
  }

  const legendX = plot.x + plot.w - 160;
  out.push(
    `<rect x="${_num(legendX - 6)}" y="${plot.y + 4}" width="156" height="${
      16 * SERIES.length + 4
    }" ` +
      `fill="#ffffff" fill-opacity="0.85"/>`,
  );
  SERIES.forEach((s, i) => {
    const y = plot.y + 14 + 16 * i;
    const any = records.some((r) => _plottable(r[s.key]));
    out.push(
      `<line x1="${_num(legendX)}" y1="${y}" x2="${_num(legendX + 18)}" y2="${y}" ` +
        `stroke="${s.colour}" stroke-width="2"/>`,
      `<text x="${_num(legendX + 24)}" y="${y}" dominant-baseline="middle">${s.label}${
        any ? "" : " (none &gt; 0)"
      }</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
