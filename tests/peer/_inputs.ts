// The inputs of the PyTorch parity check, made the same way on every machine:
// seeded VGG19-shaped weights, a procedural exemplar and a noise start image.
import { encodePng, type PlanarImage } from "../../src/io/image.ts";
import { Random } from "../../src/random.ts";
import { encodeSafetensors } from "../../src/weights/safetensors.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import type { TensorData } from "../../src/weights/tensor.ts";

/** Seed of the weights, size of the images. */
export const PEER = { weightsSeed: 7, size: 64 } as const;

/** A striped, noisy 64×64-style test texture of `size` pixels, the same everywhere. */
export function stripes(size: number): PlanarImage {
  const r = new Random(11);
  const data = new Float32Array(3 * size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const base = 0.5 + 0.4 * Math.sin(x * 0.35 + y * 0.1);
      const i = y * size + x;
      data[i] = 0.8 * base + 0.2 * r.uniform();
      data[size * size + i] = 0.8 * (1 - base) + 0.2 * r.uniform();
      data[2 * size * size + i] = 0.8 * Math.abs(Math.sin(y * 0.2)) + 0.2 * r.uniform();
    }
  }
  return { width: size, height: size, data };
}

function noise(size: number): PlanarImage {
  const data = new Random(12).normals(3 * size * size).map((v) => 1 / (1 + Math.exp(-v)));
  return { width: size, height: size, data };
}

/** Writes weights.safetensors, exemplar.png and init.png into `dir`; returns their paths. */
export async function writePeerInputs(
  dir: string,
): Promise<{ weights: string; exemplar: string; init: string }> {
  const tensors = new Map<string, TensorData>();
  for (const l of randomVggWeights(PEER.weightsSeed).layers) {
    tensors.set(`features.${l.index}.weight`, { shape: [l.cout, l.cin, 3, 3], data: l.weight });
    // Non-zero biases so the parity check covers them.
    const bias = new Random(PEER.weightsSeed, 1000 + l.index).normals(l.cout, 0.01);
    tensors.set(`features.${l.index}.bias`, { shape: [l.cout], data: bias });
  }
  const paths = {
    weights: `${dir}/weights.safetensors`,
    exemplar: `${dir}/exemplar.png`,
    init: `${dir}/init.png`,
  };
  await Deno.writeFile(paths.weights, encodeSafetensors(tensors));
  await Deno.writeFile(paths.exemplar, await encodePng(stripes(PEER.size)));
  await Deno.writeFile(paths.init, await encodePng(noise(PEER.size)));
  return paths;
}
