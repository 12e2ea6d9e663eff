// JPEG exemplars as a user passes them to the command line: a phone photo's
// EXIF orientation is honoured end to end, and kinds the decoder cannot read
// stop the run with one line before any weights or GPU work.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { readImageFile } from "../../src/io/image_file.ts";
import { QUADRANTS, UPRIGHT } from "../fixtures/make_jpeg_fixtures.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const JPEGS = new URL("../fixtures/jpeg/", import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    // No weights anywhere: a run that got as far as fetching them would say so.
    env: {
      TEX_SYNTH_CACHE: "/nonexistent/tex-synth",
      TEX_SYNTH_WEIGHTS_URL: "http://127.0.0.1:9/w",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("arithmetic-coded, lossless and 12-bit JPEG exemplars: one line naming the kind, exit 1, nothing written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [file, kind] of [
        ["arithmetic.jpg", "arithmetic-coded"],
        ["lossless.jpg", "lossless"],
        ["12-bit.jpg", "12-bit"],
      ]
    ) {
      const run = await cli([`${JPEGS}${file}`, "-o", `${dir}/out.png`, "-n", "1"]);
      assertEquals(run.code, 1, run.stderr);
      assertMatch(
        run.stderr,
        new RegExp(`^tex-synth: error: [^\\n]*${file} is an? ${kind}[^\\n]*\\n$`),
      );
    }
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an exemplar stored sideways with EXIF orientation 6 is synthesized from its upright pixels", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = await cli([
      `${JPEGS}orientation-6.jpg`,
      "-o",
      `${dir}/out.png`,
      "-n",
      "1",
      "--weights",
      "random",
      "--results",
      `${dir}/results`,
      "--quiet",
    ]);
    assertEquals(run.code, 0, run.stderr);
    const out = await readImageFile(`${dir}/out.png`);
    assertEquals([out.width, out.height], [UPRIGHT.width, UPRIGHT.height], "output sized upright");
    const used = await readImageFile(`${dir}/results/exemplar_orientation-6.png`);
    assertEquals([used.width, used.height], [UPRIGHT.width, UPRIGHT.height]);
    const plane = used.width * used.height;
    for (const [q, [x, y]] of [[8, 8], [56, 8], [8, 24], [56, 24]].entries()) {
      for (let c = 0; c < 3; c++) {
        const got = used.data[c * plane + y * used.width + x] * 255;
        assert(Math.abs(got - QUADRANTS[q][c]) <= 6, `quadrant ${q} channel ${c}: ${got}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
