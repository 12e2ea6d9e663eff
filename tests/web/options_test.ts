// The page's options: the URL query under the command line's long names,
// read back from what the page writes, and the command it shows parses with
// the command line's own parser into the same run. Also the redraw pacing
// and the ETA arithmetic.
import { assert, assertEquals } from "@std/assert";
import { parseOptions } from "../../src/cli/options.ts";
import { FILL_SPEC } from "../../src/cli/fill.ts";
import {
  GENERATION_OPTIONS,
  outputSize as cliOutputSize,
  STEERING_OPTIONS,
  steeringArgs,
  SYNTH_SPEC,
  type SynthArgs,
  synthArgs,
} from "../../src/cli/synth.ts";
import {
  cliCommand,
  DEFAULTS,
  exemplarPath,
  outputName,
  outputSize,
  type PageOptions,
  parseQuery,
  QUERY_OPTIONS,
  shellQuote,
  toQuery,
} from "../../web/page/options.ts";
import type { SteeringFiles } from "../../web/page/steering.ts";
import { duration, eta, RedrawClock } from "../../web/page/timing.ts";
import type { LossRecord } from "../../src/synth/synthesizer.ts";

Deno.test("options: the issue's example query", () => {
  const { options, problems } = parseQuery(
    new URLSearchParams(
      "exemplar=/examples/dots.png&size=64&tile=1&weights=random&iterations=50&seed=3&autostart=1",
    ),
  );
  assertEquals(problems, []);
  assertEquals(options, {
    ...DEFAULTS,
    exemplars: ["/examples/dots.png"],
    width: 64,
    height: 64,
    tile: true,
    weights: "random",
    iterations: 50,
    seed: 3,
    autostart: true,
  });
});

Deno.test("options: every option round-trips through the query", () => {
  const all: PageOptions = {
    exemplars: ["examples/dots.png", "examples/noise.png"],
    mode: "fill",
    mask: "t/hole.png",
    exemplarMasks: ["t/m.png"],
    guides: ["t/g.png"],
    targetGuide: "t/target.png",
    width: 96,
    height: 48,
    tile: true,
    scales: 2,
    loss: "sw",
    exemplarSize: 128,
    iterations: 7,
    seed: 11,
    preset: "seed",
    weights: "weights/my.safetensors",
    checkpointing: "on",
    precision: "f16",
    kernels: "software",
    autostart: true,
  };
  const query = toQuery(all);
  const { options, problems } = parseQuery(new URLSearchParams(query));
  assertEquals(problems, []);
  assertEquals(options, all);
  for (const spec of QUERY_OPTIONS.filter((o) => o.name !== "width" && o.name !== "height")) {
    assert(query.includes(`${spec.name}=`), `${spec.name} is not written to the query`);
  }
  assert(query.includes("size=96x48"), query);
  for (const side of [{ width: 40 }, { height: 30 }]) {
    const one = { ...DEFAULTS, ...side };
    assertEquals(parseQuery(new URLSearchParams(toQuery(one))).options, one);
  }
  assertEquals(toQuery(DEFAULTS), "");
  assertEquals(parseQuery(new URLSearchParams("")).options, DEFAULTS);
});

Deno.test("options: the query takes the command line's generation options, names, ranges and choices", () => {
  const page = new Map(QUERY_OPTIONS.map((o) => [o.name, o]));
  for (const cli of GENERATION_OPTIONS) {
    const mine = page.get(cli.name);
    if (!mine) throw new Error(`--${cli.name} has no query parameter`);
    assertEquals(mine.kind, cli.kind, cli.name);
    assertEquals([mine.min, mine.max, mine.choices], [cli.min, cli.max, cli.choices], cli.name);
  }
  const extra = [...page.keys()].filter((n) => !GENERATION_OPTIONS.some((o) => o.name === n));
  assertEquals(extra, [
    "exemplar",
    "mode",
    "mask",
    "exemplar-mask",
    "guide",
    "target-guide",
    "autostart",
  ]);
  const fill = new Map(FILL_SPEC.options.map((o) => [o.name, o]));
  for (const name of ["mask", ...STEERING_OPTIONS.map((o) => o.name)]) {
    assertEquals([page.get(name)?.kind, fill.get(name)?.kind], ["text", "text"], name);
  }
  for (
    const [asked, exemplar] of [
      [{}, { width: 256, height: 128 }],
      [{ width: 100 }, { width: 256, height: 128 }],
      [{ height: 33 }, { width: 256, height: 100 }],
      [{ width: 7, height: 9 }, { width: 256, height: 128 }],
    ] as const
  ) {
    assertEquals(outputSize(asked, exemplar), cliOutputSize(asked, exemplar));
  }
});

