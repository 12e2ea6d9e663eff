import { assertEquals } from "@std/assert";
import { evaluationFlops } from "../../bench/flops.ts";

// Exact integer counts, computed by hand from VGG19's layer table.

Deno.test("evaluationFlops counts VGG19 to pool5 at 128×128: convs forward, input gradient, recompute, Gram", () => {
  const f = evaluationFlops(128, 128, [1, 4, 9, 18, 27, 36], true);
  // Σ 2·cin·cout·9·H·W over the 16 convs, sizes 128, 64, 32, 16, 8.
  assertEquals(f.convForward, 12_740_198_400);
  assertEquals(f.convInputGradient, 12_740_198_400);
  // Checkpointing recomputes blocks 1 to 4 (the first 12 convs), not block 5.
  assertEquals(f.convRecompute, 11_532_238_848);
  // Σ 2·(2·N²·M): G = F·Fᵀ and its gradient, at relu1_1 and the five pools.
  assertEquals(f.gram, 553_648_128);
  assertEquals(f.total, 2 * 12_740_198_400 + 11_532_238_848 + 553_648_128);
  assertEquals(evaluationFlops(128, 128, [1, 4, 9, 18, 27, 36], false).convRecompute, 0);
});

Deno.test("evaluationFlops keeps the deepest block when a conv, not a pool, is the deepest tap", () => {
  // Taps up to conv3_1's ReLU (index 11): blocks 1 and 2 are recomputed, block 3 is kept.
  const f = evaluationFlops(32, 32, [1, 11], true);
  const block1 = 2 * 9 * 32 * 32 * (3 * 64 + 64 * 64);
  const block2 = 2 * 9 * 16 * 16 * (64 * 128 + 128 * 128);
  const block3 = 2 * 9 * 8 * 8 * 128 * 256;
  assertEquals(f.convForward, block1 + block2 + block3);
  assertEquals(f.convRecompute, block1 + block2);
});
