// Masks and guides in the page, in headless Chromium (WebGPU on
// SwiftShader): a 32 px fill driven from the address keeps every pixel
// outside its hole bit for bit; a stroke painted with the mouse (real
// pointer events) grows the hole the page hands to the engine, and the next
// run keeps exactly the pixels outside the new hole; a target guide colour
// that no exemplar guide has stops the run with the engine's message, which
// names the colour. The images the address names are served by the test
// (playwright's routing), as a server would serve them.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Buffer } from "node:buffer";
import type { Page } from "playwright-core";
import { startPageServer } from "../../src/server/server.ts";
import { decodeImage, encodePng, type PlanarImage } from "../../src/io/image.ts";
import { readImageFile } from "../../src/io/image_file.ts";
import { dataset, launch, NO_BROWSER, openPage, waitFor } from "./_browser.ts";

const ROOT = new URL("../../", import.meta.url);
const SIZE = 32;
const PLANE = SIZE * SIZE;
/** The served hole: a 14×10 rectangle. */
const HOLE = { x0: 8, x1: 22, y0: 10, y1: 20 };
/** The painted stroke: column 26, rows 4 to 28, outside the rectangle. */
const STROKE = { x: 26, y0: 4, y1: 28 };

function maskImage(white: (x: number, y: number) => boolean): PlanarImage {
  const data = new Float32Array(3 * PLANE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      if (white(x, y)) { for (let c = 0; c < 3; c++) data[c * PLANE + y * SIZE + x] = 1; }
    }
  }
  return { width: SIZE, height: SIZE, data };
}

const inHole = (x: number, y: number) => x >= HOLE.x0 && x < HOLE.x1 && y >= HOLE.y0 && y < HOLE.y1;
const onStroke = (x: number, y: number) => x === STROKE.x && y >= STROKE.y0 && y <= STROKE.y1;

async function download(
  page: Page,
  selector: string,
): Promise<{ name: string; image: PlanarImage }> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  const name = file.suggestedFilename();
  return { name, image: await decodeImage(await Deno.readFile(await file.path()), name) };
}

/** Pixels of `output` that differ from `input`, split by whether `hole` marks them. */
function compare(input: PlanarImage, output: PlanarImage, hole: (x: number, y: number) => boolean) {
  let keptDiffer = 0;
  let holeDiffer = 0;
  let holePixels = 0;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const i = y * SIZE + x;
      const differs = [0, 1, 2].some((c) =>
        output.data[c * PLANE + i] !== input.data[c * PLANE + i]
      );
      if (hole(x, y)) {
        holePixels++;
        if (differs) holeDiffer++;
      } else if (differs) keptDiffer++;
    }
  }
  return { keptDiffer, holeDiffer, holePixels };
}

/** The output's paint overlay, scrolled into view: the box the mouse paints in. */
async function overlayBox(
  page: Page,
): Promise<{ x: number; y: number; width: number; height: number }> {
  const overlay = page.locator("#output-paint");
  await overlay.scrollIntoViewIfNeeded();
  return (await overlay.boundingBox())!;
}

function whiteAt(image: PlanarImage): (x: number, y: number) => boolean {
  return (x, y) => image.data[y * SIZE + x] === 1;
}

