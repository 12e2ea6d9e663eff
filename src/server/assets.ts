// The page's files as the module graph carries them: text imports of the page
// and its bundles, and the example PNGs packed as base64 JSON (byte imports
// still need a flag), so a checkout, a JSR install (cached for offline use) and
// a compiled binary all hold them without reading anything at serve time.
import indexHtml from "../../web/index.html" with { type: "text" };
import styleCss from "../../web/style.css" with { type: "text" };
import faviconSvg from "../../web/favicon.svg" with { type: "text" };
import pageJs from "../../web/build/page.js" with { type: "text" };
import engineJs from "../../web/build/tex-synth.js" with { type: "text" };
import examples from "../../web/build/examples.json" with { type: "json" };

/** One file of the page: its bytes and media type. */
export interface Asset {
  /** The file's content. */
  body: Uint8Array;
  /** Its `Content-Type`. */
  type: string;
}

const encoder = new TextEncoder();

function _text(text: string, type: string): Asset {
  return { body: encoder.encode(text), type: `${type}; charset=utf-8` };
}

/**
 * The page's files by their path relative to the page (`index.html`,
 * `page.js`, `examples/dots.png`, …): all the server serves besides the
 * cached weights, and what `deno task web` writes out.
 */
export function pageAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>([
    ["index.html", _text(indexHtml, "text/html")],
    ["style.css", _text(styleCss, "text/css")],
    ["favicon.svg", { body: encoder.encode(faviconSvg), type: "image/svg+xml" }],
    ["page.js", _text(pageJs, "text/javascript")],
    ["tex-synth.js", _text(engineJs, "text/javascript")],
  ]);
  for (const [name, base64] of Object.entries(examples as Record<string, string>)) {
    assets.set(`examples/${name}`, { body: Uint8Array.fromBase64(base64), type: "image/png" });
  }
  return assets;
}
