// Float64 reference for src/ops/resample.ts, written from the filter
// definitions rather than from the engine's tables: each output sample
// integrates (area) or samples (lanczos3, bicubic) the input directly.

/** Filters the reference knows; the same names as the engine's `ResampleFilter`. */
export type ReferenceFilter = "area" | "lanczos3" | "bicubic";

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

/** Lanczos-3 or Keys (a = −0.5) kernel at offset x, in kernel units. */
function kernel(filter: ReferenceFilter, x: number): number {
  const t = Math.abs(x);
  if (filter === "lanczos3") return t < 3 ? sinc(t) * sinc(t / 3) : 0;
  const a = -0.5;
  if (t < 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
  if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
  return 0;
}

/** Weights of every input sample for output position o, as a dense row of length nIn. */
function row(
  o: number,
  nIn: number,
  nOut: number,
  filter: ReferenceFilter,
  wrap: boolean,
): Float64Array {
  const dense = new Float64Array(nIn);
  const scale = nIn / nOut;
  if (filter === "area") {
    const lo = o * scale;
    const hi = (o + 1) * scale;
    for (let i = 0; i < nIn; i++) {
      dense[i] = Math.max(0, Math.min(i + 1, hi) - Math.max(i, lo));
    }
  } else {
    const stretch = Math.max(1, scale);
    const center = (o + 0.5) * scale - 0.5;
    const reach = Math.ceil(3 * stretch) + 2;
    for (let i = Math.floor(center) - reach; i <= Math.ceil(center) + reach; i++) {
      const j = wrap ? ((i % nIn) + nIn) % nIn : Math.min(nIn - 1, Math.max(0, i));
      dense[j] += kernel(filter, (i - center) / stretch);
    }
  }
  const total = dense.reduce((s, v) => s + v, 0);
  return dense.map((v) => v / total);
}

/** Resamples one axis of a [outer, nIn, inner] array to [outer, nOut, inner]. */
function axis(
  x: Float64Array,
  outer: number,
  nIn: number,
  nOut: number,
  inner: number,
  filter: ReferenceFilter,
  wrap: boolean,
): Float64Array {
  const out = new Float64Array(outer * nOut * inner);
  for (let o = 0; o < nOut; o++) {
    const w = row(o, nIn, nOut, filter, wrap);
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < inner; c++) {
        let s = 0;
        for (let i = 0; i < nIn; i++) s += w[i] * x[(a * nIn + i) * inner + c];
        out[(a * nOut + o) * inner + c] = s;
      }
    }
  }
  return out;
}

/**
 * Resamples planar [c, h, w] data to [c, h2, w2] in float64: width first,
 * then height (the order does not matter in exact arithmetic). An axis whose
 * size does not change is left as it is.
 */
export function resampleReference(
  x: ArrayLike<number>,
  c: number,
  h: number,
  w: number,
  h2: number,
  w2: number,
  filter: ReferenceFilter,
  wrap = false,
): Float64Array {
  let y: Float64Array = Float64Array.from(x);
  if (w2 !== w) y = axis(y, c * h, w, w2, 1, filter, wrap);
  if (h2 !== h) y = axis(y, c, h, h2, w2, filter, wrap);
  return y;
}
