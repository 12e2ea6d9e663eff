import { GpuContext } from "../gpu/context.ts";
import { Program } from "../gpu/program.ts";
import type { PlanarImage } from "../io/image.ts";
import { decodePngSamples, encodePngSamples, type PngSamples, pngText } from "../io/png.ts";
import { MAX_SOURCE_SIDE, PatchMatch } from "../ops/patch_match.ts";
import { TexSynthError } from "../errors.ts";

/**
 * For each pixel of an output, the pixel of an exemplar it comes from: the
 * nearest-neighbour field that carries an exemplar's companion maps
 * (normal, roughness, height…) onto a synthesized texture.
 */
export interface SourceField {
  /** Output width. */
  width: number;
  /** Output height. */
  height: number;
  /** Width of the exemplar the coordinates address. */
  sourceWidth: number;
  /** Height of the exemplar the coordinates address. */
  sourceHeight: number;
  /** Source column of each output pixel, row-major. */
  x: Uint16Array;
  /** Source row of each output pixel, row-major. */
  y: Uint16Array;
}

/** How {@link findSourceField} searches. */
export interface SourceFieldOptions {
  /** The output is periodic (a `tile` synthesis): patches and neighbours wrap around. Default false. */
  tile?: boolean;
  /** Seed of the random init and search. Default 0. */
  seed?: number;
  /** Side of the square patches compared, odd. Default 5. */
  patchSize?: number;
  /** Rounds of four PatchMatch passes (jumps 8, 4, 2, 1). Default 6. */
  rounds?: number;
  /**
   * Cost of breaking coherence, in units of the patches' mean squared
   * difference: a pixel pays this times the share of its 4 neighbours whose
   * sources are not its own shifted alike. Applied in the second half of
   * the rounds, after the first half found good matches. Default 0.02 (an
   * RMS difference of 0.14 in every sample): on a 64 px synthesis it took
   * the coherent neighbour pairs from 22% to 54% while the mean pixel
   * difference moved by 1e-4.
   */
  coherence?: number;
  /** A GPU context to use; one is opened (and closed) otherwise. */
  gpu?: GpuContext;
}

/**
 * Finds, for each pixel of `output`, the exemplar pixel whose surrounding
 * patch is most alike (PatchMatch on the GPU, see src/ops/patch_match.ts),
 * with a coherence cost so that neighbouring output pixels mostly come from
 * neighbouring exemplar pixels. Deterministic for a seed.
 *
 * @example
 * ```ts
 * import { findSourceField, readImageFile, remapImage } from "@tex/synth";
 *
 * const exemplar = await readImageFile("bricks.png");
 * const output = await readImageFile("bricks_synth.png");
 * const field = await findSourceField(output, exemplar);
 * const normals = remapImage(field, await readImageFile("bricks_normal.png"));
 * ```
 */