Deno.test("options: bad values and unknown names are reported, one line each, defaults kept", () => {
  const { options, problems } = parseQuery(
    new URLSearchParams("size=0&seed=x&iterations=ten&loss=l1&tile=maybe&colour=red&scales=2"),
  );
  assertEquals(problems.length, 6, problems.join("\n"));
  assert(problems.some((p) => p.startsWith(`unknown option "colour"`)));
  assert(problems.includes(`size must be N or WxH, each side from 1 to 16384, got "0"`));
  assert(problems.includes(`loss takes gram or sw, got "l1"`));
  assertEquals([options.width, options.seed, options.iterations, options.scales], [
    undefined,
    0,
    100,
    2,
  ]);
});

/** Splits a command as a POSIX shell does for plain words, '…' quotes and \\ escapes. */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c === " ") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      word = (word ?? "") + command.slice(i + 1, end);
      i = end;
    } else if (c === "\\") {
      word = (word ?? "") + command[++i];
    } else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words;
}

function run(command: string): SynthArgs {
  const words = shellWords(command);
  assertEquals(words[0], "tex-synth");
  return synthArgs(parseOptions(SYNTH_SPEC, words.slice(1)));
}

Deno.test("options: the page's command parses with the command line's parser into the same run", () => {
  const o: PageOptions = {
    ...DEFAULTS,
    width: 96,
    height: 48,
    tile: true,
    scales: 2,
    loss: "sw",
    exemplarSize: 128,
    iterations: 7,
    seed: 11,
    preset: "seed",
    weights: "random",
    checkpointing: "off",
    precision: "f16",
    kernels: "tiled",
  };
  const args = run(cliCommand(o, { exemplars: ["examples/dots.png", "my texture.png"] }));
  assertEquals(args.exemplars, ["examples/dots.png", "my texture.png"]);
  assertEquals(args.output, "dots_synth.png");
  assertEquals([args.width, args.height, args.tile, args.scales], [96, 48, true, 2]);
  assertEquals([args.loss, args.exemplarSize, args.iterations, args.seed], ["sw", 128, 7, 11]);
  assertEquals([args.preset, args.weights, args.checkpointing, args.precision, args.kernels], [
    "seed",
    "random",
    false,
    "f16",
    "tiled",
  ]);
  assertEquals(args.variations, 1);

  const square = run(cliCommand({ ...DEFAULTS, width: 64, height: 64 }, {
    exemplars: ["examples/dots.png"],
    variation: 2,
    iterations: 150,
  }));
  assertEquals([square.width, square.height, square.variations, square.iterations], [
    64,
    64,
    3,
    150,
  ]);
  assertEquals(square.weights, undefined, "cached weights are the command line's default");
  const picked = run(cliCommand({ ...DEFAULTS, weights: "file" }, {
    exemplars: ["a.png"],
    weightsFile: "vgg19-dcbb9e9d.pth",
  }));
  assertEquals([picked.weights, picked.width], ["vgg19-dcbb9e9d.pth", undefined]);
});

Deno.test("options: a mask in the address means fill mode; masks and guides repeat in order", () => {
  const { options, problems } = parseQuery(
    new URLSearchParams(
      "exemplar=a.png&exemplar=b.png&mask=h.png&exemplar-mask=m.png&guide=g.png&target-guide=t.png",
    ),
  );
  assertEquals(problems, []);
  assertEquals(
    [options.mode, options.mask, options.exemplarMasks, options.guides, options.targetGuide],
    ["fill", "h.png", ["m.png"], ["g.png"], "t.png"],
  );
  const texture = parseQuery(new URLSearchParams("mode=texture&mask=h.png&guide=1&guide=2"));
  assertEquals(texture.problems, [
    "mask is the hole to fill: it goes with mode=fill (or leave mode out)",
  ]);
  assertEquals([texture.options.mask, texture.options.guides], [undefined, ["1", "2"]]);
  assertEquals(parseQuery(new URLSearchParams("mode=paint")).problems, [
    `mode takes texture or fill, got "paint"`,
  ]);
});

