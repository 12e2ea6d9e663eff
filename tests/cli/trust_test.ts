// Every run ends in a written image or one clear line: outputs checked before
// any work, side outputs that fail without taking the image, signals, NaN,
// numeric bounds, concurrent runs. A user's run, as a subprocess on real files.
import { assert, assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import { decodeImage } from "../../src/io/image.ts";
import { encodeSafetensors } from "../../src/weights/safetensors.ts";
import type { TensorData } from "../../src/weights/tensor.ts";
import { randomVggWeights } from "../../src/weights/vgg19_weights.ts";
import {
  assertCleanError,
  listDir,
  offline,
  spawnTex,
  tex,
  waitForLines,
  withDir,
  writeExemplar,
} from "./_cli.ts";

const decoder = new TextDecoder();
const RANDOM = ["-w", "random"];

/** Runs `tex-synth` expecting a refusal before any work: usage error (2), one line, fast. */
async function assertRefused(args: string[], pattern: RegExp, env?: Record<string, string>) {
  const run = await tex(args, { env });
  assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
  assertCleanError(run, 2, pattern);
}

Deno.test("outputs are checked before any work: folders, separators, special files, links, extensions", async () => {
  await withDir(async (dir) => {
    const env = offline(dir);
    await writeExemplar(`${dir}/ex.png`);
    const ex = `${dir}/ex.png`;
    await Deno.mkdir(`${dir}/folder`);
    await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    await Deno.symlink(`${dir}/fifo`, `${dir}/to-fifo.png`);
    await Deno.symlink(`${dir}/nowhere.png`, `${dir}/dangling.png`);
    await Deno.symlink("/dev/null", `${dir}/null.png`);
    const socket = Deno.listen({ transport: "unix", path: `${dir}/sock.png` });
    try {
      // Offline: reaching the weights would fail with another message, so each
      // of these is refused before any download or GPU work.
      const cases: [string[], RegExp][] = [
        [["-o", `${dir}/folder`], /-o .*folder is a folder/],
        [["-o", `${dir}/new/`], /-o .*new\/ names a folder: give a file name/],
        [["-o", `${dir}/fifo`], /is a FIFO \(named pipe\), not a regular file/],
        [["-o", `${dir}/to-fifo.png`], /is a FIFO \(named pipe\), not a regular file/],
        [["-o", `${dir}/null.png`], /null\.png is a device, not a regular file/],
        [["-o", `${dir}/sock.png`], /is a socket, not a regular file/],
        [["-o", `${dir}/dangling.png`], /symbolic link to nothing/],
        [["-o", `${dir}/out.bmp`], /must end in \.png, \.jpg, \.jpeg/],
        [["-o", `${dir}/out`], /must end in \.png/],
        [["--log", `${dir}/folder`], /--log .*folder is a folder/],
        [["--log", `${dir}/fifo`], /--log .* is a FIFO/],
        [["--plot", `${dir}/to-fifo.svg`], /--plot/],
        [["--results", ex], /--results .*ex\.png is a file, not a folder/],
        [["--snapshot-every", "1", "--snapshot-dir", ex], /--snapshot-dir .* is a file/],
      ];
      await Deno.symlink(`${dir}/fifo`, `${dir}/to-fifo.svg`);
      for (const [args, pattern] of cases) {
        const output = args.includes("-o") ? [] : ["-o", `${dir}/ok.png`];
        await assertRefused([ex, ...output, ...args, "-q"], pattern, env);
      }
      assertEquals(listDir(dir).filter((n) => n.includes("tmp") || n.includes("probe")), []);
    } finally {
      socket.close();
    }
  });
});

Deno.test("no output may name an input or another output", async () => {
  await withDir(async (dir) => {
    const env = offline(dir);
    await writeExemplar(`${dir}/ex.png`);
    await writeExemplar(`${dir}/init.png`);
    await writeExemplar(`${dir}/ex-2.png`);
    await Deno.writeFile(`${dir}/w.safetensors`, new Uint8Array(8));
    await Deno.symlink(`${dir}/ex.png`, `${dir}/alias.png`);
    await Deno.link(`${dir}/ex.png`, `${dir}/hardlink.png`);
    const ex = `${dir}/ex.png`;
    const before = await Deno.readFile(ex);
    const cases: [string[], RegExp][] = [
      [[ex, "-o", ex], /-o .*ex\.png would overwrite the exemplar/],
      [[ex, "-o", `${dir}/./ex.png`], /would overwrite the exemplar/],
      [[ex, "-o", `${dir}/alias.png`], /would overwrite the exemplar/],
      [[ex, "-o", `${dir}/hardlink.png`], /would overwrite the exemplar/],
      [[ex, "--init", `${dir}/init.png`, "-o", `${dir}/init.png`], /would overwrite --init/],
      [
        [ex, "-w", `${dir}/w.safetensors`, "--log", `${dir}/w.safetensors`],
        /would overwrite --weights/,
      ],
      [
        [`${dir}/ex-2.png`, "-o", `${dir}/ex.png`, "--variations", "3"],
        /would overwrite the exemplar/,
      ],
      [[ex, "-o", `${dir}/a.png`, "--log", `${dir}/a.png`], /-o and --log both name/],
      [[ex, "--log", `${dir}/x.svg`, "--plot", `${dir}/x.svg`], /--log and --plot both name/],
      [[ex, "-o", `${dir}/res/synth_ex.png`, "--results", `${dir}/res`], /both name/],
    ];
    for (const [args, pattern] of cases) await assertRefused([...args, "-q"], pattern, env);
    assertEquals(await Deno.readFile(ex), before);
  });
});

Deno.test("the output's format follows its extension: .jpg writes a JPEG; a symlinked output stays a link", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`);
    const jpg = await tex([`${dir}/ex.png`, "-o", `${dir}/out.JPG`, "-n", "1", ...RANDOM, "-q"]);
    assertEquals(jpg.code, 0, jpg.stderr);
    const bytes = await Deno.readFile(`${dir}/out.JPG`);
    assertEquals([bytes[0], bytes[1], bytes[2]], [0xff, 0xd8, 0xff]);
    await Deno.writeTextFile(`${dir}/target.png`, "old");
    await Deno.symlink(`${dir}/target.png`, `${dir}/link.png`);
    const linked = await tex([
      `${dir}/ex.png`,
      "-o",
      `${dir}/link.png`,
      "-n",
      "1",
      ...RANDOM,
      "-q",
    ]);
    assertEquals(linked.code, 0, linked.stderr);
    assert((await Deno.lstat(`${dir}/link.png`)).isSymlink, "the link was replaced by a file");
    const image = await decodeImage(await Deno.readFile(`${dir}/target.png`));
    assertEquals([image.width, image.height], [32, 32]);
  });
});

Deno.test("a closed stdout or stderr costs a warning at most; the image is written", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`);
    for (const closed of ["stdout", "stderr"] as const) {
      const out = `${dir}/${closed}.png`;
      const child = spawnTex([`${dir}/ex.png`, "-o", out, "-n", "2", ...RANDOM, "--json"]);
      await child[closed].cancel();
      const other = closed === "stdout" ? child.stderr : child.stdout;
      const text = decoder.decode(await new Response(other).arrayBuffer());
      const status = await child.status;
      assertEquals(status.code, 0, text);
      const image = await decodeImage(await Deno.readFile(out));
      assertEquals(image.width, 32);
      if (closed === "stdout") {
        assertEquals(text.match(/warning: cannot write to standard output/g)?.length, 1, text);
      } else {
        assertEquals(JSON.parse(text).variations[0].written, true);
      }
    }
  });
});

