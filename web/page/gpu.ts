/**
 * The page's GPU: one {@link GpuContext} kept across runs, opened with
 * messages that tell a browser user what to do when there is no WebGPU, and
 * a report when the device is lost that the page itself did not close.
 *
 * @module
 */
import { GpuContext, type GpuContextOptions, TexSynthError } from "@tex/synth/browser";

/** Where WebGPU is, for the message shown when a browser lacks it. */
export const NO_WEBGPU =
  "This browser has no WebGPU, which tex-synth runs on. It is on by default in Chrome and Edge 113+ (Windows, macOS, ChromeOS, Android 12+), Safari 26+ and Firefox 141+ on Windows; on Linux, Chrome and Chromium need chrome://flags/#enable-unsafe-webgpu and chrome://flags/#enable-vulkan (or --enable-unsafe-webgpu --enable-features=Vulkan), and Firefox Nightly dom.webgpu.enabled in about:config. The command line (`tex-synth`) runs without a browser.";

/** The message when WebGPU exists but offers no adapter. */
export const NO_ADAPTER =
  "WebGPU is present but offers no GPU adapter: hardware acceleration is off, or the GPU or its driver is blocklisted (chrome://gpu says which). Turn acceleration on in the browser's settings, update the GPU driver, or start Chrome with --enable-unsafe-webgpu.";

/** Whether this page can reach WebGPU at all. */
export function hasWebGpu(): boolean {
  return typeof navigator !== "undefined" && "gpu" in navigator && !!navigator.gpu;
}

/** A GPU context and a way to close it without the close counting as a loss. */
export interface PageGpu {
  context: GpuContext;
  /** Closes the device; `onLost` is not called for it. */
  close(): void;
}

/**
 * Opens the adapter and its device with `options` (precision, kernels).
 * `onLost` hears of a device lost by the browser or driver (a reset, a
 * timeout, too much memory), with its reason.
 */
export async function openGpu(
  options: Pick<GpuContextOptions, "precision" | "kernels">,
  onLost: (message: string) => void,
): Promise<PageGpu> {
  if (!hasWebGpu()) throw new TexSynthError(NO_WEBGPU);
  if (!(await navigator.gpu.requestAdapter())) throw new TexSynthError(NO_ADAPTER);
  const context = await GpuContext.create(options);
  let closing = false;
  context.device.lost.then((info) => {
    if (!closing) {
      onLost(
        `The GPU device was lost (${
          info.message || info.reason || "no reason given"
        }): press Start to open it again; a smaller size needs less GPU memory.`,
      );
    }
  });
  return {
    context,
    close() {
      closing = true;
      context.destroy();
    },
  };
}