Deno.test({
  name: `page: fill from the address, a hole painted with the mouse, a guide error${
    NO_BROWSER ? ` (${NO_BROWSER})` : ""
  }`,
  ignore: NO_BROWSER !== null,
  fn: async (t) => {
    const cracks = await readImageFile(new URL("examples/cracks.png", ROOT).pathname);
    const crop = new Float32Array(3 * PLANE);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          crop[c * PLANE + y * SIZE + x] = cracks.data[(c * cracks.height + y) * cracks.width + x];
        }
      }
    }
    const input: PlanarImage = { width: SIZE, height: SIZE, data: crop };
    const files: Record<string, Uint8Array> = {
      "wall.png": await encodePng(input),
      "hole.png": await encodePng(maskImage(inHole)),
      "halves.png": await encodePng(maskImage((x) => x >= SIZE / 2)),
    };
    const dir = await Deno.makeTempDir({ prefix: "tex-synth-paint-" });
    await Deno.writeFile(`${dir}/halves.png`, files["halves.png"]);

    const server = startPageServer();
    const browser = await launch();
    try {
      const errors: string[] = [];
      const page = await openPage(browser, errors);
      await page.route("**/t/*.png", async (route) => {
        const name = new URL(route.request().url()).pathname.split("/").pop()!;
        await route.fulfill({
          status: 200,
          contentType: "image/png",
          body: Buffer.from(files[name]),
        });
      });

      await t.step("a 32 px fill from the address keeps the pixels outside the hole", async () => {
        await page.goto(
          `${server.url}?exemplar=t/wall.png&mask=t/hole.png&iterations=3&seed=2&weights=random&autostart=1`,
        );
        await waitFor(page, `document.body.dataset.state === "done"`);
        const shown = await dataset(page);
        assertEquals(shown.iteration, "3");
        assertEquals(JSON.parse(shown.steering), {
          mode: "fill",
          mask: { width: SIZE, height: SIZE, fill: 140 },
          exemplarMasks: null,
          guides: null,
        });
        const out = await download(page, "#download");
        assertEquals(out.name, "wall_filled.png");
        const diff = compare(input, out.image, inHole);
        assertEquals(diff.keptDiffer, 0, "a kept pixel changed");
        assert(
          diff.holeDiffer > diff.holePixels / 2,
          `only ${diff.holeDiffer} hole pixels changed`,
        );
        assertEquals(
          await page.textContent("#command"),
          "tex-synth fill wall.png --mask hole.png -o wall_filled.png --iterations 3 --seed 2 --weights random",
        );
        const mask = await download(page, "#file-buttons button[data-file='hole.png']");
        assertEquals(mask.image.data, maskImage(inHole).data);
      });

      await t.step("a stroke painted with the mouse grows the hole the engine gets", async () => {
        // The thinnest brush paints the pixels under the pointer's path.
        await page.evaluate(`document.getElementById("brush-size").value = "2"`);
        const box = await overlayBox(page);
        const at = (x: number, y: number) =>
          [
            box.x + ((x + 0.5) * box.width) / SIZE,
            box.y + ((y + 0.5) * box.height) / SIZE,
          ] as const;
        await page.mouse.move(...at(STROKE.x, STROKE.y0));
        await page.mouse.down();
        await page.mouse.move(...at(STROKE.x, STROKE.y1), { steps: 6 });
        await page.mouse.up();
        assertStringIncludes(await page.textContent("#command") ?? "", "--mask wall_mask.png");
        const painted = await download(page, "#file-buttons button[data-file='wall_mask.png']");
        const grown = (x: number, y: number) => inHole(x, y) || onStroke(x, y);
        assertEquals(painted.image.data, maskImage(grown).data);

        // No iteration: the output is the start image, noise in the hole only.
        await page.fill("input[name=iterations]", "0");
        await page.click("#start");
        await waitFor(page, `document.body.dataset.state === "done"`);
        const steering = JSON.parse((await dataset(page)).steering);
        assertEquals(steering.mask.fill, 140 + STROKE.y1 - STROKE.y0 + 1);
        const out = await download(page, "#download");
        const diff = compare(input, out.image, whiteAt(painted.image));
        assertEquals(diff.keptDiffer, 0, "a kept pixel changed");
        const strokeDiff = compare(input, out.image, onStroke);
        assert(strokeDiff.holeDiffer > strokeDiff.holePixels / 2, "the stroke was not filled");
      });

      await t.step("a target label no exemplar guide has is shown with its colour", async () => {
        await page.check("input[name=mode][value=texture]");
        await page.check("input[name=tool][value=labels]");
        await page.setInputFiles("#exemplar-load", `${dir}/halves.png`);
        await waitFor(
          page,
          `document.getElementById("exemplar-layer").textContent.includes("halves.png")`,
        );
        await page.click("#palette [aria-label='#ff0000']");
        const box = await overlayBox(page);
        await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
        const command = await page.textContent("#command") ?? "";
        assertStringIncludes(
          command,
          "tex-synth wall.png -o wall_synth.png --iterations 0 --seed 2 --weights random --guide halves.png --target-guide wall_target-guide.png",
        );
        await page.click("#start");
        await page.waitForSelector("#error:not([hidden])");
        assertStringIncludes(
          await page.textContent("#error") ?? "",
          "the target guide's colour #ff0000 is in no exemplar guide",
        );
        const shown = await dataset(page);
        assertEquals(shown.state, "error");
        assertEquals(JSON.parse(shown.steering).guides, {
          exemplar: [["#000000", "#ffffff"]],
          target: ["#000000", "#ff0000"],
        });
      });

      await t.step("no console errors", () => {
        assertEquals(errors, []);
      });
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
