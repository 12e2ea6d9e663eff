import packSource from "../../kernels/spectrum_pack.wgsl" with { type: "text" };
import projectSource from "../../kernels/spectrum_project.wgsl" with { type: "text" };
import residualSource from "../../kernels/spectrum_residual.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";
import { Fft2d } from "./fft2d.ts";
import { reduceDot, type ReduceTarget } from "./reduce.ts";

/**
 * Which spectrum constraint: `"gray"` constrains the luma's Fourier modulus
 * (preset `seed`), `"color"` the three channels' moduli with one shared phase
 * (preset `liu`).
 */
export type SpectrumMode = "gray" | "color";

/**
 * The spectrum constraint of Liu, Gousseau & Xia (ICPR 2016). x, exemplar:
 * real images [3, H, W] (same H, W).
 *
 * mode "gray" (preset `seed`, exactly): g(x) = 0.299 R + 0.587 G + 0.114 B;
 * X = fft2(g(x)), A = fft2(g(exemplar));
 * P = ifft2( X·conj(A) / (|X·conj(A)| + 1e-11) · A ); E = ½ Σ (g(x) − Re P)²;
 * the gradient w.r.t. g is g − Re P (projection held fixed), so
 * ∂E/∂x_c = w_c (g − Re P) with w = (0.299, 0.587, 0.114).
 *
 * mode "color" (preset `liu`): one phase shared by the 3 channels:
 * S = Σ_c X_c·conj(A_c), φ = S / (|S| + 1e-11), P_c = ifft2(φ · A_c) (each
 * channel keeps its own modulus); E = ½ Σ_c Σ (x_c − Re P_c)²;
 * ∂E/∂x_c = x_c − Re P_c.
 *
 * P is the nearest image (in L2) with the exemplar's modulus, so holding it
 * fixed gives the true gradient of E wherever that projection is unique.
 * One evaluation is 7 dispatches plus the 2 of the reduction; all scratch
 * (spectra and residual, 20·H·W bytes gray, 60·H·W color, plus the FFT's
 * twiddles) is allocated here.
 */
export class SpectrumLoss {
  /** Image rows. */
  readonly height: number;
  /** Image columns. */
  readonly width: number;
  /** The constraint in use. */
  readonly mode: SpectrumMode;
  #ctx: GpuContext;
  #spectrumFloats: number;
  #fft: Fft2d;
  #channels: number;
  #spec: GPUBuffer;
  #exemplar: GPUBuffer;
  #residual: GPUBuffer;

  /** Plans the FFT and allocates the spectra and residual for H×W images. */
  constructor(ctx: GpuContext, height: number, width: number, mode: SpectrumMode) {
    if (mode !== "gray" && mode !== "color") {
      throw new RangeError(`spectrum mode must be "gray" or "color", got ${mode}`);
    }
    this.#ctx = ctx;
    this.height = height;
    this.width = width;
    this.mode = mode;
    this.#channels = mode === "gray" ? 1 : 3;
    this.#fft = new Fft2d(ctx, height, width, this.#channels);
    const n = this.#channels * height * width;
    this.#spec = ctx.createBuffer("spectrum work", n * 8);
    this.#exemplar = ctx.createBuffer("spectrum exemplar", n * 8);
    this.#spectrumFloats = n * 2;
    this.#residual = ctx.createBuffer("spectrum residual", n * 4);
  }

  get #pixels(): number {
    return this.height * this.width;
  }

  get #gray(): number {
    return this.mode === "gray" ? 1 : 0;
  }

  /** Records computing A = fft2 of the exemplar [3, H, W] (run once, before the loop). */
  setExemplar(prog: Program, exemplar: GPUBuffer): void {
    this.#pack(prog, exemplar, this.#exemplar);
    this.#fft.record(prog, this.#exemplar, this.#exemplar, false);
  }

  /** Reads back the exemplar spectrum A, [C, H, W] complex (re, im interleaved): a setup step. */
  async readSpectrum(): Promise<Float32Array> {
    return await this.#ctx.read(this.#exemplar, 0, this.#spectrumFloats);
  }

  /** Sets the exemplar spectrum A directly, [C, H, W] complex: for targets carried from other sizes. */
  setSpectrum(spectrum: Float32Array): void {
    if (spectrum.length !== this.#spectrumFloats) {
      throw new RangeError(
        `spectrum has ${spectrum.length} floats, expected ${this.#spectrumFloats}`,
      );
    }
    this.#ctx.write(this.#exemplar, spectrum);
  }

  /**
   * Records grad[3, H, W] += weight · ∂E/∂x (accumulated into, never
   * overwritten) and stores E, unweighted, into `target` (times `target.scale`
   * when set, added when `target.accumulate`). `x` and `grad` must be distinct
   * buffers. All on the GPU; nothing is read back.
   */
  record(prog: Program, x: GPUBuffer, grad: GPUBuffer, weight: number, target: ReduceTarget): void {
    const groups = grid(Math.ceil(this.#pixels / 256));
    this.#pack(prog, x, this.#spec);
    this.#fft.record(prog, this.#spec, this.#spec, false);
    prog.dispatch(
      this.#ctx.pipeline(projectSource),
      [this.#spec, this.#exemplar],
      groups,
      pack(this.#pixels, this.#channels),
    );
    this.#fft.record(prog, this.#spec, this.#spec, true);
    prog.dispatch(
      this.#ctx.pipeline(residualSource),
      [x, this.#spec, grad, this.#residual],
      groups,
      pack(this.#pixels, this.#gray, f32(weight)),
    );
    reduceDot(prog, this.#residual, this.#residual, this.#channels * this.#pixels, {
      ...target,
      scale: 0.5 * (target.scale ?? 1),
    });
  }

  #pack(prog: Program, image: GPUBuffer, spec: GPUBuffer): void {
    prog.dispatch(
      this.#ctx.pipeline(packSource),
      [image, spec],
      grid(Math.ceil(this.#pixels / 256)),
      pack(this.#pixels, this.#gray),
    );
  }

  /** Frees the spectra, residual and FFT tables. */
  destroy(): void {
    this.#fft.destroy();
    for (const buffer of [this.#spec, this.#exemplar, this.#residual]) {
      this.#ctx.destroyBuffer(buffer);
    }
  }
}
