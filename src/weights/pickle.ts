import { TexSynthError } from "../errors.ts";
import type { ByteSource } from "./byte_source.ts";
import { printable } from "./describe.ts";
import { decodeFloats, type FloatDtype, type TensorData } from "./tensor.ts";

/**
 * A reader for the pickles inside torch.save checkpoints. It is a data
 * parser, not an interpreter: it knows an allowlist of opcodes and of Python
 * globals (OrderedDict, torch's tensor rebuild functions, the storage types)
 * and builds plain values from them; anything else — `os.system`,
 * `builtins.eval`, object construction opcodes — is refused with a
 * TexSynthError before any of it could mean anything. Nothing is ever called.
 */

/** Value kinds a torch pickle may build. Tuples are frozen arrays, lists are not. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleKey, PickleValue>
  | PickleGlobal
  | StorageRef
  | TensorRef;

/** Dict keys the reader accepts (Python's hashable scalars). */
export type PickleKey = null | boolean | number | bigint | string;

/** A reference to an allowlisted Python global, e.g. `torch.FloatStorage`. */
export interface PickleGlobal {
  /** Tag. */
  kind: "global";
  /** Module, e.g. `torch._utils`. */
  module: string;
  /** Attribute, e.g. `_rebuild_tensor_v2`. */
  name: string;
}

/** Element types of torch storages, named as safetensors names them. */
export type TorchDtype = FloatDtype | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** A storage named by a persistent id: where a tensor's bytes live in the checkpoint. */
export interface StorageRef {
  /** Tag. */
  kind: "storage";
  /** Key of the root storage (`archive/data/KEY` in zips; the legacy key list entry). */
  key: string;
  /** Element type, from the storage class (`FloatStorage` → F32). */
  dtype: TorchDtype;
  /** Bytes per element. */
  elementBytes: number;
  /** Elements in the root storage. */
  numel: number;
  /** Legacy files only: this storage is a view `[offset, offset + numel)` of the root. */
  view: { offset: number; numel: number } | null;
}

/** A tensor as `_rebuild_tensor(_v2)` describes it: a strided view of a storage. */
export interface TensorRef {
  /** Tag. */
  kind: "tensor";
  /** The storage the tensor reads. */
  storage: StorageRef;
  /** Offset in elements into the storage. */
  offset: number;
  /** Dimensions. */
  shape: number[];
  /** Strides in elements. */
  stride: number[];
}

/** The result of reading one pickle: its value and the byte after its STOP. */
export interface Unpickled {
  /** The value the pickle builds. */
  value: PickleValue;
  /** Offset of the byte after STOP, where a following pickle or data begins. */
  end: number;
  /** Every storage the pickle's persistent ids named, in order of appearance. */
  storages: StorageRef[];
}

/** The newest pickle protocol (Python 3.8+); torch.save writes 2 by default. */
const HIGHEST_PROTOCOL = 5;

const MAX_MARKS = 256;
const MAX_STACK = 1_000_000;
const MAX_MEMO = 1_000_000;
const MAX_STRING = 64 * 1024 * 1024;
const MAX_LINE = 4096;
const MAX_LONG_BYTES = 1024;

/** The largest pickle the reader accepts; a state dict of tensors is a few kilobytes per tensor. */
export const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

const STORAGE_TYPES: Readonly<Record<string, [TorchDtype, number]>> = {
  FloatStorage: ["F32", 4],
  HalfStorage: ["F16", 2],
  BFloat16Storage: ["BF16", 2],
  DoubleStorage: ["F64", 8],
  LongStorage: ["I64", 8],
  IntStorage: ["I32", 4],
  ShortStorage: ["I16", 2],
  CharStorage: ["I8", 1],
  ByteStorage: ["U8", 1],
  BoolStorage: ["BOOL", 1],
};

const CALLABLES = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
]);

/** Thrown when a pickle runs past the bytes given; {@link unpickleAt} then reads more. */
class _NeedMore extends Error {}

/**
 * Reads one pickle from `bytes` at `start`, with torch's storage persistent
 * ids (`('storage', type, key, location, numel[, view])`) turned into
 * {@link StorageRef}s. `what` names the file in errors.
 */
export function unpickleTorch(bytes: Uint8Array, start: number, what: string): Unpickled {
  try {
    return new _Unpickler(bytes, start, what).run();
  } catch (e) {
    if (e instanceof _NeedMore) {
      throw new TexSynthError(`${what} is truncated: a pickle runs past its end; re-download it`);
    }
    throw e;
  }
}

