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
