// A real run through the CLI: 30 L-BFGS iterations at 64×64 with random
// weights and preset seed cut the loss at least 10× and the Gram part at least
// 1.5×, and the same seed gives byte-identical PNGs in two processes.
import { assert, assertEquals } from "@std/assert";
import { encodePng } from "../../src/io/image.ts";
import { stripes } from "../peer/_inputs.ts";

const cli = new URL("../../cli.ts", import.meta.url).pathname;

async function synth(dir: string, name: string, exemplar: string) {
  const out = `${dir}/${name}.png`;
  const log = `${dir}/${name}.jsonl`;
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      cli,
      exemplar,
      "-o",
      out,
      "--log",
      log,
      "--weights",
      "random",
      "--preset",
      "seed",
      "--iterations",
      "30",
      "--seed",
      "3",
      "--quiet",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(run.success, new TextDecoder().decode(run.stderr));
  const records = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
  return { png: await Deno.readFile(out), records };
}

Deno.test("seed preset, 64×64, 30 iterations: loss ÷10, gram ÷1.5, same seed → same bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const exemplar = `${dir}/exemplar.png`;
    await Deno.writeFile(exemplar, await encodePng(stripes(64)));
    const [a, b] = await Promise.all([synth(dir, "a", exemplar), synth(dir, "b", exemplar)]);
    const first = a.records[0];
    const last = a.records[a.records.length - 1];
    assertEquals(first.iteration, 0);
    assertEquals(last.iteration, 30);
    for (const key of ["iteration", "evaluations", "loss", "gram", "spectrum", "ms"]) {
      assert(typeof last[key] === "number", `log line lacks ${key}`);
    }
    assert(first.loss / last.loss >= 10, `loss went from ${first.loss} to ${last.loss}`);
    assert(first.gram / last.gram >= 1.5, `gram went from ${first.gram} to ${last.gram}`);
    assertEquals(a.png, b.png, "two runs with the same seed wrote different images");
    assertEquals(a.records.map((r) => r.loss), b.records.map((r) => r.loss));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
