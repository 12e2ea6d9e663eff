// The README stays true to the code: its CLI reference is the --help text,
// and its API example runs as written.
import { assert, assertEquals } from "@std/assert";
import { commandHelp, COMMANDS } from "../src/cli/commands.ts";

const root = new URL("../", import.meta.url);
const readme = await Deno.readTextFile(new URL("README.md", root));

function block(heading: string, lang: string): string {
  const section = readme.split(`\n## ${heading}\n`)[1] ?? "";
  const match = section.match(new RegExp("```" + lang + "\\n([\\s\\S]*?)```"));
  if (!match) throw new Error(`README has no "## ${heading}" section with a ${lang} block`);
  return match[1];
}

Deno.test("README's command-line reference is exactly each command's --help", () => {
  const section = readme.split("\n## Command line\n")[1]?.split("\n## ")[0] ?? "";
  const blocks = [...section.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]);
  assertEquals(blocks, COMMANDS.map((c) => commandHelp(c) + "\n"));
});

Deno.test("README's API example runs as written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const code = block("API", "ts")
      .replace(`"jsr:@tex/synth"`, JSON.stringify(new URL("mod.ts", root).href))
      .replace(
        `"examples/bricks.png"`,
        JSON.stringify(new URL("examples/bricks.png", root).pathname),
      );
    await Deno.writeTextFile(`${dir}/example.ts`, code);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", new URL("deno.json", root).pathname, "example.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(run.success, new TextDecoder().decode(run.stderr));
    assert((await Deno.stat(`${dir}/bricks_48.png`)).size > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
