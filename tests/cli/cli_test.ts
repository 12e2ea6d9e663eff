// The command line as a user runs it: a subprocess, real files, exit codes,
// one-line errors without stack traces.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { decodeImage } from "../../src/io/image.ts";
import { commandHelp, COMMANDS } from "../../src/cli/commands.ts";
import denoJson from "../../deno.json" with { type: "json" };
import {
  assertCleanError,
  assertInitResized,
  offline,
  spawnTex,
  tex,
  waitForLines,
  withDir,
  writeExemplar,
} from "./_cli.ts";

Deno.test("--help prints each command's reference and --version the version", async () => {
  const help = await tex(["--help"]);
  assertEquals(help.code, 0);
  assertEquals(help.stdout, commandHelp(COMMANDS[0]) + "\n");
  for (const command of COMMANDS.slice(1)) {
    const own = await tex([command.spec.name, "--help"]);
    assertEquals([own.code, own.stdout], [0, commandHelp(command) + "\n"]);
  }
  const version = await tex(["-V"]);
  assertEquals(version.code, 0);
  assertEquals(version.stdout.trim(), `tex-synth ${denoJson.version}`);
});

Deno.test("argument errors: one line, a usage hint, exit code 2", async () => {
  for (
    const [args, pattern] of [
      [["--bogus", "a.png"], /unknown option --bogus/],
      [["a.png", "--iterations", "many"], /--iterations must be a whole number from 0/],
      [["a.png", "--size", "0"], /--size must be N or WxH/],
      [["a.png", "--preset", "gatys"], /--preset must be liu or seed/],
      [["a.png", "--size", "64", "--width", "64"], /give --size or --width\/--height, not both/],
      [["a.png", "--plot", "loss.png"], /--plot writes SVG/],
      [[], /missing the exemplar/],
      [["a.png", "--loss", "l2"], /--loss must be gram or sw/],
      [["a.png", "--scales", "0"], /--scales must be a whole number from 1 to 10/],
      [["a.png", "--checkpointing", "maybe"], /--checkpointing must be auto, on or off/],
      [["a.png", "--precision", "f8"], /--precision must be auto, f32 or f16/],
      [["a.png", "--kernels", "fast"], /--kernels must be auto, software or tiled/],
      [["weights", "download"], /weights needs fetch, path or verify/],
    ] as [string[], RegExp][]
  ) {
    const run = await tex(args);
    assertCleanError(run, 2, pattern);
    assertMatch(run.stderr, /Try 'tex-synth --help'/);
  }
});

Deno.test("file errors are found before any download: exit 1, one line naming the fix", async () => {
  await withDir(async (dir) => {
    const env = offline(dir);
    assertCleanError(
      await tex([`${dir}/missing.png`], { env }),
      1,
      /image not found: .*missing\.png \(check the path\)/,
    );
    await Deno.writeTextFile(`${dir}/text.png`, "this is not an image\n");
    assertCleanError(await tex([`${dir}/text.png`], { env }), 1, /text\.png/);
    await writeExemplar(`${dir}/ex.png`);
    assertCleanError(
      await tex([`${dir}/ex.png`, "-o", `${dir}/no/such/folder/out.png`], { env }),
      1,
      /cannot write -o .*out\.png: the folder .* does not exist/,
    );
    assertCleanError(
      await tex([`${dir}/ex.png`, "--weights", `${dir}/nope.safetensors`], { env }),
      1,
      /nope\.safetensors/,
    );
  });
});

Deno.test("no network and no cached weights: a clear error that names the alternatives", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`);
    const run = await tex([`${dir}/ex.png`, "-o", `${dir}/out.png`, "--quiet"], {
      env: offline(dir),
    });
    assertCleanError(run, 1, /--weights random/);
    const left = [...Deno.readDirSync(`${dir}/cache`)].map((e) => e.name).filter((n) =>
      n.endsWith(".safetensors")
    );
    assertEquals(left, []);
  });
});

Deno.test("any output size from a non-square exemplar; an --init of another size is resized to it", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/wide.png`, 48, 24);
    const run = await tex([
      `${dir}/wide.png`,
      "-s",
      "16",
      "-n",
      "1",
      "-w",
      "random",
      "-o",
      `${dir}/o.png`,
      "-q",
    ]);
    assertEquals(run.code, 0, run.stderr);
    const out = await decodeImage(await Deno.readFile(`${dir}/o.png`));
    assertEquals([out.width, out.height], [16, 16]);
    const init = await tex([
      `${dir}/wide.png`,
      "--init",
      `${dir}/wide.png`,
      "-s",
      "16",
      "-n",
      "1",
      "-w",
      "random",
      "-o",
      `${dir}/i.png`,
      "--json",
      "--log",
      `${dir}/i.jsonl`,
    ]);
    assertEquals(init.code, 0, init.stderr);
    const started = await decodeImage(await Deno.readFile(`${dir}/i.png`));
    assertEquals([started.width, started.height], [16, 16]);
    await assertInitResized(init, `${dir}/wide.png`, `${dir}/i.jsonl`, {
      from: { width: 48, height: 24 },
      to: { width: 16, height: 16 },
      filter: "lanczos3",
    });
  });
});

