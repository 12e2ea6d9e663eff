// `tex-synth remap <uv.png> <map>…`: copies further maps through a source
// field that `synth --uv` wrote, exactly as `--maps` would have.
import { basename, dirname, join } from "@std/path";
import { readFileBytes } from "../io/image_file.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { outputFormat, writeImageFile } from "../io/image_write.ts";
import { encodePngSamples } from "../io/png.ts";
import { decodeImageSamples, planarFromSamples } from "../io/samples.ts";
import { decodeSourceField, remapSamples } from "../synth/source_field.ts";
import { type CommandSpec, type ParsedCommand, UsageError } from "./options.ts";
import { checkOutputs, IMAGE_EXTENSIONS, type PlannedOutput } from "./output_paths.ts";
import { EXIT } from "./run.ts";

/** `tex-synth remap`: its grammar. */
export const REMAP_SPEC: CommandSpec = {
  name: "remap",
  summary: "copy maps through a source field written by --uv, as --maps does",
  usage: ["remap [options] <uv.png> <map.png|jpg>… [-o FILE]"],
  options: [
    {
      name: "output",
      short: "o",
      kind: "text",
      value: "FILE",
      help: "output image for a single map, .png or .jpg (default: <map>_remapped.png beside it)",
    },
    { name: "quiet", short: "q", kind: "flag", help: "print nothing but errors" },
    { name: "help", short: "h", kind: "flag", help: "show this help" },
  ],
  positionals: { name: "source field and map", min: 2, max: Infinity },
  notes: [
    "Each output pixel copies the map's pixel at its source: no blending, so normal maps stay",
    "normal and 16-bit maps keep their depth and channels (in a PNG). A map may be the",
    "exemplar's size or a scale of it.",
  ],
};

/** Runs `tex-synth remap …`. */
export async function remapCommand(parsed: ParsedCommand): Promise<number> {
  const [uv, ...maps] = parsed.positionals;
  if (maps.length === 0) throw new UsageError("missing the map to remap");
  const given = parsed.values.output as string | undefined;
  if (given && maps.length > 1) {
    throw new UsageError("-o names the output of a single map: leave it out for several");
  }
  const outputs = maps.map((m) =>
    given ?? join(dirname(m), `${basename(m).replace(/\.[^.]+$/, "")}_remapped.png`)
  );
  const planned: PlannedOutput[] = outputs.map((path) => ({
    path,
    what: given ? "-o" : "the remapped map",
    kind: "file",
    extensions: IMAGE_EXTENSIONS,
  }));
  await checkOutputs(planned, [
    { path: uv, what: "the source field" },
    ...maps.map((path) => ({ path, what: "the map" })),
  ]);
  const field = await decodeSourceField(await readFileBytes(uv), uv);
  // Every map is read and checked before anything is written.
  const read = [];
  for (const path of maps) read.push(await decodeImageSamples(await readFileBytes(path), path));
  const remapped = read.map((samples, i) => remapSamples(field, samples, maps[i]));
  for (let i = 0; i < maps.length; i++) {
    const path = outputs[i];
    if (outputFormat(path) === "png") {
      await writeFileAtomic(path, await encodePngSamples(remapped[i]));
    } else {
      await writeImageFile(path, planarFromSamples(remapped[i]));
    }
    if (parsed.values.quiet !== true) console.error(`wrote ${path}`);
  }
  return EXIT.ok;
}