Deno.test("options: the command with masks and guides parses into the same run, fill's too", () => {
  const steering: SteeringFiles = {
    exemplarMasks: ["dots_exemplar-mask.png", "my wall_exemplar-mask.png"],
    guides: ["dots_guide.png", "g2.png"],
    targetGuide: "dots_target-guide.png",
  };
  const texture = run(cliCommand({ ...DEFAULTS, width: 32, height: 32, weights: "random" }, {
    exemplars: ["examples/dots.png", "my wall.png"],
    steering,
  }));
  assertEquals(
    [texture.exemplars, texture.exemplarMasks, texture.guides, texture.targetGuide],
    [
      ["examples/dots.png", "my wall.png"],
      steering.exemplarMasks,
      steering.guides,
      "dots_target-guide.png",
    ],
  );

  const fill = (o: PageOptions, exemplars: string[], files = steering) => {
    const words = shellWords(cliCommand(o, { exemplars, steering: files, variation: 2 }));
    assertEquals(words.slice(0, 2), ["tex-synth", "fill"]);
    const parsed = parseOptions(FILL_SPEC, words.slice(2));
    const extra = (parsed.values.exemplar as string[] | undefined) ?? [];
    return {
      image: parsed.positionals[0],
      values: parsed.values,
      steering: steeringArgs(
        parsed,
        extra.length || 1,
        extra.length ? "--exemplar images" : "images to fill",
      ),
    };
  };
  const o: PageOptions = {
    ...DEFAULTS,
    mode: "fill",
    width: 99,
    loss: "sw",
    tile: true,
    iterations: 3,
    seed: 2,
    weights: "random",
  };
  const withExemplars = fill(o, ["wall.png", "examples/dots.png", "my wall.png"], {
    ...steering,
    mask: "wall_mask.png",
  });
  assertEquals(withExemplars.image, "wall.png");
  assertEquals(withExemplars.values.mask, "wall_mask.png");
  assertEquals(withExemplars.values.exemplar, ["examples/dots.png", "my wall.png"]);
  assertEquals(withExemplars.values.output, "wall_filled.png");
  assertEquals(withExemplars.steering, steering);
  assertEquals(
    [withExemplars.values.tile, withExemplars.values.iterations, withExemplars.values.seed],
    [true, 3, 2],
  );
  assertEquals([withExemplars.values.width, withExemplars.values.loss], [undefined, undefined]);
  assertEquals(withExemplars.values.variations, undefined, "fill makes one image per seed");
  const alone = fill(o, ["wall.png"], { mask: "wall_mask.png", exemplarMasks: [], guides: [] });
  assertEquals([alone.values.mask, alone.values.exemplar], ["wall_mask.png", undefined]);
});

Deno.test("options: names and quoting", () => {
  assertEquals(exemplarPath("examples/dots.png"), "examples/dots.png");
  assertEquals(exemplarPath("/examples/dots.png?x=1"), "examples/dots.png");
  assertEquals(exemplarPath("https://example.org/img/my%20wall.png"), "my wall.png");
  assertEquals(outputName("examples/dots.png"), "dots_synth.png");
  assertEquals(outputName("wall.jpeg", 1), "wall_synth-2.png");
  assertEquals(outputName("examples/wall.jpeg", 0, "fill"), "wall_filled.png");
  assertEquals(shellQuote("plain/path.png"), "plain/path.png");
  assertEquals(shellQuote("it's here.png"), `'it'\\''s here.png'`);
  assertEquals(shellWords(shellQuote("it's here.png")), ["it's here.png"]);
});

function record(iteration: number, ms: number): LossRecord {
  return { iteration, evaluations: iteration, loss: 1, gram: 1, spectrum: 1, ms, scale: 0 };
}

Deno.test("timing: ETA from the recent pace; redraws paced by their own cost", () => {
  assertEquals(eta([record(0, 5000)], 10), null);
  const e = eta([record(0, 5000), record(1, 1000), record(2, 3000)], 12)!;
  assertEquals([e.perSecond, e.seconds, e.words], [0.5, 20, "20 s"]);
  assertEquals(duration(185), "3 min 5 s");
  assertEquals(duration(3840), "1 h 4 min");

  let now = 0;
  const clock = new RedrawClock(250, 4, () => now);
  assert(clock.due());
  clock.drew(10);
  now = 249;
  assert(!clock.due());
  now = 250;
  assert(clock.due());
  clock.drew(500);
  now = 2249;
  assert(!clock.due(), "a 500 ms redraw waits 2 s for the next");
  now = 2250;
  assert(clock.due());
});
