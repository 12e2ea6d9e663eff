// The subcommands, each with its grammar and its runner: the dispatcher,
// the help texts and the README's reference all read this one list.
import denoJson from "../../deno.json" with { type: "json" };
import { BATCH_SPEC, batchCommand } from "./batch.ts";
import { FILL_SPEC, fillCommand } from "./fill.ts";
import { info } from "./info.ts";
import {
  type CommandSpec,
  helpText,
  type ParsedCommand,
  parseOptions,
  UsageError,
} from "./options.ts";
import { REMAP_SPEC, remapCommand } from "./remap.ts";
import { SERVE_SPEC, serveCommand } from "./serve.ts";
import { STYLE_SPEC, styleCommand } from "./style.ts";
import { SYNTH_SPEC, synthCommand } from "./synth.ts";
import { WEIGHTS_SPEC, weightsCommand } from "./weights.ts";

/** A subcommand: its grammar and what runs it. */
export interface Command {
  spec: CommandSpec;
  run(parsed: ParsedCommand): Promise<number>;
}

/** Every subcommand; the first is the default (`tex-synth <exemplar>` means `synth`). */
export const COMMANDS: readonly Command[] = [
  { spec: SYNTH_SPEC, run: synthCommand },
  { spec: FILL_SPEC, run: fillCommand },
  { spec: STYLE_SPEC, run: styleCommand },
  { spec: BATCH_SPEC, run: batchCommand },
  { spec: REMAP_SPEC, run: remapCommand },
  { spec: WEIGHTS_SPEC, run: weightsCommand },
  { spec: SERVE_SPEC, run: serveCommand },
];

const TITLE = "tex-synth: neural texture synthesis on WebGPU (VGG19 Gram + spectrum, L-BFGS)";

/** The --help text of a subcommand; the default command's also lists the others. */
export function commandHelp(command: Command): string {
  if (command !== COMMANDS[0]) {
    return helpText(`tex-synth ${command.spec.name}: ${command.spec.summary}`, command.spec);
  }
  const others = COMMANDS.slice(1).map((c) => `  ${c.spec.name.padEnd(10)} ${c.spec.summary}`);
  return [
    helpText(TITLE, command.spec),
    "",
    "Commands (tex-synth COMMAND --help for their options):",
    ...others,
  ].join("\n");
}

/** Which command `argv` runs, and its arguments without the command's name. */
export function pickCommand(argv: readonly string[]): { command: Command; rest: string[] } {
  const named = COMMANDS.find((c) => c.spec.name === argv[0]);
  return named
    ? { command: named, rest: argv.slice(1) }
    : { command: COMMANDS[0], rest: [...argv] };
}

/** Parses and runs one command line; --help, --version and --info win over missing arguments. */
export async function runCommandLine(argv: readonly string[]): Promise<number> {
  const { command, rest } = pickCommand(argv);
  const spec = command.spec;
  const parsed = parseOptions({ ...spec, positionals: { ...spec.positionals, min: 0 } }, rest);
  const v = parsed.values;
  if (v.help) {
    console.log(commandHelp(command));
    return 0;
  }
  if (v.version) {
    console.log(`tex-synth ${denoJson.version}`);
    return 0;
  }
  if (v.info) return await info(v.json === true);
  if (parsed.positionals.length < spec.positionals.min) {
    throw new UsageError(`missing the ${spec.positionals.name}`);
  }
  return await command.run(parsed);
}