/**
 * Reads one pickle from `source` at `offset` without knowing its length:
 * reads a window, and a larger one if the pickle runs past it.
 */
export async function unpickleAt(
  source: ByteSource,
  offset: number,
  what: string,
): Promise<Unpickled> {
  let window = 64 * 1024;
  for (;;) {
    const length = Math.min(window, source.size - offset);
    const bytes = await source.read(offset, length);
    try {
      const r = new _Unpickler(bytes, 0, what).run();
      return { ...r, end: offset + r.end };
    } catch (e) {
      if (!(e instanceof _NeedMore)) throw e;
      if (offset + length >= source.size) {
        throw new TexSynthError(
          `${what} is truncated: a pickle runs past the end of the file; re-download it`,
        );
      }
      if (window >= MAX_PICKLE_BYTES) {
        throw new TexSynthError(
          `${what}: a pickle is larger than ${MAX_PICKLE_BYTES} bytes; not a weights file (give a VGG19 .pth or .safetensors)`,
        );
      }
      window *= 4;
    }
  }
}

/**
 * The tensors of a state dict: the pickle's top-level dict (or its
 * `state_dict` entry, as training checkpoints wrap it), keeping entries whose
 * value is a tensor and skipping everything else.
 */
export function stateDictTensors(value: PickleValue, what: string): Map<string, TensorRef> {
  let dict = value;
  if (dict instanceof Map && dict.get("state_dict") instanceof Map) dict = dict.get("state_dict")!;
  if (!(dict instanceof Map)) {
    throw new TexSynthError(
      `${what} does not hold a state dict (a dict of tensors); save model.state_dict()`,
    );
  }
  const out = new Map<string, TensorRef>();
  for (const [k, v] of dict) {
    if (typeof k === "string" && _isTensor(v)) out.set(k, v);
  }
  return out;
}

/**
 * Materializes a tensor as f32: checks its view stays inside the storage,
 * reads the bytes it spans through `readStorage` (a byte range of the root
 * storage `key`) and gathers strided layouts into row-major order.
 */
export async function readTensor(
  ref: TensorRef,
  readStorage: (key: string, byteOffset: number, byteLength: number) => Promise<Uint8Array>,
  name: string,
  what: string,
): Promise<TensorData> {
  const s = ref.storage;
  const label = printable(name);
  if (s.dtype !== "F32" && s.dtype !== "F16" && s.dtype !== "BF16" && s.dtype !== "F64") {
    throw new TexSynthError(
      `${what}: ${label} holds ${s.dtype} values, not floats; not VGG weights (give torchvision's VGG19 or use --weights random)`,
    );
  }
  const base = s.view ? s.view.offset : 0;
  const limit = s.view ? s.view.numel : s.numel;
  if (s.view && base + limit > s.numel) {
    throw new TexSynthError(
      `${what}: ${label} views past the end of storage ${
        printable(s.key)
      } (corrupt file: re-download it)`,
    );
  }
  const shape = ref.shape;
  const count = shape.reduce((a, b) => a * b, 1);
  if (count === 0) return { shape: [...shape], data: new Float32Array(0) };
  let last = ref.offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * ref.stride[i];
  if (!Number.isSafeInteger(last) || last >= limit) {
    throw new TexSynthError(
      `${what}: ${label} [${printable(shape.join(", "))}] needs ${
        last + 1
      } elements of a ${limit}-element storage (corrupt file: re-download it)`,
    );
  }
  const first = base + ref.offset;
  const span = last - ref.offset + 1;
  // Weights never alias their own elements; an overlapping view could claim
  // far more values than the file holds, so it is refused before allocating.
  if (count > span) {
    throw new TexSynthError(
      `${what}: ${label} [${
        printable(shape.join(", "))
      }] has overlapping strides, which weights never have (corrupt file: re-download it)`,
    );
  }
  const bytes = await readStorage(s.key, first * s.elementBytes, span * s.elementBytes);
  const values = decodeFloats(s.dtype, bytes, span);
  if (span === count && _rowMajor(shape, ref.stride)) return { shape: [...shape], data: values };
  const out = new Float32Array(count);
  const index = new Array(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = 0;
    for (let d = 0; d < shape.length; d++) at += index[d] * ref.stride[d];
    out[i] = values[at];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return { shape: [...shape], data: out };
}

function _rowMajor(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expect) return false;
    expect *= shape[d];
  }
  return true;
}

