/**
 * The README's picture of the page: starts the page server, runs a small
 * tiled synthesis in headless Chromium (Debian's `chromium`, WebGPU on
 * SwiftShader) from the address query, and saves a screenshot when it is done.
 * The cached trained weights are used when there are some, random ones
 * otherwise (the caption in the README says which).
 *
 * Usage: deno task screenshot [--out docs/page.png] [--size 64] [--iterations 20]
 *        [--exemplar bricks]
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";
import { startPageServer } from "../src/server/server.ts";
import { launch, NO_BROWSER, waitFor } from "../tests/web/_browser.ts";

const args = parseArgs(Deno.args, {
  string: ["out", "size", "iterations", "exemplar", "weights"],
  default: { out: "docs/page.png", size: "64", iterations: "20", exemplar: "bricks" },
});
if (NO_BROWSER) {
  console.error(NO_BROWSER.replace(/^skipped: /, "cannot take the screenshot: "));
  Deno.exit(1);
}
const server = startPageServer();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const status = await (await fetch(new URL("weights.json", server.url))).json();
  const weights = args.weights ?? (status.cached ? "cached" : "random");
  const query = new URLSearchParams({
    exemplar: `examples/${args.exemplar}.png`,
    size: args.size,
    tile: "1",
    iterations: args.iterations,
    weights,
    autostart: "1",
  });
  const started = performance.now();
  await page.goto(`${server.url}?${query}`);
  await waitFor(page, `document.body.dataset.state === "done"`, 30 * 60_000);
  await page.screenshot({ path: args.out, fullPage: true });
  console.log(
    `wrote ${args.out}: ${args.exemplar}, ${args.size} px, ${args.iterations} iterations, ${weights} weights, ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s`,
  );
} finally {
  await browser.close();
  await server.shutdown();
}
