// The command line as a user runs it: a subprocess, real files, exit codes,
// one-line errors without stack traces.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { decodeImage, encodePng } from "../../src/io/image.ts";
import { HELP } from "../../src/cli/args.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { stripes } from "../peer/_inputs.ts";

const cli = new URL("../../cli.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function tex(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A user error: the given exit code, and stderr is short, with no stack trace. */
function assertCleanError(run: Run, code: number, pattern: RegExp): void {
  assertEquals(run.code, code, run.stderr);
  assertMatch(run.stderr, pattern);
  assert(!/\n\s+at /.test(run.stderr), `stack trace on stderr:\n${run.stderr}`);
  assert(run.stderr.trim().split("\n").length <= 2, `more than two lines:\n${run.stderr}`);
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeExemplar(path: string, width = 32, height = 32): Promise<void> {
  const square = stripes(Math.max(width, height));
  const data = new Float32Array(3 * width * height);
  const s = square.width;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        data[(c * height + y) * width + x] = square.data[(c * s + y) * s + x];
      }
    }
  }
  await Deno.writeFile(path, await encodePng({ width, height, data }));
}

/** Environment in which any attempt to download weights fails at once. */
function offline(dir: string): Record<string, string> {
  return { TEX_SYNTH_CACHE: `${dir}/cache`, TEX_SYNTH_WEIGHTS_URL: "http://127.0.0.1:9/vgg19.pth" };
}

Deno.test("--help prints the reference and --version the version", async () => {
  const help = await tex(["--help"]);
  assertEquals(help.code, 0);
  assertEquals(help.stdout, HELP + "\n");
  const version = await tex(["-V"]);
  assertEquals(version.code, 0);
  assertEquals(version.stdout.trim(), `tex-synth ${denoJson.version}`);
});

Deno.test("argument errors: one line, a usage hint, exit code 2", async () => {
  for (
    const [args, pattern] of [
      [["--bogus", "a.png"], /unknown option --bogus/],
      [["a.png", "--iterations", "many"], /--iterations needs a whole number/],
      [["a.png", "--size", "0"], /--size must be a whole number of at least 1/],
      [["a.png", "--preset", "gatys"], /--preset must be liu or seed/],
      [["a.png", "--width", "64"], /--width and --height go together/],
      [["a.png", "--plot", "loss.png"], /--plot writes SVG/],
      [[], /missing the exemplar/],
      [["a.png", "--loss", "l2"], /--loss must be gram or sw/],
      [["a.png", "--scales", "0"], /--scales must be a whole number of at least 1/],
      [["a.png", "--checkpointing", "maybe"], /--checkpointing must be auto, on or off/],
      [["a.png", "--precision", "f8"], /--precision must be f32 or f16/],
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
      /cannot write the output to .*out\.png: the folder does not exist/,
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

Deno.test("any output size from a non-square exemplar; --init must match the output", async () => {
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
      "-w",
      "random",
      "-o",
      `${dir}/i.png`,
    ]);
    assertCleanError(init, 1, /start image is 48×24 but the output is 16×16/);
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
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        cli,
        `${dir}/ex.png`,
        "-o",
        `${dir}/out.png`,
        "-n",
        "10000",
        "-w",
        "random",
        "--log",
        `${dir}/run.jsonl`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const deadline = Date.now() + 60_000;
    let started = false;
    while (!started && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      try {
        started = (await Deno.readDir(dir)[Symbol.asyncIterator]().next()) !== null &&
          [...Deno.readDirSync(dir)].some((e) =>
            e.name.startsWith(".run.jsonl") && Deno.statSync(`${dir}/${e.name}`).size > 0
          );
      } catch {
        started = false;
      }
    }
    assert(started, "the run did not start within 60 s");
    child.kill("SIGINT");
    const out = await child.output();
    assertEquals(out.code, 130, decoder.decode(out.stderr));
    assertMatch(decoder.decode(out.stderr), /interrupted: wrote the image so far/);
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
    const big = await tex([`${dir}/ex.png`, "-s", "20000", "-w", "random", "-o", `${dir}/o.png`]);
    assertCleanError(
      big,
      1,
      /20000×20000 output needs .* storage binding limit: use a smaller --size \(up to about \d+×\d+ px here\)/,
    );
    const exemplar = await tex([
      `${dir}/ex.png`,
      "--exemplar-size",
      "20000",
      "-w",
      "random",
      "-o",
      `${dir}/o.png`,
    ]);
    assertCleanError(exemplar, 1, /use a smaller --exemplar-size/);
    assert(Date.now() - started < 30_000, "refusing took too long");
  });
});
