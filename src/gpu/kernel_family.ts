/**
 * Which family of compute kernels suits an adapter. "software": register
 * blocks and no workgroup memory, for CPU rasterizers (llvmpipe, lavapipe,
 * SwiftShader, WARP) that run each invocation as one SIMD lane, where every
 * load costs about as much as several multiply-adds and a workgroup runs on
 * one thread. "tiled": operands staged through workgroup memory in 32×32
 * tiles, 4×4 outputs per invocation, for GPUs, whose many small invocations
 * share each loaded value through fast on-chip memory.
 */
export type KernelFamily = "software" | "tiled";

/** A kernel family, or "auto": the one that suits the adapter ({@link kernelFamilyFor}). */
export type KernelChoice = KernelFamily | "auto";

/**
 * Whether `description` names a software (CPU) adapter such as llvmpipe,
 * lavapipe, SwiftShader or WARP.
 */
export function isSoftwareAdapter(description: string): boolean {
  return /llvmpipe|lavapipe|swiftshader|softpipe|warp|software|cpu/i.test(description);
}

/** The family `choice` names, or for "auto" the one that suits the adapter described. */
export function kernelFamilyFor(choice: KernelChoice, description: string): KernelFamily {
  if (choice !== "auto") return choice;
  return isSoftwareAdapter(description) ? "software" : "tiled";
}