export async function findSourceField(
  output: PlanarImage,
  exemplar: PlanarImage,
  options: SourceFieldOptions = {},
): Promise<SourceField> {
  const size = options.patchSize ?? 5;
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0 || size > 33) {
    throw new TexSynthError(`the patch size must be an odd whole number from 1 to 33, got ${size}`);
  }
  const rounds = options.rounds ?? 6;
  if (!Number.isInteger(rounds) || rounds < 0) {
    throw new TexSynthError(`the number of rounds must be a whole number, got ${rounds}`);
  }
  const coherence = options.coherence ?? 0.02;
  if (!(coherence >= 0) || !Number.isFinite(coherence)) {
    throw new TexSynthError(`the coherence cost must be a number of at least 0, got ${coherence}`);
  }
  if (exemplar.width > MAX_SOURCE_SIDE || exemplar.height > MAX_SOURCE_SIDE) {
    throw new TexSynthError(
      `a ${exemplar.width}×${exemplar.height} exemplar is too large for a source field (at most ${MAX_SOURCE_SIDE} px a side)`,
    );
  }
  const ctx = options.gpu ?? await GpuContext.create();
  const pm = new PatchMatch(ctx, {
    width: output.width,
    height: output.height,
    sourceWidth: exemplar.width,
    sourceHeight: exemplar.height,
    radius: (size - 1) / 2,
    wrap: options.tile ?? false,
  });
  const image = ctx.upload("field image", output.data);
  const source = ctx.upload("field source", exemplar.data);
  const prog = new Program(ctx);
  try {
    const seed = options.seed ?? 0;
    pm.recordInit(prog, image, source, seed);
    const searchRadius = Math.max(exemplar.width, exemplar.height);
    let step = 0;
    for (let round = 0; round < rounds; round++) {
      const coherent = round >= rounds / 2 && coherence > 0;
      for (const jump of [8, 4, 2, 1]) {
        // Coherence rounds move the two parities in turn (red-black).
        for (const parity of coherent ? [0, 1] as const : [undefined]) {
          pm.recordStep(prog, image, source, {
            jump,
            searchRadius,
            coherence: coherent ? coherence : 0,
            seed,
            step: ++step,
            parity,
          });
        }
      }
    }
    prog.run();
    const n = output.width * output.height;
    const packed = new Uint32Array((await ctx.read(pm.field, 0, n)).buffer);
    const x = new Uint16Array(n);
    const y = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = packed[i] & 0xffff;
      y[i] = packed[i] >>> 16;
    }
    return {
      width: output.width,
      height: output.height,
      sourceWidth: exemplar.width,
      sourceHeight: exemplar.height,
      x,
      y,
    };
  } finally {
    prog.destroy();
    pm.destroy();
    ctx.destroyBuffer(image);
    ctx.destroyBuffer(source);
    if (!options.gpu) ctx.destroy();
  }
}

/**
 * Fails unless a map is the exemplar's size or a scale of it (the same
 * aspect ratio, to a pixel), naming the map and both sizes.
 *
 * @example
 * ```ts
 * import { checkMapAligned } from "@tex/synth";
 *
 * checkMapAligned({ width: 1024, height: 512 }, { width: 256, height: 128 }, "normal.png"); // fine
 * ```
 */
export function checkMapAligned(
  map: { width: number; height: number },
  exemplar: { width: number; height: number },
  name: string,
): void {
  const { width, height } = map;
  const { width: sw, height: sh } = exemplar;
  if (Math.abs(height - (width * sh) / sw) > 1 && Math.abs(width - (height * sw) / sh) > 1) {
    throw new TexSynthError(
      `${name} is ${width}×${height} px, not the exemplar's ${sw}×${sh} nor a scale of it: maps must be aligned with the exemplar`,
    );
  }
}

/**
 * Where a map of `width`×`height` is read for each output pixel: the
 * source coordinates scaled to the map's size (nearest pixel), so a map
 * may be a scale of the exemplar (say, a 2048 px normal map beside a 512 px
 * albedo) as long as it keeps the exemplar's aspect ratio.
 */
function _sourceIndices(
  field: SourceField,
  width: number,
  height: number,
  name: string,
): Uint32Array {
  const { sourceWidth: sw, sourceHeight: sh } = field;
  checkMapAligned({ width, height }, { width: sw, height: sh }, name);
  const n = field.width * field.height;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const mx = Math.min(width - 1, Math.floor(((field.x[i] + 0.5) * width) / sw));
    const my = Math.min(height - 1, Math.floor(((field.y[i] + 0.5) * height) / sh));
    out[i] = my * width + mx;
  }
  return out;
}

/**
 * A map carried through a field: each output pixel copies the map's samples
 * at its source, exactly (no blending, so normal maps stay unit normals and
 * 16-bit maps keep every bit). The result has the map's channels and depth.
 *
 * @example
 * ```ts
 * import { decodePngSamples, encodePngSamples, remapSamples, type SourceField } from "@tex/synth";
 *
 * declare const field: SourceField;
 * const height = await decodePngSamples(await Deno.readFile("height16.png"), "height16.png", 1 << 26);
 * await Deno.writeFile("out_height16.png", await encodePngSamples(remapSamples(field, height)));
 * ```
 */
