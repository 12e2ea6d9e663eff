import { TexSynthError } from "../errors.ts";
import { type KernelChoice, type KernelFamily, kernelFamilyFor } from "./kernel_family.ts";

const STORAGE = 0x80; // GPUBufferUsage.STORAGE, spelled out so the module loads without WebGPU
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;
const UNIFORM = 0x40;

/**
 * How the engine stores the large operands that tolerate it (the Winograd
 * convolutions' transformed weights): "f16" halves their memory on devices
 * with `shader-f16`; arithmetic accumulates in f32 either way.
 */
export type Precision = "f32" | "f16";

/**
 * The storage precision a context uses unless told otherwise: f16 where the
 * tiled kernels run on an adapter with `shader-f16` (half the weights'
 * memory and bandwidth), f32 elsewhere. On llvmpipe f16 weights made no
 * evaluation faster, and they move each convolution's output by about 2e-3
 * of its rms (README, "Precision"), so the software path keeps f32 and with
 * it preset `seed`'s parity with PyTorch.
 */
export function defaultPrecision(kernels: KernelFamily, shaderF16: boolean): Precision {
  return kernels === "tiled" && shaderF16 ? "f16" : "f32";
}

/** Options for {@link GpuContext.create}. */
export interface GpuContextOptions {
  /**
   * Storage precision of the convolutions' transformed weights;
   * {@link defaultPrecision} by default. "f16" falls back to "f32" on an
   * adapter without `shader-f16`.
   */
  precision?: Precision;
  /**
   * The kernel family: "auto" (default) picks "software" kernels on CPU
   * rasterizers and "tiled" ones (workgroup memory, one weight copy) on
   * GPUs; either can be forced, e.g. to test both on one adapter.
   */
  kernels?: KernelChoice;
}

/** What the engine needs to know about the adapter it runs on. */
export interface GpuInfo {
  /** The adapter's own description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  description: string;
  /** Largest single buffer in bytes. */
  maxBufferSize: number;
  /** Largest storage binding in bytes: the real cap on one tensor. */
  maxStorageBufferBindingSize: number;
  /** Workgroup shared memory in bytes. */
  maxComputeWorkgroupStorageSize: number;
  /** Whether the adapter offers `shader-f16` (the device then has it enabled). */
  shaderF16: boolean;
}

/**
 * The engine's handle on one WebGPU device: buffers it counts, pipelines it
 * caches, and the small read/write helpers the rest of the engine uses.
 * Every buffer the engine makes goes through {@link GpuContext.createBuffer},
 * so `peakBytes` is a measured figure, not an estimate.
 *
 * @example
 * ```ts
 * import { GpuContext, Synthesizer } from "@tex/synth";
 *
 * const gpu = await GpuContext.create();
 * console.log(gpu.info.description, gpu.info.maxStorageBufferBindingSize);
 * const pixels = { width: 32, height: 32, data: new Float32Array(3 * 32 * 32).fill(0.5) };
 * const synth = await Synthesizer.create(pixels, { weights: "random", gpu });
 * synth.dispose(); // leaves the shared context open
 * gpu.destroy();
 * ```
 */
export class GpuContext {
  /** The WebGPU device. */
  readonly device: GPUDevice;
  /** The adapter's description and limits. */
  readonly info: GpuInfo;
  /** The storage precision used: the one asked for, or "f32" without `shader-f16`. */
  readonly precision: Precision;
  /** The kernel family the engine's GEMMs and Gram matrices use on this device. */
  readonly kernels: KernelFamily;
  #live = new Map<GPUBuffer, number>();
  #liveBytes = 0;
  #peakBytes = 0;
  #pipelines = new Map<string, GPUComputePipeline>();
  #modules = new Map<string, GPUShaderModule>();
  #lost: string | null = null;

  private constructor(
    device: GPUDevice,
    info: GpuInfo,
    precision: Precision | undefined,
    kernels: KernelFamily,
  ) {
    this.device = device;
    this.info = info;
    this.kernels = kernels;
    this.precision = info.shaderF16 ? precision ?? defaultPrecision(kernels, true) : "f32";
    device.lost.then((reason) => {
      this.#lost = reason.message || String(reason.reason);
    });
  }

