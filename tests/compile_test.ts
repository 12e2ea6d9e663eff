// `deno task compile` builds dist/tex-synth, and the binary runs: --version,
// and a tiny synthesis (32 px, 2 iterations, random weights) whose PNG decodes
// to 32×32. The binary needs deno compile's `denort` runtime, which it
// downloads unless DENORT_BIN names one (the variable passes through to the
// compile, as deno compile reads it); where neither works the binary tests are
// ignored, named with the reason, and the compile test still requires that
// the only failure was the missing runtime (a type error fails it).
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { fromFileUrl } from "@std/path";
import denoJson from "../deno.json" with { type: "json" };
import { readImageFile } from "../src/io/image_file.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const BINARY = `${ROOT}dist/tex-synth${Deno.build.os === "windows" ? ".exe" : ""}`;
const SKIP = "(skipped: no denort runtime available: set DENORT_BIN)";

interface _Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function _run(command: string, args: string[]): Promise<_Run> {
  const out = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** deno compile could not get its runtime: no DENORT_BIN and the download failed. */
function _missingDenort(run: _Run): boolean {
  return run.code !== 0 && !Deno.env.get("DENORT_BIN") &&
    /denort/.test(run.stderr) &&
    /error sending request|dns error|Connect|timed out/i.test(run.stderr);
}

const compile = await _run(Deno.execPath(), ["task", "compile"]);
const built = compile.code === 0;
const notBuilt = _missingDenort(compile)
  ? ` ${SKIP}`
  : " (skipped: deno task compile failed; see the compile test)";

Deno.test("compile: deno task compile builds dist/tex-synth, or fails only for want of denort", () => {
  if (_missingDenort(compile)) {
    console.log(`deno compile could not download its denort runtime ${SKIP}`);
    return;
  }
  assertEquals(compile.code, 0, `deno task compile failed:\n${compile.stderr}`);
  const listing = compile.stdout + compile.stderr;
  for (const embedded of ["kernels", "imagescript/1.3.1", "deno.json", "web/build/page.js"]) {
    assertStringIncludes(listing, embedded, `the binary does not embed ${embedded}`);
  }
  assert(Deno.statSync(BINARY).isFile, `${BINARY} missing`);
});

Deno.test({
  name: `compile: dist/tex-synth --version prints the package version${built ? "" : notBuilt}`,
  ignore: !built,
  fn: async () => {
    const run = await _run(BINARY, ["--version"]);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stdout.trim(), `tex-synth ${denoJson.version}`);
  },
});

Deno.test({
  name: `compile: dist/tex-synth synthesizes a 32 px PNG from an example${
    built ? " (decodes it: imagescript's wasm and native codecs load from the binary)" : notBuilt
  }`,
  ignore: !built,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tex-synth-compile-" });
    try {
      const output = `${dir}/out.png`;
      const run = await _run(BINARY, [
        "examples/noise.png",
        "--weights",
        "random",
        "--size",
        "32",
        "--iterations",
        "2",
        "-q",
        "-o",
        output,
      ]);
      assertEquals(run.code, 0, `tex-synth failed:\n${run.stderr}`);
      const image = await readImageFile(output);
      assertEquals([image.width, image.height], [32, 32]);
      assert(image.data.some((v) => v !== image.data[0]), "the output is one flat colour");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    `compile: dist/tex-synth serve serves the page, its scripts and the examples from the binary${
      built ? "" : notBuilt
    }`,
  ignore: !built,
  fn: async () => {
    const child = new Deno.Command(BINARY, {
      args: ["serve", "--quiet"],
      cwd: "/",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    let url = "";
    while (!url.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      url += new TextDecoder().decode(value);
    }
    try {
      for (const path of ["", "page.js", "tex-synth.js", "examples/dots.png"]) {
        const response = await fetch(new URL(path, url.trim()));
        assertEquals(response.status, 200, path);
        await response.body?.cancel();
      }
    } finally {
      child.kill("SIGINT");
      reader.releaseLock();
      assertEquals((await child.output()).code, 0);
    }
  },
});
