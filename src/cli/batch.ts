// `tex-synth batch <exemplar or folder>… --out-dir DIR`: each exemplar on
// its own, one GPU context and one weights load for all. A batch resumes:
// finished outputs are skipped, an interrupted one is kept aside as
// `.partial.png` and redone; one bad file is reported, not fatal.
import { basename, join } from "@std/path";
import denoJson from "../../deno.json" with { type: "json" };
import { TexSynthError } from "../errors.ts";
import { GpuContext } from "../gpu/context.ts";
import { statOrNull } from "../io/file_kind.ts";
import { readImageFile } from "../io/image_file.ts";
import { Synthesizer } from "../synth/synthesizer.ts";
import { type CommandSpec, type ParsedCommand, UsageError } from "./options.ts";
import { checkOutputs, type PlannedOutput } from "./output_paths.ts";
import { EXIT, type JobSummary, RunSession, withInterrupts } from "./run.ts";
import {
  EXIT_CODES_NOTE,
  GENERATION_OPTIONS,
  type GenerationArgs,
  generationArgs,
  outputSize,
  REPORT_OPTIONS,
  runInputs,
  synthesizerOptions,
} from "./synth.ts";
import { loadRunWeights, weightsLabel } from "./weights.ts";

/** Files a folder argument contributes: the images directly in it. */
const IMAGE_FILE = /\.(png|jpe?g|gif)$/i;

/** `tex-synth batch`: its grammar. */
export const BATCH_SPEC: CommandSpec = {
  name: "batch",
  summary: "one texture per exemplar, for many exemplars, resumable",
  usage: ["batch [options] <exemplar or folder>… --out-dir DIR"],
  options: [
    {
      name: "out-dir",
      kind: "text",
      value: "DIR",
      help: "where DIR/<name>_synth.png go (created if missing; required)",
    },
    ...GENERATION_OPTIONS,
    {
      name: "log",
      kind: "text",
      value: "FILE",
      help: "write every loss record as JSON lines, with its exemplar",
    },
    ...REPORT_OPTIONS,
  ],
  positionals: { name: "exemplar or folder", min: 1, max: Infinity },
  notes: [
    "Folders contribute the .png, .jpg and .gif files directly in them, by name.",
    "Existing outputs are skipped, so running the same batch again resumes it; an",
    "interrupted exemplar's image so far is kept as <name>_synth.partial.png and redone.",
    "An exemplar that fails is reported and the batch goes on; the exit code is then 1.",
    EXIT_CODES_NOTE,
  ],
};

interface BatchArgs extends GenerationArgs {
  inputs: string[];
  outDir: string;
  log?: string;
}

interface Item {
  exemplar: string;
  output: string;
}

/** The exemplars the arguments name: files as given, folders' images sorted by name. */
async function _expand(inputs: readonly string[], outDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await statOrNull(input);
    if (!info?.isDirectory) {
      files.push(input);
      continue;
    }
    const names: string[] = [];
    for await (const entry of Deno.readDir(input)) {
      if (!entry.isFile || !IMAGE_FILE.test(entry.name)) continue;
      // Re-running a batch into its own folder must not feed it its outputs.
      if (/_synth(\.partial)?\.[^.]+$/.test(entry.name) && await _sameFolder(input, outDir)) {
        continue;
      }
      names.push(entry.name);
    }
    names.sort();
    files.push(...names.map((n) => join(input, n)));
  }
  return files;
}

async function _sameFolder(a: string, b: string): Promise<boolean> {
  try {
    return await Deno.realPath(a) === await Deno.realPath(b);
  } catch {
    return false;
  }
}

function _stem(path: string): string {
  return basename(path).replace(/\.[^.]+$/, "");
}

function _batchArgs(parsed: ParsedCommand): BatchArgs {
  const outDir = parsed.values["out-dir"];
  if (typeof outDir !== "string") throw new UsageError("batch needs --out-dir DIR");
  return {
    ...generationArgs(parsed),
    inputs: parsed.positionals,
    outDir,
    log: parsed.values.log as string | undefined,
  };
}

