/**
 * Carries exemplar spectra onto the output's frequency grid, for outputs
 * whose size differs from the exemplar's and for several exemplars at once.
 *
 * Each output frequency (cycles per pixel) reads the exemplar spectrum at the
 * same frequency, bilinearly between its bins, with wrap-around. Amplitudes
 * of the zero-mean part scale by √(output pixels / exemplar pixels), as a
 * stationary texture's do; the mean (the DC bin) scales by the pixel ratio.
 * Only relative phases matter to the projection (gray: none; colour: between
 * channels), so each channel is first rotated by the phase of the channel sum,
 * which removes the dependence on position; the interpolated complex values
 * give the direction and the interpolated moduli the length. Several
 * exemplars combine by the power mean of their moduli and the sum of their
 * rotated phases.
 */

/** One exemplar spectrum: [channels, height, width] complex, (re, im) interleaved. */
export interface Spectrum {
  channels: number;
  height: number;
  width: number;
  data: Float32Array;
}

function signed(k: number, n: number): number {
  return k <= n / 2 ? k : k - n;
}

/** Bilinear sample of `plane(x, y)` at fractional bin (u, v), wrapping around. */
function bilinear(
  sample: (y: number, x: number) => number,
  h: number,
  w: number,
  v: number,
  u: number,
): number {
  const y0 = Math.floor(v);
  const x0 = Math.floor(u);
  const fy = v - y0;
  const fx = u - x0;
  const wrapY = (y: number) => ((y % h) + h) % h;
  const wrapX = (x: number) => ((x % w) + w) % w;
  return (1 - fy) *
      ((1 - fx) * sample(wrapY(y0), wrapX(x0)) + fx * sample(wrapY(y0), wrapX(x0 + 1))) +
    fy * ((1 - fx) * sample(wrapY(y0 + 1), wrapX(x0)) + fx * sample(wrapY(y0 + 1), wrapX(x0 + 1)));
}

/** The exemplars' combined spectrum on an `height`×`width` grid (same channel count). */
export function transferSpectra(spectra: Spectrum[], height: number, width: number): Float32Array {
  const channels = spectra[0].channels;
  const bins = height * width;
  const power = new Float64Array(channels * bins);
  const re = new Float64Array(channels * bins);
  const im = new Float64Array(channels * bins);
  for (const s of spectra) {
    const n = s.height * s.width;
    const scale = Math.sqrt(bins / n);
    // Position-free phases: each channel relative to the phase of the channel sum.
    const rot = new Float64Array(2 * channels * n);
    const mod = new Float64Array(channels * n);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let c = 0; c < channels; c++) {
        sr += s.data[2 * (c * n + k)];
        si += s.data[2 * (c * n + k) + 1];
      }
      const sm = Math.hypot(sr, si);
      const [cr, ci] = sm > 0 ? [sr / sm, -si / sm] : [1, 0];
      for (let c = 0; c < channels; c++) {
        const ar = k === 0 ? 0 : s.data[2 * (c * n + k)];
        const ai = k === 0 ? 0 : s.data[2 * (c * n + k) + 1];
        rot[2 * (c * n + k)] = ar * cr - ai * ci;
        rot[2 * (c * n + k) + 1] = ar * ci + ai * cr;
        mod[c * n + k] = Math.hypot(ar, ai);
      }
    }
    for (let y = 0; y < height; y++) {
      const v = (signed(y, height) * s.height) / height;
      for (let x = 0; x < width; x++) {
        const u = (signed(x, width) * s.width) / width;
        const k = y * width + x;
        for (let c = 0; c < channels; c++) {
          const at = c * bins + k;
          if (k === 0) {
            const mean = s.data[2 * c * n] / n;
            re[at] += mean * bins;
            power[at] += (mean * bins) ** 2;
            continue;
          }
          const m = scale *
            bilinear((yy, xx) => mod[c * n + yy * s.width + xx], s.height, s.width, v, u);
          power[at] += m * m;
          re[at] += bilinear(
            (yy, xx) => rot[2 * (c * n + yy * s.width + xx)],
            s.height,
            s.width,
            v,
            u,
          );
          im[at] += bilinear(
            (yy, xx) => rot[2 * (c * n + yy * s.width + xx) + 1],
            s.height,
            s.width,
            v,
            u,
          );
        }
      }
    }
  }
  const out = new Float32Array(2 * channels * bins);
  for (let i = 0; i < channels * bins; i++) {
    const m = Math.sqrt(power[i] / spectra.length);
    const d = Math.hypot(re[i], im[i]);
    out[2 * i] = d > 0 ? (m * re[i]) / d : m;
    out[2 * i + 1] = d > 0 ? (m * im[i]) / d : 0;
  }
  return out;
}
