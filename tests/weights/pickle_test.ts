import { assert, assertEquals, assertThrows } from "@std/assert";
import { TexSynthError } from "../../src/errors.ts";
import { type PickleValue, unpickleTorch } from "../../src/weights/pickle.ts";
import { PickleWriter } from "./_torch_writer.ts";

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

// Written by CPython 3's pickle (protocols 0, 2, 4) for
// OrderedDict([('a', 1), ('b', [1.5, 'xé', None, True, -7, 2**40, (1, 2)]), ('c', {'k': (3,)})]),
// protocol 4 with b'\x00\x01' appended to 'b'.
const PY3 = {
  0: "63636f6c6c656374696f6e730a4f726465726564446963740a70300a28745270310a56610a70320a49310a7356620a70330a286c70340a46312e350a615678e90a70350a614e614930310a61492d370a614c313039393531313632373737364c0a612849310a49320a7470360a617356630a70370a286470380a566b0a70390a2849330a747031300a73732e",
  2: "800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000006171024b0158010000006271035d710428473ff8000000000000580300000078c3a971054e884af9ffffff8a060000000000014b014b028671066558010000006371077d710858010000006b71094b0385710a73752e",
  4: "8004956a000000000000008c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c0161944b018c0162945d9428473ff80000000000008c0378c3a9944e884af9ffffff8a060000000000014b014b0286944302000194658c0163947d948c016b944b03859473752e",
};

// CPython pickles of os.system("touch /tmp/texsynth-pwned") (protocols 2 and 0) and eval("1+1") (4).
const EVIL = {
  system2:
    "800263706f7369780a73797374656d0a71005819000000746f756368202f746d702f74657873796e74682d70776e656471018571025271032e",
  system0:
    "63706f7369780a73797374656d0a70300a2856746f756368202f746d702f74657873796e74682d70776e65640a70310a7470320a5270330a2e",
  eval4: "8004951f000000000000008c086275696c74696e73948c046576616c9493948c03312b3194859452942e",
};

function refused(bytes: Uint8Array, includes: string): void {
  const e = assertThrows(() => unpickleTorch(bytes, 0, "test.pth"), TexSynthError);
  assert(e.message.includes(includes), e.message);
  assert(!e.message.includes("\n"), "one line");
}

Deno.test("CPython pickles (protocols 0, 2, 4) parse to the exact values", () => {
  const expected = (withBytes: boolean): PickleValue =>
    new Map<string, PickleValue>([
      ["a", 1],
      ["b", [
        1.5,
        "xé",
        null,
        true,
        -7,
        2 ** 40,
        [1, 2],
        ...(withBytes ? [new Uint8Array([0, 1])] : []),
      ]],
      ["c", new Map([["k", [3]]])],
    ]);
  for (const [p, h] of Object.entries(PY3)) {
    const bytes = hex(h);
    const r = unpickleTorch(bytes, 0, `protocol ${p}`);
    assertEquals(r.end, bytes.length, `protocol ${p} end`);
    assertEquals(r.value, expected(p === "4"), `protocol ${p}`);
  }
});

Deno.test("legacy magic number (LONG1) is a bigint; Python 2 OrderedDict([[k, v]]) form; STRING opcode", () => {
  const magic = new PickleWriter().proto().op(
    0x8a,
    10,
    0x6c,
    0xfc,
    0x9c,
    0x46,
    0xf9,
    0x20,
    0x6a,
    0xa8,
    0x50,
    0x19,
  )
    .stop().bytes();
  assertEquals(unpickleTorch(magic, 0, "m").value, 0x1950a86a20f9469cfc6cn);
  const w = new PickleWriter(true).proto().global("collections", "OrderedDict").mark().op(0x5d)
    .mark()
    .op(0x5d).mark().str("k").int(5).op(0x65).op(0x65).tuple().op(0x52).stop();
  assertEquals(unpickleTorch(w.bytes(), 0, "p").value, new Map([["k", 5]]));
  const s = new TextEncoder().encode("S'a\\'b\\x41'\n.");
  assertEquals(unpickleTorch(s, 0, "s").value, "a'bA");
});

Deno.test("forged pickles naming os.system / builtins.eval are refused and nothing runs", () => {
  const marker = "/tmp/texsynth-pwned";
  try {
    Deno.removeSync(marker);
  } catch { /* not there: the expected state */ }
  refused(hex(EVIL.system2), "posix.system");
  refused(hex(EVIL.system0), "posix.system");
  refused(hex(EVIL.eval4), "builtins.eval");
  refused(new PickleWriter().proto().global("os", "system").stop().bytes(), "os.system");
  refused(
    new PickleWriter(true).proto().global("__builtin__", "eval").stop().bytes(),
    "__builtin__.eval",
  );
  refused(new PickleWriter().proto().global("torch", "load").stop().bytes(), "torch.load");
  refused(
    new PickleWriter().proto().global("torch._utils", "_rebuild_qtensor").stop().bytes(),
    "_rebuild_qtensor",
  );
  assertThrows(() => Deno.statSync(marker), Deno.errors.NotFound);
});

Deno.test("object-building opcodes and REDUCE on a non-callable global are refused", () => {
  const storageCall = new PickleWriter().proto().global("torch", "FloatStorage").op(0x29, 0x52)
    .stop();
  refused(storageCall.bytes(), "REDUCE on something other than an allowed function");
  const odArgs = new PickleWriter().proto().global("collections", "OrderedDict").int(3).op(0x52)
    .stop();
  refused(odArgs.bytes(), "without an argument tuple");
  refused(new PickleWriter().proto().op(0x29, 0x29, 0x81).stop().bytes(), "NEWOBJ");
  refused(new PickleWriter().proto().mark().op(0x69).bytes(), "INST");
  refused(new PickleWriter().proto().mark().op(0x6f).bytes(), "OBJ");
  refused(new PickleWriter().proto().op(0x82, 1).bytes(), "EXT1");
  refused(new PickleWriter().proto().op(0xff).bytes(), "unknown opcode 0xff");
  refused(new PickleWriter().proto().op(0x29).op(0x4b, 1).op(0x61).stop().bytes(), "APPEND");
  refused(
    new PickleWriter().proto().mark().str("storage").int(1).str("k").str("cpu").int(4).tuple().op(
      0x51,
    )
      .stop().bytes(),
    "bad storage type",
  );
  refused(new PickleWriter().proto().str("x").op(0x51).stop().bytes(), "not a torch storage");
});

Deno.test("bounds: nesting depth, string length, memo lookups, stack underflow, truncation", () => {
  refused(new PickleWriter().proto().op(...new Array(300).fill(0x28)).bytes(), "nesting too deep");
  refused(
    new PickleWriter().proto().op(0x8d, 0, 0, 0, 0, 1, 0, 0, 0).bytes(),
    "string of 4294967296 bytes",
  );
  refused(new PickleWriter().proto().op(0x68, 7).stop().bytes(), "memo key 7 missing");
  refused(new PickleWriter().proto().op(0x30).stop().bytes(), "stack underflow");
  refused(new PickleWriter().proto().int(1).int(2).stop().bytes(), "malformed stack");
  // A pickle cut short asks for more bytes rather than reading past the end.
  assertThrows(() =>
    unpickleTorch(new PickleWriter().proto().str("abcdef").bytes().subarray(0, 6), 0, "t")
  );
});
