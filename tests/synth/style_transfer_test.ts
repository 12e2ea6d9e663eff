// Style transfer end to end on a content image of large shapes and a
// colourful mosaic (48×48, random weights, 10 L-BFGS iterations): the style
// and content terms fall, the content's outlines stay, original colours keep
// the content's chroma exactly, styles blend by weight, and bad options are
// refused before any GPU work.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { mosaicImage, shapesImage } from "../../examples/transfer_inputs.ts";
import { StyleTransfer, type StyleTransferOptions } from "../../src/synth/style_transfer.ts";
import { TexSynthError } from "../../src/errors.ts";
import { edgeCorrelation, yiqChannel } from "./_image_measures.ts";
import { gpu } from "../_helpers.ts";

const SIZE = 48;
const content = shapesImage(SIZE, SIZE);
const style = mosaicImage(96);

type Options = Omit<StyleTransferOptions, "weights">;

async function run(options: Options, iterations = 10) {
  const transfer = await StyleTransfer.create(content, style, {
    weights: "random",
    gpu: await gpu(),
    ...options,
  });
  await transfer.transfer(iterations);
  const result = { history: [...transfer.history], image: await transfer.image() };
  transfer.dispose();
  return result;
}

// The mosaic's own edges do not follow the shapes: its edge correlation with
// the content is about −0.08, the floor the outputs are measured against.
const EDGES_KEPT = 0.5;

Deno.test("from the content: the style term (gram) falls 5×, the shapes' edges stay (edge correlation ≥ 0.5)", async () => {
  const { history, image } = await run({});
  const [first, last] = [history[0], history[history.length - 1]];
  assertEquals(first.content, 0);
  assert(last.gram < first.gram / 5, `style ${first.gram} → ${last.gram}`);
  assert(last.loss < first.loss / 3, `total ${first.loss} → ${last.loss}`);
  const kept = edgeCorrelation(image, content);
  assert(kept >= EDGES_KEPT, `edge correlation ${kept}`);
  assert(edgeCorrelation(mosaicImage(SIZE), content) < 0.1);
});

Deno.test("from noise: the style term and the content term both fall 4×", async () => {
  const { history } = await run({ init: "noise", seed: 2 });
  const [first, last] = [history[0], history[history.length - 1]];
  assert(last.gram < first.gram / 4, `style ${first.gram} → ${last.gram}`);
  assert(last.content < first.content / 4, `content ${first.content} → ${last.content}`);
});

Deno.test("original colours: the output's chroma (I, Q of YIQ) is the content's within 1e-6; the shapes stay", async () => {
  const { history, image } = await run({ originalColors: true });
  // In f32 the chroma goes YIQ → RGB → YIQ: rounding only (measured 8e-8).
  let worst = 0;
  for (const k of [1, 2]) {
    const got = yiqChannel(image, k);
    const want = yiqChannel(content, k);
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  }
  assert(worst <= 1e-6, `chroma differs by ${worst}`);
  const [first, last] = [history[0], history[history.length - 1]];
  assert(last.gram < first.gram / 2.5, `style ${first.gram} → ${last.gram}`);
  assert(edgeCorrelation(image, content) >= EDGES_KEPT);
});

Deno.test("style blend: weights 1 and 0 give exactly the first style's loss; variations differ", async () => {
  const ctx = await gpu();
  const other = shapesImage(40, 56);
  const first = async (styles: typeof style[], styleBlend?: number[]) => {
    const t = await StyleTransfer.create(content, styles, {
      weights: "random",
      gpu: ctx,
      styleBlend,
      init: "noise",
    });
    await t.transfer(0);
    const loss = t.history[0];
    await t.transfer(0);
    const second = t.history[0];
    t.dispose();
    return { loss, second };
  };
  const alone = await first([style]);
  const blended = await first([style, other], [1, 0]);
  assertEquals(blended.loss.loss, alone.loss.loss);
  assertEquals(blended.loss.gram, alone.loss.gram);
  const mixed = await first([style, other], [0.5, 0.5]);
  assert(mixed.loss.gram !== alone.loss.gram);
  // A noise start draws the n-th noise of the seed for the n-th variation.
  assert(alone.second.loss !== alone.loss.loss);
});

Deno.test("bad options are refused with one-line errors before any GPU work", async () => {
  const cases: [Options, RegExp][] = [
    [{ styleBlend: [1, 2] }, /2 style blend weights for 1 style images/],
    [{ styleBlend: [0] }, /positive sum/],
    [{ contentWeight: -1 }, /content weight must be/],
    [{ tvWeight: NaN }, /tv weight must be/],
    [{ styleScale: 0 }, /style scale must be a positive/],
    [{ initNoise: 2 }, /init noise must be between 0 and 1/],
    [{ width: 0 }, /width must be a positive whole number/],
    [{ width: 12 }, /the output is 12×12 px, smaller than the 16 px per side that relu5_1/],
    [{ styleScale: 0.2 }, /style image at --style-scale 0.2 is 10×10 px/],
  ];
  for (const [options, message] of cases) {
    const error = await assertRejects(
      () => StyleTransfer.create(content, style, { weights: "random", ...options }),
      TexSynthError,
    );
    assert(message.test(error.message), error.message);
    assert(!error.message.includes("\n"));
  }
  await assertRejects(
    () => StyleTransfer.create(content, style, {} as StyleTransferOptions),
    TexSynthError,
    "StyleTransfer.create needs weights",
  );
  await assertRejects(
    () =>
      StyleTransfer.create(content, [style, style], {
        weights: "random",
        loss: "sw",
        styleBlend: [2, 1],
      }),
    TexSynthError,
    "sliced Wasserstein pools",
  );
});
