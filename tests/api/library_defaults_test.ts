// The library agrees with the command line: createSynthesizer without weights
// uses the cached trained VGG19 (fetched on first use, with progress), random
// weights only when asked for, one clear error offline, and no Mesa noise on
// stderr. Run as a user's script would run: a subprocess importing mod.ts.
import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { Synthesizer, type SynthesizerOptions } from "../../src/synth/synthesizer.ts";
import { stripes } from "../peer/_inputs.ts";
import { serve, vggCheckpoint } from "../weights/_checkpoint_server.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** Runs `code` as a script importing mod.ts, with only the given environment (no XDG_RUNTIME_DIR). */
async function script(
  dir: string,
  code: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  await Deno.writeTextFile(`${dir}/script.ts`, code.replaceAll("MOD", JSON.stringify(MOD)));
  const keep = ["PATH", "HOME", "DENO_DIR"].flatMap((k) => {
    const v = Deno.env.get(k);
    return v === undefined ? [] : [[k, v]];
  });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, `${dir}/script.ts`],
    cwd: dir,
    clearEnv: true,
    env: { ...Object.fromEntries(keep), ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("createSynthesizer without weights fetches and uses the trained weights, and prints nothing on stderr", async () => {
  const checkpoint = vggCheckpoint();
  const server = serve((path) => (path === "/vgg19.pth" ? checkpoint.bytes : null));
  const dir = await Deno.makeTempDir();
  try {
    const env = {
      TEX_SYNTH_CACHE: `${dir}/cache`,
      TEX_SYNTH_WEIGHTS_URL: `${server.url}/vgg19.pth`,
      TEX_SYNTH_WEIGHTS_SHA256: checkpoint.sha256,
    };
    const run = await script(
      dir,
      `import { createSynthesizer, trainedWeights, trainedWeightsPath } from MOD;
const exemplar = { width: 32, height: 32, data: new Float32Array(3 * 32 * 32).map((_, i) => (i % 7) / 7) };
const phases = [];
const synth = await createSynthesizer(exemplar, {
  onWeightsProgress: (p) => phases.at(-1) !== p.phase && phases.push(p.phase),
});
const run = await synth.synthesize(1);
synth.dispose();
const weights = await trainedWeights({ upTo: 2 });
console.log(JSON.stringify({
  phases,
  loss: run.last.loss,
  path: await trainedWeightsPath(),
  layers: weights.layers.length,
  source: weights.source,
  bias: Array.from(weights.layers[1].bias.subarray(0, 3)),
}));`,
      env,
    );
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stderr, "", "the library printed on stderr");
    const got = JSON.parse(run.stdout);
    assertEquals(got.phases, ["download", "convert"]);
    assert(Number.isFinite(got.loss));
    assertEquals(got.path, `${dir}/cache/vgg19-features-f32.safetensors`);
    assertEquals(got.source, got.path);
    assertEquals(got.layers, 2);
    assertEquals(got.bias, Array.from(checkpoint.conv.get("features.2.bias")!.subarray(0, 3)));
    assertEquals(server.requests.length, 1);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without network and cache the default weights fail with one line, never falling back to random", async () => {
  const dead = serve(() => null);
  const deadUrl = dead.url;
  await dead.close();
  const dir = await Deno.makeTempDir();
  try {
    const run = await script(
      dir,
      `import { createSynthesizer, trainedWeights, trainedWeightsPath, TexSynthError } from MOD;
const exemplar = { width: 32, height: 32, data: new Float32Array(3 * 32 * 32).fill(0.5) };
const messages = [];
for (const attempt of [() => createSynthesizer(exemplar), () => trainedWeights(), () => trainedWeightsPath()]) {
  try {
    await attempt();
    messages.push("no error");
  } catch (e) {
    messages.push(e instanceof TexSynthError ? e.message : "not a TexSynthError: " + e);
  }
}
console.log(JSON.stringify({ messages }));`,
      { TEX_SYNTH_CACHE: `${dir}/cache`, TEX_SYNTH_WEIGHTS_URL: `${deadUrl}/vgg19.pth` },
    );
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stderr, "");
    const got = JSON.parse(run.stdout);
    assertEquals(got.messages.length, 3);
    for (const m of got.messages) {
      assert(!m.includes("\n"), m);
      assertMatch(m, /^cannot download http:\/\/127\.0\.0\.1:\d+\/vgg19\.pth: /);
      assertMatch(m, /by hand into .*cache\/vgg19\.pth/);
      assertMatch(m, /weights: "FILE\.pth" or weights: "random"$/);
    }
    assertEquals([...Deno.readDirSync(`${dir}/cache`)].map((e) => e.name), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Synthesizer.create picks no weights by itself: without them it names both ways to give them", async () => {
  const e = await assertRejects(
    () => Synthesizer.create(stripes(32), {} as SynthesizerOptions),
    TexSynthError,
  );
  assertMatch(e.message, /trainedWeights\(\)/);
  assertMatch(e.message, /weights: "random"/);
  assert(!e.message.includes("\n"));
});
