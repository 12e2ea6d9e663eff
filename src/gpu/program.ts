import type { GpuContext } from "./context.ts";

/**
 * A program's scratch buffer, named by label: made when the program is first
 * encoded, as large as the largest size any step asked for, and shared by
 * all of them. For values that live only between adjacent dispatches.
 */
export class Scratch {
  /** The name steps share it by. */
  readonly label: string;

  constructor(label: string) {
    this.label = label;
  }
}

/**
 * Timestamp queries for profiling: each dispatch then runs in a compute
 * pass of its own, between queries 2i and 2i + 1 of `querySet`.
 */
export interface DispatchTimestamps {
  querySet: GPUQuerySet;
}

/** What a dispatch binds: a buffer, or a program's {@link Scratch}. */
export type Binding = GPUBuffer | Scratch;

type Step =
  | {
    kind: "dispatch";
    pipeline: GPUComputePipeline;
    uniform: GPUBuffer | null;
    bindings: Binding[];
    group: GPUBindGroup | null;
    groups: number[];
  }
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
 * uniform buffers are made while recording and its scratch buffers and bind
 * groups at the first encode, so replaying it allocates nothing. Dispatches
 * run in order; WebGPU orders the storage writes of one dispatch before the
 * reads of the next.
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
  #scratch = new Map<string, { ref: Scratch; bytes: number; buffer: GPUBuffer | null }>();

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
  }

  /** Records one dispatch of `pipeline` over `groups` workgroups. */
  dispatch(
    pipeline: GPUComputePipeline,
    bindings: Binding[],
    groups: [number, number?, number?],
    params?: ArrayBuffer,
  ): void {
    let uniform: GPUBuffer | null = null;
    if (params) {
      uniform = this.ctx.uniform(`${pipeline.label || "kernel"} params`, params);
      this.#owned.push(uniform);
    }
    this.#steps.push({
      kind: "dispatch",
      pipeline,
      uniform,
      bindings,
      group: null,
      groups: [groups[0], groups[1] ?? 1, groups[2] ?? 1],
    });
  }

  /**
   * The scratch buffer called `label`, at least `bytes` long. Steps that ask
   * for one label share one buffer, sized for the largest of them when the
   * program is first encoded.
   */
  scratch(label: string, bytes: number): Scratch {
    const entry = this.#scratch.get(label);
    if (entry?.buffer) throw new Error(`scratch ${label} asked for after the program was encoded`);
    if (entry) {
      entry.bytes = Math.max(entry.bytes, bytes);
      return entry.ref;
    }
    const ref = new Scratch(label);
    this.#scratch.set(label, { ref, bytes, buffer: null });
    return ref;
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

  #resolve(binding: Binding): GPUBuffer {
    if (!(binding instanceof Scratch)) return binding;
    const entry = this.#scratch.get(binding.label)!;
    if (!entry.buffer) {
      entry.buffer = this.ctx.createBuffer(binding.label, entry.bytes);
      this.#owned.push(entry.buffer);
    }
    return entry.buffer;
  }

  #bindGroup(step: Extract<Step, { kind: "dispatch" }>): GPUBindGroup {
    if (step.group) return step.group;
    const entries: GPUBindGroupEntry[] = [];
    if (step.uniform) entries.push({ binding: 0, resource: { buffer: step.uniform } });
    const first = entries.length;
    step.bindings.forEach((b, i) =>
      entries.push({ binding: first + i, resource: { buffer: this.#resolve(b) } })
    );
    step.group = this.ctx.device.createBindGroup({
      layout: step.pipeline.getBindGroupLayout(0),
      entries,
    });
    return step.group;
  }

  /** Number of dispatches recorded. */
  get dispatches(): number {
    return this.#steps.filter((s) => s.kind === "dispatch").length;
  }

  /**
   * Encodes the steps into `encoder`, one compute pass between copies (or
   * one a dispatch, with `timestamps`), and returns the dispatched pipelines
   * in order.
   */
  encode(encoder: GPUCommandEncoder, timestamps?: DispatchTimestamps): GPUComputePipeline[] {
    const pipelines: GPUComputePipeline[] = [];
    let pass: GPUComputePassEncoder | null = null;
    for (const step of this.#steps) {
      if (step.kind === "dispatch") {
        const group = this.#bindGroup(step);
        if (timestamps) {
          const i = pipelines.length;
          pass = encoder.beginComputePass({
            timestampWrites: {
              querySet: timestamps.querySet,
              beginningOfPassWriteIndex: 2 * i,
              endOfPassWriteIndex: 2 * i + 1,
            },
          });
        }
        pass ??= encoder.beginComputePass();
        pass.setPipeline(step.pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(step.groups[0], step.groups[1], step.groups[2]);
        pipelines.push(step.pipeline);
        if (timestamps) {
          pass.end();
          pass = null;
        }
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
    return pipelines;
  }

  /** Frees the uniform, constant and scratch buffers of the program. */
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
