// `deno task web` writes the page as static files: exactly what the server
// serves, plus a weights.json that tells the page there are no cached weights.
import { assertEquals } from "@std/assert";
import { exportWeb } from "../../tools/export_web.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("web: the static page holds the served files and says it has no cached weights", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tex-synth-web-" });
  try {
    const written = await exportWeb(`${dir}/site`);
    assertEquals(written, [
      "examples/bricks.png",
      "examples/checker.png",
      "examples/cracks.png",
      "examples/dots.png",
      "examples/noise.png",
      "favicon.svg",
      "index.html",
      "page.js",
      "style.css",
      "tex-synth.js",
      "weights.json",
    ]);
    for (
      const [file, source] of [
        ["index.html", "web/index.html"],
        ["page.js", "web/build/page.js"],
        ["tex-synth.js", "web/build/tex-synth.js"],
        ["examples/dots.png", "examples/dots.png"],
      ]
    ) {
      assertEquals(
        await Deno.readFile(`${dir}/site/${file}`),
        await Deno.readFile(new URL(source, ROOT)),
        file,
      );
    }
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/site/weights.json`)), {
      cached: false,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
