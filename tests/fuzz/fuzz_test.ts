// Seeded, time-bounded fuzzing of every input parser: the three weight
// formats (safetensors, torch.save zip, legacy torch.save) and the image
// decoder (PNG, JPEG, GIF). Each case mutates a valid input (bit flips,
// interesting bytes, truncations, splices, length-field and digit tweaks) and
// must end in a valid result or a one-line TexSynthError. Any other exception,
// an allocation over 64 MiB (from inputs of a few kilobytes to ~1 MB), a case
// over 2 s, or a worker that stops answering (a hang) fails the test.
//
// Cases per kind are fixed (5000) so a run is reproducible; the time budget
// (12 s, shared equally by the kinds) only cuts a slow machine short, and the
// counts printed say how far each kind got. Here the whole test takes ~5 s.
// TEX_SYNTH_FUZZ_SEED picks another case sequence, TEX_SYNTH_FUZZ_CASES and
// TEX_SYNTH_FUZZ_SECONDS run longer (30000 cases a kind, seeds 1–3: clean).
import { assertEquals } from "@std/assert";
import type { FuzzRequest, KindReport } from "./_fuzz_worker.ts";
import { KINDS } from "./_kinds.ts";

const SEED = Number(Deno.env.get("TEX_SYNTH_FUZZ_SEED") ?? 20240611);
const SECONDS = Number(Deno.env.get("TEX_SYNTH_FUZZ_SECONDS") ?? 12);
const MAX_CASES = Number(Deno.env.get("TEX_SYNTH_FUZZ_CASES") ?? 5000);
/** Start-up (imports, seeds) plus slack: past budget + this, the worker counts as hung. */
const GRACE_MS = 15_000;

Deno.test(`fuzz: mutated weights and images end valid or in a one-line TexSynthError (seed ${SEED})`, async () => {
  const heartbeat = new SharedArrayBuffer(8);
  const beat = new Int32Array(heartbeat);
  const worker = new Worker(new URL("./_fuzz_worker.ts", import.meta.url).href, {
    type: "module",
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const result = await new Promise<{ reports?: Record<string, KindReport>; error?: string }>(
      (resolve) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          resolve({ error: e.message });
        };
        timer = setTimeout(() => {
          resolve({
            error: `hung: ${KINDS[Atomics.load(beat, 0)]} case ${Atomics.load(beat, 1)} ` +
              `did not finish within the budget (rerun with TEX_SYNTH_FUZZ_SEED=${SEED})`,
          });
        }, SECONDS * 1000 + GRACE_MS);
        const request: FuzzRequest = {
          seed: SEED,
          seconds: SECONDS,
          maxCases: MAX_CASES,
          heartbeat,
        };
        worker.postMessage(request);
      },
    );
    if (result.error) throw new Error(result.error);
    const reports = result.reports!;
    const table = Object.entries(reports).map(([kind, r]) =>
      `${kind.padEnd(12)} ${String(r.cases).padStart(5)} cases: ${r.valid} valid, ` +
      `${r.refused} refused, ${r.failed} failed; slowest ${r.slowestMs} ms`
    );
    console.log(`fuzz seed ${SEED}:\n${table.join("\n")}`);
    const failures = Object.values(reports).flatMap((r) => r.failures);
    assertEquals(failures, [], "failing cases");
    for (const [kind, r] of Object.entries(reports)) {
      // A kind that never gets to run, or whose seeds never load, tests nothing.
      if (r.cases < 50 || r.valid + r.refused !== r.cases) {
        throw new Error(`${kind}: only ${r.cases} cases (${r.valid} valid, ${r.refused} refused)`);
      }
    }
  } finally {
    clearTimeout(timer);
    worker.terminate();
  }
});
