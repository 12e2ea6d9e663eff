// `deno task compile` (tools/compile.ts) as a user runs it. It never keeps a
// binary that is not tex-synth: DENORT_BIN naming the deno CLI is refused in
// one line before building, and a runtime that builds something else (here
// /bin/echo) is caught by asking the result for --version; either way no file
// is left. An unreachable denort download (forced with a proxy on a closed
// port) is one line with the DENORT_BIN hint. Where a real denort can be had
// (DENORT_BIN, or the network), the binary is built and run: --version and a
// tiny synthesis (32 px, 2 iterations, random weights). Where none can, those
// tests are ignored, named with the reason.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { fromFileUrl } from "@std/path";
import denoJson from "../deno.json" with { type: "json" };
import { readImageFile } from "../src/io/image_file.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const EXE = Deno.build.os === "windows" ? ".exe" : "";

interface _Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** stderr less deno task's own "Task compile …" line. */
function _said(run: _Run): string[] {
  return run.stderr.split("\n").filter((l) => l.trim() !== "" && !/^Task compile /.test(l));
}

async function _run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  clearEnv = false,
): Promise<_Run> {
  const out = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    clearEnv,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Runs `deno task compile --output <tmp>/dist/tex-synth`; returns the run and the output folder. */
async function _compileInto(
  env: Record<string, string>,
  clearEnv = false,
): Promise<{ run: _Run; dir: string; dist: string }> {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-compile-" });
  const dist = `${dir}/dist`;
  const run = await _run(
    Deno.execPath(),
    ["task", "compile", "--output", `${dist}/tex-synth`],
    env,
    clearEnv,
  );
  return { run, dir, dist };
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("compile: DENORT_BIN naming the deno CLI is refused in one line, nothing built", async () => {
  const { run, dir, dist } = await _compileInto({ DENORT_BIN: Deno.execPath() });
  try {
    assertEquals(run.code, 1, run.stderr);
    const lines = _said(run);
    assertEquals(lines.length, 1, `not one line:\n${run.stderr}`);
    assertMatch(lines[0], /^error: DENORT_BIN=.* is the deno \d+\.\d+\.\d+ CLI, not denort/);
    assertStringIncludes(lines[0], "point DENORT_BIN at the denort runtime");
    assert(!(await _exists(dist)), "the output folder was left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "compile: a runtime whose build does not answer as tex-synth is not kept (/bin/echo)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const { run, dir, dist } = await _compileInto({ DENORT_BIN: "/bin/echo" });
    try {
      assertEquals(run.code, 1, run.stderr);
      const lines = _said(run).filter((l) => l.startsWith("error:"));
      assertEquals(lines.length, 1, run.stderr);
      assertMatch(lines[0], /answers --version with ".*", not "tex-synth .*": it is not tex-synth/);
      assert(!(await _exists(dist)), "the output folder was left behind");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Where deno compile keeps a downloaded denort; with one there, nothing is downloaded. */
async function _cachedDenort(): Promise<string | null> {
  const info = JSON.parse((await _run(Deno.execPath(), ["info", "--json"])).stdout);
  const path = `${info.denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  return (await _exists(path)) ? path : null;
}

const cached = await _cachedDenort();

Deno.test({
  name: `compile: an unreachable denort download is one line with the DENORT_BIN hint${
    cached ? ` (skipped: ${cached} is cached, so nothing is downloaded)` : ""
  }`,
  ignore: cached !== null,
  fn: async () => {
    // A port that was just free refuses the proxy connection.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const env = Deno.env.toObject();
    for (const name of ["DENORT_BIN", "NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"]) {
      delete env[name];
    }
    env.HTTPS_PROXY = env.https_proxy = `http://127.0.0.1:${port}`;
    const { run, dir, dist } = await _compileInto(env, true);
    try {
      assertEquals(run.code, 1, run.stderr);
      const lines = _said(run).filter((l) => !/^(Check|Compile|Download) /.test(l));
      assertEquals(lines.length, 1, `not one line:\n${run.stderr}`);
      assertMatch(lines[0], /^error: deno compile could not download its denort runtime \(https:/);
      assertStringIncludes(lines[0], "set DENORT_BIN to the denort of Deno");
      assert(!(await _exists(dist)), "the output folder was left behind");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// The real build, with whatever runtime this machine offers.
const BINARY = `${ROOT}dist/tex-synth${EXE}`;
const compile = await _run(Deno.execPath(), ["task", "compile"]);
const built = compile.code === 0;
const runtimeMissing = !built && _said(compile).length === 1 &&
  /could not download its denort|DENORT_BIN=/.test(_said(compile)[0]);
const notBuilt = runtimeMissing
  ? ` (skipped: no denort runtime to be had here: ${_said(compile)[0]})`
  : " (skipped: deno task compile failed; see the compile test)";

Deno.test("compile: deno task compile builds dist/tex-synth, or says in one line why no runtime", () => {
  if (runtimeMissing) {
    console.log(`no denort runtime: ${_said(compile)[0]}`);
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
