/**
 * Float64 reference for the FFT tests: a direct 2-D DFT over complex planes
 * [batch, H, W] stored as interleaved (re, im), rows then columns. O(n²) per
 * line, independent of the GPU algorithm, for small test sizes only.
 */
export function dft2d(
  data: ArrayLike<number>,
  batch: number,
  height: number,
  width: number,
  inverse: boolean,
): Float64Array {
  const out = Float64Array.from(data);
  const sign = inverse ? 1 : -1;
  const line = (start: number, stride: number, n: number) => {
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      for (let t = 0; t < n; t++) {
        const angle = (sign * 2 * Math.PI * ((k * t) % n)) / n;
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        const xr = out[2 * (start + t * stride)];
        const xi = out[2 * (start + t * stride) + 1];
        re[k] += xr * c - xi * s;
        im[k] += xr * s + xi * c;
      }
    }
    const scale = inverse ? 1 / n : 1;
    for (let k = 0; k < n; k++) {
      out[2 * (start + k * stride)] = re[k] * scale;
      out[2 * (start + k * stride) + 1] = im[k] * scale;
    }
  };
  const plane = height * width;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < height; y++) line(b * plane + y * width, 1, width);
    for (let x = 0; x < width; x++) line(b * plane + x, width, height);
  }
  return out;
}
