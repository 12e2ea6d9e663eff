// The command line as a user runs it: a subprocess, real files, exit codes.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { encodePng } from "../../src/io/image.ts";
import { stripes } from "../peer/_inputs.ts";

/** The CLI's entry point, as a path for `deno run`. */
export const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** What a finished run left behind. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tex-synth args…` to the end. */
export async function tex(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Starts `tex-synth args…` and returns the child (stdout and stderr piped). */
export function spawnTex(
  args: string[],
  options: { env?: Record<string, string>; stdout?: "piped" | "null" } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: options.env,
    stdout: options.stdout ?? "piped",
    stderr: "piped",
  }).spawn();
}

/** A user error: the given exit code, and stderr is short, with no stack trace. */
export function assertCleanError(run: Run, code: number, pattern: RegExp): void {
  assertEquals(run.code, code, run.stderr);
  assertMatch(run.stderr, pattern);
  assert(!/\n\s+at /.test(run.stderr), `stack trace on stderr:\n${run.stderr}`);
  assert(run.stderr.trim().split("\n").length <= 2, `more than two lines:\n${run.stderr}`);
}

/** Runs `body` in a fresh temporary folder, removed afterwards. */
export async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes a stripes exemplar of the given size as a PNG. */
export async function writeExemplar(path: string, width = 32, height = 32): Promise<void> {
  const square = stripes(Math.max(width, height));
  const data = new Float32Array(3 * width * height);
  const s = square.width;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        data[(c * height + y) * width + x] = square.data[(c * s + y) * s + x];
      }
    }
  }
  await Deno.writeFile(path, await encodePng({ width, height, data }));
}

/** Environment in which any attempt to download weights fails at once. */
export function offline(dir: string): Record<string, string> {
  return { TEX_SYNTH_CACHE: `${dir}/cache`, TEX_SYNTH_WEIGHTS_URL: "http://127.0.0.1:9/vgg19.pth" };
}

/** Waits until `path` holds at least `lines` lines (a live log), or fails after `ms`. */
export async function waitForLines(path: string, lines: number, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const text = await Deno.readTextFile(path);
      if (text.split("\n").filter((l) => l.trim() !== "").length >= lines) return;
    } catch {
      // Not created yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} did not reach ${lines} lines within ${ms / 1000} s`);
}

/** Names of the files in `dir`, sorted. */
export function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Sizes in an `--init` fit: from the image's, to the output's. */
type Size = { width: number; height: number };

/**
 * Asserts that a run resized its `--init` image `from` → `to` with `filter`
 * and said so in all three places: stderr, the `--json` summary and the
 * start's line of the `--log` file (and only there).
 */
export async function assertInitResized(
  run: Run,
  init: string,
  log: string,
  fit: { from: Size; to: Size; filter: string },
): Promise<void> {
  const size = (s: Size) => `${s.width}×${s.height}`;
  assertStringIncludes(
    run.stderr,
    `--init ${init} is ${size(fit.from)}: resized to the output's ${
      size(fit.to)
    } with ${fit.filter}`,
  );
  assertEquals(JSON.parse(run.stdout).init, { path: init, ...fit });
  const lines = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
  assertEquals([lines[0].iteration, lines[0].init], [0, fit]);
  assert(lines.slice(1).every((l) => !("init" in l)), "init on a line after the start");
}
