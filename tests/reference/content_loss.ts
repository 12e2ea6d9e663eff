// Float64 reference of the content loss, used only by tests.

/** E = w·Σ (f − t)² and ∂E/∂f = 2w·(f − t). */
export function contentLossRef(
  f: ArrayLike<number>,
  t: ArrayLike<number>,
  weight: number,
): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(f.length);
  let loss = 0;
  for (let i = 0; i < f.length; i++) {
    const r = f[i] - t[i];
    loss += r * r;
    grad[i] = 2 * weight * r;
  }
  return { loss: weight * loss, grad };
}
