// `tex-synth serve`: the page where a texture grows in the browser, served
// from this machine. The page runs the same engine on the browser's WebGPU;
// exemplars the user picks stay in the browser.
import { startPageServer } from "../server/server.ts";
import { openBrowser } from "../server/open_browser.ts";
import type { CommandSpec, ParsedCommand } from "./options.ts";
import { EXIT, Interrupts } from "./run.ts";

/** `tex-synth serve`: its grammar. */
export const SERVE_SPEC: CommandSpec = {
  name: "serve",
  summary: "the page where a texture grows live in the browser (WebGPU)",
  usage: ["serve [--port N] [--host H] [--open]"],
  options: [
    {
      name: "port",
      kind: "int",
      value: "N",
      min: 0,
      max: 65535,
      help: "TCP port to listen on",
      default: "a free one",
    },
    {
      name: "host",
      kind: "text",
      value: "H",
      help: "address to listen on (0.0.0.0: other machines too)",
      default: "127.0.0.1",
    },
    { name: "open", kind: "flag", help: "open the page in the default browser" },
    { name: "quiet", short: "q", kind: "flag", help: "print only the address" },
    { name: "help", short: "h", kind: "flag", help: "show this help" },
  ],
  positionals: { name: "nothing", min: 0, max: 0 },
  notes: [
    "Serves the page, its scripts, the bundled examples (/examples/NAME.png) and the cached",
    "weights, read-only, and nothing else. Prints the address on stdout; Ctrl-C stops it (exit 0).",
  ],
};

function _say(text: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
  } catch {
    // stderr is gone: the server goes on.
  }
}

/** Runs `tex-synth serve …` until SIGINT, SIGTERM or SIGHUP. */
export async function serveCommand(parsed: ParsedCommand): Promise<number> {
  const v = parsed.values;
  const quiet = v.quiet === true;
  const hostname = (v.host as string | undefined) ?? "127.0.0.1";
  const interrupts = new Interrupts();
  try {
    const server = startPageServer({ port: (v.port as number | undefined) ?? 0, hostname });
    console.log(server.url);
    if (!quiet) {
      _say(`tex-synth: serving the page at ${server.url} (Ctrl-C stops)`);
      if (!/^(127\.|localhost$|::1$|\[::1\]$)/.test(hostname)) {
        _say(
          `tex-synth: listening on ${hostname}: other machines can open the page and read the cached weights`,
        );
      }
    }
    if (v.open === true) {
      const failed = await openBrowser(server.url);
      if (failed) _say(`tex-synth: could not open a browser (${failed}): open ${server.url}`);
    }
    await new Promise<void>((resolve) => {
      if (interrupts.signal.aborted) resolve();
      interrupts.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await server.shutdown();
    return EXIT.ok;
  } finally {
    interrupts.dispose();
  }
}
