import type { GpuContext } from "./context.ts";

/**
 * Hands out scratch buffers while a program is being recorded. A released
 * buffer is reused by a later acquire, so tensors whose lifetimes do not
 * overlap in program order share memory; the context's byte count then shows
 * what a recorded schedule really holds (this is how checkpointing saves).
 */
export class BufferPool {
  readonly ctx: GpuContext;
  #free: GPUBuffer[] = [];
  #owned = new Set<GPUBuffer>();

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
  }

  /** Bytes of every buffer the pool has made: what its schedule needs at once. */
  get bytes(): number {
    let total = 0;
    for (const buffer of this.#owned) total += buffer.size;
    return total;
  }

  /** A buffer of at least `bytes`: the smallest free one that fits, else a new one. */
  acquire(label: string, bytes: number): GPUBuffer {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const size = this.#free[i].size;
      if (size >= bytes && (best < 0 || size < this.#free[best].size)) best = i;
    }
    if (best >= 0) return this.#free.splice(best, 1)[0];
    const buffer = this.ctx.createBuffer(label, bytes);
    this.#owned.add(buffer);
    return buffer;
  }

  /** Returns a buffer for reuse by later steps of the recording. */
  release(buffer: GPUBuffer): void {
    if (!this.#owned.has(buffer)) throw new Error("released a buffer the pool does not own");
    if (this.#free.includes(buffer)) throw new Error("released a buffer twice");
    this.#free.push(buffer);
  }

  /** Destroys every buffer the pool made. */
  destroy(): void {
    for (const buffer of this.#owned) this.ctx.destroyBuffer(buffer);
    this.#owned.clear();
    this.#free = [];
  }
}
