// The page in a real browser: headless Chromium with WebGPU on SwiftShader
// runs 32 px, 3-iteration syntheses from the address query and from a picked
// file; the state reaches "done", the loss falls, the canvas changes, the PNG
// downloads at its size, and nothing is logged as an error. The first
// iteration's loss equals the command line's for the same exemplar, seed,
// size and random weights. Stop, New variation and Continue work, and
// failures (a bad image, a bad weights file, a size past the adapter's
// limits, a lost device, no WebGPU) show in the page.
//
// One browser and one page serve every step (the GPU programs compile once):
// SwiftShader is slow, so the runs are as small as they can be.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { Page } from "playwright-core";
import { startPageServer } from "../../src/server/server.ts";
import { decodeImage, encodePng } from "../../src/io/image.ts";
import { readImageFile } from "../../src/io/image_file.ts";
import type { LossRecord } from "../../src/synth/synthesizer.ts";
import { dataset, launch, NO_BROWSER, openPage, waitFor } from "./_browser.ts";

const ROOT = new URL("../../", import.meta.url);
const LONG = { timeout: 15 * 60_000 };

/**
 * Relative tolerances between the page's losses (SwiftShader's Vulkan
 * compiler) and the command line's (Mesa's llvmpipe). Same f32 kernels, same
 * reduction order, but each compiler may contract a·b + c into an FMA and
 * rounds exp, sin and cos its own way. At the start image (iteration 0) that
 * leaves the last bits (measured with the software kernels both pick: loss
 * 7.9e-8, Gram term 8.7e-8, spectrum term 1.5e-7 apart); the first L-BFGS
 * iteration steps from slightly different gradients and its line search
 * magnifies that (measured: 1.4e-5 for the loss, 1.8e-5 for the Gram term).
 */
const START_RTOL = 1e-6;
const FIRST_ITERATION_RTOL = 5e-4;

const CAPTURE_DEVICES = `
  if (globalThis.GPUAdapter) {
    const request = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (...args) {
      const device = await request.apply(this, args);
      (globalThis.__devices ??= []).push(device);
      return device;
    };
  }`;

async function canvas(page: Page, id: string): Promise<{ width: number; bytes: number[] }> {
  return await page.evaluate(`(() => {
    const c = document.getElementById(${JSON.stringify(id)});
    return { width: c.width, bytes: Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data) };
  })()`);
}

async function download(page: Page, button: string): Promise<{ name: string; bytes: Uint8Array }> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
  return { name: file.suggestedFilename(), bytes: await Deno.readFile(await file.path()) };
}

async function records(page: Page): Promise<LossRecord[]> {
  const log = await download(page, "#download-log");
  return new TextDecoder().decode(log.bytes).trim().split("\n").map((l) => JSON.parse(l));
}

/** A run started on the page: the canvas at iteration 0, then at the end, the log and the PNG. */
async function watchRun(page: Page, expectedName: string): Promise<LossRecord[]> {
  await waitFor(page, `document.body.dataset.iteration === "0"`);
  const start = await canvas(page, "output");
  await waitFor(page, `document.body.dataset.state === "done"`);
  const end = await canvas(page, "output");
  assertEquals(start.width, 32);
  assert(start.bytes.some((v, i) => i % 4 !== 3 && v !== start.bytes[0]), "the start is blank");
  assert(start.bytes.some((v, i) => v !== end.bytes[i]), "the canvas did not change");
  const log = await records(page);
  assertEquals(log.map((r) => r.iteration), [0, 1, 2, 3]);
  assert(log[3].loss < log[0].loss, `the loss did not fall: ${log.map((r) => r.loss)}`);
  const shown = await dataset(page);
  assertEquals([shown.iteration, Number(shown.loss)], ["3", log[3].loss]);
  const png = await download(page, "#download");
  assertEquals(png.name, expectedName);
  const image = await decodeImage(png.bytes, png.name);
  assertEquals([image.width, image.height], [32, 32]);
  const rgba = end.bytes.filter((_, i) => i % 4 !== 3);
  const plane = 32 * 32;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      assertEquals(Math.round(image.data[c * plane + i] * 255), rgba[3 * i + c], "PNG ≠ canvas");
    }
  }
  return log;
}