/** A small tmpfs at `path`, or null (with the reason) where one cannot be mounted. */
async function mountTmpfs(path: string, kib: number): Promise<string | null> {
  await Deno.mkdir(path);
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", path],
    stderr: "piped",
  }).output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
  return out.success ? null : decoder.decode(out.stderr).trim() || "mount failed";
}

async function unmount(path: string): Promise<void> {
  await new Deno.Command("umount", { args: [path] }).output();
}

const tmpfsProbe = await (async () => {
  const dir = await Deno.makeTempDir();
  try {
    const why = await mountTmpfs(`${dir}/t`, 64);
    if (why === null) await unmount(`${dir}/t`);
    return why;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
})();

Deno.test({
  name: `a full disk under the log, plot and snapshots warns once each; the image is still written${
    tmpfsProbe ? ` (skipped: cannot mount a tmpfs here: ${tmpfsProbe})` : ""
  }`,
  ignore: tmpfsProbe !== null,
  fn: async () => {
    await withDir(async (dir) => {
      await writeExemplar(`${dir}/ex.png`);
      const full = `${dir}/full`;
      assertEquals(await mountTmpfs(full, 64), null);
      try {
        // Leave the disk nearly full: a few log lines fit, the rest do not.
        const filler = new Uint8Array(64 * 1024 - 1024);
        await Deno.writeFile(`${full}/filler`, filler).catch(() => {});
        const run = await tex([
          `${dir}/ex.png`,
          "-o",
          `${dir}/out.png`,
          "-n",
          "6",
          ...RANDOM,
          "--log",
          `${full}/run.jsonl`,
          "--plot",
          `${full}/loss.svg`,
          "--snapshot-every",
          "1",
          "--snapshot-dir",
          `${full}/snaps`,
        ]);
        assertEquals(run.code, 0, run.stderr);
        for (const what of ["the log", "snapshots", "the plot"]) {
          const n = run.stderr.split("\n").filter((l) => l.includes(`cannot write ${what}`)).length;
          assertEquals(n, 1, `${what}: ${run.stderr}`);
        }
        assertEquals((await decodeImage(await Deno.readFile(`${dir}/out.png`))).width, 32);
        const left = [...listDir(full), ...listDir(`${full}/snaps`)];
        assertEquals(left.filter((n) => n.endsWith(".tmp")), [], "temporary files left");
        const log = await Deno.readTextFile(`${full}/run.jsonl`);
        assert(log === "" || log.endsWith("\n"), "a torn last line in the log");
      } finally {
        await unmount(full);
      }
    });
  },
});

Deno.test({
  name: `a full disk under the output itself: one line, exit 1, the image saved elsewhere${
    tmpfsProbe ? ` (skipped: cannot mount a tmpfs here: ${tmpfsProbe})` : ""
  }`,
  ignore: tmpfsProbe !== null,
  fn: async () => {
    await withDir(async (dir) => {
      await writeExemplar(`${dir}/ex.png`);
      const full = `${dir}/full`;
      assertEquals(await mountTmpfs(full, 16), null);
      try {
        await Deno.writeFile(`${full}/filler`, new Uint8Array(16 * 1024)).catch(() => {});
        const run = await tex([
          `${dir}/ex.png`,
          "-o",
          `${full}/out.png`,
          "-n",
          "2",
          ...RANDOM,
          "-q",
        ]);
        assertCleanError(run, 1, /cannot write .*out\.png: .*the image was saved to (\S+) instead/);
        const saved = run.stderr.match(/saved to (\S+) instead/)![1];
        assertEquals((await decodeImage(await Deno.readFile(saved))).width, 32);
        await Deno.remove(saved);
        assertEquals(listDir(full), ["filler"]);
      } finally {
        await unmount(full);
      }
    });
  },
});

for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  Deno.test(`${signal} after the first iteration writes the image so far and exits with ${code}`, async () => {
    await withDir(async (dir) => {
      await writeExemplar(`${dir}/ex.png`);
      const child = spawnTex([
        `${dir}/ex.png`,
        "-o",
        `${dir}/out.png`,
        "-n",
        "10000",
        ...RANDOM,
        "--log",
        `${dir}/run.jsonl`,
      ]);
      await waitForLines(`${dir}/run.jsonl`, 2);
      child.kill(signal);
      const out = await child.output();
      const stderr = decoder.decode(out.stderr);
      assertEquals(out.code, code, stderr);
      assertMatch(stderr, /interrupted after iteration \d+: wrote the image so far to/);
      assertEquals((await decodeImage(await Deno.readFile(`${dir}/out.png`))).width, 32);
      assertEquals(listDir(dir), ["ex.png", "out.png", "run.jsonl"]);
    });
  });
}

