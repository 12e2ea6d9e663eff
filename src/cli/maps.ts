// Material map sets on the command line: `--maps`, `--remap-albedo` and
// `--uv` of `synth`. After each output is written, a source field from its
// pixels to the exemplar's is found, and every map is copied through it.
import { basename } from "@std/path";
import type { GpuContext } from "../gpu/context.ts";
import type { PlanarImage } from "../io/image.ts";
import { decodeImageSamples, planarFromSamples } from "../io/samples.ts";
import { encodePngSamples, type PngSamples } from "../io/png.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { outputFormat, writeImageFile } from "../io/image_write.ts";
import { readFileBytes } from "../io/image_file.ts";
import {
  checkMapAligned,
  encodeSourceField,
  findSourceField,
  remapSamples,
  type SourceField,
} from "../synth/source_field.ts";
import { type OptionSpec, type ParsedCommand, UsageError } from "./options.ts";
import { numberedPath, type PlannedOutput, type RunInput } from "./output_paths.ts";
import type { RunSession } from "./run.ts";

/** The options of map sets, as `synth` lists them. */
export const MAP_OPTIONS: readonly OptionSpec[] = [
  {
    name: "maps",
    kind: "text",
    value: "A,B,…",
    repeat: true,
    help:
      "companion maps of the exemplar (normal, roughness, height…), each copied through the source field to <output stem>_<map stem>.png",
  },
  {
    name: "remap-albedo",
    kind: "flag",
    help:
      "write the exemplar's own pixels through the same field as the output: the set agrees exactly",
  },
  {
    name: "uv",
    kind: "text",
    value: "FILE",
    help: "write the source field as a 16-bit PNG (red: source x, green: source y) for `remap`",
  },
];

/** What a run does with map sets. */
export interface MapArgs {
  maps: string[];
  remapAlbedo: boolean;
  uv?: string;
}

/** Reads the map options; an empty set when none is given. */
export function mapArgs(parsed: ParsedCommand, exemplars: readonly string[]): MapArgs {
  const v = parsed.values;
  const maps = ((v.maps as string[] | undefined) ?? [])
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const args = { maps, remapAlbedo: v["remap-albedo"] === true, uv: v.uv as string | undefined };
  if ((v.maps !== undefined || args.remapAlbedo || args.uv) && exemplars.length !== 1) {
    throw new UsageError("--maps, --remap-albedo and --uv need exactly one exemplar");
  }
  if (v.maps !== undefined && maps.length === 0) throw new UsageError("--maps needs file names");
  if (args.uv && !/\.png$/i.test(args.uv)) {
    throw new UsageError(`--uv writes a 16-bit PNG: name the file *.png`);
  }
  return args;
}

/** Whether the run needs a source field at all. */
export function wantsField(args: MapArgs): boolean {
  return args.maps.length > 0 || args.remapAlbedo || args.uv !== undefined;
}

function _stem(path: string): string {
  return path.replace(/\.[^./\\]+$/, "");
}

/** Where variation `v` of `count` writes map `map`: beside its output, `<output stem>_<map stem>.png`. */
export function mapOutputPath(output: string, map: string, v: number, count: number): string {
  return `${_stem(numberedPath(output, v, count))}_${basename(map).replace(/\.[^.]+$/, "")}.png`;
}

/** The files the map options make, for the up-front checks (the first variation's names). */
export function mapOutputs(args: MapArgs, output: string, variations: number): PlannedOutput[] {
  const planned: PlannedOutput[] = args.maps.map((map) => ({
    path: mapOutputPath(output, map, 1, variations),
    what: "--maps",
    kind: "file",
  }));
  if (args.uv) {
    planned.push({
      path: args.uv,
      what: "--uv",
      kind: "file",
      extensions: [".png"],
      numbered: variations,
    });
  }
  return planned;
}

/** The map files a run reads, which no output may name. */
export function mapInputs(args: MapArgs): RunInput[] {
  return args.maps.map((path) => ({ path, what: "--maps" }));
}

/** The maps and the exemplar's own samples, read and checked before any GPU work. */
export interface LoadedMaps {
  args: MapArgs;
  maps: { path: string; samples: PngSamples }[];
  /** The exemplar file's samples, for --remap-albedo. */
  albedo: PngSamples | null;
}

/**
 * Reads every map (and, for --remap-albedo, the exemplar's samples) and
 * checks that each is aligned with the exemplar: its size or a scale of it.
 */
export async function loadMaps(
  args: MapArgs,
  exemplarPath: string,
  exemplar: PlanarImage,
): Promise<LoadedMaps> {
  const read = async (path: string) => decodeImageSamples(await readFileBytes(path), path);
  const maps = [];
  for (const path of args.maps) {
    const samples = await read(path);
    checkMapAligned(samples, exemplar, path);
    maps.push({ path, samples });
  }
  return { args, maps, albedo: args.remapAlbedo ? await read(exemplarPath) : null };
}

/**
 * The companions of variation `v`: finds the source field from the written
 * image to the exemplar as the synthesis saw it, then writes the field
 * (--uv), every map and, with --remap-albedo, the output again as the
 * exemplar's pixels. Each file is a side output: a failure is a warning.
 */
export function mapCompanions(
  session: RunSession,
  loaded: LoadedMaps,
  run: {
    output: string;
    variation: number;
    variations: number;
    tile: boolean;
    seed: number;
    gpu: GpuContext;
    exemplar: () => Promise<PlanarImage>;
  },
): (image: PlanarImage) => Promise<void> {
  const { args } = loaded;
  const v = run.variation;
  const output = numberedPath(run.output, v, run.variations);
  return async (image) => {
    let field: SourceField | null = null;
    await session.sideFile("maps", `the source field of ${output}`, async () => {
      const written = { ...image, data: image.data.map((x) => Math.min(1, Math.max(0, x))) };
      field = await findSourceField(written, await run.exemplar(), {
        tile: run.tile,
        seed: run.seed + v - 1,
        gpu: run.gpu,
      });
    });
    if (!field) return;
    const f: SourceField = field;
    if (args.uv) {
      const uv = numberedPath(args.uv, v, run.variations);
      await session.sideFile("uv", `the field ${uv}`, async () => {
        await writeFileAtomic(uv, await encodeSourceField(f));
      });
    }
    for (const map of loaded.maps) {
      const path = mapOutputPath(run.output, map.path, v, run.variations);
      await session.sideFile(`map ${map.path}`, `the map ${path}`, async () => {
        await writeFileAtomic(path, await encodePngSamples(remapSamples(f, map.samples, map.path)));
        session.say(`wrote ${path}`);
      });
    }
    if (loaded.albedo) {
      const albedo = remapSamples(f, loaded.albedo, "the exemplar");
      await session.sideFile("albedo", `the remapped albedo ${output}`, async () => {
        if (outputFormat(output) === "png") {
          await writeFileAtomic(output, await encodePngSamples(albedo));
        } else {
          await writeImageFile(output, planarFromSamples(albedo));
        }
      });
    }
  };
}
