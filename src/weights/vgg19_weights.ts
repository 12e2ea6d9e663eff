import manifest from "../../weights/vgg19.json" with { type: "json" };
import { TexSynthError } from "../errors.ts";
import { Random } from "../random.ts";
import { printable } from "./describe.ts";
import type { TensorData } from "./tensor.ts";

/** One 3×3 convolution of VGG19's `features`, with its torchvision index and name. */
export interface VggLayerSpec {
  /** Index in torchvision's `vgg19().features` (0, 2, 5, …, 34). */
  index: number;
  /** Conventional name, e.g. `conv3_2`. */
  name: string;
  /** Input channels. */
  cin: number;
  /** Output channels. */
  cout: number;
}

/** The weights of one convolution: what the forward pass uploads. */
export interface ConvWeights extends VggLayerSpec {
  /** Kernel, `[cout, cin, 3, 3]` row-major (torch's OIHW layout). */
  weight: Float32Array;
  /** Bias, `[cout]`. */
  bias: Float32Array;
}

/** The convolutions of VGG19's `features`, in order, and where they came from. */
export interface VggWeights {
  /** The convs in network order; a prefix of {@link VGG19_LAYERS} when `upTo` was given. */
  layers: ConvWeights[];
  /** Provenance for logs and reports, e.g. `random(seed 0)` or a file path. */
  source: string;
}

/** The 16 convolutions of torchvision's VGG19 `features`, from `weights/vgg19.json`. */
export const VGG19_LAYERS: readonly VggLayerSpec[] = Object.freeze(
  manifest.layers.map((l) => Object.freeze({ ...l })),
);

/**
 * Seeded He-initialized weights with VGG19's real shapes: Kaiming normal in
 * fan-out mode as torchvision initializes its VGG (std = √(2 / (cout·9))),
 * bias 0. For offline smoke runs and tests, where no trained weights exist.
 * The generator is src/random.ts's (the same on every machine); each layer
 * draws from its own stream `(seed, index)`, so a layer's values do not
 * depend on `upTo`.
 *
 * @param seed any 32-bit integer
 * @param upTo when given, only layers with `index <= upTo` are made (the rest
 *   are left out of `layers`, not zero-filled), to save time for shallow presets
 *
 * @example
 * ```ts
 * import { randomVggWeights } from "@tex/synth";
 *
 * const weights = randomVggWeights(7, 27); // conv layers up to features.27
 * console.log(weights.layers.length, weights.source); // 12 "random(seed 7)"
 * ```
 */
export function randomVggWeights(seed: number, upTo?: number): VggWeights {
  const layers = _selected(upTo).map((spec): ConvWeights => {
    const weight = new Float32Array(spec.cout * spec.cin * 9);
    const random = new Random(seed, spec.index);
    const std = Math.sqrt(2 / (spec.cout * 9));
    for (let i = 0; i < weight.length; i++) weight[i] = std * random.normal();
    return { ...spec, weight, bias: new Float32Array(spec.cout) };
  });
  return { layers, source: `random(seed ${seed})` };
}

/**
 * Picks VGG19's convolutions out of a torchvision state dict
 * (`features.{i}.weight` `[cout, cin, 3, 3]`, `features.{i}.bias` `[cout]`).
 * Keys it does not need (`classifier.*`, deeper layers past `upTo`) are
 * ignored; a missing key or a wrong shape is a TexSynthError naming the key.
 *
 * @param source provenance, usually the file path
 * @param upTo when given, only layers with `index <= upTo` are required and returned
 */
export function vggWeightsFromTensors(
  tensors: Map<string, TensorData>,
  source: string,
  upTo?: number,
): VggWeights {
  const layers = _selected(upTo).map((spec): ConvWeights => {
    const weight = _take(tensors, source, `features.${spec.index}.weight`, [
      spec.cout,
      spec.cin,
      3,
      3,
    ]);
    const bias = _take(tensors, source, `features.${spec.index}.bias`, [spec.cout]);
    return { ...spec, weight, bias };
  });
  return { layers, source };
}

/**
 * Checks the key names of a whole state dict (all of them, not only those
 * read) for layers VGG19 does not have: a `features.N.*` key VGG19's convs
 * lack means another network (VGG16, vgg19_bn, a modified model), and keys
 * under `module.` mean a DataParallel save. Either is a TexSynthError naming
 * the key and the fix, where a plain missing-key error would mislead.
 */
export function checkVggKeyNames(names: Iterable<string>, source: string): void {
  const known = new Set(vggTensorNames());
  let wrapped = false;
  let plain = false;
  for (const name of names) {
    if (name.startsWith("module.features.")) wrapped = true;
    if (name.startsWith("features.")) plain = true;
    if (/^features\.\d+\./.test(name) && !known.has(name)) {
      throw new TexSynthError(
        `${source} has ${
          printable(name)
        }, a layer torchvision's VGG19 does not have (another network, e.g. VGG16 or vgg19_bn?): ${FIX}`,
      );
    }
  }
  if (wrapped && !plain) {
    throw new TexSynthError(
      `${source} holds a DataParallel model (keys start with "module."): re-save model.module.state_dict(), or ${FIX}`,
    );
  }
}

/** The state-dict keys of the convs a VggWeights with this `upTo` needs. */
export function vggTensorNames(upTo?: number): string[] {
  return _selected(upTo).flatMap((l) => [`features.${l.index}.weight`, `features.${l.index}.bias`]);
}

function _selected(upTo: number | undefined): readonly VggLayerSpec[] {
  return upTo === undefined ? VGG19_LAYERS : VGG19_LAYERS.filter((l) => l.index <= upTo);
}

const FIX = "use torchvision's VGG19 weights (vgg19-dcbb9e9d.pth) or --weights random";

function _take(
  tensors: Map<string, TensorData>,
  source: string,
  key: string,
  shape: number[],
): Float32Array {
  const t = tensors.get(key);
  if (!t) throw new TexSynthError(`${source} has no tensor ${key}: ${FIX}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new TexSynthError(
      `${source}: ${key} has shape [${printable(t.shape.join(", "))}], VGG19 needs [${
        shape.join(", ")
      }]: ${FIX}`,
    );
  }
  if (t.data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new TexSynthError(
      `${source}: ${key} holds ${t.data.length} values, not its shape's size (corrupt file: re-download it)`,
    );
  }
  // A NaN or infinity would poison every evaluation: refuse it here, by name.
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i])) {
      throw new TexSynthError(
        `${source}: ${key} holds a non-finite value (${
          t.data[i]
        }) at element ${i} (corrupt file): re-download it, or ${FIX}`,
      );
    }
  }
  return t.data;
}
