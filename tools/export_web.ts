/**
 * Writes the page as static files that any static host can serve: the same
 * files `tex-synth serve` serves (page, bundles, examples), plus a
 * `weights.json` saying there are no cached weights, so the page offers
 * random weights or a weights file the user picks.
 *
 * Usage: deno task web [DIR]   (default dist/web)
 *
 * @module
 */
import { join } from "@std/path";
import { pageAssets } from "../src/server/assets.ts";
import { WEIGHTS_STATUS_ROUTE } from "../src/server/server.ts";

/** Writes every page file under `dir`; returns the paths written, relative to it. */
export async function exportWeb(dir: string): Promise<string[]> {
  const files = new Map(
    [...pageAssets()].map(([path, asset]) => [path, asset.body]),
  );
  files.set(WEIGHTS_STATUS_ROUTE, new TextEncoder().encode(JSON.stringify({ cached: false })));
  for (const [path, body] of files) {
    const target = join(dir, path);
    await Deno.mkdir(join(target, ".."), { recursive: true });
    await Deno.writeFile(target, body);
  }
  return [...files.keys()].sort();
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? "dist/web";
  const written = await exportWeb(dir);
  console.log(`wrote ${written.length} files to ${dir}/ (${written.join(", ")})`);
  console.log(
    `serve that folder with any static server; open index.html through it, not as a file`,
  );
}
