/**
 * `deno task compile`: builds the `tex-synth` binary with `deno compile`, and
 * makes sure what it built is tex-synth.
 *
 *   deno task compile [--output dist/tex-synth]
 *
 * `deno compile` joins the program to Deno's `denort` runtime, which it
 * downloads from dl.deno.land unless `DENORT_BIN` names one. Pointed at the
 * `deno` CLI instead, it silently builds a copy of plain Deno (its `--help` is
 * Deno's): this script refuses such a runtime before building, and checks the
 * binary it built answers `--version` as tex-synth before it takes the output
 * name. The build goes to a temporary folder beside the output and is renamed
 * into place, so a failed build leaves nothing behind and never replaces a
 * good binary. Failures a user can fix (no runtime to be had, a runtime that
 * is not denort) are one line on stderr, exit code 1; a build error (a type
 * error, say) is deno compile's own output.
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";
import { basename, dirname, fromFileUrl, join, resolve } from "@std/path";
import denoJson from "../deno.json" with { type: "json" };
import { statOrNull } from "../src/io/file_kind.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const EXECUTABLE = Deno.build.os === "windows" ? ".exe" : "";

/** The denort archive deno compile wants for this Deno and platform. */
function denortArchive(): string {
  return `denort-${Deno.build.target}.zip`;
}

/** A failure the user can fix, said in one line. */
class CompileError extends Error {}

/** deno compile's own failure (a type error, say), already printed in full. */
class BuildFailed extends Error {
  constructor(readonly code: number) {
    super(`deno compile exited with ${code}`);
  }
}

function fail(message: string): never {
  throw new CompileError(message);
}

async function output(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/**
 * Refuses a `DENORT_BIN` that is missing or is Deno's CLI. A denort run by
 * itself finds no program in its own file and exits with an error; the CLI
 * answers `--version` with `deno X.Y.Z`.
 */
async function checkDenortBin(path: string): Promise<void> {
  const hint =
    `point DENORT_BIN at the denort runtime of Deno ${Deno.version.deno} (${denortArchive()} from dl.deno.land), or unset it to download one`;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    fail(`DENORT_BIN=${path} does not exist: ${hint}`);
  }
  if (!info.isFile) fail(`DENORT_BIN=${path} is not a file: ${hint}`);
  let version: string;
  try {
    version = (await output(path, ["--version"])).stdout;
  } catch (e) {
    fail(`DENORT_BIN=${path} does not run (${(e as Error).message}): ${hint}`);
  }
  const deno = version.match(/^deno (\d+\.\d+\.\d+\S*)/m);
  if (deno) {
    fail(
      `DENORT_BIN=${path} is the deno ${
        deno[1]
      } CLI, not denort: a binary built on it would be plain Deno; ${hint}`,
    );
  }
}

/** The innermost of deno compile's numbered causes ("dns error: …", "Not an ELF file"). */
function innermostCause(stderr: string): string {
  const causes = stderr.split(/\n\s*\n/).find((part) => part.startsWith("Caused by:")) ?? "";
  return [...causes.matchAll(/^\s+\d+: (.*)$/gm)].at(-1)?.[1].trim() ?? "no reason given";
}

/**
 * One line for a failure to join the program to its runtime (download or
 * DENORT_BIN), or null for any other failure.
 */
function runtimeFailure(stderr: string, denortBin: string | undefined): string | null {
  const download = stderr.match(/error sending request for url \((\S+denort\S*)\)/);
  if (download && !denortBin) {
    return `deno compile could not download its denort runtime (${download[1]}: ${
      innermostCause(stderr)
    }): set DENORT_BIN to the denort of Deno ${Deno.version.deno} (${denortArchive()}) and run again`;
  }
  if (denortBin && /Writing deno compile executable/.test(stderr)) {
    return `deno compile could not build on DENORT_BIN=${denortBin} (${
      innermostCause(stderr)
    }): point DENORT_BIN at the denort runtime of Deno ${Deno.version.deno} (${denortArchive()})`;
  }
  return null;
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args, {
    string: ["output"],
    default: { output: "dist/tex-synth" },
  });
  const target = resolve(
    ROOT,
    `${args.output}${args.output.endsWith(EXECUTABLE) ? "" : EXECUTABLE}`,
  );
  const denortBin = Deno.env.get("DENORT_BIN");
  if (denortBin) await checkDenortBin(denortBin);

  const folder = dirname(target);
  const madeFolder = (await statOrNull(folder)) === null;
  await Deno.mkdir(folder, { recursive: true });
  const scratch = await Deno.makeTempDir({ dir: folder, prefix: ".compile-" });
  let done = false;
  try {
    const built = join(scratch, basename(target));
    const compile = await output(Deno.execPath(), [
      "compile",
      "-A",
      "--include",
      "kernels",
      "--output",
      built,
      "cli.ts",
    ]);
    if (compile.code !== 0) {
      const reason = runtimeFailure(compile.stderr, denortBin);
      if (reason) fail(reason);
      console.error(compile.stdout + compile.stderr);
      throw new BuildFailed(compile.code || 1);
    }
    const expected = `tex-synth ${denoJson.version}`;
    const answer = await output(built, ["--version"]);
    if (answer.stdout.trim() !== expected) {
      const said = answer.stdout.trim().split("\n")[0] || answer.stderr.trim().split("\n")[0];
      fail(
        `the binary built on ${
          denortBin ? `DENORT_BIN=${denortBin}` : "the downloaded denort"
        } answers --version with "${said}", not "${expected}": it is not tex-synth, so it was not kept`,
      );
    }
    await Deno.rename(built, target);
    done = true;
    console.error(compile.stdout + compile.stderr);
    const mb = (await Deno.stat(target)).size / 1e6;
    console.error(`built ${target} (${mb.toFixed(1)} MB, ${expected})`);
  } finally {
    await Deno.remove(scratch, { recursive: true });
    if (madeFolder && !done) await Deno.remove(folder);
  }
}

try {
  await main();
} catch (e) {
  if (e instanceof BuildFailed) Deno.exit(e.code);
  if (!(e instanceof CompileError)) throw e;
  console.error(`error: ${e.message}`);
  Deno.exit(1);
}
