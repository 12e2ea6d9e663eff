// A GPU device lost in the middle of a run ends it promptly with a one-line
// TexSynthError, never a hang or a WebGPU validation dump.
import { assert, assertRejects } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import { Synthesizer } from "../../src/synth/synthesizer.ts";
import { stripes } from "../peer/_inputs.ts";

Deno.test("losing the device mid-run ends the run with a clear error", async () => {
  const gpu = await GpuContext.create();
  const synth = await Synthesizer.create(stripes(32), { weights: "random", gpu });
  const started = performance.now();
  const error = await assertRejects(
    () =>
      synth.synthesize(50, {
        onProgress: (r) => {
          if (r.iteration === 2) gpu.device.destroy();
        },
      }),
    TexSynthError,
  );
  assert(/GPU device was lost/.test(error.message), error.message);
  assert(!error.message.includes("\n"));
  assert(performance.now() - started < 60_000);
});
