// First run as a user meets it: no weights in the cache, so the CLI fetches
// them (from a server on 127.0.0.1), verifies, converts, caches, and
// synthesizes with them; the second run downloads nothing.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { encodePng } from "../../src/io/image.ts";
import { stripes } from "../peer/_inputs.ts";
import { serve, vggCheckpoint } from "../weights/_checkpoint_server.ts";

const cli = new URL("../../cli.ts", import.meta.url).pathname;

Deno.test("a synthesis with no cached weights downloads and converts them once, then uses the cache", async () => {
  const checkpoint = vggCheckpoint();
  const server = serve((path) => (path === "/vgg19.pth" ? checkpoint.bytes : null));
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/ex.png`, await encodePng(stripes(32)));
    const env = {
      TEX_SYNTH_CACHE: `${dir}/cache`,
      TEX_SYNTH_WEIGHTS_URL: `${server.url}/vgg19.pth`,
      TEX_SYNTH_WEIGHTS_SHA256: checkpoint.sha256,
    };
    const run = (out: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", cli, `${dir}/ex.png`, "-o", `${dir}/${out}`, "-n", "1", "--json"],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const first = await run("a.png");
    const stderr = new TextDecoder().decode(first.stderr);
    assertEquals(first.code, 0, stderr);
    assertMatch(stderr, /downloading VGG19 weights: .*MiB/);
    assertMatch(stderr, /converting/);
    const summary = JSON.parse(new TextDecoder().decode(first.stdout));
    assertMatch(summary.weights, /vgg19-features-f32\.safetensors$/);
    assertEquals(
      [...Deno.readDirSync(`${dir}/cache`)].map((e) => e.name).filter((n) => !n.startsWith(".")),
      ["vgg19-features-f32.check.json", "vgg19-features-f32.safetensors"],
    );
    const requests = server.requests.length;
    assert(requests >= 1);
    const second = await run("b.png");
    assertEquals(second.code, 0, new TextDecoder().decode(second.stderr));
    assertEquals(server.requests.length, requests, "the second run downloaded again");
    assertEquals(await Deno.readFile(`${dir}/a.png`), await Deno.readFile(`${dir}/b.png`));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
