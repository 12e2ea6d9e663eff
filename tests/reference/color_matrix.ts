// Float64 reference of the per-pixel colour matrix, used only by tests.

/** out[o, i] = Σ_k m[o][k] · x[k, i] + shift[o] over planar [cin, n] input. */
export function colorMatrixRef(
  x: ArrayLike<number>,
  n: number,
  matrix: readonly (readonly number[])[],
  shift: readonly number[] = [],
): Float64Array {
  const cout = matrix.length;
  const cin = matrix[0].length;
  const out = new Float64Array(cout * n);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < n; i++) {
      let s = shift[o] ?? 0;
      for (let k = 0; k < cin; k++) s += matrix[o][k] * x[k * n + i];
      out[o * n + i] = s;
    }
  }
  return out;
}
