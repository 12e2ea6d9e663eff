/**
 * Float64 reference of the spectrum constraint (SpectrumLoss), exactly the
 * formulas of src/ops/spectrum.ts, on top of the direct DFT in fft.ts.
 */
import { dft2d } from "./fft.ts";

/** Luma weights of the gray mode. */
export const LUMA = [0.299, 0.587, 0.114];

/** The loss E and ∂E/∂x (projection held fixed) for images [3, H, W]. */
export interface SpectrumResult {
  loss: number;
  grad: Float64Array;
}

/** Real planes → interleaved complex planes; gray mode gives one luma plane. */
function toComplex(image: ArrayLike<number>, n: number, gray: boolean): Float64Array {
  const channels = gray ? 1 : 3;
  const out = new Float64Array(2 * channels * n);
  for (let i = 0; i < n; i++) {
    if (gray) {
      out[2 * i] = LUMA[0] * image[i] + LUMA[1] * image[n + i] + LUMA[2] * image[2 * n + i];
    } else {
      for (let c = 0; c < 3; c++) out[2 * (c * n + i)] = image[c * n + i];
    }
  }
  return out;
}

/** E and its gradient for `mode` ("gray" | "color"), images [3, H, W] in float64. */
export function spectrumReference(
  x: ArrayLike<number>,
  exemplar: ArrayLike<number>,
  height: number,
  width: number,
  mode: "gray" | "color",
): SpectrumResult {
  const n = height * width;
  const gray = mode === "gray";
  const channels = gray ? 1 : 3;
  const gx = toComplex(x, n, gray);
  const X = dft2d(gx, channels, height, width, false);
  const A = dft2d(toComplex(exemplar, n, gray), channels, height, width, false);
  const projected = new Float64Array(2 * channels * n);
  for (let i = 0; i < n; i++) {
    let sr = 0;
    let si = 0;
    for (let c = 0; c < channels; c++) {
      const k = 2 * (c * n + i);
      sr += X[k] * A[k] + X[k + 1] * A[k + 1];
      si += X[k + 1] * A[k] - X[k] * A[k + 1];
    }
    const norm = Math.hypot(sr, si) + 1e-11;
    const pr = sr / norm;
    const pi = si / norm;
    for (let c = 0; c < channels; c++) {
      const k = 2 * (c * n + i);
      projected[k] = pr * A[k] - pi * A[k + 1];
      projected[k + 1] = pr * A[k + 1] + pi * A[k];
    }
  }
  const P = dft2d(projected, channels, height, width, true);
  const grad = new Float64Array(3 * n);
  let loss = 0;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) {
      const r = gx[2 * (c * n + i)] - P[2 * (c * n + i)];
      loss += 0.5 * r * r;
      if (gray) { for (let d = 0; d < 3; d++) grad[d * n + i] = LUMA[d] * r; }
      else grad[c * n + i] = r;
    }
  }
  return { loss, grad };
}
