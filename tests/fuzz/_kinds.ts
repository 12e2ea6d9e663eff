/** The input kinds the fuzzer covers, in the order it runs them. */
export const KINDS = ["safetensors", "pth-zip", "pth-legacy", "png", "jpeg", "gif"] as const;

/** One of {@link KINDS}. */
export type Kind = typeof KINDS[number];