Deno.test("variations, log, plot, snapshots, results and --json in one run", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/tile.png`);
    const run = await tex([
      `${dir}/tile.png`,
      "-o",
      `${dir}/out.png`,
      "-n",
      "2",
      "--variations",
      "2",
      "-w",
      "random",
      "--log",
      `${dir}/run.jsonl`,
      "--plot",
      `${dir}/loss.svg`,
      "--snapshot-every",
      "1",
      "--snapshot-dir",
      `${dir}/snaps`,
      "--results",
      `${dir}/results`,
      "--json",
      "--quiet",
    ]);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stderr.trim(), "");
    const summary = JSON.parse(run.stdout);
    assertEquals(summary.variations.map((v: { output: string }) => v.output), [
      `${dir}/out-1.png`,
      `${dir}/out-2.png`,
    ]);
    assertEquals(summary.interrupted, false);
    const a = await Deno.readFile(`${dir}/out-1.png`);
    const b = await Deno.readFile(`${dir}/out-2.png`);
    assert(a.length > 0 && b.length > 0);
    assert(a.some((v, i) => v !== b[i]), "two variations wrote the same image");
    const lines = (await Deno.readTextFile(`${dir}/run.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assertEquals(lines.map((l) => `${l.variation}:${l.iteration}`), [
      "1:0",
      "1:1",
      "1:2",
      "2:0",
      "2:1",
      "2:2",
    ]);
    assertMatch(await Deno.readTextFile(`${dir}/loss.svg`), /^<svg[\s\S]*<\/svg>\s*$/);
    assertEquals([...Deno.readDirSync(`${dir}/snaps`)].length, 6);
    assertEquals(
      [...Deno.readDirSync(`${dir}/results`)].map((e) => e.name).sort(),
      ["exemplar_tile.png", "synth_tile-1.png", "synth_tile-2.png"],
    );
  });
});

