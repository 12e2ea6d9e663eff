import source from "../../kernels/patch_match.wgsl" with { type: "text" };
import type { GpuContext } from "../gpu/context.ts";
import { f32, grid, pack } from "../gpu/params.ts";
import type { Program } from "../gpu/program.ts";

/** Sizes and patch of a {@link PatchMatch}. */
export interface PatchMatchShape {
  /** The image whose pixels get sources. */
  width: number;
  height: number;
  /** The image the sources lie in. */
  sourceWidth: number;
  sourceHeight: number;
  /** Patches are (2·radius + 1)² pixels. */
  radius: number;
  /** The first image is periodic: patches and neighbours wrap around its edges. */
  wrap: boolean;
}

/** One propagation and random search pass of {@link PatchMatch.recordStep}. */
export interface PatchMatchStep {
  /** Distance at which neighbours propose their sources (1 is classic PatchMatch). */
  jump: number;
  /** First radius of the random search, halved down to 1; 0 skips it. */
  searchRadius: number;
  /** Cost of each of the 4 neighbours whose source is not the shifted candidate, times ¼. */
  coherence: number;
  /** Seed and step number of the search's random offsets. */
  seed: number;
  step: number;
  /**
   * Move only the pixels with (x + y) mod 2 = parity, the others holding
   * still (red-black passes: neighbours never swap towards each other's old
   * sources, so the coherence cost cannot rise). Default: all pixels.
   */
  parity?: 0 | 1;
}

/** The largest side a field entry can address (16 bits a coordinate). */
export const MAX_SOURCE_SIDE = 65535;

/**
 * A nearest-neighbour field from the pixels of one RGB image to those of
 * another (PatchMatch, Barnes et al. 2009), computed on the GPU: random
 * init, then passes of propagation and random search, each pass a Jacobi
 * step that reads the previous field and writes the next (two buffers in
 * turn), so results are bit-identical from run to run. Propagation proposes
 * from neighbours `jump` pixels away, so passes with jumps 8, 4, 2, 1 carry
 * good matches across an image in a few steps, as jump flooding does.
 *
 * The cost of a source s for pixel p is the mean squared difference of their
 * (2r+1)² RGB patches, plus `coherence` times the share of p's 4 neighbours
 * whose sources are not s shifted by the same offset: with it, neighbouring
 * pixels keep neighbouring sources unless a patch is clearly better.
 *
 * Entries are u32 `sx | sy << 16`; {@link distances} holds each entry's
 * patch term. Images are planar [3, H, W] f32.
 */
export class PatchMatch {
  readonly shape: PatchMatchShape;
  readonly #ctx: GpuContext;
  readonly #fields: [GPUBuffer, GPUBuffer];
  readonly #dists: [GPUBuffer, GPUBuffer];
  #current = 0;

  /** Allocates two fields and two distance maps of the first image's size. */
  constructor(ctx: GpuContext, shape: PatchMatchShape) {
    for (const k of ["width", "height", "sourceWidth", "sourceHeight"] as const) {
      const v = shape[k];
      if (!Number.isInteger(v) || v < 1 || v > MAX_SOURCE_SIDE) {
        throw new RangeError(`PatchMatch ${k} must be a whole number from 1 to 65535, got ${v}`);
      }
    }
    if (!Number.isInteger(shape.radius) || shape.radius < 0 || shape.radius > 16) {
      throw new RangeError(
        `PatchMatch radius must be a whole number from 0 to 16, got ${shape.radius}`,
      );
    }
    this.#ctx = ctx;
    this.shape = shape;
    const n = shape.width * shape.height * 4;
    this.#fields = [ctx.createBuffer("field", n), ctx.createBuffer("field", n)];
    this.#dists = [ctx.createBuffer("field distances", n), ctx.createBuffer("field distances", n)];
  }

  /** The field as of the last recorded pass (u32 `sx | sy << 16` per pixel). */
  get field(): GPUBuffer {
    return this.#fields[this.#current];
  }

  /** The patch distance of each entry of {@link field} (f32 per pixel). */
  get distances(): GPUBuffer {
    return this.#dists[this.#current];
  }

  /** Records a random init: each pixel's source drawn uniformly from the seed. */
  recordInit(prog: Program, image: GPUBuffer, sourceImage: GPUBuffer, seed: number): void {
    this.#record(prog, image, sourceImage, {
      jump: 0,
      searchRadius: 0,
      coherence: 0,
      seed,
      step: 0,
    }, 0);
  }

  /** Records one pass of propagation and random search. */
  recordStep(prog: Program, image: GPUBuffer, sourceImage: GPUBuffer, step: PatchMatchStep): void {
    if (!Number.isInteger(step.jump) || step.jump < 1) {
      throw new RangeError(`PatchMatch jump must be a positive whole number, got ${step.jump}`);
    }
    this.#record(prog, image, sourceImage, step, 1);
  }

  #record(
    prog: Program,
    image: GPUBuffer,
    sourceImage: GPUBuffer,
    step: PatchMatchStep,
    mode: number,
  ): void {
    const s = this.shape;
    if (image.size < 12 * s.width * s.height) {
      throw new RangeError(`PatchMatch: image buffer smaller than 3×${s.height}×${s.width}`);
    }
    if (sourceImage.size < 12 * s.sourceWidth * s.sourceHeight) {
      throw new RangeError(
        `PatchMatch: source buffer smaller than 3×${s.sourceHeight}×${s.sourceWidth}`,
      );
    }
    const from = this.#current;
    const to = 1 - from;
    prog.dispatch(
      this.#ctx.pipeline(source),
      [
        image,
        sourceImage,
        this.#fields[from],
        this.#dists[from],
        this.#fields[to],
        this.#dists[to],
      ],
      grid(Math.ceil((s.width * s.height) / 256)),
      pack(
        s.width,
        s.height,
        s.sourceWidth,
        s.sourceHeight,
        s.radius,
        s.wrap ? 1 : 0,
        step.jump,
        step.searchRadius,
        step.seed >>> 0,
        step.step >>> 0,
        f32(step.coherence),
        mode,
        step.parity ?? 2,
      ),
    );
    this.#current = to;
  }

  /** Frees the fields and distance maps. */
  destroy(): void {
    for (const b of [...this.#fields, ...this.#dists]) this.#ctx.destroyBuffer(b);
  }
}