/** Runs `tex-synth batch …`. */
export async function batchCommand(parsed: ParsedCommand): Promise<number> {
  const args = _batchArgs(parsed);
  const exemplars = await _expand(args.inputs, args.outDir);
  if (exemplars.length === 0) {
    throw new UsageError(`no images in ${args.inputs.join(", ")} (give .png, .jpg or .gif files)`);
  }
  const items: Item[] = [];
  const byOutput = new Map<string, string>();
  for (const exemplar of exemplars) {
    const output = join(args.outDir, `${_stem(exemplar)}_synth.png`);
    const other = byOutput.get(output);
    if (other) {
      throw new UsageError(`${other} and ${exemplar} would both write ${output}: rename one`);
    }
    byOutput.set(output, exemplar);
    items.push({ exemplar, output });
  }
  const planned: PlannedOutput[] = [{ path: args.outDir, what: "--out-dir", kind: "folder" }];
  if (args.log) planned.push({ path: args.log, what: "--log", kind: "file" });
  await checkOutputs(planned, runInputs(exemplars, args.weights));

  return await withInterrupts(async (interrupts) => {
    const session = await RunSession.open(
      {
        quiet: args.quiet,
        json: args.json,
        log: args.log,
        folders: [{ path: args.outDir, what: "--out-dir" }],
      },
      interrupts,
    );
    let gpu: GpuContext | null = null;
    try {
      const done: (JobSummary & { exemplar: string })[] = [];
      const skipped: string[] = [];
      const failed: { exemplar: string; error: string }[] = [];
      let weights: Awaited<ReturnType<typeof loadRunWeights>> | null = null;
      for (let i = 0; i < items.length && !session.interrupted; i++) {
        const { exemplar, output } = items[i];
        const tag = `[${i + 1}/${items.length}] ${basename(exemplar)}`;
        if ((await statOrNull(output))?.isFile) {
          skipped.push(exemplar);
          session.say(`${tag}: skipped, ${output} exists`);
          continue;
        }
        try {
          const image = await readImageFile(exemplar);
          weights ??= await loadRunWeights(args.weights, args.preset, {
            quiet: args.quiet,
            signal: session.signal,
          });
          gpu ??= await GpuContext.create({ precision: args.precision, kernels: args.kernels });
          const synthesizer = await Synthesizer.create(image, {
            ...synthesizerOptions(args, weights, outputSize(args, image)),
            gpu,
          });
          try {
            const partial = output.replace(/\.png$/, ".partial.png");
            const summary = await session.produce({
              output,
              interruptedOutput: partial,
              label: `${tag}: `,
              total: args.iterations * synthesizer.scales,
              logFields: { exemplar },
              snapshotStem: _stem(exemplar),
              run: (options) => synthesizer.synthesize(args.iterations, options),
              image: () => synthesizer.image(),
            });
            if (summary.written && summary.output === output) {
              await Deno.remove(partial).catch(() => {});
            }
            done.push({ exemplar, ...summary });
          } finally {
            synthesizer.dispose();
          }
        } catch (e) {
          if (!(e instanceof TexSynthError) || session.interrupted) throw e;
          failed.push({ exemplar, error: e.message });
          session.console.err(`tex-synth: ${tag}: error: ${e.message}\n`);
          // A lost GPU fails every exemplar after it: stop here.
          gpu?.checkLost();
        }
      }
      const finished = done.filter((d) => d.written && !d.output.endsWith(".partial.png")).length;
      const line = `batch: ${finished} done, ${skipped.length} skipped, ${failed.length} failed${
        session.interrupted
          ? `, interrupted at ${done.length + skipped.length + failed.length} of ${items.length}`
          : ""
      }`;
      session.say(line);
      const code = await session.finish({
        version: denoJson.version,
        outDir: args.outDir,
        preset: args.preset,
        weights: weights ? weightsLabel(weights, args.seed) : null,
        seed: args.seed,
        done,
        skipped,
        failed,
      });
      return code === EXIT.ok && failed.length > 0 ? EXIT.error : code;
    } finally {
      gpu?.destroy();
      session.close();
    }
  });
}
