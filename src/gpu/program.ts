import type { GpuContext } from "./context.ts";

type Step =
  | { kind: "dispatch"; pipeline: GPUComputePipeline; group: GPUBindGroup; groups: number[] }
  | {
    kind: "copy";
    src: GPUBuffer;
    srcOffset: number;
    dst: GPUBuffer;
    dstOffset: number;
    bytes: number;
  }
  | { kind: "clear"; buffer: GPUBuffer; offset: number; bytes: number };

/**
 * A recorded sequence of GPU work, built once and replayed many times: its
 * bind groups and uniform buffers are made while recording, so replaying it
 * allocates nothing. Dispatches run in order; WebGPU orders the storage
 * writes of one dispatch before the reads of the next.
 *
 * Binding convention: when a dispatch has `params`, they are a uniform block
 * at `@binding(0)` and the storage buffers follow at 1, 2, …; without params
 * the storage buffers start at 0. Every declared binding must be used by the
 * entry point (pipelines use `layout: "auto"`).
 */
export class Program {
  readonly ctx: GpuContext;
  #steps: Step[] = [];
  #owned: GPUBuffer[] = [];
  #scratch = new Map<string, GPUBuffer>();

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
  }

  /** Number of recorded steps. */
  get length(): number {
    return this.#steps.length;
  }

  /** Records one dispatch of `pipeline` over `groups` workgroups. */
  dispatch(
    pipeline: GPUComputePipeline,
    buffers: GPUBuffer[],
    groups: [number, number?, number?],
    params?: ArrayBuffer,
  ): void {
    const entries: GPUBindGroupEntry[] = [];
    if (params) {
      const uniform = this.ctx.uniform(`${pipeline.label || "kernel"} params`, params);
      this.#owned.push(uniform);
      entries.push({ binding: 0, resource: { buffer: uniform } });
    }
    const first = entries.length;
    buffers.forEach((buffer, i) => entries.push({ binding: first + i, resource: { buffer } }));
    const group = this.ctx.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    this.#steps.push({
      kind: "dispatch",
      pipeline,
      group,
      groups: [groups[0], groups[1] ?? 1, groups[2] ?? 1],
    });
  }

  /**
   * A scratch buffer shared by every step of this program that asks for
   * `label`: for values that live only between two adjacent dispatches.
   */
  scratch(label: string, bytes: number): GPUBuffer {
    let buffer = this.#scratch.get(label);
    if (buffer && buffer.size < bytes) throw new Error(`scratch ${label} asked for with two sizes`);
    if (!buffer) {
      buffer = this.ctx.createBuffer(label, bytes);
      this.#scratch.set(label, buffer);
      this.#owned.push(buffer);
    }
    return buffer;
  }

  /** A constant buffer holding `data`, owned (and freed) by this program. */
  upload(label: string, data: Float32Array | Uint32Array): GPUBuffer {
    const buffer = this.ctx.upload(label, data);
    this.#owned.push(buffer);
    return buffer;
  }

  /** Records a buffer-to-buffer copy (offsets and size in bytes). */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.#steps.push({ kind: "copy", src, srcOffset, dst, dstOffset, bytes });
  }

  /** Records zeroing `bytes` of `buffer` from `offset` (whole buffer by default). */
  clear(buffer: GPUBuffer, offset: number = 0, bytes: number = buffer.size - offset): void {
    this.#steps.push({ kind: "clear", buffer, offset, bytes });
  }

  /** Appends another program's steps to this one. */
  append(other: Program): void {
    this.#steps.push(...other.#steps);
  }

  /** Encodes the steps into `encoder`, one compute pass between copies. */
  encode(encoder: GPUCommandEncoder): void {
    let pass: GPUComputePassEncoder | null = null;
    for (const step of this.#steps) {
      if (step.kind === "dispatch") {
        pass ??= encoder.beginComputePass();
        pass.setPipeline(step.pipeline);
        pass.setBindGroup(0, step.group);
        pass.dispatchWorkgroups(step.groups[0], step.groups[1], step.groups[2]);
        continue;
      }
      if (pass) {
        pass.end();
        pass = null;
      }
      if (step.kind === "copy") {
        encoder.copyBufferToBuffer(step.src, step.srcOffset, step.dst, step.dstOffset, step.bytes);
      } else {
        encoder.clearBuffer(step.buffer, step.offset, step.bytes);
      }
    }
    pass?.end();
  }

  /** Frees the uniform and scratch buffers made while recording. */
  destroy(): void {
    this.#owned.forEach((b) => this.ctx.destroyBuffer(b));
    this.#owned = [];
    this.#scratch.clear();
    this.#steps = [];
  }

  /** Encodes and submits the program in one command buffer. */
  run(): void {
    this.ctx.checkLost();
    const encoder = this.ctx.device.createCommandEncoder();
    this.encode(encoder);
    this.ctx.device.queue.submit([encoder.finish()]);
  }
}