async function cliLog(args: string[]): Promise<LossRecord[]> {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-page-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "cli.ts",
        ...args,
        "-q",
        "-o",
        `${dir}/out.png`,
        "--log",
        `${dir}/log.jsonl`,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    return (await Deno.readTextFile(`${dir}/log.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: `page: runs in headless Chromium from the address and from a picked file${
    NO_BROWSER ? ` (${NO_BROWSER})` : ""
  }`,
  ignore: NO_BROWSER !== null,
  fn: async (t) => {
    const server = startPageServer();
    const browser = await launch();
    const dir = await Deno.makeTempDir({ prefix: "tex-synth-page-" });
    try {
      const errors: string[] = [];
      const page = await openPage(browser, errors);
      const requests: string[] = [];
      page.on("request", (r) => {
        const url = new URL(r.url());
        if (url.protocol !== "blob:" && url.protocol !== "data:") {
          requests.push(`${r.method()} ${url.pathname}${r.postData() ? " with a body" : ""}`);
        }
      });
      await page.addInitScript({ content: CAPTURE_DEVICES });
      let pageLog: LossRecord[] = [];

      await t.step("a 32 px, 3-iteration run from the address query", async () => {
        await page.goto(
          `${server.url}?exemplar=examples/dots.png&exemplar-size=32&size=32&iterations=3&weights=random&seed=3&autostart=1`,
        );
        pageLog = await watchRun(page, "dots_synth.png");
        assertStringIncludes(
          await page.textContent("#command") ?? "",
          "tex-synth examples/dots.png -o dots_synth.png --size 32 --exemplar-size 32 --iterations 3 --seed 3 --weights random",
        );
      });

      await t.step("the first iteration's loss equals the command line's", async () => {
        const cli = await cliLog([
          "examples/dots.png",
          "--exemplar-size",
          "32",
          "--size",
          "32",
          "--iterations",
          "1",
          "--seed",
          "3",
          "--weights",
          "random",
        ]);
        for (const i of [0, 1]) {
          for (const key of ["loss", "gram", "spectrum"] as const) {
            const [page, line] = [pageLog[i][key], cli[i][key]];
            const rel = Math.abs(page - line) / Math.abs(line);
            console.log(
              `iteration ${i} ${key}: page ${page}, CLI ${line}, relative ${rel.toExponential(2)}`,
            );
            const rtol = i === 0 ? START_RTOL : FIRST_ITERATION_RTOL;
            assert(rel <= rtol, `iteration ${i} ${key}: page ${page} vs CLI ${line}`);
          }
        }
      });

      await t.step("a 32 px, 3-iteration tiled run from a picked file", async () => {
        const noise = await readImageFile(new URL("examples/noise.png", ROOT).pathname);
        const crop = new Float32Array(3 * 32 * 32);
        for (let c = 0; c < 3; c++) {
          for (let y = 0; y < 32; y++) {
            for (let x = 0; x < 32; x++) {
              crop[(c * 32 + y) * 32 + x] = noise.data[(c * noise.height + y) * noise.width + x];
            }
          }
        }
        await Deno.writeFile(
          `${dir}/picked.png`,
          await encodePng({ width: 32, height: 32, data: crop }),
        );
        await page.click("#exemplars li button");
        await page.setInputFiles("#pick", `${dir}/picked.png`);
        await page.waitForSelector("#exemplars li");
        assertStringIncludes(await page.textContent("#exemplars") ?? "", "picked.png 32×32");
        await page.fill("input[name=exemplar-size]", "");
        await page.fill("input[name=seed]", "1");
        await page.check("input[name=tile]");
        await page.click("#start");
        await watchRun(page, "picked_synth.png");
        const output = await canvas(page, "output");
        const tiled = await canvas(page, "tiled");
        assertEquals(tiled.width, 64);
        for (let y = 0; y < 64; y++) {
          for (let x = 0; x < 64; x++) {
            for (let c = 0; c < 4; c++) {
              const a = tiled.bytes[(y * 64 + x) * 4 + c];
              assertEquals(a, output.bytes[((y % 32) * 32 + (x % 32)) * 4 + c], "2×2 preview");
            }
          }
        }
        assertStringIncludes(
          await page.textContent("#command") ?? "",
          "tex-synth picked.png -o picked_synth.png --size 32 --tile --iterations 3 --seed 1 --weights random",
        );
      });

      await t.step("no console errors in the runs; the picked file never left the browser", () => {
        assertEquals(errors, []);
        const known =
          /^GET \/(|page\.js|tex-synth\.js|style\.css|favicon\.svg|weights\.json|examples\/\w+\.png)$/;
        assertEquals(requests.filter((r) => !known.test(r)), []);
        assert(requests.includes("GET /examples/dots.png"), requests.join("\n"));
      });

      await t.step("Stop, New variation, Continue; failures show in the page", async () => {
        const shows = async (text: string) => {
          await page.waitForSelector("#error:not([hidden])", LONG);
          assertStringIncludes(await page.textContent("#error") ?? "", text);
          assertEquals((await dataset(page)).state, "error");
        };
        await page.setInputFiles("#pick", new URL("tests/fixtures/bad/notes.png", ROOT).pathname);
        await shows("notes.png is text, not an image");

        await page.selectOption("select[name=weights]", "file");
        await page.setInputFiles(
          "#weights-file",
          new URL("tests/fixtures/bad/evil.pth", ROOT).pathname,
        );
        await page.click("#start");
        await shows("evil.pth");

        await page.selectOption("select[name=weights]", "random");
        // 8000² px is within the command line's 16384 but past SwiftShader's 1 GiB binding.
        await page.fill("input[name=width]", "8000");
        await page.fill("input[name=height]", "8000");
        await page.click("#start");
        await shows("storage binding limit");

        await page.fill("input[name=width]", "32");
        await page.fill("input[name=height]", "32");
        await page.fill("input[name=iterations]", "50");
        await page.click("#start");
        await waitFor(page, `Number(document.body.dataset.iteration) >= 1`);
        await page.click("#stop");
        await waitFor(page, `document.body.dataset.state === "done"`);
        assertStringIncludes(await page.textContent("#status") ?? "", "stopped by you");
        await page.click("#variation");
        await waitFor(page, `document.body.dataset.state === "running"`);
        await waitFor(page, `Number(document.body.dataset.iteration) >= 1`);
        await page.click("#stop");
        await waitFor(page, `document.body.dataset.state === "done"`);
        assertStringIncludes(await page.textContent("#command") ?? "", "--variations 2");
        const stopped = Number((await dataset(page)).iteration);
        await page.click("#continue");
        await waitFor(page, `Number(document.body.dataset.iteration) > ${stopped}`);
        await page.evaluate(`globalThis.__devices.at(-1).destroy()`);
        await shows("GPU device was lost");

        const bare = await openPage(browser, []);
        await bare.addInitScript({
          content: `Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined });`,
        });
        await bare.goto(server.url);
        await bare.waitForSelector("#error:not([hidden])", LONG);
        const text = await bare.textContent("#error") ?? "";
        assertStringIncludes(text, "This browser has no WebGPU");
        assertStringIncludes(text, "--enable-unsafe-webgpu");
        assertEquals((await dataset(bare)).state, "error");
      });
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
