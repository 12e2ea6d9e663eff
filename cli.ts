/**
 * The `tex-synth` command line: picks the subcommand, runs it, and turns
 * what went wrong into one line and an exit code. The subcommands live in
 * `src/cli/`, the math in the engine (`src/`).
 *
 * @example
 * ```sh
 * deno run -A jsr:@tex/synth/cli bricks.png -o out.png --size 256 --iterations 200
 * ```
 * @module
 */
import { runCommandLine } from "./src/cli/commands.ts";
import { UsageError } from "./src/cli/options.ts";
import { EXIT, Interrupted } from "./src/cli/run.ts";
import { TexSynthError } from "./src/errors.ts";
import { quietMesa } from "./src/gpu/quiet_mesa.ts";

function _say(text: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
  } catch {
    // stderr is gone: the exit code still tells.
  }
}

/**
 * Runs the command line (without the program name) and returns the process
 * exit code: 0 done, 1 error, 2 bad arguments, 128 + N after signal N.
 *
 * @example
 * ```ts
 * import { main } from "@tex/synth/cli";
 *
 * const code = await main(["--version"]);
 * console.log(code); // 0
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  quietMesa();
  try {
    return await runCommandLine(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      _say(`tex-synth: ${e.message}\nTry 'tex-synth --help' for the options.`);
      return EXIT.usage;
    }
    if (e instanceof Interrupted) {
      _say("tex-synth: interrupted");
      return e.exitCode;
    }
    if (e instanceof TexSynthError) {
      _say(`tex-synth: error: ${e.message}`);
      return EXIT.error;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
