// Rewrites the README's command-line reference from the commands' own help
// texts (between the cli-reference markers), so the two never drift;
// tests/readme_test.ts checks that they did not.
import { commandHelp, COMMANDS } from "../src/cli/commands.ts";

const START = "<!-- cli-reference:start -->";
const END = "<!-- cli-reference:end -->";
const path = new URL("../README.md", import.meta.url);
const readme = await Deno.readTextFile(path);
const [head, rest] = readme.split(START);
if (rest === undefined || !rest.includes(END)) {
  throw new Error(`README.md lacks the ${START} … ${END} markers`);
}
const tail = rest.slice(rest.indexOf(END));
const blocks = COMMANDS.map((c, i) =>
  `${i === 0 ? "" : `\`tex-synth ${c.spec.name}\`:\n\n`}\`\`\`text\n${commandHelp(c)}\n\`\`\`\n`
);
await Deno.writeTextFile(path, `${head}${START}\n\n${blocks.join("\n")}\n${tail}`);
