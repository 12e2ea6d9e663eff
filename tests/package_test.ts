// The package is publishable to JSR: `deno publish --dry-run` passes (type
// check, slow-type check, module graph) with exactly the files the package
// should carry, and `deno doc --lint` is clean on both entry points. Both run
// offline: the dry run resolves npm: and local imports from the cache and
// never contacts JSR.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { fromFileUrl } from "@std/path";

const ROOT = fromFileUrl(new URL("../", import.meta.url));

async function _deno(args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, output: text.decode(out.stdout) + text.decode(out.stderr) };
}

Deno.test("package: deno publish --dry-run succeeds, without warnings, carrying every kernel and no tests", async () => {
  const { code, output } = await _deno(["publish", "--dry-run", "--allow-dirty"]);
  assertEquals(code, 0, `deno publish --dry-run failed:\n${output}`);
  assertMatch(output, /Dry run complete/);
  assert(!/^warning/im.test(output), `warnings:\n${output}`);
  const published = new Set(
    [...output.matchAll(/^\s+file:\/\/(\S+)/gm)].map((m) => m[1].slice(ROOT.length)),
  );
  assert(published.size > 0, `no file list in:\n${output}`);
  for (
    const entry of [
      "mod.ts",
      "cli.ts",
      "browser.ts",
      "deno.json",
      "README.md",
      "web/index.html",
      "web/style.css",
      "web/favicon.svg",
      "web/build/page.js",
      "web/build/tex-synth.js",
      "web/build/examples.json",
    ]
  ) {
    assert(published.has(entry), `${entry} is not published`);
  }
  for (const kernel of Deno.readDirSync(`${ROOT}kernels`)) {
    if (kernel.name.endsWith(".wgsl")) {
      assert(published.has(`kernels/${kernel.name}`), `kernels/${kernel.name} is not published`);
    }
  }
  const stray = [...published].filter((f) =>
    /^(tests|examples|bench|dist|tools|web\/page)\//.test(f)
  );
  assertEquals(stray, [], "files that do not belong in the package");
});

for (const entry of ["mod.ts", "cli.ts", "browser.ts"]) {
  Deno.test(`package: deno doc --lint ${entry} reports no problems`, async () => {
    const { code, output } = await _deno(["doc", "--lint", entry]);
    const problems = [...output.matchAll(/^error\[([\w-]+)\]: (.*)\n\s*--> (\S+)/gm)]
      .map((m) => `${m[1]}: ${m[2]} at ${m[3].replace(`file://${ROOT}`, "").replace(ROOT, "")}`);
    assertEquals(problems, []);
    assertEquals(code, 0, output);
  });
}