Deno.test("an interrupt before the first iteration has finished leaves an existing output as it was", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`, 96, 96);
    await Deno.writeTextFile(`${dir}/out.png`, "an earlier result");
    const child = spawnTex([
      `${dir}/ex.png`,
      "-o",
      `${dir}/out.png`,
      ...RANDOM,
      "--log",
      `${dir}/run.jsonl`,
    ]);
    // Iteration 0 is the start image; iteration 1 needs at least two more evaluations.
    await waitForLines(`${dir}/run.jsonl`, 1);
    child.kill("SIGINT");
    const out = await child.output();
    const stderr = decoder.decode(out.stderr);
    assertEquals(out.code, 130, stderr);
    assertMatch(stderr, /before the first iteration finished: nothing written .*left as it was/);
    assertEquals(await Deno.readTextFile(`${dir}/out.png`), "an earlier result");
    assertEquals(listDir(dir), ["ex.png", "out.png", "run.jsonl"]);
  });
});

/** VGG19 weights scaled so far up that the first forward pass overflows f32. */
function hugeWeights(): Uint8Array {
  const tensors = new Map<string, TensorData>();
  for (const layer of randomVggWeights(1, 27).layers) {
    tensors.set(`features.${layer.index}.weight`, {
      shape: [layer.cout, layer.cin, 3, 3],
      data: layer.weight.map((v) => v * 1e15),
    });
    tensors.set(`features.${layer.index}.bias`, { shape: [layer.cout], data: layer.bias });
  }
  return encodeSafetensors(tensors);
}

Deno.test("a NaN or infinite loss is a failure: one line naming the likely cause, exit 1, nothing written", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`);
    await Deno.writeFile(`${dir}/huge.safetensors`, hugeWeights());
    const run = await tex([
      `${dir}/ex.png`,
      "-o",
      `${dir}/out.png`,
      "-w",
      `${dir}/huge.safetensors`,
      "-n",
      "3",
      "--json",
    ]);
    assertEquals(run.code, 1, run.stderr);
    assertMatch(
      run.stderr,
      /error: the (loss|gradient) became NaN or infinite at the start image: the weights probably hold huge or non-finite values/,
    );
    assert(!/wrote/.test(run.stderr), run.stderr);
    assertEquals(listDir(dir), ["ex.png", "huge.safetensors"]);
  });
});

