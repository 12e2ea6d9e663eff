import { assertThrows } from "@std/assert";
import { channelAffine } from "../../src/ops/channel_affine.ts";
import { channelAffineRef } from "../reference/conv.ts";
import { assertClose, gpu, program, randomArray, runAndRead } from "../_helpers.ts";

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

// One fused multiply-add per element against a float64 reference: rtol 1e-6, atol 1e-6.

Deno.test("channelAffine applies ImageNet normalization and its backward per channel (rtol 1e-6, atol 1e-6)", async () => {
  const ctx = await gpu();
  const [h, w] = [13, 9];
  const x = randomArray(3 * h * w, 31, 0, 1);
  const scale = STD.map((s) => 1 / s);
  for (const shift of [MEAN.map((m, c) => -m / STD[c]), [0, 0, 0]]) {
    const prog = await program();
    const out = ctx.createBuffer("out", x.byteLength);
    channelAffine(prog, ctx.upload("x", x), out, 3, h * w, scale, shift);
    const got = await runAndRead(prog, out, x.length);
    assertClose(got, channelAffineRef(x, h * w, scale, shift), 1e-6, 1e-6, `shift ${shift}`);
  }
});

Deno.test("channelAffine handles many channels and a partial workgroup (rtol 1e-6, atol 1e-6)", async () => {
  const ctx = await gpu();
  const [channels, pixels] = [70, 37];
  const x = randomArray(channels * pixels, 41);
  const scale = Array.from(randomArray(channels, 42));
  const shift = Array.from(randomArray(channels, 43));
  const prog = await program();
  const out = ctx.createBuffer("out", x.byteLength);
  channelAffine(prog, ctx.upload("x", x), out, channels, pixels, scale, shift);
  const got = await runAndRead(prog, out, x.length);
  assertClose(got, channelAffineRef(x, pixels, scale, shift), 1e-6, 1e-6);
});

Deno.test("channelAffine rejects a coefficient count that is not the channel count", async () => {
  const ctx = await gpu();
  const prog = await program();
  const b = ctx.createBuffer("b", 48);
  assertThrows(() => channelAffine(prog, b, ctx.createBuffer("o", 48), 3, 4, [1, 1], [0, 0, 0]));
});
