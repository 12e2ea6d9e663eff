// Regenerates tests/peer/expected.json from the PyTorch reference:
//   apt-get install python3-torch python3-torchvision python3-pil
//   deno run -A tests/peer/make_expected.ts [path/to/torch_ref.py]
import { writePeerInputs } from "./_inputs.ts";

const script = Deno.args[0] ??
  new URL("../../../shared/peer/torch_ref.py", import.meta.url).pathname;
const dir = await Deno.makeTempDir();
const paths = await writePeerInputs(dir);
const python = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const out = await new Deno.Command(python, {
  args: [
    script,
    "--weights",
    paths.weights,
    "--exemplar",
    paths.exemplar,
    "--init",
    paths.init,
    "--evals",
    "0",
  ],
  stderr: "inherit",
}).output();
if (!out.success) Deno.exit(1);
const first = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n")[0]);
const version = new TextDecoder().decode(
  (await new Deno.Command(python, { args: ["-c", "import torch; print(torch.__version__)"] })
    .output()).stdout,
).trim();
const expected = { torch: version, loss: first.loss, gram: first.gram, spectrum: first.spectrum };
await Deno.writeTextFile(
  new URL("./expected.json", import.meta.url),
  JSON.stringify(expected, null, 2) + "\n",
);
await Deno.remove(dir, { recursive: true });
console.log(JSON.stringify(expected));