Deno.test("numbers: stated ranges, negative values where valid, no wrap-around", async () => {
  await withDir(async (dir) => {
    const env = offline(dir);
    await writeExemplar(`${dir}/ex.png`);
    const ex = `${dir}/ex.png`;
    const bad: [string[], RegExp][] = [
      [
        ["--seed", "2147483648"],
        /--seed must be a whole number from -2,147,483,648 to 2,147,483,647, got "2147483648"/,
      ],
      [["--seed", "-2147483649"], /--seed must be a whole number from/],
      [["--seed", "1.5"], /--seed must be a whole number/],
      [["--seed", "1e3"], /--seed must be a whole number/],
      [["--iterations", "-1"], /--iterations must be a whole number from 0 to 1,000,000/],
      [["--iterations", "1000001"], /--iterations must be a whole number from 0 to 1,000,000/],
      [["--variations", "0"], /--variations must be a whole number from 1 to 1,000,000/],
      [["--scales", "11"], /--scales must be a whole number from 1 to 10/],
      [["--size", "16385"], /--size must be N or WxH .* each side from 1 to 16384/],
      [["--size", "64x0"], /--size must be N or WxH/],
      [["--width", "-64"], /--width must be a whole number from 1 to 16,384/],
      [["--exemplar-size", "0"], /--exemplar-size must be a whole number from 1/],
      [["--snapshot-every", "0"], /--snapshot-every must be a whole number from 1/],
      [["--seed"], /--seed needs a value/],
      [["--seed", "7", "--seed", "8"], /--seed is given twice/],
    ];
    for (const [args, pattern] of bad) await assertRefused([ex, ...args], pattern, env);
    const negative = await tex([
      ex,
      "--seed",
      "-7",
      "-n",
      "0",
      ...RANDOM,
      "-o",
      `${dir}/n.png`,
      "--json",
      "-q",
    ]);
    assertEquals(negative.code, 0, negative.stderr);
    assertEquals(JSON.parse(negative.stdout).seed, -7);
    const positive = await tex([ex, "--seed=7", "-n", "0", ...RANDOM, "-o", `${dir}/p.png`, "-q"]);
    assertEquals(positive.code, 0, positive.stderr);
    assertNotEquals(await Deno.readFile(`${dir}/n.png`), await Deno.readFile(`${dir}/p.png`));
  });
});

