// Float64 references for the sliced Wasserstein loss (Heitz et al. 2021), used
// only by tests. F is [n, m] row-major (n channels, m pixels), D is [k, n].

/** P = D·F in float64, [k, m]. */
export function project(
  d: ArrayLike<number>,
  f: ArrayLike<number>,
  k: number,
  n: number,
  m: number,
): Float64Array {
  const p = new Float64Array(k * m);
  for (let s = 0; s < k; s++) {
    for (let c = 0; c < n; c++) {
      const w = d[s * n + c];
      for (let i = 0; i < m; i++) p[s * m + i] += w * f[c * m + i];
    }
  }
  return p;
}

/** Original positions of row `s` of p [·, m] in ascending order of value (stable). */
export function argsortRow(p: Float64Array, s: number, m: number): number[] {
  return Array.from({ length: m }, (_, i) => i).sort((a, b) =>
    p[s * m + a] - p[s * m + b] || a - b
  );
}

/**
 * Sorted exemplar projections resampled to m values per slice by nearest rank:
 * t[s, i] = sorted_s[min(mt − 1, ⌊(i + ½)·mt/m⌋)], [k, m].
 */
export function sortedTarget(
  d: ArrayLike<number>,
  target: ArrayLike<number>,
  k: number,
  n: number,
  mt: number,
  m: number,
): Float64Array {
  const p = project(d, target, k, n, mt);
  const t = new Float64Array(k * m);
  for (let s = 0; s < k; s++) {
    const sorted = p.slice(s * mt, (s + 1) * mt).sort();
    for (let i = 0; i < m; i++) {
      t[s * m + i] = sorted[Math.min(mt - 1, Math.floor(((i + 0.5) * mt) / m))];
    }
  }
  return t;
}

/** E = w·(1/(k·m))·Σ_s Σ_i (sort(p_s)[i] − t[s, i])² in float64. */
export function slicedWassersteinLoss(
  f: ArrayLike<number>,
  d: ArrayLike<number>,
  t: Float64Array,
  k: number,
  n: number,
  m: number,
  weight: number,
): number {
  const p = project(d, f, k, n, m);
  let e = 0;
  for (let s = 0; s < k; s++) {
    const sorted = p.slice(s * m, (s + 1) * m).sort();
    for (let i = 0; i < m; i++) e += (sorted[i] - t[s * m + i]) ** 2;
  }
  return (weight * e) / (k * m);
}

/** ∂E/∂F = Dᵀ·∂E/∂P with ∂E/∂p_s[σ_s(i)] = 2w·(sort(p_s)[i] − t[s, i])/(k·m), [n, m]. */
export function slicedWassersteinGrad(
  f: ArrayLike<number>,
  d: ArrayLike<number>,
  t: Float64Array,
  k: number,
  n: number,
  m: number,
  weight: number,
): Float64Array {
  const p = project(d, f, k, n, m);
  const g = new Float64Array(n * m);
  const scale = (2 * weight) / (k * m);
  for (let s = 0; s < k; s++) {
    argsortRow(p, s, m).forEach((pixel, i) => {
      const r = scale * (p[s * m + pixel] - t[s * m + i]);
      for (let c = 0; c < n; c++) g[c * m + pixel] += d[s * n + c] * r;
    });
  }
  return g;
}
