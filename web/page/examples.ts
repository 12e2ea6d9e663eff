/**
 * The exemplars bundled with tex-synth that the page offers and the server
 * serves at `/examples/NAME.png` (from `examples/` of the repository, packed
 * into `web/build/examples.json` by `deno task bundle`).
 *
 * @module
 */

/** Names of the bundled examples, without `.png`. */
export const EXAMPLES: readonly string[] = ["bricks", "checker", "cracks", "dots", "noise"];