export function remapSamples(field: SourceField, map: PngSamples, name = "the map"): PngSamples {
  const at = _sourceIndices(field, map.width, map.height, name);
  const k = map.channels;
  const samples = map.depth === 16 ? new Uint16Array(at.length * k) : new Uint8Array(at.length * k);
  for (let i = 0; i < at.length; i++) {
    for (let c = 0; c < k; c++) samples[i * k + c] = map.samples[at[i] * k + c];
  }
  return { width: field.width, height: field.height, channels: k, depth: map.depth, samples };
}

/**
 * An image carried through a field (planar RGB floats), as
 * {@link remapSamples} carries samples.
 *
 * @example
 * ```ts
 * import { remapImage, type PlanarImage, type SourceField } from "@tex/synth";
 *
 * declare const field: SourceField;
 * declare const roughness: PlanarImage;
 * const out = remapImage(field, roughness); // field.width × field.height
 * ```
 */
export function remapImage(field: SourceField, image: PlanarImage, name = "the map"): PlanarImage {
  const at = _sourceIndices(field, image.width, image.height, name);
  const plane = image.width * image.height;
  const n = at.length;
  const data = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) data[c * n + i] = image.data[c * plane + at[i]];
  }
  return { width: field.width, height: field.height, data };
}

/** The tEXt keyword that holds a field's source size, `WxH`. */
const SOURCE_KEY = "tex-synth:source";

/**
 * A field as a 16-bit RGB PNG: red the source column, green the source row
 * (raw pixel coordinates), blue 0; the exemplar's size in a tEXt chunk.
 *
 * @example
 * ```ts
 * import { encodeSourceField, type SourceField } from "@tex/synth";
 *
 * declare const field: SourceField;
 * await Deno.writeFile("uv.png", await encodeSourceField(field));
 * ```
 */
export async function encodeSourceField(field: SourceField): Promise<Uint8Array> {
  const n = field.width * field.height;
  const samples = new Uint16Array(3 * n);
  for (let i = 0; i < n; i++) {
    samples[3 * i] = field.x[i];
    samples[3 * i + 1] = field.y[i];
  }
  return await encodePngSamples(
    { width: field.width, height: field.height, channels: 3, depth: 16, samples },
    { [SOURCE_KEY]: `${field.sourceWidth}x${field.sourceHeight}` },
  );
}

/**
 * Reads a field written by {@link encodeSourceField}; anything else (8-bit,
 * no source size, coordinates outside the source) is a one-line
 * {@link TexSynthError} naming `name`.
 *
 * @example
 * ```ts
 * import { decodeSourceField } from "@tex/synth";
 *
 * const field = await decodeSourceField(await Deno.readFile("uv.png"), "uv.png");
 * console.log(field.width, field.height, field.sourceWidth, field.sourceHeight);
 * ```
 */
export async function decodeSourceField(bytes: Uint8Array, name: string): Promise<SourceField> {
  const png = await decodePngSamples(bytes, name, 1 << 28);
  if (png.depth !== 16 || png.channels !== 3) {
    throw new TexSynthError(
      `${name} is a ${png.depth}-bit PNG with ${png.channels} channels, not a source field (16-bit RGB): write one with --uv`,
    );
  }
  const size = /^(\d+)x(\d+)$/.exec(pngText(bytes)[SOURCE_KEY] ?? "");
  const sourceWidth = Number(size?.[1] ?? 0);
  const sourceHeight = Number(size?.[2] ?? 0);
  if (
    !(sourceWidth >= 1 && sourceHeight >= 1 && sourceWidth <= MAX_SOURCE_SIDE &&
      sourceHeight <= MAX_SOURCE_SIDE)
  ) {
    throw new TexSynthError(
      `${name} does not say which exemplar size it addresses (its "${SOURCE_KEY}" text is missing, as some editors drop it): write it again with --uv`,
    );
  }
  const n = png.width * png.height;
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = png.samples[3 * i];
    y[i] = png.samples[3 * i + 1];
    if (x[i] >= sourceWidth || y[i] >= sourceHeight) {
      throw new TexSynthError(
        `${name} points at (${x[i]}, ${
          y[i]
        }), outside its ${sourceWidth}×${sourceHeight} exemplar: the file is damaged; write it again with --uv`,
      );
    }
  }
  return { width: png.width, height: png.height, sourceWidth, sourceHeight, x, y };
}
