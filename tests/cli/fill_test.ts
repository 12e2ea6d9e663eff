// `tex-synth fill` and the steering options of `tex-synth synth` as a user
// runs them: real files, exit codes, one-line errors.
import { assert, assertEquals } from "@std/assert";
import { decodeImage, encodePng } from "../../src/io/image.ts";
import { fillScene, guidedScene } from "../../examples/steering_scenes.ts";
import { assertCleanError, tex, withDir } from "./_cli.ts";

async function writeScenes(dir: string): Promise<void> {
  const f = await fillScene(40, 12);
  await Deno.writeFile(`${dir}/img.png`, await encodePng(f.image));
  await Deno.writeFile(`${dir}/mask.png`, await encodePng(f.mask));
  const g = await guidedScene(32);
  await Deno.writeFile(`${dir}/ex.png`, await encodePng(g.exemplar));
  await Deno.writeFile(`${dir}/ex_labels.png`, await encodePng(g.exemplarGuide));
  await Deno.writeFile(`${dir}/target_labels.png`, await encodePng(g.targetGuide));
}

Deno.test("fill: the masked square is synthesized, every other pixel of the PNG is the input's", async () => {
  await withDir(async (dir) => {
    await writeScenes(dir);
    const run = await tex(
      ["fill", `${dir}/img.png`, "--mask", `${dir}/mask.png`, "-w", "random", "-n", "2", "--json"],
    );
    assertEquals(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assertEquals([summary.output, summary.written], [`${dir}/img_filled.png`, true]);
    const input = await decodeImage(await Deno.readFile(`${dir}/img.png`), "img.png");
    const mask = await decodeImage(await Deno.readFile(`${dir}/mask.png`), "mask.png");
    const out = await decodeImage(await Deno.readFile(`${dir}/img_filled.png`), "out.png");
    const plane = 40 * 40;
    let changed = 0;
    for (let i = 0; i < 3 * plane; i++) {
      if (mask.data[i % plane] > 0.5) {
        if (out.data[i] !== input.data[i]) changed++;
      } else {
        assertEquals(out.data[i], input.data[i], `kept value ${i}`);
      }
    }
    assert(changed > 3 * 144 / 2, `only ${changed} hole values changed`);
  });
});

Deno.test("fill and the steering options refuse mistakes: exit 2 for arguments, 1 for files", async () => {
  await withDir(async (dir) => {
    await writeScenes(dir);
    const black = await encodePng({ width: 8, height: 8, data: new Float32Array(3 * 64) });
    await Deno.writeFile(`${dir}/black.png`, black);
    const img = `${dir}/img.png`;
    const cases: [string[], number, RegExp][] = [
      [["fill", img, "-w", "random"], 2, /needs --mask/],
      [["fill", img, "--mask", `${dir}/mask.png`, "-o", `${dir}/o.jpg`], 2, /\.png/],
      [["fill", img, "--mask", `${dir}/black.png`, "-w", "random"], 1, /marks no pixel/],
      [["fill", img, "--mask", `${dir}/mask.png`, "--loss", "sw"], 2, /unknown option --loss/],
      [
        ["fill", img, "--mask", `${dir}/mask.png`, "--exemplar-mask", `${dir}/mask.png`],
        2,
        /goes with --exemplar/,
      ],
      [[`${dir}/ex.png`, "--guide", `${dir}/ex_labels.png`], 2, /needs --target-guide/],
      [
        [`${dir}/ex.png`, `${dir}/ex.png`, "--exemplar-mask", `${dir}/mask.png`],
        2,
        /one per exemplar/,
      ],
      [
        [`${dir}/ex.png`, "--exemplar-mask", `${dir}/mask.png`, "--loss", "sw"],
        2,
        /Gram loss only/,
      ],
      [
        [`${dir}/ex.png`, "--guide", `${dir}/ex_labels.png`, "--target-guide", img, "-w", "random"],
        1,
        /colour #[0-9a-f]{6} is in no exemplar guide/,
      ],
    ];
    for (const [args, code, pattern] of cases) {
      assertCleanError(await tex(args), code, pattern);
    }
  });
});

Deno.test("synth with --guide/--target-guide and --exemplar-mask writes its output", async () => {
  await withDir(async (dir) => {
    await writeScenes(dir);
    const run = await tex([
      `${dir}/ex.png`,
      "--guide",
      `${dir}/ex_labels.png`,
      "--target-guide",
      `${dir}/target_labels.png`,
      // Only the centre of the exemplar counts: it straddles both labels.
      "--exemplar-mask",
      `${dir}/mask.png`,
      "-s",
      "36x32",
      "-w",
      "random",
      "-n",
      "1",
      "-q",
      "-o",
      `${dir}/out.png`,
    ]);
    assertEquals(run.code, 0, run.stderr);
    const out = await decodeImage(await Deno.readFile(`${dir}/out.png`), "out.png");
    assertEquals([out.width, out.height], [36, 32]);
  });
});
