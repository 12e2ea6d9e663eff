// Float64 references for the per-pixel mask kernels, used only by tests.
// Tensors are planar [c, h, w]; weights are one per pixel of a map.

/** out[c, y, x] = input[c, y, x] · v, v = w[(y0 + y)·mapWidth + x0 + x] or its square root. */
export function weightPixels(
  input: ArrayLike<number>,
  weights: ArrayLike<number>,
  shape: { channels: number; height: number; width: number },
  window: { mapWidth: number; y: number; x: number },
  root: boolean,
): Float64Array {
  const { channels, height, width } = shape;
  const out = new Float64Array(channels * height * width);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const w = weights[(window.y + y) * window.mapWidth + window.x + x];
        const i = (c * height + y) * width + x;
        out[i] = input[i] * (root ? Math.sqrt(w) : w);
      }
    }
  }
  return out;
}

/** data[c, i] where free[i] ≥ 0.5, base[c, i] elsewhere. */
export function keepPixels(
  data: ArrayLike<number>,
  free: ArrayLike<number>,
  base: ArrayLike<number>,
  channels: number,
): Float64Array {
  const plane = free.length;
  return Float64Array.from(
    { length: channels * plane },
    (_, i) => free[i % plane] >= 0.5 ? data[i] : base[i],
  );
}
