// Float64 references for masked Gram matrices (Gatys et al. 2017's guided
// Gram), used only by tests. F is [n, m] row-major, w one weight per pixel.

/** G_w = Σ_k w_k f_k f_kᵀ / (4·n·Σw), [n, n]. */
export function maskedGram(
  f: ArrayLike<number>,
  n: number,
  m: number,
  w: ArrayLike<number>,
): Float64Array {
  let sum = 0;
  for (let k = 0; k < m; k++) sum += w[k];
  const g = new Float64Array(n * n);
  const scale = 1 / (4 * n * sum);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += w[k] * f[i * m + k] * f[j * m + k];
      g[i * n + j] = s * scale;
      g[j * n + i] = s * scale;
    }
  }
  return g;
}

/** E = weight·Σ(G_w(F) − Ĝ)². */
export function maskedGramLoss(
  f: ArrayLike<number>,
  n: number,
  m: number,
  w: ArrayLike<number>,
  target: ArrayLike<number>,
  weight: number,
): number {
  const g = maskedGram(f, n, m, w);
  let s = 0;
  for (let i = 0; i < n * n; i++) s += (g[i] - target[i]) ** 2;
  return weight * s;
}

/** ∂E/∂F = weight·(G_w − Ĝ)·F·diag(w) / (n·Σw), the closed form (G_w symmetric). */
export function maskedGramGradient(
  f: ArrayLike<number>,
  n: number,
  m: number,
  w: ArrayLike<number>,
  target: ArrayLike<number>,
  weight: number,
): Float64Array {
  const g = maskedGram(f, n, m, w);
  let sum = 0;
  for (let k = 0; k < m; k++) sum += w[k];
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = weight * (g[i * n + j] - target[i * n + j]) / (n * sum);
      for (let k = 0; k < m; k++) out[i * m + k] += d * f[j * m + k] * w[k];
    }
  }
  return out;
}
