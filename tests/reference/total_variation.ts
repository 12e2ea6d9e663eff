// Float64 reference of the squared total variation, used only by tests.

/** E = w·Σ_c Σ (v[y, x+1] − v[y, x])² + (v[y+1, x] − v[y, x])², differences inside the image. */
export function totalVariationRef(
  v: ArrayLike<number>,
  channels: number,
  height: number,
  width: number,
  weight: number,
): number {
  let e = 0;
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (c * height + y) * width + x;
        if (x + 1 < width) e += (v[i + 1] - v[i]) ** 2;
        if (y + 1 < height) e += (v[i + width] - v[i]) ** 2;
      }
    }
  }
  return weight * e;
}

/** ∂E/∂v of {@link totalVariationRef}, by central differences of E (exact: E is quadratic). */
export function totalVariationGradRef(
  v: ArrayLike<number>,
  channels: number,
  height: number,
  width: number,
  weight: number,
): Float64Array {
  const x = Float64Array.from(v);
  const grad = new Float64Array(x.length);
  const h = 0.5;
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + h;
    const plus = totalVariationRef(x, channels, height, width, weight);
    x[i] = keep - h;
    const minus = totalVariationRef(x, channels, height, width, weight);
    x[i] = keep;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}