function _isTensor(v: PickleValue): v is TensorRef {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Map) &&
    !(v instanceof Uint8Array) && v.kind === "tensor";
}

function _isStorage(v: PickleValue): v is StorageRef {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Map) &&
    !(v instanceof Uint8Array) && v.kind === "storage";
}

function _isGlobal(v: PickleValue): v is PickleGlobal {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Map) &&
    !(v instanceof Uint8Array) && v.kind === "global";
}

const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0x69: "INST",
  0x6f: "OBJ",
  0x81: "NEWOBJ",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x92: "NEWOBJ_EX",
};

class _Unpickler {
  #b: Uint8Array;
  #v: DataView;
  #pos: number;
  #what: string;
  #stack: PickleValue[] = [];
  #marks: number[] = [];
  #memo = new Map<number, PickleValue>();
  #storages: StorageRef[] = [];

  constructor(bytes: Uint8Array, start: number, what: string) {
    this.#b = bytes;
    this.#v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#what = what;
  }

  run(): Unpickled {
    for (;;) {
      const at = this.#pos;
      const op = this.#u8();
      if (op === 0x2e) {
        if (this.#stack.length !== 1 || this.#marks.length) {
          throw this.#bad("STOP with a malformed stack");
        }
        return { value: this.#stack[0], end: this.#pos, storages: this.#storages };
      }
      this.#step(op, at);
      if (this.#stack.length > MAX_STACK) throw this.#bad("stack too large");
    }
  }

  #step(op: number, at: number): void {
    switch (op) {
      case 0x80: { // PROTO
        const protocol = this.#u8();
        if (protocol > HIGHEST_PROTOCOL) {
          throw new TexSynthError(
            `${this.#what} is written with pickle protocol ${protocol}, newer than the protocols 1–${HIGHEST_PROTOCOL} this reader knows: re-save it with torch.save(..., pickle_protocol=${HIGHEST_PROTOCOL}), or convert it to .safetensors`,
          );
        }
        return;
      }
      case 0x50: // PERSID: protocol 0 writes the storage id as text, which no reader can parse back.
        throw new TexSynthError(
          `${this.#what} is written with pickle protocol 0, whose text storage ids torch.load cannot read back either: re-save it with torch.save(..., pickle_protocol=2) or higher, or convert it to .safetensors`,
        );
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        throw new TexSynthError(
          `${this.#what} uses pickle protocol 5's out-of-band buffers, which torch.save never writes and a file cannot carry: re-save it with torch.save(..., pickle_protocol=4)`,
        );
      case 0x95: // FRAME: framing only groups opcodes; the content follows inline.
        this.#take(8);
        return;
      case 0x28: // MARK
        if (this.#marks.length >= MAX_MARKS) throw this.#bad("nesting too deep");
        this.#marks.push(this.#stack.length);
        return;
      case 0x30: // POP
        this.#pop();
        return;
      case 0x31: // POP_MARK
        this.#popMark();
        return;
      case 0x32: // DUP
        this.#push(this.#top());
        return;
      case 0x4e: // NONE
        return this.#push(null);
      case 0x88: // NEWTRUE
        return this.#push(true);
      case 0x89: // NEWFALSE
        return this.#push(false);
      case 0x49: { // INT (text; "01"/"00" are Python 2's True/False)
        const line = this.#line();
        if (line === "01" || line === "00") return this.#push(line === "01");
        return this.#push(this.#int(line));
      }
      case 0x4c: // LONG (text)
        return this.#push(this.#int(this.#line().replace(/L$/, "")));
      case 0x4a: // BININT
        return this.#push(this.#v.getInt32(this.#skip(4), true));
      case 0x4b: // BININT1
        return this.#push(this.#u8());
      case 0x4d: // BININT2
        return this.#push(this.#v.getUint16(this.#skip(2), true));
      case 0x8a: // LONG1
        return this.#push(this.#long(this.#u8()));
      case 0x8b: { // LONG4
        const n = this.#v.getInt32(this.#skip(4), true);
        if (n < 0 || n > MAX_LONG_BYTES) throw this.#bad("integer too long");
        return this.#push(this.#long(n));
      }
      case 0x46: { // FLOAT (text)
        const x = Number(this.#line());
        if (Number.isNaN(x)) throw this.#bad("bad float");
        return this.#push(x);
      }
      case 0x47: // BINFLOAT (big-endian, as pickle writes it)
        return this.#push(this.#v.getFloat64(this.#skip(8), false));
      case 0x53: // STRING (text repr, Python 2 str)
        return this.#push(this.#quoted(this.#line()));
      case 0x56: // UNICODE (raw-unicode-escape text)
        return this.#push(
          this.#line().replace(
            /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
            (_, a, b) => String.fromCodePoint(parseInt(a ?? b, 16)),
          ),
        );
      case 0x54: // BINSTRING (Python 2 str)
        return this.#push(this.#latin1(this.#length(this.#v.getInt32(this.#skip(4), true))));
      case 0x55: // SHORT_BINSTRING (Python 2 str)
        return this.#push(this.#latin1(this.#u8()));
      case 0x58: // BINUNICODE
        return this.#push(this.#utf8(this.#length(this.#v.getUint32(this.#skip(4), true))));
      case 0x8c: // SHORT_BINUNICODE
        return this.#push(this.#utf8(this.#u8()));
      case 0x8d: // BINUNICODE8
        return this.#push(this.#utf8(this.#length(this.#u64())));
      case 0x42: // BINBYTES
        return this.#push(this.#take(this.#length(this.#v.getUint32(this.#skip(4), true))).slice());
      case 0x43: // SHORT_BINBYTES
        return this.#push(this.#take(this.#u8()).slice());
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8 (protocol 5; read as bytes)
        return this.#push(this.#take(this.#length(this.#u64())).slice());
      case 0x29: // EMPTY_TUPLE
        return this.#push(this.#tuple([]));
      case 0x74: // TUPLE
        return this.#push(this.#tuple(this.#popMark()));
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: { // TUPLE3
        const n = op - 0x84;
        if (this.#stack.length - this.#floor() < n) throw this.#bad("stack underflow");
        return this.#push(
          Object.freeze(this.#stack.splice(this.#stack.length - n)) as PickleValue[],
        );
      }
      case 0x5d: // EMPTY_LIST
        return this.#push([]);
      case 0x6c: // LIST
        return this.#push(this.#popMark());
      case 0x61: { // APPEND
        const item = this.#pop();
        this.#list(this.#top()).push(item);
        return;
      }
      case 0x65: { // APPENDS
        const items = this.#popMark();
        const list = this.#list(this.#top());
        for (const item of items) list.push(item);
        return;
      }
      case 0x7d: // EMPTY_DICT
        return this.#push(new Map());
      case 0x64: { // DICT
        const items = this.#popMark();
        return this.#push(this.#setItems(new Map(), items));
      }
      case 0x73: { // SETITEM
        const v = this.#pop();
        const k = this.#pop();
        this.#setItems(this.#dict(this.#top()), [k, v]);
        return;
      }
      case 0x75: { // SETITEMS
        const items = this.#popMark();
        this.#setItems(this.#dict(this.#top()), items);
        return;
      }
      case 0x70: // PUT
        return this.#put(this.#index(this.#line()));
      case 0x71: // BINPUT
        return this.#put(this.#u8());
      case 0x72: // LONG_BINPUT
        return this.#put(this.#v.getUint32(this.#skip(4), true));
      case 0x94: // MEMOIZE
        return this.#put(this.#memo.size);
      case 0x67: // GET
        return this.#get(this.#index(this.#line()));
      case 0x68: // BINGET
        return this.#get(this.#u8());
      case 0x6a: // LONG_BINGET
        return this.#get(this.#v.getUint32(this.#skip(4), true));
      case 0x63: { // GLOBAL
        const module = this.#line();
        return this.#push(this.#global(module, this.#line()));
      }
      case 0x93: { // STACK_GLOBAL
        const name = this.#pop();
        const module = this.#pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw this.#bad("bad STACK_GLOBAL");
        }
        return this.#push(this.#global(module, name));
      }
      case 0x51: // BINPERSID
        return this.#push(this.#storage(this.#pop()));
      case 0x52: { // REDUCE
        const args = this.#pop();
        const fn = this.#pop();
        return this.#push(this.#reduce(fn, args));
      }
      case 0x62: { // BUILD
        this.#pop();
        const target = this.#top();
        // OrderedDict state (torch's `_metadata`) and tensor state carry nothing we use.
        if (!(target instanceof Map) && !_isTensor(target)) {
          throw this.#bad("BUILD on an unexpected object");
        }
        return;
      }
      default: {
        const name = OPCODE_NAMES[op];
        throw this.#bad(
          name
            ? `opcode ${name} at byte ${at}, which a weights file never needs`
            : `unknown opcode 0x${op.toString(16).padStart(2, "0")} at byte ${at}`,
        );
      }
    }
  }

