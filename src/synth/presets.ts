/** The objective presets; README "Presets" documents the same numbers. */
export type PresetName = "liu" | "seed";

/** Every number that defines an objective. */
export interface Preset {
  /** The preset's name on the command line. */
  name: PresetName;
  /** Per-channel ImageNet normalization of the input, or none (pixels in [0, 1] go in as they are). */
  normalize: { mean: [number, number, number]; std: [number, number, number] } | null;
  /** torchvision `features` indices whose activations carry a Gram loss. */
  layers: number[];
  /**
   * "fixed": each layer's term is `gramWeight · Σ(G − Ĝ)²`.
   * "relative": each layer's term is `gramWeight · Σ(G − Ĝ)² / Σ Ĝ²` divided by the
   * number of layers, so every layer counts alike whatever its scale.
   */
  gramScaling: "fixed" | "relative";
  /** Weight of each Gram layer's term, before `gramScaling`. */
  gramWeight: number;
  /** "gray": luminance modulus, as the seed; "color": one phase shared by R, G, B, each keeping its modulus. */
  spectrum: "gray" | "color";
  /** Multiplies ½ Σ (x − Re P)²; with `spectrumPerPixel` that sum is first divided by 3·H·W. */
  spectrumWeight: number;
  /** Divide the spectrum term by 3·H·W, making it a mean over pixels and channels. */
  spectrumPerPixel: boolean;
}

/**
 * The seed implementation's objective, term for term. Its first Gram layer is
 * meant as conv1_1 before the ReLU, but torchvision's ReLU runs in place, so
 * by the time the reference reads that tensor it holds relu1_1 (index 1):
 * we use index 1 to reproduce the reference's numbers.
 */
export const SEED: Preset = {
  name: "seed",
  normalize: null,
  layers: [1, 4, 9, 18, 27, 36],
  gramScaling: "fixed",
  gramWeight: 1e9,
  spectrum: "gray",
  spectrumWeight: 1e5,
  spectrumPerPixel: false,
};

/**
 * The Liu, Gousseau & Xia objective as the paper meant it: VGG on
 * ImageNet-normalized input, ReLU/pool outputs, scale-free Gram terms and a
 * colour spectrum constraint.
 */
export const LIU: Preset = {
  name: "liu",
  normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  layers: [1, 4, 9, 18, 27],
  gramScaling: "relative",
  gramWeight: 1,
  spectrum: "color",
  spectrumWeight: 1,
  spectrumPerPixel: true,
};

/** The preset called `name`. */
export function preset(name: PresetName): Preset {
  return name === "seed" ? SEED : LIU;
}