Deno.test("Ctrl-C writes the image so far and exits with 130", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`);
    const child = spawnTex([
      `${dir}/ex.png`,
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
    assertEquals([image.width, image.height], [32, 32]);
    const first = JSON.parse((await Deno.readTextFile(`${dir}/run.jsonl`)).split("\n")[0]);
    assertEquals(first.iteration, 0);
  });
});

Deno.test("--info and weights path report the adapter and the cache", async () => {
  await withDir(async (dir) => {
    const env = { TEX_SYNTH_CACHE: `${dir}/c` };
    const info = await tex(["--info", "--json"], { env });
    assertEquals(info.code, 0, info.stderr);
    const report = JSON.parse(info.stdout);
    assert(report.adapter.length > 0);
    assert(report.limits.maxStorageBufferBindingSize > 0);
    assert(["software", "tiled"].includes(report.kernels), report.kernels);
    // Measured per size: larger outputs need more.
    const peaks = [256, 512, 1024].map((s) => report.peakGpuBytes[s]);
    assert(peaks[0] > 1e7 && peaks[0] < peaks[1] && peaks[1] < peaks[2], JSON.stringify(peaks));
    assertEquals(report.cache, `${dir}/c`);
    assertMatch(report.weights, /not downloaded/);
    const path = await tex(["weights", "path"], { env });
    assertEquals(path.stdout.trim(), `${dir}/c/vgg19-features-f32.safetensors`);
    assertCleanError(await tex(["weights", "verify"], { env }), 1, /no cached weights/);
  });
});

Deno.test("several exemplars with --tile, --scales, --loss sw, --exemplar-size and --checkpointing on", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/a.png`, 40, 40);
    await writeExemplar(`${dir}/b.png`, 48, 32);
    const run = await tex([
      `${dir}/a.png`,
      `${dir}/b.png`,
      "-o",
      `${dir}/out.png`,
      "--width",
      "64",
      "--height",
      "32",
      "-n",
      "1",
      "-w",
      "random",
      "--tile",
      "--scales",
      "2",
      "--loss",
      "sw",
      "--exemplar-size",
      "32",
      "--checkpointing",
      "on",
      "--log",
      `${dir}/run.jsonl`,
      "--results",
      `${dir}/res`,
      "--json",
      "--quiet",
    ]);
    assertEquals(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assertEquals([summary.width, summary.height, summary.scales, summary.loss, summary.tile], [
      64,
      32,
      2,
      "sw",
      true,
    ]);
    const out = await decodeImage(await Deno.readFile(`${dir}/out.png`));
    assertEquals([out.width, out.height], [64, 32]);
    const scales = (await Deno.readTextFile(`${dir}/run.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l).scale
    );
    assertEquals([scales[0], scales.at(-1)], [1, 0]);
    // Exemplars scaled to 32 px on their shorter side, aspect kept.
    const b = await decodeImage(await Deno.readFile(`${dir}/res/exemplar_b.png`));
    assertEquals([b.width, b.height], [48, 32]);
    const a = await decodeImage(await Deno.readFile(`${dir}/res/exemplar_a.png`));
    assertEquals([a.width, a.height], [32, 32]);
  });
});

Deno.test("sizes beyond the adapter's limits fail at once with the limit and the largest size that fits", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`);
    const started = Date.now();
    const big = await tex([`${dir}/ex.png`, "-s", "16000", "-w", "random", "-o", `${dir}/o.png`]);
    assertCleanError(
      big,
      1,
      /16000×16000 output needs .* storage binding limit: use a smaller --size \(up to about \d+×\d+ px here\)/,
    );
    const exemplar = await tex([
      `${dir}/ex.png`,
      "--exemplar-size",
      "16000",
      "-w",
      "random",
      "-o",
      `${dir}/o.png`,
    ]);
    assertCleanError(exemplar, 1, /use a smaller --exemplar-size/);
    assert(Date.now() - started < 30_000, "refusing took too long");
  });
});

Deno.test("sizes as users write them: WxH, and one side alone keeps the exemplar's aspect ratio", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/wide.png`, 48, 24);
    const cases: [string[], [number, number]][] = [
      [["--size", "40x16"], [40, 16]],
      [["--width", "32"], [32, 16]],
      [["--height", "20"], [40, 20]],
      [["--width", "32", "--height", "32"], [32, 32]],
      [[], [48, 24]],
    ];
    for (const [args, size] of cases) {
      const run = await tex([
        `${dir}/wide.png`,
        ...args,
        "-n",
        "0",
        "-w",
        "random",
        "-o",
        `${dir}/o.png`,
        "-q",
      ]);
      assertEquals(run.code, 0, run.stderr);
      const out = await decodeImage(await Deno.readFile(`${dir}/o.png`));
      assertEquals([out.width, out.height], size, args.join(" "));
    }
  });
});

Deno.test("an early stop is explained on stderr and in --json", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`);
    // Started at the exemplar itself, the gradient is already nothing.
    const run = await tex([
      `${dir}/ex.png`,
      "--init",
      `${dir}/ex.png`,
      "-n",
      "20",
      "-w",
      "random",
      "-o",
      `${dir}/o.png`,
      "--json",
    ]);
    assertEquals(run.code, 0, run.stderr);
    assertMatch(
      run.stderr,
      /stopped after 0 of 20 iterations: the gradient vanished \(a minimum was reached\); wrote .*o\.png/,
    );
    const v = JSON.parse(run.stdout).variations[0];
    assertEquals([v.stop, v.stopMessage], [
      "tolerance-grad",
      "the gradient vanished (a minimum was reached)",
    ]);
  });
});

Deno.test("the package's main module with `cli` first is the command line; importing it runs nothing", async () => {
  const mod = new URL("../../mod.ts", import.meta.url).pathname;
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...args],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  const help = await run([mod, "cli", "--help"]);
  assertEquals(help.code, 0);
  assertEquals(new TextDecoder().decode(help.stdout), commandHelp(COMMANDS[0]) + "\n");
  const bad = await run([mod, "cli", "--bogus"]);
  assertEquals(bad.code, 2);
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/use.ts`,
      `import * as m from ${JSON.stringify(mod)};\nconsole.log(typeof m.createSynthesizer);\n`,
    );
    const imported = await run([`${dir}/use.ts`, "cli", "--help"]);
    assertEquals(new TextDecoder().decode(imported.stdout), "function\n");
    assertEquals(imported.code, 0);
  });
});