  /**
   * Opens the default adapter with its largest buffer limits, and
   * `shader-f16` where it is offered. Fails with a {@link TexSynthError} when
   * the runtime has no WebGPU or no adapter.
   */
  static async create(options: GpuContextOptions = {}): Promise<GpuContext> {
    const precision = options.precision;
    if (precision !== undefined && precision !== "f32" && precision !== "f16") {
      throw new TexSynthError(`precision must be "f32" or "f16", got ${JSON.stringify(precision)}`);
    }
    const choice = options.kernels ?? "auto";
    if (!["auto", "software", "tiled"].includes(choice)) {
      throw new TexSynthError(
        `kernels must be "auto", "software" or "tiled", got ${JSON.stringify(choice)}`,
      );
    }
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    if (!gpu) {
      throw new TexSynthError(
        "this runtime has no WebGPU (navigator.gpu is missing): use Deno 2.x, which ships it",
      );
    }
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) {
      throw new TexSynthError(
        "no GPU adapter found: install a Vulkan, Metal or D3D12 driver, or Mesa (llvmpipe) for a software adapter; DENO_WEBGPU_BACKEND=gl|vulkan picks the backend",
      );
    }
    const l = adapter.limits;
    const shaderF16 = adapter.features.has("shader-f16");
    const requiredFeatures: GPUFeatureName[] = [];
    if (adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
    if (shaderF16) requiredFeatures.push("shader-f16");
    const device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxBufferSize: l.maxBufferSize,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      },
    });
    const a = adapter.info;
    const description = [a.description, a.vendor && `vendor ${a.vendor}`, a.architecture]
      .filter((s) => s).join(", ") || "unknown adapter";
    return new GpuContext(
      device,
      {
        description,
        maxBufferSize: l.maxBufferSize,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        shaderF16,
      },
      precision,
      kernelFamilyFor(choice, description),
    );
  }

  /** Bytes held now by buffers this context made and has not destroyed. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Most bytes held at once since creation or the last {@link resetPeak}. */
  get peakBytes(): number {
    return this.#peakBytes;
  }

  /** Starts a new peak measurement from the bytes held now. */
  resetPeak(): void {
    this.#peakBytes = this.#liveBytes;
  }

  /**
   * A storage buffer of `bytes` (rounded up to 4), counted by the allocator.
   * A size past the adapter's binding limit fails with a message naming it.
   */
  createBuffer(label: string, bytes: number, usage = STORAGE | COPY_SRC | COPY_DST): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    if ((usage & STORAGE) && size > this.info.maxStorageBufferBindingSize) {
      throw new TexSynthError(
        `${label} needs ${formatBytes(size)} in one GPU buffer, more than this adapter's ${
          formatBytes(this.info.maxStorageBufferBindingSize)
        } binding limit: use a smaller --size`,
      );
    }
    this.checkLost();
    const buffer = this.device.createBuffer({ label, size, usage });
    this.#live.set(buffer, size);
    this.#liveBytes += size;
    this.#peakBytes = Math.max(this.#peakBytes, this.#liveBytes);
    return buffer;
  }

  /** A buffer holding `data`, ready for use as a storage binding. */
  upload(label: string, data: Float32Array | Uint32Array | Float16Array): GPUBuffer {
    const buffer = this.createBuffer(label, data.byteLength);
    // writeBuffer takes whole 4-byte words: an odd count of f16s goes through a padded copy.
    const bytes = data.byteLength % 4 === 0
      ? new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength)
      : new Uint8Array(Math.ceil(data.byteLength / 4) * 4);
    if (bytes.buffer !== data.buffer) {
      bytes.set(new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength));
    }
    this.device.queue.writeBuffer(buffer, 0, bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return buffer;
  }

  /** A uniform buffer holding `data` (see `pack` in params.ts). */
  uniform(label: string, data: ArrayBuffer): GPUBuffer {
    const buffer = this.createBuffer(label, data.byteLength, UNIFORM | COPY_DST);
    this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** Overwrites part of a buffer, `offset` in bytes. */
  write(buffer: GPUBuffer, data: Float32Array | Uint32Array | ArrayBuffer, offset = 0): void {
    if (data instanceof ArrayBuffer) this.device.queue.writeBuffer(buffer, offset, data);
    else {this.device.queue.writeBuffer(
        buffer,
        offset,
        data.buffer as ArrayBuffer,
        data.byteOffset,
        data.byteLength,
      );}
  }

  /** Releases a buffer and takes its bytes off the count. */
  destroyBuffer(buffer: GPUBuffer): void {
    const size = this.#live.get(buffer);
    if (size === undefined) return;
    this.#live.delete(buffer);
    this.#liveBytes -= size;
    buffer.destroy();
  }

  /** Reads `count` floats from `buffer` starting at float `offset`. */
  async read(buffer: GPUBuffer, offset = 0, count?: number): Promise<Float32Array> {
    const n = count ?? buffer.size / 4 - offset;
    const bytes = Math.ceil((n * 4) / 4) * 4;
    const staging = this.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, offset * 4, staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(1 /* GPUMapMode.READ */);
    } catch (e) {
      await this.readFailed(e);
    }
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** A compute pipeline for `source`'s `entryPoint`, compiled once per context. */
  pipeline(
    source: string,
    entryPoint = "main",
    constants?: Record<string, number>,
  ): GPUComputePipeline {
    const key = `${entryPoint}\u0000${JSON.stringify(constants ?? {})}\u0000${source}`;
    let pipeline = this.#pipelines.get(key);
    if (!pipeline) {
      let module = this.#modules.get(source);
      if (!module) {
        module = this.device.createShaderModule({ code: source });
        this.#modules.set(source, module);
      }
      pipeline = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint, constants },
      });
      this.#pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** Waits until the GPU has finished everything submitted so far. */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.checkLost();
  }

  /**
   * Turns a failed read-back into the error a user can act on: a read fails
   * when the device is lost, whose `lost` promise may settle just after.
   */
  async readFailed(error: unknown): Promise<never> {
    await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 200))]);
    this.#lost ??= error instanceof Error ? error.message.split("\n")[0] : String(error);
    this.checkLost();
    throw error;
  }

  /** Throws a {@link TexSynthError} if the device has been lost. */
  checkLost(): void {
    if (this.#lost !== null) {
      throw new TexSynthError(
        `the GPU device was lost (${this.#lost}): restart the run, with a smaller --size if it keeps happening`,
      );
    }
  }

  /** Frees every buffer and the device. */
  destroy(): void {
    for (const buffer of [...this.#live.keys()]) this.destroyBuffer(buffer);
    this.device.destroy();
  }
}

/** Bytes as a short human figure ("1.5 GiB"). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
