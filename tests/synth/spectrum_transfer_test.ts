// Carrying spectra onto another grid: the identity on the same grid (up to
// the common phase the projection ignores), frequencies kept in cycles per
// pixel on another grid, several exemplars combined.
import { assert, assertAlmostEquals } from "@std/assert";
import { type Spectrum, transferSpectra } from "../../src/synth/spectrum_transfer.ts";
import { dft2d } from "../reference/fft.ts";
import { randomArray } from "../_helpers.ts";

function spectrumOf(planes: Float64Array[], height: number, width: number): Spectrum {
  const n = height * width;
  const data = new Float32Array(2 * planes.length * n);
  planes.forEach((plane, c) => {
    const complex = new Float64Array(2 * n);
    plane.forEach((v, i) => (complex[2 * i] = v));
    const f = dft2d(complex, 1, height, width, false);
    for (let i = 0; i < 2 * n; i++) data[2 * c * n + i] = f[i];
  });
  return { channels: planes.length, height, width, data };
}

Deno.test("same grid: moduli and the phase differences between channels are kept", () => {
  const [h, w] = [6, 10];
  const planes = [0, 1, 2].map((c) => Float64Array.from(randomArray(h * w, 40 + c, 0, 1)));
  const s = spectrumOf(planes, h, w);
  const t = transferSpectra([s], h, w);
  const n = h * w;
  for (let k = 0; k < n; k++) {
    for (let c = 0; c < 3; c++) {
      const [ar, ai] = [s.data[2 * (c * n + k)], s.data[2 * (c * n + k) + 1]];
      const [br, bi] = [t[2 * (c * n + k)], t[2 * (c * n + k) + 1]];
      assertAlmostEquals(Math.hypot(br, bi), Math.hypot(ar, ai), 1e-4 * (1 + Math.hypot(ar, ai)));
      // a_c·conj(a_0) and b_c·conj(b_0) agree: relative phases survive.
      const [a0r, a0i] = [s.data[2 * k], s.data[2 * k + 1]];
      const [b0r, b0i] = [t[2 * k], t[2 * k + 1]];
      const scale = 1e-3 * (1 + Math.hypot(ar, ai) * Math.hypot(a0r, a0i));
      assertAlmostEquals(br * b0r + bi * b0i, ar * a0r + ai * a0i, scale);
      assertAlmostEquals(bi * b0r - br * b0i, ai * a0r - ar * a0i, scale);
    }
  }
});

Deno.test("another grid: a sinusoid's energy stays at its frequency in cycles per pixel", () => {
  const [h, w] = [16, 16];
  const plane = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      plane[y * w + x] = 0.5 + 0.3 * Math.cos((2 * Math.PI * 4 * x) / w);
    }
  }
  const t = transferSpectra([spectrumOf([plane], h, w)], 32, 48);
  const mod = (y: number, x: number) => Math.hypot(t[2 * (y * 48 + x)], t[2 * (y * 48 + x) + 1]);
  // 4 cycles over 16 px is 0.25 cycles per pixel: bin 12 of 48.
  let peak = 1;
  for (let x = 1; x < 48; x++) if (mod(0, x) > mod(0, peak)) peak = x;
  assert(peak === 12 || peak === 36, `peak at bin ${peak}`);
  assertAlmostEquals(mod(0, 0), 0.5 * 32 * 48, 1e-2);
  // Amplitude scales with the square root of the pixel ratio.
  assertAlmostEquals(mod(0, 12), 0.15 * 16 * 16 * Math.sqrt((32 * 48) / 256), 1);
});

Deno.test("two copies of one exemplar give that exemplar's spectrum", () => {
  const [h, w] = [8, 8];
  const s = spectrumOf([Float64Array.from(randomArray(h * w, 3, 0, 1))], h, w);
  const one = transferSpectra([s], 12, 12);
  const two = transferSpectra([s, s], 12, 12);
  for (let i = 0; i < one.length; i++) {
    assertAlmostEquals(two[i], one[i], 1e-4 * (1 + Math.abs(one[i])));
  }
});
