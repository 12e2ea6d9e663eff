import { assert, assertEquals, assertRejects } from "@std/assert";
import { writeFileAtomic } from "../../src/io/atomic_write.ts";
import { TexSynthError } from "../../src/errors.ts";
import { randomArray } from "../_helpers.ts";

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

function randomBytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from(randomArray(n, seed, 0, 256), Math.floor);
}

Deno.test("writeFileAtomic writes and replaces content, leaving no temporary files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.png`;
    const first = randomBytes(100_000, 1);
    await writeFileAtomic(path, first);
    assertEquals(await Deno.readFile(path), first);
    const second = randomBytes(17, 2);
    await writeFileAtomic(path, second);
    assertEquals(await Deno.readFile(path), second);
    await writeFileAtomic(`${dir}/empty.bin`, new Uint8Array(0));
    assertEquals((await Deno.stat(`${dir}/empty.bin`)).size, 0);
    assertEquals(await entries(dir), ["empty.bin", "out.png"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic into a missing directory throws a one-line TexSynthError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/missing/out.png`;
    const e = await assertRejects(() => writeFileAtomic(path, randomBytes(10, 3)), TexSynthError);
    assert(e.message.includes(path) && e.message.includes("does not exist"), e.message);
    assert(!e.message.includes("\n"), e.message);
    assertEquals(await entries(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic onto a directory fails cleanly and removes its temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/taken`);
    await Deno.writeTextFile(`${dir}/taken/keep.txt`, "keep");
    await assertRejects(() => writeFileAtomic(`${dir}/taken`, randomBytes(10, 4)), TexSynthError);
    await assertRejects(() => writeFileAtomic(`${dir}/`, randomBytes(10, 5)), TexSynthError);
    assertEquals(await entries(dir), ["taken"]);
    assertEquals(await Deno.readTextFile(`${dir}/taken/keep.txt`), "keep");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Content `k` of `n` bytes: a distinct fill so a torn mix of two contents is recognizable. */
function content(k: number, n: number): Uint8Array {
  const out = randomBytes(n, 100 + k);
  out[0] = k;
  return out;
}

/** Which of `contents` `bytes` is exactly, or -1 (a torn or foreign file). */
function whichOf(bytes: Uint8Array, contents: Uint8Array[]): number {
  const k = bytes[0];
  const c = contents[k];
  if (!c || c.length !== bytes.length) return -1;
  for (let i = 0; i < c.length; i++) if (c[i] !== bytes[i]) return -1;
  return k;
}

/** Reads `path` until `done()`; returns how many reads saw a whole content and the sizes of torn ones. */
async function watch(
  path: string,
  contents: Uint8Array[],
  done: () => boolean,
): Promise<{ reads: number; torn: number[] }> {
  let reads = 0;
  const torn: number[] = [];
  while (!done()) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue; // before the first rename lands
      throw e;
    }
    if (whichOf(bytes, contents) >= 0) reads++;
    else torn.push(bytes.length);
    await new Promise((r) => setTimeout(r, 0));
  }
  return { reads, torn };
}

Deno.test("40 concurrent writeFileAtomic calls to one path: readers and the result see whole contents only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.png`;
    // Sizes differ, so a reader catching a half-written file would see a wrong length or bytes.
    const contents = Array.from({ length: 40 }, (_, k) => content(k, 20_000 + 7919 * k));
    let finished = false;
    const reader = watch(path, contents, () => finished);
    await Promise.all(contents.map((c) => writeFileAtomic(path, c)));
    finished = true;
    const { reads, torn } = await reader;
    assertEquals(torn, [], "sizes of torn files readers saw");
    assert(reads > 0, "the reader never saw the file");
    assert(whichOf(await Deno.readFile(path), contents) >= 0, "the final file is torn");
    assertEquals(await entries(dir), ["out.png"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two processes writing one path 25 times each never leave a torn file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.png`;
    const script = `${dir}/writer.ts`;
    await Deno.writeTextFile(
      script,
      `import { writeFileAtomic } from ${
        JSON.stringify(import.meta.resolve("../../src/io/atomic_write.ts"))
      };
const [path, k] = [Deno.args[0], Number(Deno.args[1])];
const bytes = await Deno.readFile(Deno.args[2]);
for (let i = 0; i < 25; i++) await writeFileAtomic(path, bytes);
console.log(k);`,
    );
    const contents = [content(0, 300_000), content(1, 170_000)];
    for (const [k, c] of contents.entries()) await Deno.writeFile(`${dir}/src${k}`, c);
    let finished = false;
    const reader = watch(path, contents, () => finished);
    const outputs = await Promise.all(contents.map((_, k) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-config", script, path, String(k), `${dir}/src${k}`],
        stdout: "piped",
        stderr: "piped",
      }).output()
    ));
    finished = true;
    const { reads, torn } = await reader;
    for (const o of outputs) assert(o.success, new TextDecoder().decode(o.stderr));
    assertEquals(torn, [], "sizes of torn files readers saw");
    assert(whichOf(await Deno.readFile(path), contents) >= 0, "the final file is torn");
    assert(reads > 0, "the reader never saw the file");
    assertEquals(await entries(dir), ["out.png", "src0", "src1", "writer.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