  #global(module: string, name: string): PickleGlobal {
    const full = `${module}.${name}`;
    const storage = (module === "torch" || module === "torch.cuda") &&
      Object.hasOwn(STORAGE_TYPES, name);
    if (!storage && !CALLABLES.has(full)) {
      throw new TexSynthError(
        `${this.#what} names the Python global ${
          printable(full)
        }, which a weights file never needs: refusing to load it (it may be malicious; use torchvision's VGG19 from a trusted source)`,
      );
    }
    return { kind: "global", module, name };
  }

  #reduce(fn: PickleValue, args: PickleValue): PickleValue {
    if (!_isGlobal(fn) || !CALLABLES.has(`${fn.module}.${fn.name}`)) {
      throw this.#bad("REDUCE on something other than an allowed function");
    }
    if (!Array.isArray(args)) throw this.#bad(`${fn.name} called without an argument tuple`);
    switch (fn.name) {
      case "OrderedDict": {
        const out = new Map<PickleKey, PickleValue>();
        if (args.length === 0) return out;
        // Python 2 pickles OrderedDict as OrderedDict([[key, value], ...]).
        if (args.length !== 1 || !Array.isArray(args[0])) {
          throw this.#bad("bad OrderedDict arguments");
        }
        for (const pair of args[0]) {
          if (!Array.isArray(pair) || pair.length !== 2) throw this.#bad("bad OrderedDict item");
          this.#setItems(out, pair);
        }
        return out;
      }
      case "_rebuild_parameter":
        if (args.length < 1 || !_isTensor(args[0])) {
          throw this.#bad("bad _rebuild_parameter arguments");
        }
        return args[0];
      default:
        return this.#tensor(args);
    }
  }

  #tensor(args: PickleValue[]): TensorRef {
    const [storage, offset, shape, stride] = args;
    const ints = (v: PickleValue): v is number[] =>
      Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0);
    if (
      args.length < 4 || !_isStorage(storage) || !Number.isSafeInteger(offset) ||
      (offset as number) < 0 || !ints(shape) || !ints(stride) || shape.length !== stride.length
    ) {
      throw this.#bad("bad tensor rebuild arguments");
    }
    return {
      kind: "tensor",
      storage,
      offset: offset as number,
      shape: [...shape],
      stride: [...stride],
    };
  }

  #storage(pid: PickleValue): StorageRef {
    if (!Array.isArray(pid) || pid[0] !== "storage" || (pid.length !== 5 && pid.length !== 6)) {
      throw this.#bad("a persistent id that is not a torch storage");
    }
    const [, type, key, , numel, view] = pid;
    if (!_isGlobal(type) || !Object.hasOwn(STORAGE_TYPES, type.name)) {
      throw this.#bad("bad storage type");
    }
    if (typeof key !== "string" || !Number.isSafeInteger(numel) || (numel as number) < 0) {
      throw this.#bad("bad storage id");
    }
    const [dtype, elementBytes] = STORAGE_TYPES[type.name];
    let v: StorageRef["view"] = null;
    if (view !== undefined && view !== null) {
      if (
        !Array.isArray(view) || view.length !== 3 || !Number.isSafeInteger(view[1]) ||
        !Number.isSafeInteger(view[2]) || (view[1] as number) < 0 || (view[2] as number) < 0
      ) {
        throw this.#bad("bad storage view");
      }
      v = { offset: view[1] as number, numel: view[2] as number };
    }
    const ref: StorageRef = {
      kind: "storage",
      key,
      dtype,
      elementBytes,
      numel: numel as number,
      view: v,
    };
    this.#storages.push(ref);
    return ref;
  }

  #setItems(
    target: Map<PickleKey, PickleValue>,
    items: PickleValue[],
  ): Map<PickleKey, PickleValue> {
    if (items.length % 2) throw this.#bad("odd number of dict items");
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i];
      if (k !== null && typeof k === "object") throw this.#bad("a dict key that is not a scalar");
      target.set(k, items[i + 1]);
    }
    return target;
  }

  #list(v: PickleValue): PickleValue[] {
    if (!Array.isArray(v) || Object.isFrozen(v)) {
      throw this.#bad("APPEND to something other than a list");
    }
    return v;
  }

  #dict(v: PickleValue): Map<PickleKey, PickleValue> {
    if (!(v instanceof Map)) throw this.#bad("SETITEM on something other than a dict");
    return v;
  }

  #put(index: number): void {
    if (this.#stack.length <= this.#floor()) throw this.#bad("memo store from an empty stack");
    if (this.#memo.size >= MAX_MEMO && !this.#memo.has(index)) throw this.#bad("memo too large");
    this.#memo.set(index, this.#top());
  }

  #get(index: number): void {
    if (!this.#memo.has(index)) throw this.#bad(`memo key ${index} missing`);
    this.#push(this.#memo.get(index)!);
  }

  /** Tuples are frozen so APPEND can tell them from lists. */
  #tuple(items: PickleValue[]): PickleValue[] {
    return Object.freeze(items) as PickleValue[];
  }

  #index(text: string): number {
    const n = this.#int(text);
    if (typeof n !== "number" || n < 0) throw this.#bad("bad memo index");
    return n;
  }

  #push(v: PickleValue): void {
    this.#stack.push(v);
  }

  #floor(): number {
    return this.#marks.length ? this.#marks[this.#marks.length - 1] : 0;
  }

  #pop(): PickleValue {
    if (this.#stack.length <= this.#floor()) throw this.#bad("stack underflow");
    return this.#stack.pop()!;
  }

  #top(): PickleValue {
    if (this.#stack.length <= this.#floor()) throw this.#bad("stack underflow");
    return this.#stack[this.#stack.length - 1];
  }

  #popMark(): PickleValue[] {
    const m = this.#marks.pop();
    if (m === undefined) throw this.#bad("no MARK to pop to");
    return this.#stack.splice(m);
  }

  #u8(): number {
    return this.#b[this.#skip(1)];
  }

  #u64(): number {
    const at = this.#skip(8);
    return this.#v.getUint32(at, true) + this.#v.getUint32(at + 4, true) * 2 ** 32;
  }

  #length(n: number): number {
    if (n < 0 || n > MAX_STRING) throw this.#bad(`string of ${n} bytes`);
    return n;
  }

  #skip(n: number): number {
    const at = this.#pos;
    if (at + n > this.#b.length) throw new _NeedMore();
    this.#pos += n;
    return at;
  }

  #take(n: number): Uint8Array {
    const at = this.#skip(n);
    return this.#b.subarray(at, at + n);
  }

  #line(): string {
    const end = this.#b.indexOf(0x0a, this.#pos);
    if (end < 0) {
      if (this.#b.length - this.#pos > MAX_LINE) throw this.#bad("text line too long");
      throw new _NeedMore();
    }
    if (end - this.#pos > MAX_LINE) throw this.#bad("text line too long");
    const s = this.#latin1(end - this.#pos);
    this.#pos++;
    return s;
  }

  #latin1(n: number): string {
    const bytes = this.#take(n);
    let s = "";
    for (let i = 0; i < bytes.length; i += 8192) {
      s += String.fromCharCode(...bytes.subarray(i, i + 8192));
    }
    return s;
  }

  #utf8(n: number): string {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.#take(n));
    } catch (e) {
      if (e instanceof _NeedMore) throw e;
      throw this.#bad("a string that is not UTF-8");
    }
  }

  #int(text: string): number | bigint {
    if (!/^[+-]?\d{1,1000}$/.test(text)) throw this.#bad("bad integer");
    const big = BigInt(text);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }

  #long(n: number): number | bigint {
    const bytes = this.#take(n);
    if (n === 0) return 0;
    let big = 0n;
    for (let i = n - 1; i >= 0; i--) big = (big << 8n) | BigInt(bytes[i]);
    if (bytes[n - 1] & 0x80) big -= 1n << BigInt(8 * n);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }

  #quoted(text: string): string {
    const q = text[0];
    if ((q !== "'" && q !== '"') || text.length < 2 || text[text.length - 1] !== q) {
      throw this.#bad("bad quoted string");
    }
    return text.slice(1, -1).replace(
      /\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g,
      (_, e: string) => {
        if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
        if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
        return { n: "\n", r: "\r", t: "\t", "\\": "\\", "'": "'", '"': '"' }[e] ?? `\\${e}`;
      },
    );
  }

  #bad(why: string): TexSynthError {
    return new TexSynthError(
      `${this.#what} is not a torch weights file this tool accepts: ${why} (near byte ${this.#pos}); nothing was run (re-download it, or convert it to .safetensors)`,
    );
  }
}
