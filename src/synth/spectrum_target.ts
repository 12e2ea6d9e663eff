import type { GpuContext } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import { SpectrumLoss, type SpectrumMode } from "../ops/spectrum.ts";
import { type Spectrum, transferSpectra } from "./spectrum_transfer.ts";

/** An image on the GPU: planar [3, height, width] in [0, 1]. */
export interface GpuImage {
  buffer: GPUBuffer;
  height: number;
  width: number;
}

/**
 * The spectrum constraint of a height × width output with the exemplars'
 * Fourier modulus: one exemplar on the output's own grid is transformed on
 * the GPU; otherwise each exemplar's spectrum is carried onto the output's
 * frequency grid and several are combined (see spectrum_transfer.ts), a
 * setup step that reads the spectra back once.
 */
export async function exemplarSpectrum(
  ctx: GpuContext,
  exemplars: GpuImage[],
  height: number,
  width: number,
  mode: SpectrumMode,
): Promise<SpectrumLoss> {
  const spectrum = new SpectrumLoss(ctx, height, width, mode);
  const one = exemplars.length === 1 ? exemplars[0] : null;
  if (one && one.height === height && one.width === width) {
    const p = new Program(ctx);
    spectrum.setExemplar(p, one.buffer);
    p.run();
    p.destroy();
    return spectrum;
  }
  const spectra: Spectrum[] = [];
  for (const e of exemplars) {
    const s = new SpectrumLoss(ctx, e.height, e.width, mode);
    const p = new Program(ctx);
    s.setExemplar(p, e.buffer);
    p.run();
    spectra.push({
      channels: mode === "gray" ? 1 : 3,
      height: e.height,
      width: e.width,
      data: await s.readSpectrum(),
    });
    p.destroy();
    s.destroy();
  }
  spectrum.setSpectrum(transferSpectra(spectra, height, width));
  return spectrum;
}
