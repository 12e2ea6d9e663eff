// `tex-synth style`, `synth --maps/--remap-albedo/--uv` and `tex-synth remap`
// as a user runs them: subprocesses, real files, exit codes, Ctrl-C.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { mosaicImage, shapesImage } from "../../examples/transfer_inputs.ts";
import { decodeImage, encodePng } from "../../src/io/image.ts";
import { decodePngSamples, encodePngSamples } from "../../src/io/png.ts";
import { yiqChannel } from "../synth/_image_measures.ts";
import {
  assertCleanError,
  assertInitResized,
  listDir,
  spawnTex,
  tex,
  waitForLines,
  withDir,
} from "./_cli.ts";

async function writeStyleInputs(dir: string): Promise<void> {
  await Deno.writeFile(`${dir}/content.png`, await encodePng(shapesImage(40, 32)));
  await Deno.writeFile(`${dir}/style.png`, await encodePng(mosaicImage(48)));
  await Deno.writeFile(`${dir}/style2.png`, await encodePng(shapesImage(32, 32)));
}

Deno.test("style: two styles blended, variations, log and JSON; the output has the content's size", async () => {
  await withDir(async (dir) => {
    await writeStyleInputs(dir);
    const run = await tex([
      "style",
      `${dir}/content.png`,
      "--style",
      `${dir}/style.png`,
      "--style",
      `${dir}/style2.png`,
      "--style-blend",
      "0.7,0.3",
      "--tv-weight",
      "0.1",
      "-n",
      "3",
      "-w",
      "random",
      "--variations",
      "2",
      "--log",
      `${dir}/run.jsonl`,
      "--json",
      "-q",
    ]);
    assertEquals(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assertEquals([summary.width, summary.height, summary.styleBlend], [40, 32, [0.7, 0.3]]);
    assertEquals(summary.variations.length, 2);
    assertEquals(listDir(dir).filter((f) => f.startsWith("content_styled")), [
      "content_styled-1.png",
      "content_styled-2.png",
    ]);
    const a = await Deno.readFile(`${dir}/content_styled-1.png`);
    const b = await Deno.readFile(`${dir}/content_styled-2.png`);
    const image = await decodeImage(a);
    assertEquals([image.width, image.height], [40, 32]);
    assert(a.length !== b.length || a.some((v, i) => v !== b[i]), "variations are the same image");
    const lines = (await Deno.readTextFile(`${dir}/run.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assertEquals(lines[0].iteration, 0);
    assertEquals(lines[0].content, 0);
    assert(lines.every((l) => "gram" in l && "content" in l && "tv" in l && "variation" in l));
  });
});

Deno.test("style --init of another size: resized to the output; stderr, --json and --log say how", async () => {
  await withDir(async (dir) => {
    await writeStyleInputs(dir);
    const run = await tex([
      "style",
      `${dir}/content.png`,
      "--style",
      `${dir}/style.png`,
      "--init",
      `${dir}/style2.png`,
      "-n",
      "1",
      "-w",
      "random",
      "--json",
      "--log",
      `${dir}/run.jsonl`,
    ]);
    assertEquals(run.code, 0, run.stderr);
    await assertInitResized(run, `${dir}/style2.png`, `${dir}/run.jsonl`, {
      from: { width: 32, height: 32 },
      to: { width: 40, height: 32 },
      filter: "bicubic",
    });
    const image = await decodeImage(await Deno.readFile(`${dir}/content_styled.png`));
    assertEquals([image.width, image.height], [40, 32]);
  });
});

Deno.test("style --original-colors: the PNG's chroma is the content's to 8-bit rounding", async () => {
  await withDir(async (dir) => {
    await writeStyleInputs(dir);
    const same = await tex([
      "style",
      `${dir}/content.png`,
      "--style",
      `${dir}/style.png`,
      "--original-colors",
      "-n",
      "3",
      "-w",
      "random",
      "-o",
      `${dir}/same.png`,
      "-q",
    ]);
    assertEquals(same.code, 0, same.stderr);
    const styled = await decodeImage(await Deno.readFile(`${dir}/same.png`));
    const content = await decodeImage(await Deno.readFile(`${dir}/content.png`));
    // Rounding each of R, G, B to 1/255 moves I or Q by at most
    // (0.596 + 0.274 + 0.322)/2/255 ≈ 0.0023; clipping to [0, 1] can move
    // more, so the mean is held to that bound and most pixels to twice it.
    for (const k of [1, 2]) {
      const got = yiqChannel(styled, k);
      const want = yiqChannel(content, k);
      let sum = 0;
      let close = 0;
      for (let i = 0; i < got.length; i++) {
        const d = Math.abs(got[i] - want[i]);
        sum += d;
        if (d <= 0.0047) close++;
      }
      assert(
        sum / got.length <= 0.0024,
        `channel ${k}: mean chroma difference ${sum / got.length}`,
      );
      assert(close >= 0.95 * got.length, `channel ${k}: ${close} of ${got.length} within 0.0047`);
    }
  });
});

Deno.test("style: mistakes exit 2 before any work, a missing style exits 1", async () => {
  await withDir(async (dir) => {
    await writeStyleInputs(dir);
    const c = `${dir}/content.png`;
    const s = `${dir}/style.png`;
    assertCleanError(await tex(["style", c]), 2, /at least one --style/);
    assertCleanError(
      await tex(["style", c, "--style", s, "--style-blend", "1,2"]),
      2,
      /2 weights for 1 --style/,
    );
    assertCleanError(await tex(["style", c, "--style", s, "--init-noise", "2"]), 2, /--init-noise/);
    assertCleanError(
      await tex(["style", c, "--style", s, "--style", s, "--style-blend", "2,1", "--loss", "sw"]),
      2,
      /--loss sw pools the style images' pixels/,
    );
    assertCleanError(await tex(["style", c, "--style", s, "--tv-weight", "-1"]), 2, /--tv-weight/);
    assertCleanError(
      await tex(["style", c, "--style", s, "-o", c]),
      2,
      /would overwrite the content image/,
    );
    assertCleanError(
      await tex(["style", c, "--style", `${dir}/nope.png`, "-w", "random"]),
      1,
      /image not found: .*nope\.png/,
    );
  });
});

Deno.test("style: Ctrl-C writes the image so far and exits with 130", async () => {
  await withDir(async (dir) => {
    await writeStyleInputs(dir);
    const child = spawnTex([
      "style",
      `${dir}/content.png`,
      "--style",
      `${dir}/style.png`,
      "-o",
      `${dir}/out.png`,
      "-n",
      "10000",
      "-w",
      "random",
      "--log",
      `${dir}/run.jsonl`,
    ]);
    await waitForLines(`${dir}/run.jsonl`, 2);
    child.kill("SIGINT");
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 130, stderr);
    assertMatch(stderr, /interrupted after iteration \d+: wrote the image so far/);
    const image = await decodeImage(await Deno.readFile(`${dir}/out.png`));
    assertEquals([image.width, image.height], [40, 32]);
  });
});

/** A 40 px exemplar, its inverse as an 8-bit map and its luma as a 16-bit gray map. */
async function writeMaterial(dir: string): Promise<void> {
  const ex = mosaicImage(40, 3);
  const png = await encodePng(ex);
  await Deno.writeFile(`${dir}/ex.png`, png);
  // The inverse of the 8-bit samples themselves: 255 − v, exactly.
  const rgb = await decodePngSamples(png, "ex", 1e6);
  await Deno.writeFile(
    `${dir}/inv.png`,
    await encodePngSamples({ ...rgb, samples: rgb.samples.map((v) => 255 - v) }),
  );
  const n = 40 * 40;
  const samples = Uint16Array.from(
    { length: n },
    (_, i) =>
      Math.round(65535 * (0.3 * ex.data[i] + 0.6 * ex.data[n + i] + 0.1 * ex.data[2 * n + i])),
  );
  await Deno.writeFile(
    `${dir}/height.png`,
    await encodePngSamples({ width: 40, height: 40, channels: 1, depth: 16, samples }),
  );
}

Deno.test("--maps --remap-albedo --uv --tile: an exactly consistent set, and remap reproduces it byte for byte", async () => {
  await withDir(async (dir) => {
    await writeMaterial(dir);
    const run = await tex([
      `${dir}/ex.png`,
      "-o",
      `${dir}/out.png`,
      "-n",
      "3",
      "-w",
      "random",
      "--tile",
      "--maps",
      `${dir}/inv.png,${dir}/height.png`,
      "--remap-albedo",
      "--uv",
      `${dir}/uv.png`,
      "--variations",
      "2",
      "-q",
    ]);
    assertEquals(run.code, 0, run.stderr);
    for (const v of [1, 2]) {
      const albedo = await decodePngSamples(await Deno.readFile(`${dir}/out-${v}.png`), "a", 1e6);
      const inv = await decodePngSamples(await Deno.readFile(`${dir}/out-${v}_inv.png`), "i", 1e6);
      // Inverting an 8-bit sample is exact: 255 − v.
      assertEquals([...inv.samples], [...albedo.samples].map((s) => 255 - s));
      const height = await decodePngSamples(
        await Deno.readFile(`${dir}/out-${v}_height.png`),
        "h",
        1e6,
      );
      assertEquals([height.channels, height.depth, height.width], [1, 16, 40]);
      const remap = await tex([
        "remap",
        `${dir}/uv-${v}.png`,
        `${dir}/inv.png`,
        `${dir}/height.png`,
        "-q",
      ]);
      assertEquals(remap.code, 0, remap.stderr);
      assertEquals(
        await Deno.readFile(`${dir}/inv_remapped.png`),
        await Deno.readFile(`${dir}/out-${v}_inv.png`),
      );
      assertEquals(
        await Deno.readFile(`${dir}/height_remapped.png`),
        await Deno.readFile(`${dir}/out-${v}_height.png`),
      );
    }
  });
});

Deno.test("--maps: misaligned maps and several exemplars are refused before any GPU work", async () => {
  await withDir(async (dir) => {
    await writeMaterial(dir);
    await Deno.writeFile(`${dir}/wide.png`, await encodePng(shapesImage(60, 30)));
    assertCleanError(
      await tex([`${dir}/ex.png`, `${dir}/ex.png`, "--maps", `${dir}/inv.png`, "-w", "random"]),
      2,
      /need exactly one exemplar/,
    );
    assertCleanError(
      await tex([`${dir}/ex.png`, "--maps", `${dir}/wide.png`, "-w", "random"]),
      1,
      /wide\.png is 60×30 px, not the exemplar's 40×40/,
    );
    assertCleanError(
      await tex([`${dir}/ex.png`, "--uv", `${dir}/uv.jpg`]),
      2,
      /--uv writes a 16-bit PNG/,
    );
    assertCleanError(
      await tex(["remap", `${dir}/ex.png`, `${dir}/inv.png`]),
      1,
      /ex\.png is a 8-bit PNG with 3 channels, not a source field/,
    );
  });
});
