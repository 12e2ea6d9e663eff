// The option tables' parser: getopt-like values, ranges, repeats, errors.
import { assertEquals, assertThrows } from "@std/assert";
import { type CommandSpec, helpText, parseOptions, UsageError } from "../../src/cli/options.ts";
import { commandHelp, COMMANDS, pickCommand } from "../../src/cli/commands.ts";
import { parseSize, SYNTH_SPEC } from "../../src/cli/synth.ts";

const SPEC: CommandSpec = {
  name: "demo",
  summary: "a demo",
  usage: ["demo [options] <file>…"],
  options: [
    { name: "count", short: "n", kind: "int", value: "K", min: -5, max: 5, help: "a count" },
    { name: "ratio", kind: "number", value: "R", min: 0, max: 1, help: "a ratio" },
    { name: "mode", kind: "choice", value: "M", choices: ["a", "b", "c"], help: "a mode" },
    { name: "tag", kind: "text", value: "T", repeat: true, help: "tags" },
    { name: "quiet", short: "q", kind: "flag", help: "quiet" },
    { name: "verbose", short: "v", kind: "flag", help: "verbose" },
  ],
  positionals: { name: "file", min: 1, max: 2 },
};

Deno.test("values: separate, attached, short, clustered flags, negatives, --", () => {
  const p = parseOptions(SPEC, ["-n", "-3", "--ratio=0.5", "-qv", "f", "--tag", "x", "--tag=y"]);
  assertEquals(p.values, { count: -3, ratio: 0.5, quiet: true, verbose: true, tag: ["x", "y"] });
  assertEquals(p.positionals, ["f"]);
  assertEquals(parseOptions(SPEC, ["-n4", "--", "-f"]).values.count, 4);
  assertEquals(parseOptions(SPEC, ["-n4", "--", "-f"]).positionals, ["-f"]);
  assertEquals(parseOptions(SPEC, ["-3"]).positionals, ["-3"]);
  assertEquals(parseOptions(SPEC, ["a", "--mode", "c"]).values.mode, "c");
});

Deno.test("mistakes are one UsageError each, naming the option, the range and the value", () => {
  const cases: [string[], RegExp][] = [
    [["f", "--count", "6"], /--count must be a whole number from -5 to 5, got "6"/],
    [["f", "--count", "2.5"], /--count must be a whole number/],
    [["f", "--count", "0x3"], /--count must be a whole number/],
    [["f", "--ratio", "1.5"], /--ratio must be a number from 0 to 1/],
    [["f", "--ratio", "NaN"], /--ratio must be a number/],
    [["f", "--ratio", "Infinity"], /--ratio must be a number/],
    [["f", "--mode", "d"], /--mode must be a, b or c, got "d"/],
    [["f", "--count"], /--count needs a value/],
    [["f", "--count="], /--count needs a value/],
    [["f", "--quiet=yes"], /--quiet takes no value/],
    [["f", "--count", "1", "-n", "2"], /--count is given twice/],
    [["f", "--cuont", "1"], /unknown option --cuont \(did you mean --count\?\)/],
    [["f", "-x"], /unknown option -x/],
    [[], /missing the file/],
    [["a", "b", "c"], /unexpected argument "c"/],
  ];
  for (const [argv, pattern] of cases) {
    const e = assertThrows(() => parseOptions(SPEC, argv), UsageError);
    if (!pattern.test(e.message)) throw new Error(`${argv.join(" ")}: ${e.message}`);
  }
});

Deno.test("--size takes N and WxH within 1..16384", () => {
  assertEquals(parseSize("64"), { width: 64, height: 64 });
  assertEquals(parseSize("512x256"), { width: 512, height: 256 });
  assertEquals(parseSize("512×256"), { width: 512, height: 256 });
  for (const bad of ["0", "64x", "x64", "16385", "64x16385", "-64", "6.4", "64x32x2"]) {
    assertThrows(() => parseSize(bad), UsageError, "--size must be N or WxH");
  }
});

Deno.test("help: every option once, ranges and defaults shown, lines within 100 columns", () => {
  const help = helpText("demo", SPEC);
  assertEquals(help.split("\n").filter((l) => l.includes("--count")).length, 1);
  for (const command of COMMANDS) {
    const text = commandHelp(command);
    for (const o of command.spec.options) {
      if (!text.includes(`--${o.name}`)) throw new Error(`${command.spec.name}: --${o.name}`);
    }
    for (const line of text.split("\n")) {
      if ([...line].length > 100) throw new Error(`longer than 100 columns: ${line}`);
    }
  }
  const synth = commandHelp(COMMANDS[0]);
  for (const o of SYNTH_SPEC.options.filter((o) => o.kind === "int")) {
    const line = synth.split("\n").findIndex((l) => l.includes(`--${o.name} `));
    const block = synth.split("\n").slice(line, line + 3).join(" ").replace(/\s+/g, " ");
    if (!/from -?[\d,]+ to [\d,]+|at least/.test(block)) throw new Error(`--${o.name}: no range`);
  }
});

Deno.test("the first argument picks the command; anything else is the default command", () => {
  assertEquals(pickCommand(["batch", "x"]).command.spec.name, "batch");
  assertEquals(pickCommand(["weights", "path"]).rest, ["path"]);
  assertEquals(pickCommand(["synth", "a.png"]).command.spec.name, "synth");
  assertEquals(pickCommand(["a.png", "batch"]).command.spec.name, "synth");
  assertEquals(pickCommand(["a.png", "batch"]).rest, ["a.png", "batch"]);
});
