// Float64 references for the Gram ops (Gatys et al. 2015), used only by tests.
// F is [n, m] row-major (n channels, m pixels); matrices are row-major.

/** G = F·Fᵀ / (4·n·m) in float64, [n, n]. */
export function gram(f: ArrayLike<number>, n: number, m: number): Float64Array {
  const g = new Float64Array(n * n);
  const scale = 1 / (4 * n * m);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += f[i * m + k] * f[j * m + k];
      g[i * n + j] = s * scale;
      g[j * n + i] = s * scale;
    }
  }
  return g;
}

/** E = w·Σ(G(F) − Ĝ)² in float64. */
export function gramLoss(
  f: ArrayLike<number>,
  n: number,
  m: number,
  target: ArrayLike<number>,
  weight: number,
): number {
  const g = gram(f, n, m);
  let s = 0;
  for (let i = 0; i < n * n; i++) s += (g[i] - target[i]) ** 2;
  return weight * s;
}

/** diff = (w / (n·m))·(G − Ĝ), [n, n]. */
export function gramDiff(
  g: ArrayLike<number>,
  target: ArrayLike<number>,
  n: number,
  m: number,
  weight: number,
): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) out[i] = (weight / (n * m)) * (g[i] - target[i]);
  return out;
}

/** C = A·B for A [n, n] and B [n, m], in float64. */
export function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  m: number,
): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < m; j++) c[i * m + j] += aik * b[k * m + j];
    }
  }
  return c;
}
