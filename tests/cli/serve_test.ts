// `tex-synth serve` as a user runs it: it prints the address of a free port
// on 127.0.0.1, serves the page there with the cached weights of
// TEX_SYNTH_CACHE, stops cleanly on SIGINT and SIGTERM, opens the browser
// with --open, and refuses a port in use or out of range.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { assertCleanError, spawnTex, tex, withDir } from "./_cli.ts";
import { weightsPath } from "../../src/weights/ensure.ts";
import { writeCacheRecord } from "../../src/weights/cache_record.ts";

const decoder = new TextDecoder();

/** Starts `serve` and reads the address it prints on stdout. */
async function serve(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: Deno.ChildProcess; url: string; stdout: ReadableStreamDefaultReader }> {
  const child = spawnTex(["serve", ...args], { env });
  const stdout = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await stdout.read();
    if (done) throw new Error(`serve exited: ${decoder.decode((await child.output()).stderr)}`);
    text += decoder.decode(value);
  }
  return { child, url: text.trim(), stdout };
}

async function stop(
  running: { child: Deno.ChildProcess; stdout: ReadableStreamDefaultReader },
  signal: Deno.Signal,
): Promise<{ code: number; stderr: string }> {
  running.child.kill(signal);
  running.stdout.releaseLock();
  const out = await running.child.output();
  return { code: out.code, stderr: decoder.decode(out.stderr) };
}

Deno.test("serve: prints the address of a free port on 127.0.0.1, serves the page and the cached weights, stops on SIGINT and SIGTERM with 0", async () => {
  await withDir(async (dir) => {
    const env = { TEX_SYNTH_CACHE: `${dir}/cache` };
    await Deno.mkdir(`${dir}/cache`);
    const weights = new Uint8Array(1000).fill(7);
    await Deno.writeFile(weightsPath(`${dir}/cache`), weights);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", weights));
    await writeCacheRecord(`${dir}/cache`, {
      format: "test",
      bytes: weights.length,
      sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
      sourceSha256: "0".repeat(64),
    });
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const running = await serve([], env);
      assertMatch(running.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(running.url);
      assertEquals(page.status, 200);
      assertStringIncludes(await page.text(), "<title>tex-synth</title>");
      assertEquals(await (await fetch(new URL("weights.json", running.url))).json(), {
        cached: true,
        bytes: 1000,
      });
      const served = await fetch(new URL("weights/vgg19.safetensors", running.url));
      assertEquals(new Uint8Array(await served.arrayBuffer()), weights);
      const missing = await fetch(new URL("src/cli/serve.ts", running.url));
      assertEquals(missing.status, 404);
      await missing.body?.cancel();
      const end = await stop(running, signal);
      assertEquals(end.code, 0, end.stderr);
      assertStringIncludes(end.stderr, `serving the page at ${running.url}`);
    }
  });
});

Deno.test("serve: --port and --host are used as given; a port in use and a bad port are clear errors", async () => {
  await withDir(async (dir) => {
    const env = { TEX_SYNTH_CACHE: `${dir}/cache` };
    const first = await serve(["--host", "localhost", "--quiet"], env);
    const port = Number(new URL(first.url).port);
    assertEquals(first.url, `http://localhost:${port}/`);
    try {
      assertCleanError(
        await tex(["serve", "--port", String(port)], { env }),
        1,
        /port \d+ is in use/,
      );
      assertCleanError(await tex(["serve", "--port", "70000"], { env }), 2, /--port must be/);
      assertCleanError(await tex(["serve", "extra"], { env }), 2, /./);
    } finally {
      const end = await stop(first, "SIGINT");
      assertEquals([end.code, end.stderr], [0, ""], "--quiet prints only the address");
    }
  });
});

Deno.test({
  name: "serve: --open hands the address to the desktop's opener",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await withDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/xdg-open`, `#!/bin/sh\necho "$@" > "${dir}/opened"\n`);
      await Deno.chmod(`${dir}/xdg-open`, 0o755);
      const env = { TEX_SYNTH_CACHE: `${dir}/cache`, PATH: `${dir}:${Deno.env.get("PATH")}` };
      const running = await serve(["--open"], env);
      let opened = "";
      for (let i = 0; i < 100 && !opened; i++) {
        await new Promise((r) => setTimeout(r, 100));
        opened = await Deno.readTextFile(`${dir}/opened`).catch(() => "");
      }
      const end = await stop(running, "SIGINT");
      assertEquals(opened.trim(), running.url);
      assert(!end.stderr.includes("could not open"), end.stderr);

      await Deno.writeTextFile(`${dir}/xdg-open`, `#!/bin/sh\nexit 3\n`);
      const failing = await serve(["--open"], env);
      await new Promise((r) => setTimeout(r, 3000));
      const after = await stop(failing, "SIGINT");
      assertStringIncludes(after.stderr, `could not open a browser (xdg-open exited with code 3)`);
    });
  },
});
