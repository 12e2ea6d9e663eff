// `tex-synth batch`: each exemplar alone, resumable, one bad file reported
// and passed over, a summary line at the end.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { decodeImage } from "../../src/io/image.ts";
import {
  assertCleanError,
  listDir,
  spawnTex,
  tex,
  waitForLines,
  withDir,
  writeExemplar,
} from "./_cli.ts";

Deno.test("batch: folders and files, one output each, a bad file fails alone, a rerun skips what exists", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/in`);
    await writeExemplar(`${dir}/in/a.png`, 32, 32);
    await writeExemplar(`${dir}/in/b.png`, 48, 32);
    await Deno.writeTextFile(`${dir}/in/broken.png`, "not an image");
    await Deno.writeTextFile(`${dir}/in/notes.txt`, "ignored");
    await writeExemplar(`${dir}/c.png`, 32, 32);
    const args = [
      "batch",
      `${dir}/in`,
      `${dir}/c.png`,
      "--out-dir",
      `${dir}/out`,
      "-n",
      "1",
      "-w",
      "random",
      "--log",
      `${dir}/run.jsonl`,
    ];
    const first = await tex([...args, "--json"]);
    assertEquals(first.code, 1, first.stderr);
    assertMatch(first.stderr, /\[3\/4\] broken\.png: error: .*broken\.png/);
    assertMatch(first.stderr, /batch: 3 done, 0 skipped, 1 failed/);
    assertEquals(listDir(`${dir}/out`), ["a_synth.png", "b_synth.png", "c_synth.png"]);
    const b = await decodeImage(await Deno.readFile(`${dir}/out/b_synth.png`));
    assertEquals([b.width, b.height], [48, 32], "each output takes its own exemplar's size");
    const summary = JSON.parse(first.stdout);
    assertEquals(summary.done.map((d: { exemplar: string }) => d.exemplar), [
      `${dir}/in/a.png`,
      `${dir}/in/b.png`,
      `${dir}/c.png`,
    ]);
    assertEquals(summary.failed.length, 1);
    const exemplars = new Set(
      (await Deno.readTextFile(`${dir}/run.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l).exemplar
      ),
    );
    assertEquals(exemplars.size, 3);

    const a = await Deno.readFile(`${dir}/out/a_synth.png`);
    const again = await tex(args);
    assertEquals(again.code, 1, again.stderr);
    assertMatch(again.stderr, /batch: 0 done, 3 skipped, 1 failed/);
    assertEquals(await Deno.readFile(`${dir}/out/a_synth.png`), a);
  });
});

Deno.test("batch: an interrupt keeps the current image aside as .partial.png; the rerun redoes it", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/a.png`);
    const args = ["batch", `${dir}/a.png`, "--out-dir", `${dir}/out`, "-w", "random"];
    const child = spawnTex([...args, "-n", "10000", "--log", `${dir}/run.jsonl`]);
    await waitForLines(`${dir}/run.jsonl`, 2);
    child.kill("SIGINT");
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 130, stderr);
    assertMatch(stderr, /wrote the image so far to .*a_synth\.partial\.png/);
    assertEquals(listDir(`${dir}/out`), ["a_synth.partial.png"]);
    const rerun = await tex([...args, "-n", "1", "-q"]);
    assertEquals(rerun.code, 0, rerun.stderr);
    assertEquals(listDir(`${dir}/out`), ["a_synth.png"]);
  });
});

Deno.test("batch: argument mistakes are refused before any work", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/a.png`);
    await Deno.mkdir(`${dir}/x`);
    await writeExemplar(`${dir}/x/a.png`);
    assertCleanError(await tex(["batch", `${dir}/a.png`]), 2, /batch needs --out-dir DIR/);
    assertCleanError(
      await tex(["batch", `${dir}/a.png`, `${dir}/x/a.png`, "--out-dir", `${dir}/o`]),
      2,
      /would both write .*a_synth\.png: rename one/,
    );
    assertCleanError(
      await tex(["batch", `${dir}/a.png`, "--out-dir", `${dir}/a.png`]),
      2,
      /--out-dir .*a\.png is a file, not a folder/,
    );
    await Deno.mkdir(`${dir}/empty`);
    assertCleanError(
      await tex(["batch", `${dir}/empty`, "--out-dir", `${dir}/o`]),
      2,
      /no images in/,
    );
    assert(!listDir(dir).includes("o"));
  });
});