Deno.test("a huge --variations starts like one: the first outputs appear, Ctrl-C stops cleanly", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`);
    const child = spawnTex([
      `${dir}/ex.png`,
      "-o",
      `${dir}/out.png`,
      "-n",
      "1",
      "--variations",
      "1000000",
      ...RANDOM,
      "--log",
      `${dir}/run.jsonl`,
    ]);
    await waitForLines(`${dir}/run.jsonl`, 4);
    child.kill("SIGINT");
    const out = await child.output();
    assertEquals(out.code, 130, decoder.decode(out.stderr));
    assert(listDir(dir).includes("out-1.png"));
    assert(!listDir(dir).some((n) => n.endsWith(".tmp")));
  });
});

Deno.test("too small: the error names the image, the preset's real minimum and the fix", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`, 64, 64);
    await writeExemplar(`${dir}/tiny.png`, 12, 12);
    const ex = `${dir}/ex.png`;
    const o = ["-o", `${dir}/o.png`, ...RANDOM];
    const cases: [string[], RegExp][] = [
      [
        [ex, "-s", "12", ...o],
        /the output is 12×12 px, smaller than the 16 px per side that preset liu's deepest layer \(pool4\) needs: use a larger --size/,
      ],
      [
        [ex, "-s", "24", "-p", "seed", ...o],
        /the output is 24×24 px, smaller than the 32 px .* preset seed's deepest layer \(pool5\)/,
      ],
      [
        [`${dir}/tiny.png`, "-s", "64", ...o],
        /the exemplar is 12×12 px, smaller than the 16 px .*: use a larger exemplar or a larger --exemplar-size/,
      ],
      [
        [ex, "--scales", "4", ...o],
        /the output at scale 4 of 4 \(1\/8 size\) is 8×8 px, .*: use fewer --scales or a larger --size/,
      ],
      [[ex, `${dir}/tiny.png`, "-s", "64", ...o], /the exemplar 2 is 12×12 px/],
    ];
    for (const [args, pattern] of cases) assertCleanError(await tex(args), 1, pattern);
  });
});

Deno.test("two runs writing the same output at once both finish; the file is one whole image", async () => {
  await withDir(async (dir) => {
    await writeExemplar(`${dir}/ex.png`);
    const runs = [1, 2].map((seed) =>
      tex([
        `${dir}/ex.png`,
        "-o",
        `${dir}/out.png`,
        "-n",
        "2",
        "--seed",
        `${seed}`,
        ...RANDOM,
        "-q",
      ])
    );
    for (const run of await Promise.all(runs)) assertEquals(run.code, 0, run.stderr);
    assertEquals((await decodeImage(await Deno.readFile(`${dir}/out.png`))).width, 32);
    assertEquals(listDir(dir), ["ex.png", "out.png"]);
  });
});
