// Progress on stderr: a bar redrawn in place on a terminal, periodic plain
// lines otherwise, nothing when quiet.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { ByteProgress, fitStatus, formatSeconds, Progress } from "../../src/cli/progress.ts";
import type { LossRecord } from "../../src/synth/synthesizer.ts";

function record(iteration: number): LossRecord {
  return {
    iteration,
    evaluations: iteration + 1,
    loss: 1 / (iteration + 1),
    gram: 0.5,
    spectrum: 2,
    ms: 5,
    scale: 0,
  };
}

Deno.test("on a terminal: one line redrawn with the bar, count, loss, rate and ETA", () => {
  const out: string[] = [];
  const p = new Progress(10, { quiet: false, tty: true, write: (t) => out.push(t) });
  for (let i = 0; i <= 10; i++) p.update(record(i));
  p.done();
  assertEquals(out.length, 12);
  assert(out.slice(0, 11).every((l) => l.startsWith("\r\x1b[2K")), "every update redraws in place");
  assertMatch(out[10], /█{24} 10\/10 {2}loss 9\.091e-2 {2}[\d.]+ it\/s {2}ETA 0s/);
  assertMatch(out[5], /█{12}░{12} 5\/10/);
  assertEquals(out[11], "\n");
});

Deno.test("not a terminal: plain lines at the start, the end and every few seconds; quiet prints nothing", () => {
  const out: string[] = [];
  const p = new Progress(10, { quiet: false, tty: false, write: (t) => out.push(t) });
  for (let i = 0; i <= 10; i++) p.update(record(i));
  assertEquals(out.map((l) => l.split("  ")[0]), ["iteration 0/10", "iteration 10/10"]);
  assert(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
  const quiet: string[] = [];
  const q = new Progress(10, { quiet: true, tty: true, write: (t) => quiet.push(t) });
  q.update(record(1));
  q.message("wrote x.png");
  new ByteProgress({ quiet: true, write: (t) => quiet.push(t) }).update({
    phase: "download",
    bytes: 1,
  });
  assertEquals(quiet, []);
});

Deno.test("download progress shows bytes, total, percentage, rate and ETA", () => {
  const out: string[] = [];
  const p = new ByteProgress({ quiet: false, tty: false, write: (t) => out.push(t) });
  p.update({ phase: "download", bytes: 0, total: 2 * 1048576 });
  p.update({ phase: "download", bytes: 2 * 1048576, total: 2 * 1048576 });
  assertMatch(
    out.at(-1)!,
    /^downloading VGG19 weights: 2\.0 MiB \/ 2\.0 MiB 100% {2}[\d.]+ MiB\/s {2}ETA 0s\n$/,
  );
  assertEquals([formatSeconds(5), formatSeconds(125), formatSeconds(3725), formatSeconds(NaN)], [
    "5s",
    "2m05s",
    "1h02m",
    "?",
  ]);
});

Deno.test("the bar fits the terminal: no redraw is wider than it, fields drop in turn", () => {
  for (
    const [columns, label] of [[40, ""], [80, "variation 2/2: "], [20, ""], [12, "x: "]] as const
  ) {
    const out: string[] = [];
    const p = new Progress(100, {
      quiet: false,
      tty: true,
      write: (t) => out.push(t),
      columns: () => columns,
      label,
    });
    for (let i = 0; i <= 100; i += 7) p.update(record(i));
    for (const line of out) {
      const visible = [...line.replace("\r\x1b[2K", "")].length;
      assert(visible < columns, `${visible} columns at width ${columns}: ${line}`);
    }
    const last = out.at(-1)!;
    assertMatch(last, /98\/100/);
    if (columns >= 80) assertMatch(last, /variation 2\/2: █+░* 98\/100 {2}loss/);
    if (columns === 40) assertMatch(last, /█+░* 98\/100 {2}loss [\d.e+-]+/);
  }
  assertEquals(
    fitStatus(
      { label: "v: ", count: "5/10", loss: "loss 1e0", rate: "2 it/s", eta: "ETA 3s" },
      0.5,
      10,
    ),
    "5/10",
  );
});
