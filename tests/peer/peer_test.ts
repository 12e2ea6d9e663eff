// Preset `seed` reproduces the PyTorch reference number for number: the
// iteration-0 loss terms the CLI logs match expected.json, which
// make_expected.ts recorded from ../shared/peer/torch_ref.py on the same files.
import { assert } from "@std/assert";
import { writePeerInputs } from "./_inputs.ts";

const expected = JSON.parse(await Deno.readTextFile(new URL("./expected.json", import.meta.url)));
const cli = new URL("../../cli.ts", import.meta.url).pathname;

Deno.test("preset seed: iteration-0 loss, gram and spectrum match PyTorch within 1e-3 relative", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = await writePeerInputs(dir);
    const log = `${dir}/run.jsonl`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        cli,
        paths.exemplar,
        "--init",
        paths.init,
        "--weights",
        paths.weights,
        "--preset",
        "seed",
        "--iterations",
        "0",
        "--log",
        log,
        "-o",
        `${dir}/out.png`,
        "--quiet",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(run.success, new TextDecoder().decode(run.stderr));
    const first = JSON.parse((await Deno.readTextFile(log)).split("\n")[0]);
    assert(first.iteration === 0, `first log line is iteration ${first.iteration}`);
    for (const key of ["loss", "gram", "spectrum"]) {
      const rel = Math.abs(first[key] - expected[key]) / Math.abs(expected[key]);
      assert(
        rel <= 1e-3,
        `${key}: ours ${first[key]}, PyTorch ${expected[key]} (relative error ${
          rel.toExponential(2)
        })`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
