// The README stays true to the code: its CLI reference is the --help text,
// and its API example runs as written.
import { assert, assertEquals } from "@std/assert";
import { commandHelp, COMMANDS } from "../src/cli/commands.ts";

const root = new URL("../", import.meta.url);
const readme = await Deno.readTextFile(new URL("README.md", root));

function block(heading: string, lang: string, index = 0): string {
  const section = (readme.split(`\n## ${heading}\n`)[1] ?? "").split("\n## ")[0];
  const matches = [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))];
  if (!matches[index]) {
    throw new Error(`README has no "## ${heading}" section with ${index + 1} ${lang} blocks`);
  }
  return matches[index][1];
}

/** Runs a README example in a temporary folder, with the examples' paths made absolute. */
async function runExample(code: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    let source = code.replace(`"jsr:@tex/synth"`, JSON.stringify(new URL("mod.ts", root).href));
    for (const name of ["bricks", "dots"]) {
      source = source.replaceAll(
        `"examples/${name}.png"`,
        JSON.stringify(new URL(`examples/${name}.png`, root).pathname),
      );
    }
    await Deno.writeTextFile(`${dir}/example.ts`, source);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", new URL("deno.json", root).pathname, "example.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(run.success, new TextDecoder().decode(run.stderr));
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("README's command-line reference is exactly each command's --help", () => {
  const section = readme.split("\n## Command line\n")[1]?.split("\n## ")[0] ?? "";
  const blocks = [...section.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]);
  assertEquals(blocks, COMMANDS.map((c) => commandHelp(c) + "\n"));
});

Deno.test("README's API example runs as written", async () => {
  await runExample(block("API", "ts"), async (dir) => {
    assert((await Deno.stat(`${dir}/bricks_48.png`)).size > 0);
  });
});

Deno.test("README's style transfer and material map example runs as written", async () => {
  await runExample(block("API", "ts", 1), async (dir) => {
    for (const file of ["dots_styled.png", "bricks_map.png", "bricks_uv.png"]) {
      assert((await Deno.stat(`${dir}/${file}`)).size > 0, file);
    }
  });
});
