// Headless Chromium for the page's tests: Debian's `chromium` driven by
// playwright-core, with WebGPU on SwiftShader (a software Vulkan adapter).
// Tests that need it are ignored, with this reason, where it is missing.
import { type Browser, chromium, type Page } from "playwright-core";

/** Where Debian's package installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags that give headless Chromium WebGPU on SwiftShader, and keep it off the network. */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-webgpu-adapter=swiftshader",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

function _exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Why the browser tests cannot run here, or null when they can. */
export const NO_BROWSER: string | null = _exists(CHROMIUM)
  ? null
  : `skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`;

/** Starts headless Chromium. */
export async function launch(): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
}

/** A page that collects its console errors and uncaught exceptions into `errors`. */
export async function openPage(browser: Browser, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  return page;
}

/** The page's `document.body.dataset`: state, iteration, loss. */
export async function dataset(page: Page): Promise<Record<string, string>> {
  return await page.evaluate(`({ ...document.body.dataset })`);
}

/**
 * Polls `condition` (a page expression) until it holds, failing with the
 * page's error message when its state turns to "error". Playwright's
 * waitForFunction evaluates strings with eval, which the page's
 * Content-Security-Policy forbids, as it should.
 */
export async function waitFor(
  page: Page,
  condition: string,
  timeoutMs = 15 * 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(`!!(${condition})`))) {
    if ((await dataset(page)).state === "error") {
      throw new Error(`the page shows an error: ${await page.textContent("#error")}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${condition}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
